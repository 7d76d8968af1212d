/**
 * One Scaler over many accounts and regions: each resource is read and written through the scaler of the account
 * and region it lives in (the deployment account's own clients, or a member account's through the member role the
 * budget file lists). A resource of an account the file gives no role for is not reachable: `reaches` says so
 * before anything is read.
 */
import type { Account } from '../core/budget.ts';
import type { ObservedScaling, ScalableResource, ScalingState } from '../core/plan/types.ts';
import type { Scaler } from '../ports.ts';

export interface RoutingScalerOptions {
  /** The scaler of the account and region the process runs in. */
  readonly home: Scaler;
  readonly homeRegion: string;
  /** The process's own account, when known (a Lambda's); undefined: any account not listed as a member is home. */
  readonly homeAccount?: string;
  /** The budget file's accounts: a member is reached through its `roleArn`. */
  readonly accounts: readonly Account[];
  /** The scaler of a member account and region (built once per target). */
  readonly member: (target: {
    readonly account: string;
    readonly region: string;
    readonly roleArn: string;
    readonly externalId?: string;
  }) => Scaler;
}

export class RoutingScaler implements Scaler {
  private readonly members = new Map<string, Scaler>();

  constructor(private readonly o: RoutingScalerOptions) {}

  /** The scaler a resource is read and written through; undefined when the run cannot reach its account. */
  scalerOf(r: ScalableResource): Scaler | undefined {
    const region = r.region ?? this.o.homeRegion;
    const member = r.account === undefined ? undefined : this.o.accounts.find((a) => a.id === r.account);
    if (member?.roleArn === undefined) {
      const home =
        r.account === undefined || this.o.homeAccount === undefined || r.account === this.o.homeAccount;
      return home && region === this.o.homeRegion ? this.o.home : undefined;
    }
    const key = `${member.id}|${region}`;
    let scaler = this.members.get(key);
    if (!scaler) {
      scaler = this.o.member({
        account: member.id,
        region,
        roleArn: member.roleArn,
        ...(member.externalId !== undefined ? { externalId: member.externalId } : {}),
      });
      this.members.set(key, scaler);
    }
    return scaler;
  }

  /** Whether the run can reach a resource's account and region at all. */
  reaches(r: ScalableResource): boolean {
    return this.scalerOf(r) !== undefined;
  }

  async read(resources: readonly ScalableResource[]): Promise<ReadonlyMap<string, ObservedScaling>> {
    const groups = new Map<Scaler, ScalableResource[]>();
    for (const r of resources) {
      const s = this.scalerOf(r);
      if (!s) continue;
      groups.set(s, [...(groups.get(s) ?? []), r]);
    }
    const out = new Map<string, ObservedScaling>();
    for (const [s, rs] of groups) for (const [id, o] of await s.read(rs)) out.set(id, o);
    return out;
  }

  async write(resource: ScalableResource, from: ScalingState, to: ScalingState): Promise<readonly string[]> {
    const s = this.scalerOf(resource);
    if (!s) {
      throw new Error(
        `${resource.resourceId}: account ${resource.account} in ${resource.region ?? this.o.homeRegion} is not reachable from this run (no member role for it in the budget file)`,
      );
    }
    return s.write(resource, from, to);
  }
}
