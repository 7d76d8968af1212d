/**
 * The scaler of the functions that change scaling (the act step, and the worker that applies an approved change):
 * each resource is changed in its own account and region, the deployment account's through the function's own
 * tag-conditioned role, a member's through the role the budget file names for it. Apart from deps.ts so that a
 * handler that changes nothing does not load the Application Auto Scaling and STS clients at cold start.
 */
import type { Context } from 'aws-lambda';
import { AutoScalingWriter } from '../aws/autoscaling-writer.ts';
import { type AwsClients, buildClients, TargetClients } from '../aws/clients.ts';
import { RoutingScaler } from '../aws/routing-scaler.ts';
import type { ApiUsage } from '../core/api-usage.ts';
import type { BudgetFile } from '../core/budget.ts';

export interface Actuation {
  /** The deployment account's clients in the function's region. */
  readonly home: AwsClients;
  /** The scaler of one invocation: the budget file's member accounts, the function's own account from its ARN. */
  scaler(file: BudgetFile, context: Pick<Context, 'invokedFunctionArn'>): RoutingScaler;
}

/**
 * Built once per cold start. `sessionName` is the RoleSessionName of the sessions opened in member accounts: what
 * their CloudTrail shows as the caller.
 */
export function actuation(o: {
  readonly region: string;
  readonly sessionName: string;
  readonly usage: ApiUsage;
}): Actuation {
  const home = buildClients({ region: o.region });
  const { usage } = o;
  const homeScaler = new AutoScalingWriter({
    autoscaling: home.autoScaling,
    cloudwatch: home.cloudWatch,
    usage,
  });
  const members = new TargetClients({ homeRegion: o.region, sessionName: o.sessionName });
  return {
    home,
    scaler: (file, context) =>
      new RoutingScaler({
        home: homeScaler,
        homeRegion: home.region,
        homeAccount: context.invokedFunctionArn.split(':')[4],
        accounts: file.accounts ?? [],
        member: (target) => {
          const c = members.for(target);
          return new AutoScalingWriter({ autoscaling: c.autoScaling, cloudwatch: c.cloudWatch, usage });
        },
      }),
  };
}
