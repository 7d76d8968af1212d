import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/core/errors.ts';
import { readDeployment } from '../../lambdas/formats/cdk-out.ts';
import { ROOT } from '../helpers/cli.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function assembly(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cdk-out-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const stack = (templateFile: string, environment: string, stackName?: string) => ({
  type: 'aws:cloudformation:stack',
  environment,
  properties: { templateFile, ...(stackName ? { stackName } : {}) },
  displayName: stackName ?? templateFile,
});

/** A template with one endpoint of `instanceType` named `name` (an intrinsic or a literal). */
const endpointTemplate = (
  name: unknown,
  instanceType: unknown,
  extra: Record<string, unknown> = {},
  parameters: Record<string, unknown> = {},
) => ({
  Parameters: {
    BootstrapVersion: {
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: '/cdk-bootstrap/hnb659fds/version',
    },
    ...parameters,
  },
  Resources: {
    Config: {
      Type: 'AWS::SageMaker::EndpointConfig',
      Properties: {
        ProductionVariants: [{ VariantName: 'A', InstanceType: instanceType, InitialInstanceCount: 1 }],
      },
    },
    Endpoint: {
      Type: 'AWS::SageMaker::Endpoint',
      Properties: {
        EndpointName: name,
        EndpointConfigName: { 'Fn::GetAtt': ['Config', 'EndpointConfigName'] },
      },
    },
    ...extra,
  },
});

describe('reading a cloud assembly', () => {
  it('reads every stack, stage and nested stack, each with the region its environment or the command line gives', async () => {
    const dir = assembly({
      'manifest.json': {
        version: '48.0.0',
        artifacts: {
          Chat: stack('Chat.template.json', 'aws://123456789012/us-east-1', 'chat-prod'),
          Embed: stack('Embed.template.json', 'aws://unknown-account/unknown-region'),
          'assembly-Staging': {
            type: 'cdk:cloud-assembly',
            properties: { directoryName: 'assembly-Staging' },
          },
          Tree: { type: 'cdk:tree', properties: { file: 'tree.json' } },
        },
      },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
      'Chat.template.json': endpointTemplate({ 'Fn::Sub': '${AWS::StackName}-chat' }, 'ml.g5.xlarge', {
        Batch: {
          Type: 'AWS::CloudFormation::Stack',
          Properties: {
            TemplateURL: 'https://s3.example/nested.json',
            Parameters: { ChatName: { 'Fn::GetAtt': ['Endpoint', 'EndpointName'] }, Size: 'ml.g4dn.xlarge' },
          },
          Metadata: { 'aws:asset:path': 'ChatBatch.nested.template.json' },
        },
      }),
      'ChatBatch.nested.template.json': endpointTemplate(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
        { 'Fn::Sub': '${ChatName}-batch' },
        { Ref: 'Size' },
        {},
        { ChatName: { Type: 'String' }, Size: { Type: 'String' } },
      ),
      'Embed.template.json': endpointTemplate('embed', 'ml.m5.large'),
      'assembly-Staging/manifest.json': {
        artifacts: {
          StagingChat: stack('StagingChat.template.json', 'aws://unknown-account/eu-west-1', 'Staging-Chat'),
        },
      },
      'assembly-Staging/StagingChat.template.json': endpointTemplate('chat-staging', 'ml.g5.xlarge'),
    });
    const d = await readDeployment(dir, { region: 'us-west-2' });
    expect(d.templates).toEqual([
      'Chat.template.json',
      'ChatBatch.nested.template.json',
      'Embed.template.json',
      'assembly-Staging/StagingChat.template.json',
    ]);
    expect(
      d.endpoints.map((e) => [e.source.stack, e.source.file, e.name, e.region, e.account, e.variants[0]]),
    ).toEqual([
      [
        'chat-prod',
        'Chat.template.json',
        'chat-prod-chat',
        'us-east-1',
        '123456789012',
        expect.objectContaining({ instanceType: 'ml.g5.xlarge' }),
      ],
      [
        'chat-prod/Batch',
        'ChatBatch.nested.template.json',
        'chat-prod-chat-batch',
        'us-east-1',
        '123456789012',
        expect.objectContaining({ instanceType: 'ml.g4dn.xlarge' }),
      ],
      [
        'Embed',
        'Embed.template.json',
        'embed',
        'us-west-2',
        undefined,
        expect.objectContaining({ instanceType: 'ml.m5.large' }),
      ],
      [
        'Staging-Chat',
        'assembly-Staging/StagingChat.template.json',
        'chat-staging',
        'eu-west-1',
        undefined,
        expect.objectContaining({ instanceType: 'ml.g5.xlarge' }),
      ],
    ]);
    expect(d.unresolved).toEqual([]);
  });

  it("carries a parent's unresolvable value into the nested stack that uses it, with the parent's path", async () => {
    const dir = assembly({
      'manifest.json': {
        artifacts: { App: stack('App.template.json', 'aws://unknown-account/unknown-region') },
      },
      'App.template.json': endpointTemplate(undefined, 'ml.m5.large', {
        Nested: {
          Type: 'AWS::CloudFormation::Stack',
          Properties: { Parameters: { Name: { 'Fn::GetAtt': ['Endpoint', 'EndpointName'] } } },
          Metadata: { 'aws:asset:path': 'Nested.json' },
        },
        Outside: {
          Type: 'AWS::CloudFormation::Stack',
          Properties: { TemplateURL: 'https://s3.example/t.json' },
        },
      }),
      'Nested.json': endpointTemplate(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
        { 'Fn::Sub': '${Name}-2' },
        'ml.m5.large',
        {},
        { Name: { Type: 'String' } },
      ),
    });
    const d = await readDeployment(dir);
    expect(d.endpoints.map((e) => [e.name, e.region])).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ]);
    expect(d.endpoints[1]?.unresolved).toEqual([
      {
        path: 'App/Nested.Properties.Parameters.Name.Fn::GetAtt',
        why: 'Endpoint.EndpointName is known only once deployed',
      },
    ]);
    expect(d.unresolved).toEqual([
      {
        path: 'App/Outside.Properties.TemplateURL',
        why: 'a nested stack whose template is not in the assembly is not read',
      },
    ]);
  });

  it('reads one template file, YAML or JSON, with the region and parameters given', async () => {
    const d = await readDeployment(join(ROOT, 'test/fixtures/templates/chat-params.yaml'), {
      region: 'eu-west-1',
      parameters: { Env: 'dev' },
    });
    expect(d.templates).toEqual(['chat-params.yaml']);
    expect(d.endpoints.map((e) => [e.source.stack, e.name, e.region])).toEqual([
      ['chat-params', 'chat-dev', 'eu-west-1'],
    ]);
    const dir = assembly({ 'one.template.json': endpointTemplate('one', 'ml.m5.large') });
    const json = await readDeployment(join(dir, 'one.template.json'));
    expect(json.endpoints.map((e) => [e.source.stack, e.name, e.region])).toEqual([
      ['one', 'one', undefined],
    ]);
  });

  it('refuses in one line naming the file: no such path, a directory without a manifest, a missing template, a bad manifest', async () => {
    const empty = assembly({ 'x.txt': 'x' });
    const missing = assembly({
      'manifest.json': { artifacts: { S: stack('S.template.json', 'aws://1/us-east-1') } },
    });
    const notJson = assembly({ 'manifest.json': '{ "artifacts": ' });
    const badShape = assembly({
      'manifest.json': { artifacts: { S: { type: 'aws:cloudformation:stack', properties: {} } } },
    });
    const badStage = assembly({
      'manifest.json': {
        artifacts: { St: { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-St' } } },
      },
    });
    const cases: [string, string][] = [
      [join(empty, 'nope'), `${join(empty, 'nope')}: no such template file or cdk.out directory`],
      [
        empty,
        `${join(empty, 'manifest.json')}: manifest.json (a directory must be a synthesized cloud assembly) is missing`,
      ],
      [missing, `${join(missing, 'S.template.json')}: the stack template is missing`],
      [notJson, `${join(notJson, 'manifest.json')}: not a cloud assembly manifest: `],
      [
        badShape,
        `${join(badShape, 'manifest.json')}: not a cloud assembly manifest: artifacts.S.properties.templateFile: `,
      ],
      [badStage, `${join(badStage, 'assembly-St/manifest.json')}: manifest.json`],
    ];
    for (const [path, message] of cases) {
      const err = await readDeployment(path).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(InputError);
      expect((err as Error).message, path).toContain(message);
      expect((err as Error).message).not.toContain('\n');
    }
  });

  it('reads only regular files of a size CloudFormation could deploy: a FIFO or a 2 MB template is refused unread', async () => {
    const dir = assembly({
      'manifest.json': { artifacts: { S: stack('S.template.json', 'aws://1/us-east-1') } },
      'big.template.json': `{"Resources": {}, "Description": "${'x'.repeat(2 * 1024 * 1024)}"}`,
    });
    // a FIFO nobody writes to: reading it would block forever
    execFileSync('mkfifo', [join(dir, 'S.template.json')]);
    const fifo = await readDeployment(dir).catch((e: unknown) => e);
    expect((fifo as Error).message).toBe(
      `${join(dir, 'S.template.json')}: the stack template: expected a regular file`,
    );
    const big = await readDeployment(join(dir, 'big.template.json')).catch((e: unknown) => e);
    expect(big).toBeInstanceOf(InputError);
    expect((big as Error).message).toContain('is more than the 1 MiB a CloudFormation template');
  });
});
