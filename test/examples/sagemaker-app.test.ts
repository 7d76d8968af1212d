import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Revision, sageMakerApp } from '../../examples/sagemaker-app/app.ts';
import type { PlannedDeployment } from '../../lambdas/core/check/types.ts';
import { readDeployment } from '../../lambdas/formats/cdk-out.ts';

const root = mkdtempSync(join(tmpdir(), 'sagemaker-app-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function synth(revision: Revision): string {
  const outdir = join(root, revision);
  sageMakerApp({ outdir, revision }).synth();
  return outdir;
}

const byName = (d: PlannedDeployment) =>
  Object.fromEntries(d.endpoints.map((e) => [e.name ?? `${e.source.stack}/${e.source.logicalId}`, e]));

describe('the example SageMaker app, synthesized offline', () => {
  let base: string;
  let head: string;
  beforeAll(() => {
    base = synth('base');
    head = synth('head');
  });

  it('yields every endpoint of its stacks, stage and nested stack, with regions from their environments', async () => {
    const d = await readDeployment(base);
    expect(d.unresolved).toEqual([]);
    expect(d.templates).toEqual([
      'assembly-Staging/StagingChat1699E257.template.json',
      'Chat.template.json',
      'ChatBatch054BEC1F.nested.template.json',
      'Embed.template.json',
    ]);
    const endpoints = byName(d);
    expect(Object.keys(endpoints).sort()).toEqual([
      'chat-prod',
      'chat-staging',
      'embed-prod/Embed',
      'llm-prod',
      'transcribe-prod',
    ]);
    expect(endpoints['chat-prod']).toMatchObject({
      source: { stack: 'chat-prod', file: 'Chat.template.json', logicalId: 'Chat' },
      region: 'us-east-1',
      tags: { team: 'chat', env: 'prod', app: 'sagemaker-example' },
      asynchronous: false,
      variants: [
        {
          kind: 'instances',
          instanceType: 'ml.g5.xlarge',
          initial: 1,
          min: 1,
          max: 4,
          scaling: 'autoscaling',
          scalingPolicies: 1,
        },
      ],
      unresolved: [],
    });
    expect(endpoints['transcribe-prod']).toMatchObject({
      source: { file: 'ChatBatch054BEC1F.nested.template.json' },
      region: 'us-east-1',
      tags: { team: 'speech', env: 'prod' },
      asynchronous: true,
      variants: [
        { instanceType: 'ml.g5.xlarge', min: 0, max: 2, scaling: 'autoscaling', scalingPolicies: 1 },
      ],
    });
    expect(endpoints['llm-prod']?.variants).toEqual([
      {
        kind: 'instances',
        name: 'AllTraffic',
        instanceType: 'ml.g5.12xlarge',
        initial: 1,
        min: 1,
        max: 2,
        scaling: 'managed-instance-scaling',
        components: [
          {
            logicalId: 'Qwen',
            name: 'qwen-prod',
            copies: { initial: 1, min: 1, max: 4 },
            scalingPolicies: 1,
          },
        ],
      },
    ]);
    expect(endpoints['chat-staging']).toMatchObject({
      region: 'eu-west-1',
      tags: { env: 'staging', app: 'sagemaker-example' },
      variants: [{ instanceType: 'ml.m5.xlarge', min: 1, max: 2 }],
    });
    const embed = endpoints['embed-prod/Embed'];
    expect(embed?.region).toBeUndefined();
    expect(embed).toMatchObject({
      tags: { team: 'search' },
      variants: [{ kind: 'serverless', memoryMb: 2048, maxConcurrency: 10 }],
    });
  });

  it('gives the environment-agnostic stack the region of the command line, and only that one', async () => {
    const d = byName(await readDeployment(base, { region: 'us-west-2' }));
    expect(d['embed-prod/Embed']?.region).toBe('us-west-2');
    expect(d['chat-prod']?.region).toBe('us-east-1');
    expect(d['chat-staging']?.region).toBe('eu-west-1');
  });

  it('head changes only the chat endpoint: a bigger instance and a higher maximum', async () => {
    const [b, h] = [byName(await readDeployment(base)), byName(await readDeployment(head))];
    expect(h['chat-prod']?.variants).toEqual([
      { ...b['chat-prod']?.variants[0], instanceType: 'ml.g5.2xlarge', max: 8 },
    ]);
    const { 'chat-prod': _b, ...restBase } = b;
    const { 'chat-prod': _h, ...restHead } = h;
    expect(restHead).toEqual(restBase);
  });
});
