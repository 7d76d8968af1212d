/**
 * Scaling actions in words: the one-line state of a resource's scaling, a change from one state to another, and
 * the table the CLI (`plan`, `actions`, `run`) and the report print.
 */
import type { ActionRecord, ScalingState } from '../core/plan/types.ts';
import { TOOL_PREFIX } from '../core/plan/types.ts';

/** `min 1, max 6, target 120/instance/min, 2 schedules` or `no scaling target`. */
export function describeState(s: ScalingState): string {
  if (!s.target) return 'no scaling target';
  const parts = [`min ${s.target.min}`, `max ${s.target.max}`];
  if (s.targetTracking) parts.push(`target ${trim(s.targetTracking.targetValue)}/instance/min`);
  if (s.wakeOnRequest) parts.push('wakes on request');
  for (const a of s.schedules) {
    parts.push(
      `${a.name.slice(TOOL_PREFIX.length)} ${a.schedule} ${a.timezone} -> min ${a.min} max ${a.max}`,
    );
  }
  return parts.join(', ');
}

const trim = (x: number): string => String(Math.round(x * 100) / 100);

/** What changes between two states, field by field (`min 4 -> 2; target 70 -> 110`). */
export function describeChange(before: ScalingState, after: ScalingState): string {
  const out: string[] = [];
  const b = before.target;
  const a = after.target;
  if (!b && a) out.push(`register min ${a.min} max ${a.max}`);
  else if (b && !a) out.push('deregister the scaling target');
  else if (a && b) {
    if (a.min !== b.min) out.push(`min ${b.min} -> ${a.min}`);
    if (a.max !== b.max) out.push(`max ${b.max} -> ${a.max}`);
  }
  const bt = before.targetTracking?.targetValue;
  const at = after.targetTracking?.targetValue;
  if (bt !== at) {
    out.push(
      at === undefined
        ? 'remove target tracking'
        : `target ${bt === undefined ? 'none' : trim(bt)} -> ${trim(at)}/instance/min`,
    );
  }
  if (before.wakeOnRequest !== after.wakeOnRequest) {
    out.push(after.wakeOnRequest ? 'wake on request (scale from zero)' : 'stop waking on request');
  }
  const names = (s: ScalingState) => new Map(s.schedules.map((x) => [x.name, x]));
  const bs = names(before);
  const as = names(after);
  for (const [name, x] of as) {
    const old = bs.get(name);
    if (!old || JSON.stringify(old) !== JSON.stringify(x)) {
      out.push(
        `schedule ${name.slice(TOOL_PREFIX.length)}: ${x.schedule} ${x.timezone} -> min ${x.min} max ${x.max}`,
      );
    }
  }
  for (const name of bs.keys())
    if (!as.has(name)) out.push(`remove schedule ${name.slice(TOOL_PREFIX.length)}`);
  return out.length > 0 ? out.join('; ') : 'no change';
}

const money = (x: number): string => `${x < 0 ? '-' : ''}$${Math.abs(x).toFixed(2)}`;

/** One action in a few lines: what, on what, its status and reason, and what it predicts or measured. */
export function describeAction(a: ActionRecord): string {
  const where = a.resource.variant ? `${a.resource.endpoint}/${a.resource.variant}` : a.resource.resourceId;
  const lines = [
    `${a.id}  ${a.status.toUpperCase()}  ${a.kind} of ${where} (budget ${a.budget})`,
    `  change: ${describeChange(a.before, a.after)}`,
  ];
  const predicted = [
    `spend ${money(a.predicted.spend)} for the rest of the period`,
    ...(a.estimatedSavings !== undefined ? [`saves ${money(a.estimatedSavings)}`] : []),
    ...(a.predicted.p99Ms !== null ? [`p99 ${Math.round(a.predicted.p99Ms)} ms`] : []),
  ];
  lines.push(`  predicted: ${predicted.join(', ')} (fitted on ${a.evidence.hours} hours)`);
  if (a.measured) {
    const m = a.measured;
    const p = (x: number | null) => (x === null ? 'unknown' : `${Math.round(x)} ms`);
    lines.push(
      `  measured over ${m.hours} h: p99 ${p(m.before.p99Ms)} -> ${p(m.after.p99Ms)}, saving ${m.saving === null ? 'unknown' : money(m.saving)}`,
    );
  }
  if (a.why) lines.push(`  why: ${a.why}`);
  for (const e of a.history) {
    if (e.by) lines.push(`  ${e.status} by ${e.by} at ${e.at}`);
  }
  if (a.infeasible) lines.push(`  infeasible: ${a.infeasible}`);
  if (a.reason) lines.push(`  ${a.status === 'failed' ? 'error' : 'reason'}: ${a.reason}`);
  return lines.join('\n');
}

/**
 * The actions as text, or a line saying there are none, and after them what the step could not read, plan or
 * publish: an empty plan because the scaling could not be read must not look like nothing to do.
 */
export function renderActions(
  actions: readonly ActionRecord[],
  none = 'No scaling changes planned.',
  problems: readonly string[] = [],
): string {
  const body = actions.length === 0 ? `${none}\n` : `${actions.map(describeAction).join('\n\n')}\n`;
  return problems.length === 0 ? body : `${body}${problems.map((p) => `! ${p}\n`).join('')}`;
}
