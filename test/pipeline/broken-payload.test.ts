/**
 * A payload that drifts from the contract fails the cycle where it is read, loudly: a stored findings (or actions)
 * object is rewritten between two steps (as a step of another version, or a hand edit, would leave it), the rest of the
 * state machine runs, and the step that reads it must fail with an error naming the key (and the field), which
 * the failure path publishes to the topic. Never a TypeError deep in rendering, never a silent partial result.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { payloadKey } from '../../lambdas/cycle/contract.ts';
import { AS_OF } from './harness/account.ts';
import { type Deployed, deploy, explain } from './harness/deployed.ts';
import type { Execution, Hooks } from './harness/pipeline.ts';

type Findings = { result: Record<string, unknown>; records?: unknown } & Record<string, unknown>;

let deployed: Deployed;

beforeAll(async () => {
  deployed = await deploy(inject('pipeline').assembly);
});

afterAll(async () => {
  await deployed?.close();
});

/** Runs a cycle whose stored findings `tamper` rewrites just before the Task state `before` reads them. */
async function runTampered(
  name: string,
  before: string,
  tamper: (f: Findings) => Findings,
): Promise<{ execution: Execution; key: string }> {
  const { loopback, pipeline } = deployed;
  const key = payloadKey('findings', AS_OF, name);
  const hooks: Hooks = {
    [before]: async () => loopback.putJson(key, tamper(await loopback.getJson<Findings>(key))),
  };
  return { execution: await pipeline.run(name, { asOf: AS_OF, report: true }, hooks), key };
}

/** Asserts that the execution failed at `state` alone, with an error naming `key` and `field`, sent to the topic. */
function expectFailedAt(execution: Execution, state: string, key: string, field: string): void {
  expect(execution.status, explain(execution)).toBe('FAILED');
  const failed = execution.tasks.filter((t) => t.status === 'failed');
  expect(failed.map((t) => t.state)).toEqual([state]);
  const cause = failed[0]?.cause ?? '';
  expect(cause).toContain(key);
  expect(cause).toContain(field);
  const published = deployed.loopback.sns.messages
    .filter((m) => m.attributes.kind === 'pipeline-failure')
    .map((m) => JSON.parse(m.message) as { runId: string; cause: string })
    .find((m) => m.runId === execution.name);
  expect(published?.cause).toContain(key);
}

describe('a stored payload that breaks the contract', () => {
  it("fails the report step, naming the key, when the findings carry Cost Explorer's forecast in the old stored shape", async () => {
    const { execution, key } = await runTampered('broken-forecast', 'Report', (f) => {
      const ce = f.result.costExplorerForecast as { from: string; to: string; metric: string; mean: number };
      return {
        ...f,
        result: {
          ...f.result,
          costExplorerForecast: {
            ok: true,
            range: { start: ce.from, end: ce.to },
            metric: ce.metric,
            mean: String(ce.mean),
          },
        },
      };
    });
    expectFailedAt(execution, 'Report', key, 'costExplorerForecast');
  });

  it('fails the notify step, naming the key, when the actions act stored lost their day', async () => {
    const { loopback, pipeline } = deployed;
    const name = 'broken-actions';
    const key = payloadKey('actions', AS_OF, name);
    const hooks: Hooks = {
      Notify: async () => {
        const { asOf, ...rest } = await loopback.getJson(key);
        await loopback.putJson(key, rest);
      },
    };
    const execution = await pipeline.run(name, { asOf: AS_OF, report: true }, hooks);
    expectFailedAt(execution, 'Notify', key, 'asOf');
  });

  it('fails the notify step, naming the key, when the findings lost their ledger records', async () => {
    const { execution, key } = await runTampered('broken-records', 'Notify', ({ records, ...f }) => f);
    expectFailedAt(execution, 'Notify', key, 'records');
  });
});
