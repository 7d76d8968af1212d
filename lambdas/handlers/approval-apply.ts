import { DynamoDbLedger } from '../aws/ledger-dynamodb.ts';
import { ApiUsage } from '../core/api-usage.ts';
import { ApprovalWorkSchema } from '../cycle/contract.ts';
import { postMessage } from '../slack/webhook.ts';
import { finishDecision } from './approval-flow.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { lambda, logger } from './middleware.ts';
import { actuation } from './scaler.ts';

const { config, store } = baseDeps();
const ledger = new DynamoDbLedger(config.LEDGER_TABLE);
/** RoleSessionName of the sessions this function opens in member accounts: what their CloudTrail shows. */
export const APPROVAL_SESSION_NAME = 'perf-budgets-approval';
const { scaler } = actuation({
  region: config.AWS_REGION,
  sessionName: APPROVAL_SESSION_NAME,
  usage: new ApiUsage(),
});

/** The approvals handler's worker, invoked asynchronously with a decided click. */
export const handler = lambda(ApprovalWorkSchema, async (work, context) => {
  const outcome = await finishDecision(work, {
    ledger,
    budgets: () => loadBudgets(store, config.BUDGETS_KEY),
    scaler: (file) => scaler(file, context),
    post: (url, message) => postMessage(url, message),
    now: Date.now,
  });
  logger.info('approval finished', { ...outcome });
  return outcome;
});
