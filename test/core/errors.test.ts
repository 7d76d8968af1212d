import { describe, expect, it } from 'vitest';
import { ObjectNotFoundError } from '../../lambdas/aws/s3-store.ts';
import { MalformedResponseError } from '../../lambdas/aws/sagemaker-checks.ts';
import { SecretError } from '../../lambdas/aws/secrets.ts';
import {
  AwsAccessError,
  ConfigurationError,
  DataError,
  EXIT,
  exitCodeOf,
  gapOf,
  InputError,
  inputError,
  PerfBudgetsError,
} from '../../lambdas/core/errors.ts';
import { SnapshotPartsError } from '../../lambdas/cycle/parts.ts';
import { PayloadError } from '../../lambdas/cycle/payloads.ts';
import { EventError } from '../../lambdas/handlers/middleware.ts';

describe('the error family', () => {
  const cause = new Error('the SDK said no');
  const members: [PerfBudgetsError, string, abstract new (...args: never[]) => PerfBudgetsError][] = [
    [new InputError('budgets.yaml: expected a number', undefined, { cause }), 'InputError', InputError],
    [new EventError('event: asOf: expected a day'), 'EventError', InputError],
    [new DataError('s3://b/k is not JSON', { cause }), 'DataError', DataError],
    [new SnapshotPartsError('snapshot parts of different days'), 'SnapshotPartsError', DataError],
    [
      new PayloadError(
        'parts/2026-10-15/run-1/costs.json',
        'parts/2026-10-15/run-1/costs.json: snapshot.asOf: expected a day',
      ),
      'PayloadError',
      DataError,
    ],
    [
      new ObjectNotFoundError('b', 'k', 'the stage that writes it has not run', { cause }),
      'ObjectNotFoundError',
      DataError,
    ],
    [
      new MalformedResponseError('sagemaker:ListTags', 'Tags[].Key', 'a string', 3),
      'MalformedResponseError',
      DataError,
    ],
    [
      new AwsAccessError('costs', 'throttled', 'ce:GetCostAndUsage was throttled', { cause }),
      'AwsAccessError',
      AwsAccessError,
    ],
    [new ConfigurationError('environment: DATA_BUCKET: required'), 'ConfigurationError', ConfigurationError],
    [
      new SecretError('perf-budgets/slack', 'secret perf-budgets/slack was not found', { cause }),
      'SecretError',
      ConfigurationError,
    ],
  ];

  it.each(members)('%s is named %s, and is of its kind and of the family', (err, name, kind) => {
    expect(err.name).toBe(name);
    expect(name).toMatch(/Error$/);
    expect(err).toBeInstanceOf(kind);
    expect(err).toBeInstanceOf(PerfBudgetsError);
    expect(String(err)).toBe(`${name}: ${err.message}`);
  });

  it('keeps the error it came from as cause', () => {
    const err = new AwsAccessError('metrics', 'failed', 'cloudwatch:GetMetricData failed', { cause });
    expect(err.cause).toBe(cause);
    expect(inputError('costs.csv', 'expected a decimal', { row: 3, column: 'BilledCost' }, cause).cause).toBe(
      cause,
    );
  });

  it('names the file, row and column of bad input', () => {
    const err = inputError('costs.csv', 'expected a decimal, got "abc"', { row: 12, column: 'BilledCost' });
    expect(err.message).toBe('costs.csv, row 12, column BilledCost: expected a decimal, got "abc"');
    expect(err.where).toEqual({ file: 'costs.csv', row: 12, column: 'BilledCost' });
  });
});

describe('exitCodeOf', () => {
  it('exits 2 for every error of the family: the message says what to fix', () => {
    for (const err of [
      new InputError('bad'),
      new DataError('does not parse'),
      new AwsAccessError('inventory', 'access-denied', 'sagemaker:ListEndpoints was denied'),
      new ConfigurationError('no bucket'),
    ]) {
      expect(exitCodeOf(err)).toBe(EXIT.input);
    }
    expect(EXIT.input).toBe(2);
  });

  it('exits 3 for anything else, which is a bug', () => {
    expect(exitCodeOf(new TypeError("Cannot read properties of undefined (reading 'replace')"))).toBe(
      EXIT.internal,
    );
    expect(exitCodeOf('a string thrown')).toBe(EXIT.internal);
    expect(EXIT.internal).toBe(3);
  });
});

describe('gapOf', () => {
  it('turns an error of reading a source into the incomplete-data gap of that source, its message kept', () => {
    const err = new AwsAccessError(
      'metrics',
      'throttled',
      "cloudwatch:GetMetricData was throttled after the SDK's retries",
    );
    expect(gapOf('metrics', err)).toEqual({ source: 'metrics', message: err.message });
    expect(gapOf('costs', new DataError('ce:GetCostAndUsage returned the page token "x" twice'))).toEqual({
      source: 'costs',
      message: 'ce:GetCostAndUsage returned the page token "x" twice',
    });
  });

  it('lets bad input stop the cycle instead of becoming a gap', () => {
    const bad = new InputError('costs.csv row 3, column BilledCost: expected a decimal');
    expect(() => gapOf('costs', bad)).toThrow(bad);
    expect(() => gapOf('costs', 'not an error')).toThrow();
  });
});
