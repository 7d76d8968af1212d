/**
 * The deployed governance cycle, run offline: the state machine definition from the synthesized template, executed
 * by aws-local-stepfunctions, every Lambda Task overridden by an invocation of that function's bundle (lambda.ts) and
 * the SNS Task of the failure path by a Publish to the loopback topic. Any other Task resource is refused, so that a
 * new integration in the stack needs its fake here before the test passes.
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { StateMachine } from 'aws-local-stepfunctions';
import {
  ACCOUNT,
  type Assembly,
  type Definition,
  type FunctionSpec,
  REGION,
  type StateDefinition,
} from './assembly.ts';
import { type Invocation, LambdaService } from './lambda.ts';
import type { Loopback } from './loopback.ts';

const SNS_PUBLISH = 'arn:aws:states:::sns:publish';

/** What became of one Task state (inside the Map too), in the order the states ended. */
export interface TaskRun {
  readonly state: string;
  readonly status: 'succeeded' | 'failed';
  readonly error?: string;
  readonly cause?: string;
}

export interface Execution {
  readonly name: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: Record<string, unknown>;
  readonly error?: { readonly name: string; readonly message: string };
  readonly tasks: readonly TaskRun[];
  readonly invocations: readonly Invocation[];
}

/** Runs before a Task state's own work: where a test tampers with what the previous step stored. */
export type Hooks = Readonly<Record<string, () => Promise<void>>>;

interface StateEvent {
  readonly type: string;
  readonly state?: { readonly name: string; readonly type: string };
  readonly Error?: string;
  readonly Cause?: unknown;
}

export class Pipeline {
  readonly definition: Definition;
  readonly functions: ReadonlyMap<string, FunctionSpec>;
  private readonly machine: StateMachine;
  private readonly lambda: LambdaService;
  private readonly sns: SNSClient;

  constructor(
    readonly assembly: Assembly,
    loopback: Loopback,
  ) {
    this.functions = assembly.functions();
    this.definition = assembly.definition();
    this.machine = new StateMachine(this.definition as never);
    this.lambda = new LambdaService(loopback.env);
    // a function's Invoke of another runs that function here, in environments of this service
    loopback.lambda.serve(this.functions.values(), (fn, event, log) => this.lambda.invoke(fn, event, log));
    this.sns = new SNSClient({
      region: REGION,
      endpoint: loopback.sns.url,
      credentials: {
        accessKeyId: loopback.env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: loopback.env.AWS_SECRET_ACCESS_KEY as string,
      },
    });
  }

  /** One execution named `name` (the run id) with `input`, as StartExecution would start it. */
  async run(name: string, input: Record<string, unknown>, hooks: Hooks = {}): Promise<Execution> {
    const invocations: Invocation[] = [];
    const machineName = this.assembly.ofType('AWS::StepFunctions::StateMachine')[0] as string;
    const execution = this.machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: this.overrides(invocations, hooks) },
      context: {
        Execution: {
          Id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:${machineName}:${name}`,
          Name: name,
          Input: input,
          StartTime: new Date().toISOString(),
          RoleArn: `arn:aws:iam::${ACCOUNT}:role/${machineName}Role`,
        },
        StateMachine: {
          Id: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${machineName}`,
          Name: machineName,
        },
      } as never,
    });
    const tasks: TaskRun[] = [];
    const events = (async () => {
      // a failure that a Catch took still exits the state: that exit is not a success
      const caught = new Set<string>();
      for await (const e of execution.eventLogs as AsyncGenerator<StateEvent>) {
        if (e.state?.type !== 'Task') continue;
        const state = e.state.name;
        if (e.type === 'StateCaught') caught.add(state);
        if (e.type === 'StateExited' && !caught.delete(state)) tasks.push({ state, status: 'succeeded' });
        if (e.type === 'StateFailed') {
          tasks.push({ state, status: 'failed', error: e.Error, cause: String(e.Cause) });
        }
      }
    })();
    try {
      const output = (await execution.result) as Record<string, unknown>;
      await events;
      return { name, status: 'SUCCEEDED', output, tasks, invocations };
    } catch (err) {
      await events.catch(() => undefined);
      const cause = (err as Error).cause as Error | undefined;
      return {
        name,
        status: 'FAILED',
        error: {
          name: cause?.name ?? (err as Error).name,
          message: cause?.message ?? (err as Error).message,
        },
        tasks,
        invocations,
      };
    }
  }

  /** One synchronous invocation of `fn` (as Lambda runs a Function URL's request): its result and its log. */
  async invoke(fn: FunctionSpec, event: unknown): Promise<{ result: unknown; invocation: Invocation }> {
    const log: Invocation[] = [];
    try {
      return { result: await this.lambda.invoke(fn, event, log), invocation: log[0] as Invocation };
    } catch (err) {
      const invocation = log[0];
      throw new Error(
        `${fn.name} failed: ${(err as Error).message}\n${invocation?.output.slice(-3000) ?? ''}`,
      );
    }
  }

  private overrides(invocations: Invocation[], hooks: Hooks) {
    const handlers: Record<string, (input: unknown) => Promise<never>> = {};
    const visit = (states: Record<string, StateDefinition>) => {
      for (const [name, s] of Object.entries(states)) {
        if (s.ItemProcessor) visit(s.ItemProcessor.States);
        if (s.Type !== 'Task') continue;
        const fn = s.Resource === undefined ? undefined : this.functions.get(s.Resource);
        const work = fn
          ? (input: unknown) => this.lambda.invoke(fn, input, invocations)
          : s.Resource === SNS_PUBLISH
            ? (input: unknown) => this.publish(input as PublishInput)
            : undefined;
        if (!work) throw new Error(`state ${name}: no local stand-in for Task resource ${s.Resource}`);
        handlers[name] = async (input) => {
          await hooks[name]?.();
          return (await work(input)) as never;
        };
      }
    };
    visit(this.definition.States);
    return handlers;
  }

  /** Step Functions' sns:publish integration: a Message that is not a string is sent as its JSON. */
  private async publish(input: PublishInput): Promise<unknown> {
    const out = await this.sns.send(
      new PublishCommand({
        ...input,
        Message: typeof input.Message === 'string' ? input.Message : JSON.stringify(input.Message),
      }),
    );
    return { MessageId: out.MessageId };
  }

  close(): void {
    this.lambda.close();
    this.sns.destroy();
  }
}

type PublishInput = Omit<ConstructorParameters<typeof PublishCommand>[0], 'Message'> & { Message: unknown };
