import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ATHENA_CREATE, ATHENA_EXISTING, editedBudgets, synthStack, testApp, withAthena } from './helpers.ts';

/** Every unacknowledged finding of both packs, as "rule at construct path". */
function findings(stack: Stack): string[] {
  const app = stack.node.root;
  return [new AwsSolutionsChecks(app), new ServerlessChecks(app)].flatMap((pack) =>
    pack
      .validateScope(stack)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
  );
}

describe('cdk-nag', () => {
  it('finds nothing unacknowledged in the stack (AwsSolutions and Serverless)', () => {
    const { stack } = synthStack({ alarmEmail: 'finops@example.com' });
    expect(findings(stack)).toEqual([]);
  });

  it('finds nothing unacknowledged with a FOCUS export and resource-level Cost Explorer', () => {
    const path = editedBudgets((t) =>
      t.replace(
        'costMetric: billed',
        'costMetric: billed\ncostExplorer: { resourceLevel: true }\ncostSource: focus-export\nfocusExport: { bucket: my-exports, prefix: focus/ }',
      ),
    );
    expect(findings(synthStack({ budgetsFile: path }).stack)).toEqual([]);
  });

  it('finds nothing unacknowledged with Athena resources the stack creates', () => {
    expect(findings(synthStack({ budgetsFile: withAthena(ATHENA_CREATE) }).stack)).toEqual([]);
  });

  it('finds nothing unacknowledged with an existing Athena table and workgroup', () => {
    const { stack } = synthStack({
      budgetsFile: withAthena(ATHENA_EXISTING),
      athenaTableLocation: 's3://org-billing/exports/focus-org/data/',
    });
    expect(findings(stack)).toEqual([]);
  });

  it('reports an unacknowledged finding (the check is live)', () => {
    const stack = new Stack(testApp(), 'Plain');
    new s3.Bucket(stack, 'Bucket');
    expect(findings(stack)).toContainEqual(expect.stringMatching(/^AwsSolutions-S1 at Plain\/Bucket/));
  });
});
