import { AutoScalingWriter } from '../aws/autoscaling-writer.ts';
import { buildClients } from '../aws/clients.ts';
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

const { config, store } = baseDeps();
/** The action records: the state each change replaced, recorded before the write. */
const ledger = new DynamoDbLedger(config.LEDGER_TABLE);
const home = buildClients({ region: config.AWS_REGION });
const usage = new ApiUsage();
const parameters = new SsmParameters({ ssm: home.ssm, usage });
const scaler = new AutoScalingWriter({ autoscaling: home.autoScaling, cloudwatch: home.cloudWatch, usage });

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
  const account = context.invokedFunctionArn.split(':')[4];
  const acted = await actStep({
    file,
    snapshot,
    result,
    ledger,
    scaler,
    parameters,
    training,
    now: Date.now(),
    // member accounts are read through their roles; this step writes only its own account and region
    writesTo: (r) =>
      (r.account === undefined || r.account === account) &&
      (r.region === undefined || r.region === home.region),
  });
  const actionsKey = payloadKey('actions', event.asOf, event.runId);
  await writePayload(store, actionsKey, ActionsPayloadSchema, { asOf: event.asOf, actions: acted.actions });
  const { actions, training: spotAdvice, ...outcome } = acted;
  logger.info('acted', {
    asOf: event.asOf,
    actions: actions.length,
    training: spotAdvice.length,
    ...outcome,
  });
  return { ...event, actionsKey, ...outcome };
});
