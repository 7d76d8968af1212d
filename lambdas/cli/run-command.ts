/**
 * `perf-budgets run`: the command around the cycle of run.ts: its inputs from the flags or the demo, the alert
 * channels from the environment, and what it prints and exits with.
 */
import { resolve } from 'node:path';
import { alertTag } from '../core/alert-text.ts';
import { EXIT, InputError } from '../core/errors.ts';
import type { Status } from '../core/types.ts';
import { renderActions } from '../report/actions.ts';
import { renderText } from '../report/summary.ts';
import { cycleInputs } from './demo.ts';
import { localNotifiers } from './notifiers.ts';
import { type RunOutput, runCycle } from './run.ts';
import { jsonForTerminal, print } from './terminal.ts';

export interface RunFlags {
  budgets?: string;
  costs?: string[];
  metrics?: string;
  asOf?: string;
  out?: string;
  state?: string | false;
  format: 'text' | 'json';
  failOn?: 'breach' | 'at-risk';
  demo?: boolean;
  aws?: boolean;
  region?: string;
  profile?: string;
  dryRun?: boolean;
}

export async function run(flags: RunFlags): Promise<number> {
  if (flags.aws && (flags.demo || flags.costs || flags.metrics)) {
    throw new InputError(
      'run: --aws reads costs and metrics from the account; drop --demo, --costs and --metrics',
    );
  }
  const { budgets, costs, metrics, asOf } = await cycleInputs('run', flags);
  // read before anything runs: a malformed webhook URL is bad input, and nothing gets written
  const notifiers = localNotifiers(process.env);
  const links = flags.out ? { report: resolve(flags.out, 'report.html') } : {};
  const out = await runCycle({
    budgets,
    ...(flags.aws
      ? { live: { region: flags.region, profile: flags.profile } }
      : { files: { costs: costs ?? [], metrics } }),
    asOf,
    out: flags.out,
    state: flags.state,
    now: new Date(),
    notifiers,
    links,
    dryRun: flags.dryRun === true,
  });
  if (flags.format === 'json') {
    process.stdout.write(`${jsonForTerminal(JSON.stringify(out.result, null, 2))}\n`);
  } else {
    print(renderText(out.result));
    print(`\nScaling changes:\n${renderActions(out.acted.actions, undefined, out.acted.problems)}`);
    print(`\n${alertSummary(out)}`);
  }
  return failsGate(flags.failOn, out.result.budgets) ? EXIT.breach : EXIT.ok;
}

/**
 * Whether `--fail-on` fails the run: a budget at the status or worse. Unknown spend fails either gate: a gate that
 * cannot read the spend cannot say it is within its cap.
 */
export function failsGate(
  failOn: RunFlags['failOn'],
  budgets: readonly { readonly status: Status }[],
): boolean {
  if (failOn === undefined) return false;
  const failing: readonly Status[] =
    failOn === 'breach' ? ['breached', 'unknown'] : ['breached', 'unknown', 'at-risk'];
  return budgets.some((b) => failing.includes(b.status));
}

/** The cycle's alerts, one headline each, what the channels did with them, and the files written. */
export function alertSummary(out: RunOutput): string {
  const count = (t: string) => out.alerts.filter((m) => m.alert.transition === t).length;
  const lines = [
    `Alerts: ${count('opened')} opened, ${count('escalated')} escalated, ${count('resolved')} resolved; ${out.unchanged} unchanged since last sent.`,
    ...out.alerts.map((m) => `  [${alertTag(m.text)}] ${m.text.headline}`),
  ];
  const channels = [...new Set(out.deliveries.map((d) => d.channel))];
  for (const c of channels) {
    const ds = out.deliveries.filter((d) => d.channel === c);
    const failed = ds.filter((d) => d.status === 'failed');
    lines.push(
      `${c}: ${ds.length - failed.length} sent${failed.length ? `, ${failed.length} failed (${failed[0]?.detail ?? 'no reason given'})` : ''}.`,
    );
  }
  if (out.written.length) lines.push(`Wrote ${out.written.join(', ')}.`);
  return `${lines.join('\n')}\n`;
}
