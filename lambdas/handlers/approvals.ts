import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { DynamoDbLedger } from '../aws/ledger-dynamodb.ts';
import {
  answerClick,
  type ClickDeps,
  FunctionUrlEventSchema,
  invokeWorker,
  signingSecretOf,
} from './approval-flow.ts';
import { baseDeps, loadBudgets } from './deps.ts';
import { ApprovalsEnv, readEnv } from './env.ts';
import { lambda } from './middleware.ts';

const { config, store } = baseDeps();
const env = readEnv(ApprovalsEnv);
const lambdaClient = new LambdaClient({ region: config.AWS_REGION });
const secrets = new SecretsProvider({ clientConfig: { region: config.AWS_REGION } });
const deps: ClickDeps = {
  ledger: new DynamoDbLedger(config.LEDGER_TABLE),
  budgets: () => loadBudgets(store, config.BUDGETS_KEY),
  signingSecret: signingSecretOf(env.SLACK_SECRET_ARN, secrets),
  worker: invokeWorker(lambdaClient, env.APPROVAL_WORKER),
  now: Date.now,
};

/** Slack's interactivity request URL (a Function URL with auth NONE: Slack's signature is the authentication). */
export const handler = lambda(FunctionUrlEventSchema, (event) => answerClick(event, deps));
