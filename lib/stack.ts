import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PerfBudgets, type PerfBudgetsProps } from './perf-budgets.ts';

export interface PerfBudgetsStackProps extends StackProps, PerfBudgetsProps {}

/** The deployable unit: the PerfBudgets construct and its outputs, nothing else. */
export class PerfBudgetsStack extends Stack {
  readonly perfBudgets: PerfBudgets;

  constructor(scope: Construct, id: string, props: PerfBudgetsStackProps) {
    super(scope, id, props);
    this.perfBudgets = new PerfBudgets(this, 'PerfBudgets', props);
  }
}
