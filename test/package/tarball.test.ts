/**
 * The package as a user gets it: `npm pack` (which builds dist/ at prepare), the tarball installed offline into a
 * fresh CDK app next to aws-cdk-lib and constructs, an app that imports `perf-budgets` and synthesizes with its own
 * budget file, bundling the Lambdas there, the CLI run from the installed package, and a TypeScript file of that
 * app checked against the shipped declarations. Runs in `npm run test:package` (its own step in CI: packing rebuilds dist/, which nothing else may
 * read meanwhile).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerLock, type Lock, type PackageJson } from './consumer-lock.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NPM_QUIET = ['--no-audit', '--no-fund', '--loglevel=error'];

const BUDGETS = `version: 1
currency: USD
billingPeriod: { startDay: 1, timezone: Europe/Berlin }
tiers:
  production: { mode: advise }
budgets:
  - name: ranking
    owner: ranking-team@example.com
    tier: production
    environment: prod
    selector: { endpoints: ["rank-*"] }
    limits: { spendPerPeriod: 5000, latencyP99Ms: 80 }
`;

const APP = `import { App, Stack } from 'aws-cdk-lib';
import { AlertTargets, PerfBudgets } from 'perf-budgets';

const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'Consumer', { env: { account: '111122223333', region: 'eu-west-1' } });
new PerfBudgets(stack, 'Budgets', { budgetsFile: 'budgets.yaml', alertTargets: [AlertTargets.sns()] });
app.synth();
`;

// types, not behaviour: a wrong prop must not compile, so the declarations are really read (not `any`)
const TYPED_APP = `import { App, Stack } from 'aws-cdk-lib';
import { AlertTargets, type BudgetFile, PerfBudgets, PerfBudgetsMemberStack, readBudgetFile } from 'perf-budgets';

const app = new App();
const stack = new Stack(app, 'Typed');
const file: BudgetFile = readBudgetFile('budgets.yaml');
const budgets = new PerfBudgets(stack, 'Budgets', { budgetsFile: 'budgets.yaml', alertTargets: [AlertTargets.slack()] });
const arn: string = budgets.stateMachine.stateMachineArn;
// @ts-expect-error scheduleExpression is a string
new PerfBudgets(stack, 'Wrong', { budgetsFile: 'budgets.yaml', scheduleExpression: 6 });
new PerfBudgetsMemberStack(app, 'Member', { centralAccountId: '111122223333' });
export const used = [file.currency, arn];
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  },
  files: ['typed.ts'],
};

interface Packed {
  readonly filename: string;
  readonly files: readonly { readonly path: string }[];
}

interface Template {
  readonly Resources: Record<
    string,
    { readonly Type: string; readonly Properties?: Record<string, unknown> }
  >;
}

const run = (command: string, args: readonly string[], cwd: string): string =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the npm package', () => {
  let dir: string;
  let packed: Packed;
  let app: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'perf-budgets-package-'));
    const out = run('npm', ['pack', '--json', '--pack-destination', dir, ...NPM_QUIET], ROOT);
    // prepare's build prints before npm's JSON
    packed = (JSON.parse(out.slice(out.indexOf('['))) as [Packed])[0];

    app = join(dir, 'app');
    mkdirSync(app);
    const { packageJson, lock } = consumerLock(
      JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lock,
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson,
      'consumer-app',
      `file:../${packed.filename}`,
    );
    writeFileSync(join(app, 'package.json'), JSON.stringify(packageJson, null, 2));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lock, null, 2));
    // scripts off: better-sqlite3's would fetch a native binary the CLI's ledger needs and synth does not
    run('npm', ['ci', '--offline', '--ignore-scripts', ...NPM_QUIET], app);
    writeFileSync(join(app, 'budgets.yaml'), BUDGETS);
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships the compiled library with its declarations, the CLI, the demo, LICENSE and NOTICE, and no sources', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'LICENSE',
        'NOTICE',
        'README.md',
        'package.json',
        'bin/perf-budgets.js',
        'dist/bin/perf-budgets.js',
        'dist/lib/index.js',
        'dist/lib/index.d.ts',
        'dist/lambdas/handlers/collect.js',
        'dist/lambdas/handlers/approvals.js',
        'examples/demo/demo.json',
        'examples/demo/data/costs.focus.csv',
      ]),
    );
    expect(paths).toContain('dist/cli/main.js');
    // validate's code cache for the Node.js that packed it (the build writes it)
    expect(
      paths.filter((p) => /^dist\/cli\/chunks\/validate-\w+\.cjs\.v8-[\w.-]+\.cache$/.test(p)),
    ).toHaveLength(1);
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('test/') || p.startsWith('lib/'))).toEqual([]);
  });

  it('synthesizes a fresh app that imports PerfBudgets with its own budget file, bundling the Lambdas there', () => {
    writeFileSync(join(app, 'app.mjs'), APP);
    run(process.execPath, ['app.mjs'], app);

    const out = join(app, 'cdk.out');
    const template = JSON.parse(readFileSync(join(out, 'Consumer.template.json'), 'utf8')) as Template;
    const resources = Object.values(template.Resources);
    const ofType = (type: string) => resources.filter((r) => r.Type === type);
    expect(ofType('AWS::StepFunctions::StateMachine')).toHaveLength(1);
    const steps = ofType('AWS::Lambda::Function')
      .map((r) => r.Properties?.Description)
      .filter((d): d is string => typeof d === 'string' && d.startsWith('perf-budgets:'));
    expect(steps).toHaveLength(5);
    // the app's budget file, not the package's: its time zone drives the schedules, its owner is uploaded
    const zones = ofType('AWS::Scheduler::Schedule').map((r) => r.Properties?.ScheduleExpressionTimezone);
    expect(zones.length).toBeGreaterThan(0);
    expect(new Set(zones)).toEqual(new Set(['Europe/Berlin']));
    expect(JSON.stringify(template)).toContain('ranking-team@example.com');
    // each step's bundle was built by esbuild in this app, from the compiled handler in node_modules
    const bundles = readdirSync(out).filter(
      (name) => name.startsWith('asset.') && readdirSync(join(out, name)).includes('index.mjs'),
    );
    expect(bundles.length).toBeGreaterThanOrEqual(5);
  });

  it("runs the CLI from the installed package (its compiled JavaScript) on the app's budget file", () => {
    const chunks = join(app, 'node_modules/perf-budgets/dist/cli/chunks');
    const shipped = readdirSync(chunks);
    const validate = spawnSync(join(app, 'node_modules/.bin/perf-budgets'), ['validate', 'budgets.yaml'], {
      cwd: app,
      encoding: 'utf8',
    });
    expect({ status: validate.status, stdout: validate.stdout, stderr: validate.stderr }).toEqual({
      status: 0,
      stdout: 'budgets.yaml: ok (1 budgets, 1 tiers)\n',
      stderr: '',
    });
    // the shipped code cache fits this Node.js: V8 took it, so the run wrote none of its own
    expect(readdirSync(chunks)).toEqual(shipped);
  });

  it('type-checks a TypeScript app against the shipped declarations', () => {
    writeFileSync(join(app, 'typed.ts'), TYPED_APP);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', '.'], {
      cwd: app,
      encoding: 'utf8',
    });
    expect({ status: tsc.status, errors: tsc.stdout }).toEqual({ status: 0, errors: '' });
  });
});
