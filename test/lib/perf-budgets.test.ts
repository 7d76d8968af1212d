import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { synthStack } from './helpers.ts';

/**
 * The logical ids of the resources that hold data or that others point at. A new id makes CloudFormation create a
 * new resource and delete (or, where retained, orphan) the old one: the ledger's history, the buckets' objects, the
 * key, the subscriptions, the operator's Slack credentials and the executions' history would be lost. A refactor
 * that renames a construct or moves one under a new parent fails here; keep the id and the path.
 */
const LOGICAL_IDS = {
  table: 'PerfBudgetsLedgerF2C5CCBC',
  dataBucket: 'PerfBudgetsData2BB0C905',
  accessLogsBucket: 'PerfBudgetsAccessLogsECFF6A7F',
  key: 'PerfBudgetsKeyFCE01A85',
  topic: 'PerfBudgetsAlerts70984079',
  slackSecret: 'PerfBudgetsSlackSecret6FF9FE58',
  stateMachine: 'PerfBudgetsCycle7CB007FF',
} as const;

const TYPES: Record<keyof typeof LOGICAL_IDS, string> = {
  table: 'AWS::DynamoDB::Table',
  dataBucket: 'AWS::S3::Bucket',
  accessLogsBucket: 'AWS::S3::Bucket',
  key: 'AWS::KMS::Key',
  topic: 'AWS::SNS::Topic',
  slackSecret: 'AWS::SecretsManager::Secret',
  stateMachine: 'AWS::StepFunctions::StateMachine',
};

describe('PerfBudgets logical ids', () => {
  const { stack, template } = synthStack();
  const idOf = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as never);

  it('keeps the logical id of each stateful resource', () => {
    const p = stack.perfBudgets;
    expect({
      table: idOf(p.table),
      dataBucket: idOf(p.dataBucket),
      accessLogsBucket: idOf(p.accessLogsBucket),
      key: idOf(p.key),
      topic: idOf(p.topic),
      slackSecret: idOf(p.slackSecret),
      stateMachine: idOf(p.stateMachine),
    }).toEqual(LOGICAL_IDS);
  });

  it('synthesizes those resources under those ids, and no other of their types', () => {
    const byType = new Map<string, string[]>();
    for (const [name, type] of Object.entries(TYPES)) {
      byType.set(type, [...(byType.get(type) ?? []), LOGICAL_IDS[name as keyof typeof LOGICAL_IDS]]);
    }
    for (const [type, ids] of byType) {
      expect(Object.keys(template.findResources(type)).sort()).toEqual(ids.sort());
    }
  });
});
