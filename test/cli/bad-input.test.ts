import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  demoBudgets,
  demoCosts,
  demoMetrics,
  expectBadInput as expectBadRun,
  type RunInputs,
} from '../helpers/bad-input.ts';
import { cli, ROOT } from '../helpers/cli.ts';

let dir: string;
let out: string;
let state: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pb-bad-'));
  out = join(dir, 'out');
  state = join(dir, 'state');
});

function write(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const expectBadInput = (args: RunInputs, pattern: RegExp) => expectBadRun(args, pattern, { out, state });

const demoCsvHead = () => readFileSync(demoCosts, 'utf8').split('\n').slice(0, 40).join('\n');

describe('bad input: one clear line, exit 2, nothing written', () => {
  it('a budget file with a wrongly typed limit names the path in it', () => {
    const bad = readFileSync(demoBudgets, 'utf8').replace('latencyP99Ms: 120', 'latencyP99Ms: fast');
    expectBadInput(
      { budgets: write('budgets.yaml', bad) },
      /budgets\.yaml:\d+: budgets\[1\]\.limits\.latencyP99Ms: .*expected number/,
    );
  });

  it('a budget file that is not YAML names the line', () => {
    expectBadInput(
      { budgets: write('budgets.yaml', 'version: 1\nbudgets: [\n') },
      /budgets\.yaml:\d+: \(syntax\): /,
    );
  });

  it('a budget file that does not exist', () => {
    expectBadInput({ budgets: join(dir, 'missing.yaml') }, /missing\.yaml: \(file\): file not found/);
  });

  it('a cost file missing a required column names the column', () => {
    const [header, ...rest] = demoCsvHead().split('\n');
    const cols = (header ?? '').split(',');
    const i = cols.indexOf('ChargePeriodStart');
    const drop = (line: string) =>
      line
        .split(',')
        .filter((_, j) => j !== i)
        .join(',');
    // the demo file has no quoted commas before the Tags column, so dropping a column by position is safe here
    const csv = [drop(header ?? ''), ...rest.map(drop)].join('\n');
    expectBadInput({ costs: write('costs.csv', csv) }, /costs\.csv.*ChargePeriodStart/);
  });

  it('a non-numeric cost names the row and the column', () => {
    const lines = demoCsvHead().split('\n');
    const cols = (lines[0] ?? '').split(',');
    const i = cols.indexOf('BilledCost');
    const cells = (lines[5] ?? '').split(',');
    cells[i] = 'abc';
    lines[5] = cells.join(',');
    expectBadInput(
      { costs: write('costs.csv', lines.join('\n')) },
      /costs\.csv, row 6, column BilledCost: .*"abc"/,
    );
  });

  it('an unknown metric name names the row', () => {
    const lines = readFileSync(demoMetrics, 'utf8').split('\n').slice(0, 50);
    lines[10] = (lines[10] ?? '').replace(
      /,(Invocations|ModelLatency|CPUUtilization|GPUUtilization|MemoryUtilization|OverheadLatency|Invocation4XXErrors|Invocation5XXErrors),/,
      ',ModelLatencyy,',
    );
    expectBadInput(
      { metrics: write('metrics.csv', lines.join('\n')) },
      /metrics\.csv, row 11, column metric: .*ModelLatencyy/,
    );
  });

  it('an as-of outside the data says the range', () => {
    expectBadInput(
      { asOf: '2027-03-01' },
      /--as-of 2027-03-01 is outside the cost data \(2026-09-01 to 2026-10-31\)/,
    );
  });

  it('an as-of that is not a day', () => {
    expectBadInput({ asOf: '2026-13-01' }, /--as-of: .*2026-13-01/);
  });

  it('an unknown option', () => {
    const r = cli(['run', '--budget', demoBudgets]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--budget'/);
  });
});

describe('perf-budgets validate', () => {
  it('says ok for the starter budget file the CDK app deploys by default', () => {
    const r = cli(['validate', join(ROOT, 'examples/budgets.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/budgets\.yaml: ok \(2 budgets, 2 tiers\)/);
  });

  it('says ok for a valid file', () => {
    const r = cli(['validate', demoBudgets]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/budgets\.yaml: ok \(6 budgets, 2 tiers\)/);
  });

  it('lists every problem with file, line and path, and exits 2', () => {
    const bad = readFileSync(demoBudgets, 'utf8')
      .replace('latencyP99Ms: 120', 'latencyP99Ms: fast')
      .replace('mode: approve', 'mode: auto');
    const r = cli(['validate', write('b.yaml', bad)]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(r.stderr).toMatch(/b\.yaml:\d+: tiers\.production\.mode: /);
    expect(r.stderr).toMatch(/b\.yaml:\d+: budgets\[1\]\.limits\.latencyP99Ms: /);
  });
});

describe('bad input to plan, actions and rollback: one clear line, exit 2, nothing written', () => {
  const refuses = (args: readonly string[], pattern: RegExp) => {
    const r = cli(args, { cwd: dir, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(pattern);
    expect(readdirSync(dir), 'nothing written').toEqual([]);
  };

  it('actions with an unknown --status names the statuses it knows', () => {
    refuses(
      ['actions', '--status', 'bogus'],
      /actions: --status: expected one of recommended, .* got bogus$/,
    );
  });

  it('actions with a --state that holds no ledger', () => {
    refuses(['actions', '--state', state], /actions: no ledger at .*ledger\.db; run a cycle first/);
  });

  it('actions with no --state and no ledger in the working directory', () => {
    refuses(['actions'], /actions: no ledger at \.perf-budgets[/\\]ledger\.db/);
  });

  it('rollback of something that is not an action id', () => {
    refuses(
      ['rollback', 'not-an-id'],
      /rollback: expected an action id like act-0123456789abcdef, got not-an-id$/,
    );
  });

  it('rollback with a --state that holds no ledger', () => {
    refuses(['rollback', 'act-0123456789abcdef', '--state', state], /rollback: no ledger at .*ledger\.db/);
  });

  it('plan without --budgets', () => {
    refuses(['plan'], /plan: --budgets FILE is required \(or --demo\)$/);
  });

  it('plan --aws with --demo', () => {
    refuses(
      ['plan', '--aws', '--demo'],
      /plan: --aws reads the account; drop --demo, --costs and --metrics$/,
    );
  });
});
