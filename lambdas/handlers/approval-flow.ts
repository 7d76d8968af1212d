/**
 * The two halves of a click on an alert's Approve or Reject button. The approvals handler answers Slack within its
 * three seconds: it verifies the request, decides it once through the approval step and hands it to the worker by
 * an asynchronous invoke. The worker then applies an approved change and tells Slack, through the click's
 * response_url, what became of it.
 */
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import * as z from 'zod';
import { getSlackCredentials } from '../aws/secrets.ts';
import type { BudgetFile } from '../core/budget.ts';
import {
  type ApprovalLedger,
  type ApprovalResult,
  applyApproved,
  decideApproval,
  refuseRequest,
} from '../cycle/approve.ts';
import type { ApprovalWork } from '../cycle/contract.ts';
import type { ActionLedger, Scaler } from '../ports.ts';
import { type DecidedState, decidedMessage, decisionLine, refusedMessage } from '../slack/decision.ts';
import {
  type HttpRequest,
  type Interaction,
  parseInteraction,
  requestKey,
  responseUrlProblem,
  signedRequest,
} from '../slack/interaction.ts';
import { type SignatureCheck, verifySlackSignature } from '../slack/signature.ts';
import type { OutgoingMessage, PostResult } from '../slack/webhook.ts';
import { logger } from './middleware.ts';

export interface ClickDeps {
  readonly ledger: ApprovalLedger;
  readonly budgets: () => Promise<BudgetFile>;
  /** The Slack app's signing secret; undefined when the secret holds none. */
  readonly signingSecret: () => Promise<string | undefined>;
  /** Hands a decided click to the worker without waiting for it. */
  readonly worker: (work: ApprovalWork) => Promise<void>;
  readonly now: () => number;
}

type SignatureRefusal = 'no-signing-secret' | 'missing-headers' | 'stale-timestamp' | 'bad-signature';

const SIGNATURE_REFUSAL: Record<Exclude<SignatureCheck, { ok: true }>['reason'], SignatureRefusal> = {
  'no-signing-secret': 'no-signing-secret',
  'missing-headers': 'missing-headers',
  'bad-timestamp': 'missing-headers',
  'stale-timestamp': 'stale-timestamp',
  'bad-signature': 'bad-signature',
};
const SIGNATURE_DETAIL: Record<SignatureRefusal, string> = {
  'no-signing-secret': 'No Slack signing secret is configured; no request can be trusted.',
  'missing-headers': 'The request lacks a valid X-Slack-Signature or X-Slack-Request-Timestamp header.',
  'stale-timestamp': 'The request timestamp is more than five minutes from now.',
  'bad-signature': 'The request signature does not match the Slack signing secret.',
};

/** The parts of a Function URL event (payload format 2.0) that are read; AWS always sends them. */
export const FunctionUrlEventSchema = z.object({
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().default(false),
});

/** A Function URL's answer. */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const answer = (statusCode: number, body = ''): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'text/plain; charset=utf-8' },
  body,
});

/**
 * One request to the interactivity URL, answered within Slack's three seconds: verified (signature and timestamp,
 * over the raw body) before anything in it is read, then decided once through the approval step, and handed to the
 * worker, which applies an approved change and tells Slack. Every refusal is an audit record; a request that fails
 * verification is never answered through its response_url, since nothing in it can be trusted.
 */
export async function answerClick(request: HttpRequest, deps: ClickDeps): Promise<HttpResponse> {
  const now = deps.now();
  const signed = signedRequest(request);
  const key = requestKey(signed);
  const check = verifySlackSignature(signed, (await deps.signingSecret()) ?? '', new Date(now));
  if (!check.ok) {
    // read only for whom and what it claims, each marked unverified in the audit
    const claim = claimed(parseInteraction(signed.body));
    const reason = SIGNATURE_REFUSAL[check.reason];
    const r = await refuseRequest(deps.ledger, {
      key,
      reason,
      by: `unverified:${claim.user ?? 'unknown'}`,
      via: 'slack',
      ...(claim.action ? { actionId: claim.action } : {}),
      detail: SIGNATURE_DETAIL[reason],
      now,
    });
    logResult(r);
    return answer(401, `refused: ${reason}`);
  }
  const parsed = parseInteraction(signed.body);
  if (!parsed.ok) {
    const r = await refuseRequest(deps.ledger, {
      key,
      reason: 'bad-request',
      by: parsed.claimedUser ?? 'unknown',
      via: 'slack',
      ...(parsed.claimedAction ? { actionId: parsed.claimedAction } : {}),
      detail: parsed.detail,
      now,
    });
    logResult(r);
    return answer(400, 'refused: bad-request');
  }
  const { click } = parsed;
  // a link button of an alert (the report, the dashboard) also reaches this URL: acknowledged, nothing to decide
  if (click.kind === 'other') return answer(200);
  const r = await decideApproval({
    request: { actionId: click.actionId, decision: click.decision, by: click.userId, via: 'slack', key },
    file: await deps.budgets(),
    ledger: deps.ledger,
    now,
  });
  logResult(r, click.responseUrl ? 'given' : click.responseUrlRefused ? 'refused' : 'absent');
  if (r.outcome === 'approved' || click.responseUrl) {
    const work: ApprovalWork = {
      actionId: click.actionId,
      outcome: r.outcome,
      ...(r.reason ? { reason: r.reason } : {}),
      by: click.userId,
      detail: r.detail,
      ...(click.responseUrl ? { responseUrl: click.responseUrl } : {}),
      ...(click.blocks ? { blocks: [...click.blocks] } : {}),
    };
    try {
      await deps.worker(work);
    } catch (err) {
      // the decision stands: an approved change waits for the next cycle, which applies it
      logger.error('approval worker not invoked', {
        actionId: click.actionId,
        outcome: r.outcome,
        error: err instanceof Error ? err.name : typeof err,
      });
    }
  }
  return answer(200);
}

function claimed(i: Interaction): { user?: string; action?: string } {
  if (!i.ok) return { user: i.claimedUser, action: i.claimedAction };
  return { user: i.click.userId, ...(i.click.kind === 'decision' ? { action: i.click.actionId } : {}) };
}

function logResult(r: ApprovalResult, responseUrl?: string): void {
  const { record } = r;
  logger.info('approval request', {
    outcome: r.outcome,
    reason: r.reason,
    actionId: record.actionId,
    by: record.by,
    record: record.id,
    ...(responseUrl ? { responseUrl } : {}),
  });
}

/** The signing secret, read from the Slack secret through Powertools Parameters (cached five minutes). */
export function signingSecretOf(secretId: string, provider: SecretsProvider) {
  return async (): Promise<string | undefined> =>
    (await getSlackCredentials({ secretId, provider })).signingSecret;
}

/** An asynchronous invoke of the worker: Lambda queues the event and answers 202 at once. */
export function invokeWorker(client: LambdaClient, functionName: string) {
  return async (work: ApprovalWork): Promise<void> => {
    const out = await client.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(work)),
      }),
    );
    if (out.StatusCode !== 202) throw new Error(`Invoke of ${functionName} answered ${out.StatusCode}`);
  };
}

export interface WorkerDeps {
  readonly ledger: ActionLedger;
  readonly budgets: () => Promise<BudgetFile>;
  readonly scaler: (file: BudgetFile) => Scaler;
  /** Posts to a response_url (Slack's host only; checked before this is called). */
  readonly post: (url: string, message: OutgoingMessage) => Promise<PostResult>;
  readonly now: () => number;
}

export interface WorkerOutcome {
  readonly actionId: string;
  readonly outcome: ApprovalWork['outcome'];
  /** What became of an approved change. */
  readonly state?: DecidedState;
  /** Whether Slack was told: `none` when there was no response_url to tell it through. */
  readonly reply: 'sent' | 'failed' | 'none';
}

/**
 * After the answer to Slack: an approved change applied through the approval step (which checks again that it is
 * approved, and the guardrails and the scaling it was planned on), then the clicked message replaced with who
 * decided and what became of the change; a rejection replaces it too; a refusal is told to the clicker alone.
 */
export async function finishDecision(work: ApprovalWork, deps: WorkerDeps): Promise<WorkerOutcome> {
  let state: DecidedState | undefined;
  let message: OutgoingMessage;
  if (work.outcome === 'approved') {
    const file = await deps.budgets();
    const r = await applyApproved({
      id: work.actionId,
      file,
      ledger: deps.ledger,
      scaler: deps.scaler(file),
      now: deps.now(),
    });
    state = r.status;
    logger.info('approved change', { actionId: work.actionId, status: r.status, calls: r.calls.length });
    message = decidedMessage(work.blocks, decisionLine(r.status, work.by, r.detail));
  } else if (work.outcome === 'rejected') {
    state = 'rejected';
    message = decidedMessage(
      work.blocks,
      decisionLine('rejected', work.by, `${work.actionId} is not applied.`),
    );
  } else {
    message = refusedMessage(work.detail);
  }
  const base = { actionId: work.actionId, outcome: work.outcome, ...(state ? { state } : {}) };
  const url = work.responseUrl;
  if (url === undefined) return { ...base, reply: 'none' };
  const problem = responseUrlProblem(url);
  if (problem) {
    logger.warn('no reply to Slack', { actionId: work.actionId, problem });
    return { ...base, reply: 'none' };
  }
  const posted = await deps.post(url, message);
  if (!posted.ok) logger.warn('reply to Slack failed', { actionId: work.actionId, detail: posted.detail });
  return { ...base, reply: posted.ok ? 'sent' : 'failed' };
}
