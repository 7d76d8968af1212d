import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PerfBudgetsStack, type PerfBudgetsStackProps } from '../../lib/stack.ts';

export const DEMO_BUDGETS = 'examples/demo/budgets.yaml';

/** An app that skips bundling: unit tests stay fast; the bundles are built once by `cdk synth` in CI. */
export function testApp(): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [] } });
}

export function synthStack(props: Partial<PerfBudgetsStackProps> = {}) {
  const app = testApp();
  const stack = new PerfBudgetsStack(app, 'Test', { budgetsFile: DEMO_BUDGETS, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

/** The demo budget file with one edit, written to a temporary directory. */
export function editedBudgets(edit: (text: string) => string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'perf-budgets-cdk-')), 'budgets.yaml');
  writeFileSync(path, edit(readFileSync(DEMO_BUDGETS, 'utf8')));
  return path;
}

/** A CloudFormation value with its tokens replaced by "TOKEN", so a Fn::Join'ed JSON document parses. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'Fn::Join' in value) {
    const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(sep);
  }
  return 'TOKEN';
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of every identity policy (AWS::IAM::Policy and the roles' inline policies) in the template. */
export function identityStatements(template: Template): Statement[] {
  const out: Statement[] = [];
  for (const r of Object.values(template.findResources('AWS::IAM::Policy'))) {
    out.push(...(r.Properties.PolicyDocument.Statement as Statement[]));
  }
  for (const r of Object.values(template.findResources('AWS::IAM::Role'))) {
    for (const p of r.Properties.Policies ?? []) out.push(...(p.PolicyDocument.Statement as Statement[]));
  }
  return out;
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
