import { describe, expect, it } from 'vitest';
import { ApiUsage, athenaBilledBytes, athenaScanCostUsd, sumApiUsage } from '../../lambdas/core/api-usage.ts';

describe('Athena scans in apiUsage', () => {
  it('bills each query 10 MB at the least, and its scan rounded up to the next MB', () => {
    expect(athenaBilledBytes(0)).toBe(10_000_000);
    expect(athenaBilledBytes(10_000_001)).toBe(11_000_000);
    expect(athenaBilledBytes(2_000_000_000_000)).toBe(2_000_000_000_000);
    expect(athenaScanCostUsd(2_000_000_000_000)).toBe(10);
  });

  it('prices the queries one by one: two small scans cost two minimums, not one', () => {
    const usage = new ApiUsage();
    usage.count('athena:StartQueryExecution');
    usage.scanned('athena:StartQueryExecution', 1_000);
    usage.count('athena:StartQueryExecution');
    usage.scanned('athena:StartQueryExecution', 1_000);
    usage.count('ce:GetCostAndUsage');
    expect(usage.report()).toEqual({
      requests: 3,
      costUsd: 0.0101,
      byApi: [
        { api: 'athena:StartQueryExecution', requests: 2, bytesScanned: 2_000, costUsd: 0.0001 },
        { api: 'ce:GetCostAndUsage', requests: 1, costUsd: 0.01 },
      ],
    });
  });

  it('adds up the bytes of the parts of a cycle', () => {
    const part = () => {
      const u = new ApiUsage();
      u.count('athena:StartQueryExecution');
      u.scanned('athena:StartQueryExecution', 12_345_678);
      return u.report();
    };
    const noAthena = new ApiUsage();
    noAthena.count('ce:GetCostAndUsage');
    expect(sumApiUsage([part(), part(), noAthena.report()]).byApi).toEqual([
      { api: 'athena:StartQueryExecution', requests: 2, bytesScanned: 24_691_356, costUsd: 0.00013 },
      { api: 'ce:GetCostAndUsage', requests: 1, costUsd: 0.01 },
    ]);
  });
});
