import { describe, expect, it } from 'vitest';
import { RoutingScaler } from '../../lambdas/aws/routing-scaler.ts';
import {
  NO_SCALING,
  type ObservedScaling,
  type ScalableResource,
  type ScalingState,
  VARIANT_DIMENSION,
} from '../../lambdas/core/plan/types.ts';
import type { Scaler } from '../../lambdas/ports.ts';

/** A scaler that says which account it is and records what it was asked. */
function named(name: string, calls: string[]): Scaler {
  return {
    async read(rs) {
      calls.push(`${name} read ${rs.map((r) => r.endpoint).join(',')}`);
      return new Map<string, ObservedScaling>(
        rs.map((r) => [r.resourceId, { state: NO_SCALING, foreignPolicies: [], foreignSchedules: [] }]),
      );
    },
    async write(r: ScalableResource, _from: ScalingState, _to: ScalingState) {
      calls.push(`${name} write ${r.endpoint}`);
      return [];
    },
  };
}

const at = (endpoint: string, account?: string, region?: string): ScalableResource => ({
  resourceId: `endpoint/${endpoint}/variant/AllTraffic`,
  dimension: VARIANT_DIMENSION,
  endpoint,
  variant: 'AllTraffic',
  ...(account ? { account } : {}),
  ...(region ? { region } : {}),
});

describe('RoutingScaler', () => {
  const calls: string[] = [];
  const built: string[] = [];
  const routing = new RoutingScaler({
    home: named('home', calls),
    homeRegion: 'us-east-1',
    homeAccount: '111122223333',
    accounts: [
      { id: '111122223333', regions: ['us-east-1'] },
      {
        id: '444455556666',
        roleArn: 'arn:aws:iam::444455556666:role/perf-budgets-member',
        regions: ['eu-west-1'],
      },
    ],
    member: (t) => {
      built.push(`${t.account} ${t.region} ${t.roleArn}`);
      return named(`${t.account}/${t.region}`, calls);
    },
  });

  it('reads and writes each resource through the scaler of its own account and region', async () => {
    const home = at('a', '111122223333', 'us-east-1');
    const member = at('b', '444455556666', 'eu-west-1');
    const observed = await routing.read([home, member, at('c')]);
    expect([...observed.keys()].sort()).toEqual(
      [home.resourceId, member.resourceId, at('c').resourceId].sort(),
    );
    await routing.write(member, NO_SCALING, NO_SCALING);
    await routing.write(home, NO_SCALING, NO_SCALING);
    expect(calls).toEqual([
      'home read a,c',
      '444455556666/eu-west-1 read b',
      '444455556666/eu-west-1 write b',
      'home write a',
    ]);
    // one set of member clients per account and region, through the role the file lists
    expect(built).toEqual(['444455556666 eu-west-1 arn:aws:iam::444455556666:role/perf-budgets-member']);
  });

  it('reaches neither an account the file gives no role for nor another region of the home account', async () => {
    expect(routing.reaches(at('x', '999988887777', 'us-east-1'))).toBe(false);
    expect(routing.reaches(at('y', '111122223333', 'eu-west-1'))).toBe(false);
    await expect(routing.write(at('x', '999988887777'), NO_SCALING, NO_SCALING)).rejects.toThrow(
      /not reachable/,
    );
  });
});
