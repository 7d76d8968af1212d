import { beforeAll, describe, expect, it } from 'vitest';
import type { BudgetFile } from '../../lambdas/core/budget.ts';
import { InputError } from '../../lambdas/core/errors.ts';
import { evaluate } from '../../lambdas/core/evaluate/index.ts';
import type { CycleResult } from '../../lambdas/core/evaluate/types.ts';
import { NO_SCALING, type ScalingState } from '../../lambdas/core/plan/types.ts';
import type { Snapshot } from '../../lambdas/core/types.ts';
import { actStep, rollbackAction } from '../../lambdas/cycle/act.ts';
import { ActionRecordSchema } from '../../lambdas/cycle/contract.ts';
import { demoSnapshot, withInventory } from '../helpers/demo.ts';
import { MemoryScaler } from '../helpers/memory-scaler.ts';
import { tempLedgers } from '../helpers/temp-ledgers.ts';

/**
 * The act step on the demo account, with an in-memory Application Auto Scaling: the canary experiment (enforce tier)
 * is tagged managed and in service, the production endpoints (approve tier) are not. What the step writes is what
 * the scaler is asked to write.
 */
const CANARY = 'exp-llm-canary';
const NOW = Date.parse('2026-10-16T06:00:00Z');

let file: BudgetFile;
let snapshot: Snapshot;
let result: CycleResult;
const canaryState: ScalingState = { ...NO_SCALING, target: { min: 2, max: 2 } };

beforeAll(async () => {
  const demo = await demoSnapshot();
  file = demo.file;
  // the live inventory the files lack: the canary is opted in and serving, the rest is in service but not opted in
  snapshot = withInventory(demo.snapshot, CANARY, (name) =>
    name === CANARY ? 'ml.g5.12xlarge' : 'ml.g5.xlarge',
  );
  result = evaluate(snapshot, file);
});

const ledger = tempLedgers('act-');
function scaler(): MemoryScaler {
  const s = new MemoryScaler();
  s.states.set(`endpoint/${CANARY}/variant/AllTraffic`, canaryState);
  return s;
}

describe('act step', () => {
  it('applies only the enforce tier change on the managed endpoint, recording the state it replaced first', async () => {
    const s = scaler();
    const l = ledger();
    const out = await actStep({ file, snapshot, result, scaler: s, ledger: l, now: NOW });
    expect(s.writes.map((w) => w.resourceId)).toEqual([`endpoint/${CANARY}/variant/AllTraffic`]);
    const applied = out.actions.filter((a) => a.status === 'applied');
    expect(applied.map((a) => a.resource.endpoint)).toEqual([CANARY]);
    expect(applied[0]?.before).toEqual(canaryState);
    expect(out.applied).toEqual(applied.map((a) => a.id));
    // production is an approve tier, not opted in: held, never written; embed-prod's latency is its model's
    // (capacity to spare), so adding instances is held whatever the mode
    for (const a of out.actions.filter((x) => x.resource.endpoint !== CANARY)) {
      expect(a.status).toBe('skipped');
      expect(a.reason).toMatch(a.resource.endpoint === 'embed-prod' ? /^model-latency: / : /^not-managed: /);
    }
    expect(out.actions.some((a) => a.resource.endpoint === 'embed-prod')).toBe(true);
    const stored = await l.actions({ id: applied[0]?.id ?? '' });
    expect(stored[0]?.status).toBe('applied');
    expect(stored[0]?.history.map((h) => h.status)).toEqual(['recommended', 'applied']);
    for (const a of out.actions) expect(ActionRecordSchema.safeParse(a).success).toBe(true);
  });

  it('writes nothing on a rerun of the same cycle, nor in a dry run', async () => {
    const s = scaler();
    const l = ledger();
    await actStep({ file, snapshot, result, scaler: s, ledger: l, now: NOW });
    const before = (await l.actions()).length;
    s.writes.length = 0;
    const again = await actStep({ file, snapshot, result, scaler: s, ledger: l, now: NOW + 60_000 });
    expect(s.writes).toEqual([]);
    expect(again.applied).toEqual([]);
    expect((await l.actions()).length).toBe(before);

    const dry = scaler();
    const out = await actStep({
      file,
      snapshot,
      result,
      scaler: dry,
      ledger: ledger(),
      now: NOW,
      dryRun: true,
    });
    expect(dry.writes).toEqual([]);
    expect(out.actions.find((a) => a.resource.endpoint === CANARY)?.reason).toMatch(/^dry-run: /);
  });

  it('only shows the plan on files: nothing has a scaler, enforce changes are held as local-run', async () => {
    const out = await actStep({ file, snapshot, result, now: NOW });
    expect(out.applied).toEqual([]);
    expect(out.actions.find((a) => a.resource.endpoint === CANARY)?.reason).toMatch(/^local-run: /);
  });

  it('neither reads nor changes a resource outside the account and region its scaler writes', async () => {
    const s = scaler();
    const out = await actStep({
      file,
      snapshot,
      result,
      scaler: s,
      ledger: ledger(),
      now: NOW,
      writesTo: (r) => r.endpoint !== CANARY,
    });
    expect(s.writes).toEqual([]);
    expect(out.actions.some((a) => a.resource.endpoint === CANARY)).toBe(false);
    expect(out.problems.join('\n')).toContain(`endpoint/${CANARY}/variant/AllTraffic`);
  });

  it('never applies a change it has no ledger to record in', async () => {
    const s = scaler();
    const out = await actStep({ file, snapshot, result, scaler: s, now: NOW });
    expect(s.writes).toEqual([]);
    expect(out.actions.find((a) => a.resource.endpoint === CANARY)?.reason).toMatch(/^no-ledger: /);
  });

  it('plans nothing and says why when the scaling cannot be read', async () => {
    const s = scaler();
    s.failRead = true;
    const out = await actStep({ file, snapshot, result, scaler: s, ledger: ledger(), now: NOW });
    expect(out.actions).toEqual([]);
    expect(s.writes).toEqual([]);
    expect(out.problems.join('\n')).toMatch(/scaling could not be read.*AccessDenied/);
  });

  it('rolls an applied change back by hand to exactly the recorded state, once', async () => {
    const s = scaler();
    const l = ledger();
    const out = await actStep({ file, snapshot, result, scaler: s, ledger: l, now: NOW });
    const id = out.applied[0] ?? '';
    const rec = await rollbackAction({ id, ledger: l, scaler: s, now: NOW + 3_600_000, reason: 'by hand' });
    expect(rec.status).toBe('rolled-back');
    expect(s.states.get(`endpoint/${CANARY}/variant/AllTraffic`)).toEqual(canaryState);
    await expect(
      rollbackAction({ id, ledger: l, scaler: s, now: NOW + 7_200_000, reason: 'again' }),
    ).rejects.toThrow(InputError);
  });
});
