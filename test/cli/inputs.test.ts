import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { demoBudgets, demoCosts, demoMetrics, expectBadInput, runOn } from '../helpers/bad-input.ts';
import { cli } from '../helpers/cli.ts';

let dir: string;
let where: { out: string; state: string };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'pb-inputs-'));
  where = { out: join(dir, 'out'), state: join(dir, 'state') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const budgetsWith = (from: string, to: string) => {
  const text = readFileSync(demoBudgets, 'utf8');
  expect(text).toContain(from);
  return write('budgets.yaml', text.replace(from, to));
};

/** `validate` on a budget file: exit 2, one line naming the file. */
function expectInvalid(file: string, pattern: RegExp) {
  const r = cli(['validate', file], { timeoutMs: 20_000 });
  expect(r.code).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('the same cost data given twice', () => {
  it('refuses a file and its gzipped copy, naming both', () => {
    const gz = write('costs.focus.csv.gz', gzipSync(readFileSync(demoCosts)));
    expectBadInput(
      { costs: [demoCosts, gz] },
      /costs\.focus\.csv\.gz, row \d+: the same charge as .*costs\.focus\.csv row \d+/,
      where,
    );
  });

  it('refuses one file named twice, as ./a.csv beside a.csv', () => {
    const a = write('a.csv', readFileSync(demoCosts));
    expectBadInput(
      { costs: [a, join(dir, '.', '/a.csv').replace('a.csv', './a.csv')] },
      /a\.csv: the same file as .*a\.csv/,
      where,
    );
  });

  it('reads a --costs directory of links, and a gzip file named in capitals', () => {
    const plain = runOn({}, where, ['--format', 'json', '--no-state']);
    expect(plain.code).toBe(0);
    const linked = join(dir, 'linked');
    mkdirSync(linked);
    execFileSync('ln', ['-s', demoCosts, join(linked, 'costs.csv')]);
    const viaLink = runOn({ costs: linked }, { ...where, out: join(dir, 'o2') }, [
      '--format',
      'json',
      '--no-state',
    ]);
    expect(viaLink.stderr).toBe('');
    expect(JSON.parse(viaLink.stdout).budgets).toEqual(JSON.parse(plain.stdout).budgets);
    const upper = write('COSTS.CSV.GZ', gzipSync(readFileSync(demoCosts)));
    const viaGz = runOn({ costs: upper }, { ...where, out: join(dir, 'o3') }, [
      '--format',
      'json',
      '--no-state',
    ]);
    expect(viaGz.stderr).toBe('');
    expect(JSON.parse(viaGz.stdout).budgets).toEqual(JSON.parse(plain.stdout).budgets);
  });
});

describe('bad cost and metrics values', () => {
  it('refuses a FOCUS file with BilledCost twice but for case', () => {
    const [header = '', ...rows] = readFileSync(demoCosts, 'utf8').split('\n');
    const lines = [`billedcost,${header}`, ...rows.map((r) => (r === '' ? r : `0,${r}`))];
    expectBadInput(
      { costs: write('costs.csv', lines.join('\n')) },
      /costs\.csv, row 1: columns 1 \("billedcost"\) and 2 \("BilledCost"\) have the same name but for case/,
      where,
    );
  });

  it('refuses a negative Invocations, naming the row', () => {
    const lines = readFileSync(demoMetrics, 'utf8').split('\n').slice(0, 20);
    const i = lines.findIndex((l) => l.includes(',Invocations,Sum,'));
    lines[i] = (lines[i] ?? '').replace(/,[^,]*$/, ',-500');
    expectBadInput(
      { metrics: write('metrics.csv', lines.join('\n')) },
      new RegExp(
        `metrics\\.csv, row ${i + 1}, column value: expected a value from 0 to 10\\^15 \\(Invocations\\), got "-500"`,
      ),
      where,
    );
  });

  it('refuses a 310-digit amount instead of crashing the forecast', () => {
    const lines = readFileSync(demoCosts, 'utf8').split('\n');
    lines[5] = `${'9'.repeat(310)}${(lines[5] ?? '').slice((lines[5] ?? '').indexOf(','))}`;
    expectBadInput(
      { costs: write('costs.csv', lines.join('\n')) },
      /costs\.csv, row 6, column BilledCost: expected an amount below 10\^12 in magnitude/,
      where,
    );
  });

  it('refuses a FIFO as --costs, and /dev/zero, without reading them', () => {
    const pipe = join(dir, 'costs.csv');
    execFileSync('mkfifo', [pipe]);
    expectBadInput(
      { costs: pipe },
      /costs\.csv: expected a regular file, found a FIFO \(named pipe\)/,
      where,
    );
    expectBadInput(
      { costs: '/dev/zero' },
      /\/dev\/zero: expected a regular file, found a character device/,
      where,
    );
  });
});

describe('budget files that must not pass', () => {
  it('refuses a FIFO as --budgets without waiting for a writer', () => {
    const pipe = join(dir, 'budgets.yaml');
    execFileSync('mkfifo', [pipe]);
    expectInvalid(pipe, /budgets\.yaml: \(file\): expected a regular file, found a FIFO/);
    const r = runOn({ budgets: pipe }, where);
    expect(r.code).toBe(2);
  });

  it('refuses a YAML alias bomb with one line, exit 2', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [name, prev] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
    ])
      bomb.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    expectInvalid(
      write('bomb.yaml', bomb.join('\n')),
      /bomb\.yaml: \(syntax\): aliases expand to more than 100 copies/,
    );
  });

  it('refuses a tier named after a property every object has', () => {
    expectInvalid(
      budgetsWith('tier: production', 'tier: toString'),
      /budgets\.yaml:\d+: budgets\[0\]\.tier: unknown tier "toString"/,
    );
  });

  it.each(['local', 'system', 'UTC+5', '+05:00'])(
    'refuses the time zone %s: results would depend on the machine',
    (tz) => {
      expectInvalid(
        budgetsWith('timezone: UTC', `timezone: "${tz}"`),
        /budgets\.yaml:\d+: billingPeriod\.timezone: an IANA time zone such as UTC or Europe\/Berlin/,
      );
    },
  );

  it('judges a budget whose glob repeats stars in well under a second per endpoint', () => {
    const file = budgetsWith('endpoints: ["chat-*"]', 'endpoints: ["**********************************x"]');
    const started = Date.now();
    const r = runOn({ budgets: file }, where, ['--format', 'json', '--no-state']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

describe('where a run writes', () => {
  const ok = (r: { code: number; stderr: string }) => {
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  };

  it('refuses --out naming a file, and leaves the file as it was', () => {
    const file = write('out', 'mine\n');
    const r = runOn({}, { ...where, out: file });
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd()).toBe(
      `perf-budgets: --out ${file}: a file exists there; expected a directory for the outputs`,
    );
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    expect(existsSync(where.state)).toBe(false);
  });

  it('refuses --out / and a directory holding files the tool did not write', () => {
    const root = runOn({}, { ...where, out: '/' });
    expect(root.code).toBe(2);
    expect(root.stderr.trimEnd()).toBe(
      'perf-budgets: --out /: the root directory; expected a directory for the outputs alone',
    );
    const home = join(dir, 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'notes.txt'), 'keep me\n');
    const r = runOn({}, { ...where, out: home });
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd()).toMatch(
      /^perf-budgets: --out .*home: holds files perf-budgets did not write \(notes\.txt\); expected a new or empty directory/,
    );
    expect(readdirSync(home)).toEqual(['notes.txt']);
  });

  it('replaces the set an earlier run wrote, leaving nothing of either run beside it', () => {
    ok(runOn({}, where));
    const first = readdirSync(where.out).sort();
    expect(first).toEqual([
      '.perf-budgets-out.json',
      'cycle.json',
      'report.html',
      'report.json',
      'report.md',
      'summary.md',
    ]);
    ok(runOn({ asOf: '2026-10-20' }, where));
    expect(readdirSync(where.out).sort()).toEqual(first);
    expect(JSON.parse(readFileSync(join(where.out, 'cycle.json'), 'utf8')).asOf).toBe('2026-10-20');
    expect(readdirSync(dir).sort()).toEqual(['out', 'state']);
  });

  it('refuses a corrupt ledger before writing any output', () => {
    mkdirSync(where.state);
    writeFileSync(
      join(where.state, 'ledger.db'),
      'not a database, just text that is long enough to be read\n'.repeat(50),
    );
    const r = runOn({}, where);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^perf-budgets: --state .*state: the ledger .*ledger\.db cannot be used \(file is not a database\)/,
    );
    expect(existsSync(where.out), 'no output written').toBe(false);
  });

  it('refuses a foreign database whose tables share the ledger names before writing any output', () => {
    mkdirSync(where.state);
    const db = new Database(join(where.state, 'ledger.db'));
    db.exec('CREATE TABLE alerts (x TEXT)');
    db.close();
    const r = runOn({}, where);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^perf-budgets: --state .*state: the ledger .*ledger\.db cannot be used \(no such column/,
    );
    expect(existsSync(where.out), 'no output written').toBe(false);
  });
});

function expectNoControls(text: string) {
  for (const c of ['\u001b', '\u0007', '\u202e']) expect(text).not.toContain(c);
}

describe('what bill data can do to a Markdown renderer or a terminal', () => {
  // an endpoint name as a bill may carry it (no space or slash: the ARN would not parse), and an exception's reason
  const evilName = 'chat-prod<script>alert(1)<!channel>\u001b]0;owned\u0007\u001b[2J\u202e';
  const evilCosts = () =>
    write(
      'costs.csv',
      readFileSync(demoCosts, 'utf8').replaceAll('endpoint/chat-prod', `endpoint/${evilName}`),
    );
  const evilBudgets = () =>
    budgetsWith(
      'alertAt: [0.5, 0.8, 1.0]',
      'alertAt: [0.5, 0.8, 1.0]\n    exceptions:\n      - { reason: "<img src=x onerror=alert(1)> [x](javascript:alert(2))", approvedBy: "<!here>", expires: 2026-12-31, limits: { spendPerPeriod: 3500 } }',
    );

  it('writes report.md and summary.md with the HTML, mentions and links of the data escaped', () => {
    const r = runOn({ costs: evilCosts(), budgets: evilBudgets() }, where, ['--no-state']);
    expect(r.code).toBe(0);
    for (const name of ['summary.md', 'report.md']) {
      const md = readFileSync(join(where.out, name), 'utf8');
      expect(md, name).toContain('chat-prod&lt;script>alert(1)&lt;!channel>');
      expect(md, name).not.toMatch(/<script|<img|<!channel>|<!here>|[^\\]\]\(javascript:/);
      expectNoControls(md);
    }
    expect(readFileSync(join(where.out, 'report.md'), 'utf8')).toContain(
      '&lt;img src=x onerror=alert(1)> \\[x\\](javascript:alert(2))',
    );
  });

  it('prints no control character of the data to the terminal, and keeps the JSON value whole', () => {
    const text = runOn({ costs: evilCosts() }, where, ['--no-state']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('chat-prod<script>alert(1)<!channel>]0;owned[2J');
    expectNoControls(text.stdout + text.stderr);
    const json = runOn({ costs: evilCosts() }, { ...where, out: join(dir, 'o2') }, [
      '--no-state',
      '--format',
      'json',
    ]);
    expect(json.code).toBe(0);
    expectNoControls(json.stdout);
    const names = JSON.parse(json.stdout).budgets.flatMap((b: { endpoints: { name: string }[] }) =>
      b.endpoints.map((e) => e.name),
    );
    expect(names).toContain(evilName);
  });

  it('prints a bad input line without its control characters', () => {
    const r = runOn({ costs: join(dir, 'missing\u001b[31m.csv') }, where);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing\[31m\.csv: file not found/);
    expect(r.stderr).not.toContain('\u001b');
  });
});
