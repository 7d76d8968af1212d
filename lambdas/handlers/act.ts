import { DynamoDbLedger } from '../aws/ledger-dynamodb.ts';
import { SsmParameters } from '../aws/parameters.ts';
import { SageMakerTrainingJobs } from '../aws/training-jobs.ts';
import { ApiUsage } from '../core/api-usage.ts';
import { actStep } from '../cycle/act.ts';
import { ActionsPayloadSchema, FindingsEventSchema, FindingsSchema, payloadKey } from '../cycle/contract.ts';
import { evaluateStep } from '../cycle/evaluate.ts';
import { readParts, readPayload, writePayload } from '../cycle/payloads.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { EventError, lambda, logger } from './middleware.ts';
import { actuation } from './scaler.ts';

const { config, store } = baseDeps();
/** The action records: the state each change replaced, recorded before the write. */
const ledger = new DynamoDbLedger(config.LEDGER_TABLE);
const usage = new ApiUsage();
/** RoleSessionName of the sessions this function opens in member accounts: what their CloudTrail shows. */
export const ACT_SESSION_NAME = 'perf-budgets-act';
const { home, scaler: scalerFor } = actuation({
  region: config.AWS_REGION,
  sessionName: ACT_SESSION_NAME,
  usage,
});
const parameters = new SsmParameters({ ssm: home.ssm, usage });

/**
 * Act: verify the changes earlier cycles applied (rolling back what hurt), plan each endpoint's scaling from the
 * cycle's snapshot, and apply what each tier's mode and guardrails allow, through this function's tag-conditioned
 * role. The cycle's actions go to actions/ for notify and the report.
 */
export const handler = lambda(FindingsEventSchema, async (event, context) => {
  const file = await loadBudgets(store, config.BUDGETS_KEY);
  const { result, inputs } = await readPayload(store, event.resultKey, FindingsSchema);
  const { snapshot } = evaluateStep(file, await readParts(store, inputs.partKeys));
  if (snapshot.asOf !== event.asOf)
    throw new EventError(`asOf ${event.asOf} does not match the snapshot's ${snapshot.asOf}`);
  const training = new SageMakerTrainingJobs({
    sagemaker: home.sageMaker,
    usage,
    timezone: file.billingPeriod.timezone,
  });
  // each resource is changed in its own account and region: the deployment account's, or a member's via its role
  const scaler = scalerFor(file, context);
  const acted = await actStep({
    file,
    snapshot,
    result,
    ledger,
    scaler,
    parameters,
    training,
    now: Date.now(),
    writesTo: (r) => scaler.reaches(r),
  });
  const actionsKey = payloadKey('actions', event.asOf, event.runId);
  await writePayload(store, actionsKey, ActionsPayloadSchema, {
    asOf: event.asOf,
    actions: acted.actions,
    approvals: acted.approvals,
  });
  // the audit trail goes to the payload, not to the log or the state machine's output
  const { actions, training: spotAdvice, approvals, ...outcome } = acted;
  logger.info('acted', {
    asOf: event.asOf,
    actions: actions.length,
    approvals: approvals.length,
    training: spotAdvice.length,
    ...outcome,
  });
  return { ...event, actionsKey, ...outcome };
});
