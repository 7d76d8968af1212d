/**
 * The ParameterPublisher port over SSM Parameter Store: budget statuses and the per-tier managed-spot flags that
 * applications and training pipelines read. A parameter is written only when its value changed, so a rerun of a
 * cycle writes nothing and each parameter's version history records real changes only.
 */
import { GetParametersCommand, PutParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { ApiUsage } from '../core/api-usage.ts';
import type { ParameterPublisher } from '../ports.ts';
import { sourceError } from './errors.ts';

/** GetParameters takes at most 10 names a request. */
const NAMES_PER_REQUEST = 10;

export interface SsmParametersOptions {
  readonly ssm: SSMClient;
  readonly usage: ApiUsage;
}

export class SsmParameters implements ParameterPublisher {
  constructor(private readonly o: SsmParametersOptions) {}

  async publish(parameters: ReadonlyMap<string, string>): Promise<readonly string[]> {
    const current = await this.current([...parameters.keys()]);
    const written: string[] = [];
    // One at a time: PutParameter's default throughput is low, and a throttled burst would only be retried.
    for (const [name, value] of parameters) {
      if (current.get(name) === value) continue;
      const api = 'ssm:PutParameter';
      this.o.usage.count(api);
      try {
        await this.o.ssm.send(
          new PutParameterCommand({ Name: name, Value: value, Type: 'String', Overwrite: true }),
        );
      } catch (err) {
        throw sourceError('outputs', api, err);
      }
      written.push(name);
    }
    return written;
  }

  /** The stored values of `names`; a name SSM does not know is left out (GetParameters lists it as invalid). */
  private async current(names: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const api = 'ssm:GetParameters';
    for (let i = 0; i < names.length; i += NAMES_PER_REQUEST) {
      this.o.usage.count(api);
      try {
        const page = await this.o.ssm.send(
          new GetParametersCommand({ Names: names.slice(i, i + NAMES_PER_REQUEST) }),
        );
        for (const p of page.Parameters ?? []) if (p.Name && p.Value !== undefined) out.set(p.Name, p.Value);
      } catch (err) {
        throw sourceError('outputs', api, err);
      }
    }
    return out;
  }
}
