/**
 * The stack as a test gets it: synthesized (global-setup.ts), "deployed" onto fresh loopback services serving the
 * test account at its as-of, and ready to run executions.
 */
import { cycleTime } from '../../bench/api-account.ts';
import { AS_OF, pipelineAccount } from './account.ts';
import { Actuation } from './actuation.ts';
import { Assembly } from './assembly.ts';
import { Loopback } from './loopback.ts';
import { type Execution, Pipeline } from './pipeline.ts';

export interface Deployed {
  readonly loopback: Loopback;
  readonly pipeline: Pipeline;
  close(): Promise<void>;
}

/** Deploys the stack of `assemblyDir`, with `budgets` in place of its budget file when given. */
export async function deploy(assemblyDir: string, budgets?: Record<string, unknown>): Promise<Deployed> {
  const assembly = new Assembly(assemblyDir);
  const account = pipelineAccount();
  // the services answer as on the morning after as-of, when the daily cycle runs
  account.setNow(cycleTime(AS_OF));
  const loopback = await Loopback.start(assembly, new Actuation(account, cycleTime(AS_OF)), budgets);
  const pipeline = new Pipeline(assembly, loopback);
  return {
    loopback,
    pipeline,
    close: async () => {
      pipeline.close();
      await loopback.close();
    },
  };
}

/** What a failed expectation about an execution shows: each Task's outcome and the logs of a failed invocation. */
export function explain(e: Execution | undefined): string {
  if (!e) return 'the execution did not run';
  const tasks = e.tasks.map((t) => `  ${t.state}: ${t.status}${t.cause ? ` ${t.cause.slice(0, 600)}` : ''}`);
  const failed = e.invocations
    .filter((i) => !i.ok)
    .map((i) => `--- ${i.function} (${i.coldStart ? 'cold' : 'warm'}, ${i.ms} ms)\n${i.output.slice(-3000)}`);
  return [`execution ${e.name} ${e.status}`, ...tasks, ...failed].join('\n');
}
