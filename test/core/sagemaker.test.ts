import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  endpointFromArn,
  endpointInstanceType,
  hostingInstanceType,
  hoursQuantity,
  type SageMakerUsage,
  sageMakerUsage,
  trainingInstanceType,
} from '../../lambdas/core/sagemaker.ts';
import { fixture } from '../helpers/fixtures.ts';

/** The line items of the real bill excerpt: description, quantity and its unit (rows with a `$` rate only). */
function realBillLines(): { description: string; quantity: number; unit: string }[] {
  const text = readFileSync(fixture('sagemaker/sample-costs.md'), 'utf8');
  return text.split('\n').flatMap((line) => {
    const cells = line.split('|').map((c) => c.trim());
    const [, description, quantity] = cells;
    if (!description?.startsWith('$') || !quantity) return [];
    const m = /^([\d,.]+)\s+(\S+)$/.exec(quantity);
    if (!m) return [];
    return [{ description, quantity: Number(m[1]?.replace(/,/g, '')), unit: m[2] as string }];
  });
}

const usageOf = (description: string) => sageMakerUsage({ description });

describe('SageMaker usage in the descriptions of a real bill (aws-samples/sagemaker-ssh-helper, Dec 2023)', () => {
  const lines = realBillLines();

  it('reads the 27 priced line items of the excerpt', () => {
    expect(lines).toHaveLength(27);
  });

  it('names every instance line item by what it pays for, with its instance type', () => {
    const named = lines.flatMap(({ description }) => {
      const u = usageOf(description);
      return u?.instanceType ? [[u.instanceType, u.kind]] : [];
    });
    expect(named).toEqual([
      ['ml.t3.medium', 'notebook'],
      ['ml.t3.medium', 'notebook'],
      ['ml.m5.large', 'notebook'],
      ['ml.m5.xlarge', 'batch-transform'],
      ['ml.m5.xlarge', 'hosting'],
      ['ml.m5.xlarge', 'processing'],
      ['ml.m5.xlarge', 'training'],
      ['ml.m5.xlarge', 'training-warm-pool'],
      ['ml.g4dn.xlarge', 'hosting'],
      ['ml.g4dn.xlarge', 'notebook'],
      ['ml.g4dn.xlarge', 'training'],
      ['ml.g4dn.xlarge', 'training-warm-pool'],
      ['ml.g5.xlarge', 'training'],
      ['ml.g4dn.4xlarge', 'hosting'],
      ['ml.p3.2xlarge', 'training'],
      ['ml.g4dn.12xlarge', 'hosting'],
      ['ml.g5.12xlarge', 'hosting'],
    ]);
  });

  it('takes no storage, data transfer, debugger or other service line for instance usage', () => {
    const others = lines.filter(({ description }) => usageOf(description)?.instanceType === undefined);
    expect(others.map((l) => l.description)).toEqual([
      '$0.00 for SageMaker Debugger Built-in Rule Volume',
      '$0.110 per GB-Mo of Processing ML storage',
      '$0.154 per GB-Mo of Endpoint ML storage',
      '$0.154 per GB-Mo of Notebook Instance ML storage',
      '$0.154 per GB-Mo of Training Job ML storage',
      '$0.154 per GB-Mo of Training Warm Pool Job ML storage',
      '$0.016 per GB for Endpoint Data IN',
      '$0.016 per GB for Endpoint Data OUT',
      '$0.0 for SageMaker Debugger Built-in Rule Instance',
      '$0.00695 per Advanced Instance Hr in EU (Ireland)',
    ]);
  });

  it("counts the endpoints' instance-hours from the quantities in Hrs: 138.457 of hosting", () => {
    let hours = 0;
    for (const l of lines) {
      const u = usageOf(l.description);
      if (!u || endpointInstanceType(u) === undefined) continue;
      hours +=
        hoursQuantity(u, { value: l.quantity, unit: l.unit }, { value: l.quantity, unit: l.unit }) ?? 0;
    }
    // 8.208 + 1.299 + 74.998 + 31.543 + 22.409
    expect(hours).toBeCloseTo(138.457, 9);
  });

  it('reads "per ... hour" as a price per hour, and a description without it as no unit', () => {
    expect(usageOf('$1.4084 per Hosting ml.g5.xlarge hour in US East (N. Virginia)')).toEqual({
      kind: 'hosting',
      instanceType: 'ml.g5.xlarge',
      pricedPerHour: true,
    });
    expect(usageOf('$0.822 for Training job ml.g4dn.xlarge per hour in EU (Ireland)')?.pricedPerHour).toBe(
      true,
    );
    expect(usageOf('$0.821 for Endpoint ml.g4dn.xlarge')?.pricedPerHour).toBe(false);
  });
});

describe('SageMaker usage types', () => {
  it.each([
    ['USE1-Host:ml.g5.xlarge', 'hosting', 'ml.g5.xlarge'],
    ['use1-host:ml.g5.xlarge', 'hosting', 'ml.g5.xlarge'],
    ['Host:ml.inf2.xlarge', 'hosting', 'ml.inf2.xlarge'],
    ['EUC1-Host:VolumeUsage.gp2', 'hosting', undefined],
    ['USE1-AsyncInf:ml.g6e.2xlarge', 'async-inference', 'ml.g6e.2xlarge'],
    ['USE2-ServerlessInf:Mem-4GB', 'serverless-inference', undefined],
    ['USE1-Train:ml.p3.2xlarge', 'training', 'ml.p3.2xlarge'],
    ['USE1-Train-Spot:ml.p3.2xlarge', 'training-spot', 'ml.p3.2xlarge'],
    ['USE1-Notebk:ml.t3.medium', 'notebook', 'ml.t3.medium'],
    ['EU-Studio:JupyterLab-ml.t3.medium', 'notebook', 'ml.t3.medium'],
    ['USE1-Processing:ml.m5.xlarge', 'processing', 'ml.m5.xlarge'],
    ['USE1-Tsform:ml.c5.9xlarge', 'batch-transform', 'ml.c5.9xlarge'],
  ])('%s is %s', (usageType, kind, instanceType) => {
    const u = sageMakerUsage({ usageType });
    expect(u?.kind).toBe(kind);
    expect(u?.instanceType).toBe(instanceType);
  });

  it('runs endpoint instances only for real-time and asynchronous inference', () => {
    const instance = (usageType: string) => endpointInstanceType(sageMakerUsage({ usageType }));
    expect(instance('USE1-Host:ml.g5.xlarge')).toBe('ml.g5.xlarge');
    expect(instance('USE1-AsyncInf:ml.g5.xlarge')).toBe('ml.g5.xlarge');
    for (const other of [
      'USE1-Train:ml.p3.2xlarge',
      'USE1-Train-Spot:ml.p3.2xlarge',
      'USE1-Notebk:ml.t3.medium',
      'USE1-Processing:ml.m5.xlarge',
      'USE1-Tsform:ml.m5.xlarge',
      'USE2-ServerlessInf:Mem-4GB',
      'USE1-Host:VolumeUsage.gp2',
    ]) {
      expect(instance(other), other).toBeUndefined();
    }
  });

  it('counts on-demand training for the managed-spot lever, and spot training not', () => {
    expect(trainingInstanceType('USE1-Train:ml.p3.2xlarge')).toBe('ml.p3.2xlarge');
    expect(trainingInstanceType('USE1-Train-Spot:ml.p3.2xlarge')).toBeUndefined();
    expect(trainingInstanceType('$3.825 per Training ml.p3.2xlarge hour in US East (N. Virginia)')).toBe(
      'ml.p3.2xlarge',
    );
  });

  it('lets the usage type name the usage when it and the description both do, and keeps the hourly price', () => {
    expect(
      sageMakerUsage({
        usageType: 'USE1-Host:ml.g5.xlarge',
        description: '$1.408 per Hosting ml.g5.xlarge hour in US East (N. Virginia)',
      }),
    ).toEqual({ kind: 'hosting', instanceType: 'ml.g5.xlarge', pricedPerHour: true });
  });

  it('reads a SKU that carries a usage type or a description when nothing else names the usage', () => {
    expect(sageMakerUsage({ skus: ['2X9B3NHEVH5XT8HG', 'USE1-Host:ml.g5.xlarge'] })?.kind).toBe('hosting');
    expect(sageMakerUsage({ skus: ['Hosting ml.c5.xlarge per hour'] })).toEqual({
      kind: 'hosting',
      instanceType: 'ml.c5.xlarge',
      pricedPerHour: true,
    });
    expect(sageMakerUsage({ skus: ['2X9B3NHEVH5XT8HG', undefined] })).toBeUndefined();
  });

  it('names no usage in other services or in text that only looks like an instance type', () => {
    for (const text of [
      'USE1-BoxUsage:m5.large',
      '$0.0116 per On Demand Linux t2.micro Instance Hour',
      'Amazon Rekognition Custom Labels training hour',
      'USE1-DataTransfer-Out-Bytes',
      'config.xml.backup',
      '',
    ]) {
      expect(sageMakerUsage({ usageType: text, description: text }), text).toBeUndefined();
      expect(hostingInstanceType(text), text).toBeUndefined();
    }
  });
});

describe('instance-hours from a quantity', () => {
  const hosting: SageMakerUsage = { kind: 'hosting', instanceType: 'ml.g5.xlarge', pricedPerHour: false };
  const perHour: SageMakerUsage = { ...hosting, pricedPerHour: true };

  it('takes the consumed quantity when its unit is hours, whatever the spelling', () => {
    for (const unit of ['Hrs', 'Hours', 'hour', ' Hrs ', 'Instance-Hours']) {
      expect(hoursQuantity(hosting, { value: 3, unit }, { value: 9, unit: undefined }), unit).toBe(3);
    }
  });

  it('takes the pricing quantity when only the pricing unit, or the description, says hours', () => {
    expect(hoursQuantity(hosting, { value: 3, unit: undefined }, { value: 2, unit: 'Hrs' })).toBe(2);
    expect(hoursQuantity(perHour, { value: 3, unit: undefined }, { value: 2, unit: undefined })).toBe(2);
  });

  it('never takes a quantity in another unit, or of no stated unit, for hours', () => {
    expect(
      hoursQuantity(hosting, { value: 3, unit: undefined }, { value: 2, unit: undefined }),
    ).toBeUndefined();
    expect(
      hoursQuantity(hosting, { value: 3, unit: 'Seconds' }, { value: 2, unit: 'GB-Mo' }),
    ).toBeUndefined();
    // a pricing unit that is not hours overrules the description's words
    expect(
      hoursQuantity(perHour, { value: 3, unit: 'GB-Mo' }, { value: 2, unit: 'Requests' }),
    ).toBeUndefined();
  });
});

describe('endpointFromArn', () => {
  it('reads the endpoint name of an endpoint ARN and nothing of other or scrambled ARNs', () => {
    expect(endpointFromArn('arn:aws:sagemaker:us-east-1:111122223333:endpoint/search-prod')).toBe(
      'search-prod',
    );
    expect(endpointFromArn('arn:aws:sagemaker:us-east-1:111122223333:training-job/x')).toBeUndefined();
    expect(endpointFromArn('arn:ats:el2:ap-soute-1:123:endpoint/x')).toBeUndefined();
    expect(endpointFromArn(undefined)).toBeUndefined();
  });
});
