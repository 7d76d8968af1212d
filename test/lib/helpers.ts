import { readFileSync, writeFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PerfBudgetsStack, type PerfBudgetsStackProps } from '../../lib/stack.ts';
import { scratchPath } from '../helpers/scratch.ts';

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

/** The demo budget file with one edit, written to the test file's scratch directory. */
export function editedBudgets(edit: (text: string) => string): string {
  const path = scratchPath('budgets', '.yaml');
  writeFileSync(path, edit(readFileSync(DEMO_BUDGETS, 'utf8')));
  return path;
}

/** The demo budget file with `costSource: athena` and this athena block (a YAML flow mapping). */
export const withAthena = (block: string) =>
  editedBudgets((t) =>
    t.replace('costMetric: billed', `costMetric: billed\ncostSource: athena\nathena: ${block}`),
  );

/** An athena block that lets the stack create the database, the table and the workgroup. */
export const ATHENA_CREATE =
  '{ database: billing, table: focus_1_0, workgroup: perf-budgets, bytesScannedLimit: 50000000, create: { bucket: my-exports, prefix: focus/org-export } }';
/** An athena block over a table and workgroup that exist (the stack needs athenaTableLocation then). */
export const ATHENA_EXISTING =
  '{ database: cur, table: focus_export, workgroup: finops, outputLocation: "s3://finops-results/athena/" }';

/** The demo budget file alerting on its topic only: Slack is not an alert target. */
export const withoutSlack = () => editedBudgets((t) => t.replace(/\n {2}slack:.*\n( {4}.*\n)*/, '\n'));

/** A CloudFormation value with its tokens replaced by "TOKEN", so a Fn::Join'ed JSON document parses. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'Fn::Join' in value) {
    const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join(sep);
  }
  return 'TOKEN';
}

export type States = Record<string, Record<string, unknown>>;

function stateMachineDefinition(template: Template, render: (token: object) => string) {
  const [sm] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const joined = sm?.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] };
  const [sep, parts] = joined['Fn::Join'];
  const text = parts.map((p) => (typeof p === 'string' ? p : render(p as object))).join(sep);
  return JSON.parse(text) as { StartAt: string; States: States };
}

/** The state machine definition with every token as "TOKEN". */
export function definition(template: Template): { StartAt: string; States: States } {
  return stateMachineDefinition(template, () => 'TOKEN');
}

/**
 * The state machine definition with each Ref kept as `{Ref:<name>}` and each GetAtt as `<logical id>.<attribute>`,
 * to read what the definition points at as deployed.
 */
export function refDefinition(template: Template): { StartAt: string; States: States } {
  return stateMachineDefinition(template, (p) => {
    if ('Ref' in p) return `{Ref:${p.Ref}}`;
    if ('Fn::GetAtt' in p) return (p['Fn::GetAtt'] as string[]).join('.');
    return 'TOKEN';
  });
}

/** A bucket or topic policy statement that refuses requests without TLS. */
export const secureTransportDeny = Match.objectLike({
  Effect: 'Deny',
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

export interface Statement {
  Sid?: string;
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
