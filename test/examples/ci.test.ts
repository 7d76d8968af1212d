import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { program } from '../../lambdas/cli/main.ts';
import { ROOT } from '../helpers/cli.ts';

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly id?: string;
  readonly with?: Record<string, unknown>;
}

const workflow = parse(readFileSync(join(ROOT, 'examples/ci/perf-budgets-check.yml'), 'utf8')) as {
  on: Record<string, unknown>;
  env: Record<string, string>;
  jobs: Record<string, { steps: Step[] }>;
};
const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
const runs = steps.flatMap((s) => (s.run ? [s.run] : []));
/** Each `npx perf-budgets COMMAND ...` line of the workflow: the command and the flags it passes. */
const invocations = runs
  .flatMap((r) => r.split('\n'))
  .flatMap((line) => {
    const m = /npx perf-budgets (\S+)(.*)/.exec(line);
    return m
      ? [{ command: m[1] as string, flags: [...(m[2] ?? '').matchAll(/\s(--[a-z-]+)/g)].map((f) => f[1]) }]
      : [];
  });
const registered = (name: string) => program(() => {}).commands.find((c) => c.name() === name);

describe('the GitHub Actions workflow of the pre-deploy check', () => {
  it('runs on pull requests with Node 20, installs with npm ci and synthesizes the change and its base', () => {
    expect(Object.keys(workflow.on)).toEqual(['pull_request']);
    expect(steps.find((s) => s.uses?.startsWith('actions/checkout@'))?.with?.['fetch-depth']).toBe(0);
    expect(steps.find((s) => s.uses?.startsWith('actions/setup-node@'))?.with?.['node-version']).toBe(20);
    expect(runs).toContain('npm ci');
    expect(runs.some((r) => /npx cdk synth --app "\$APP" --output cdk\.out\b/.test(r))).toBe(true);
    const base = runs.find((r) => r.includes('git worktree add'));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression
    expect(base).toContain('origin/${{ github.base_ref }}');
    expect(base).toMatch(/npx cdk synth --app "\$APP" --output "\$GITHUB_WORKSPACE\/cdk\.out\.base"/);
    expect(workflow.env.APP).toBe('npx tsx examples/sagemaker-app/app.ts');
    expect(existsSync(join(ROOT, workflow.env.BUDGETS as string))).toBe(true);
  });

  it('runs the check on both synths as markdown, posts it as one sticky comment and fails the job on exit 1', () => {
    const check = steps.find((s) => s.run?.includes('npx perf-budgets check'));
    expect(check?.run).toContain(
      'npx perf-budgets check cdk.out --base cdk.out.base --budgets "$BUDGETS" --format markdown > check.md',
    );
    expect(check?.run).toContain('echo "exit=$?" >> "$GITHUB_OUTPUT"');
    const comment = steps.find((s) => s.uses?.startsWith('marocchino/sticky-pull-request-comment@'));
    expect(comment?.with?.path).toBe('check.md');
    expect(comment?.if).toContain(`steps.${check?.id}.outputs.exit == '1'`);
    const fail = steps.at(-1);
    expect(fail?.if).toBe(`steps.${check?.id}.outputs.exit != '0'`);
    expect(fail?.run).toContain(`exit \${{ steps.${check?.id}.outputs.exit }}`);
  });

  it('passes only commands and flags the CLI has', () => {
    expect(invocations.map((i) => i.command)).toEqual(['check']);
    for (const { command, flags } of invocations) {
      const options = registered(command)?.options.map((o) => o.long) ?? [];
      for (const flag of flags) expect(options, `${command} ${flag}`).toContain(flag);
    }
  });
});
