import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  ApiUsageSchema,
  CycleResultSchema,
  FindingsSchema,
  payloadKey,
  SnapshotPartSchema,
} from '../../lambdas/cycle/contract.ts';
import { evaluateStep } from '../../lambdas/cycle/evaluate.ts';
import { PayloadError, readPayload, writePayload } from '../../lambdas/cycle/payloads.ts';
import type { PayloadStore } from '../../lambdas/ports.ts';
import { demoParts } from '../helpers/demo.ts';

/** A store that keeps what it is given as JSON text, as S3 does. */
function memoryStore(): PayloadStore & { readonly texts: Map<string, string> } {
  const texts = new Map<string, string>();
  return {
    texts,
    getJson: async (key) => JSON.parse(texts.get(key) ?? 'null'),
    putJson: async (key, value) => {
      texts.set(key, JSON.stringify(value));
      return `mem://${key}`;
    },
  };
}

const { file, parts } = await demoParts();
const evaluated = evaluateStep(file, parts);

describe('the cycle contract', () => {
  it('holds every field of a real result: parsing the JSON of the demo cycle gives it back whole', () => {
    const json = JSON.parse(JSON.stringify(evaluated.result));
    expect(CycleResultSchema.parse(json)).toEqual(json);
  });

  it('keeps snapshot parts exact through JSON: money to the pico-unit, metric columns as typed arrays', async () => {
    const store = memoryStore();
    const key = payloadKey('snapshots', '2026-10-15', 'run-1.costs');
    await writePayload(store, key, SnapshotPartSchema, parts[0] as (typeof parts)[0]);
    const back = await readPayload(store, key, SnapshotPartSchema);
    expect(back).toEqual(parts[0]);
    expect(typeof back.snapshot.costs[0]?.amount).toBe('bigint');
    const resources = parts[1] as (typeof parts)[1];
    await writePayload(store, 'snapshots/x.json', SnapshotPartSchema, resources);
    const metrics = (await readPayload(store, 'snapshots/x.json', SnapshotPartSchema)).snapshot.metrics;
    expect(metrics?.[0]?.v).toBeInstanceOf(Float64Array);
    expect(metrics).toEqual(resources.snapshot.metrics);
  });

  it('refuses a payload of another shape, naming the key and the first fields that are wrong', async () => {
    const store = memoryStore();
    const findings = {
      result: evaluated.result,
      records: evaluated.records,
      inputs: { partKeys: ['snapshots/a.json'] },
    };
    const json = JSON.parse(JSON.stringify(z.encode(FindingsSchema, findings)));
    // Cost Explorer's forecast in the shape collect once stored it
    json.result.costExplorerForecast = {
      ok: true,
      range: { start: '2026-10-16', end: '2026-11-01' },
      mean: '5391.41',
    };
    await store.putJson('findings/2026-10-15/run-1.json', json);
    const read = readPayload(store, 'findings/2026-10-15/run-1.json', FindingsSchema);
    await expect(read).rejects.toBeInstanceOf(PayloadError);
    await expect(read).rejects.toThrow(
      /^findings\/2026-10-15\/run-1\.json is not the payload this step reads: result\.costExplorerForecast/,
    );
  });

  it('refuses a cost record whose amount is not a decimal', async () => {
    const store = memoryStore();
    const json = JSON.parse(JSON.stringify(z.encode(SnapshotPartSchema, parts[0] as (typeof parts)[0])));
    json.snapshot.costs[0].amount = '12,50';
    await store.putJson('snapshots/bad.json', json);
    await expect(readPayload(store, 'snapshots/bad.json', SnapshotPartSchema)).rejects.toThrow(
      /snapshot\.costs\.0\.amount: expected a decimal amount, got "12,50"/,
    );
  });
});

describe('apiUsage', () => {
  it('carries the bytes an Athena query scanned, and refuses a fractional byte count', () => {
    const usage = {
      requests: 1,
      costUsd: 0.00062,
      byApi: [
        { api: 'athena:StartQueryExecution', requests: 1, bytesScanned: 123_456_789, costUsd: 0.00062 },
      ],
    };
    expect(ApiUsageSchema.parse(JSON.parse(JSON.stringify(usage)))).toEqual(usage);
    const bad = { ...usage, byApi: [{ ...usage.byApi[0], bytesScanned: 1.5 }] };
    expect(ApiUsageSchema.safeParse(bad).success).toBe(false);
  });
});

describe('payload keys', () => {
  it('lays stage payloads out as <kind>/<asOf>/<runId>.json', () => {
    expect(payloadKey('snapshots', '2026-10-10', 'daily-2026-10-10T06-00')).toBe(
      'snapshots/2026-10-10/daily-2026-10-10T06-00.json',
    );
    expect(payloadKey('findings', '2026-10-10', 'run-1')).toBe('findings/2026-10-10/run-1.json');
  });

  it('refuses an execution ARN or a path as the run id', () => {
    expect(() =>
      payloadKey('snapshots', '2026-10-10', 'arn:aws:states:us-east-1:1:execution:sm:run-1'),
    ).toThrow(/execution name, not its ARN/);
    expect(() => payloadKey('snapshots', '2026-10-10', '../other')).toThrow(RangeError);
    expect(() => payloadKey('snapshots', '10/10/2026', 'run-1')).toThrow(/asOf must be YYYY-MM-DD/);
  });
});
