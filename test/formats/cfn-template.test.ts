import { describe, expect, it } from 'vitest';
import { InputError } from '../../lambdas/core/errors.ts';
import { isUnresolved, parseTemplate, resolveValue } from '../../lambdas/formats/cfn-template.ts';

const YAML = `
AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Env: { Type: String, Default: prod }
  InstanceType: { Type: String }
Resources:
  Config:
    Type: AWS::SageMaker::EndpointConfig
    Properties:
      EndpointConfigName: !Sub 'chat-\${Env}-config'
      ProductionVariants:
        - VariantName: AllTraffic
          InstanceType: !Ref InstanceType
          InitialInstanceCount: 2
  Endpoint:
    Type: AWS::SageMaker::Endpoint
    Properties:
      EndpointName: !Join ['-', [chat, !Ref Env]]
      EndpointConfigName: !GetAtt Config.EndpointConfigName
      Tags:
        - { Key: team, Value: !Select [0, [chat, other]] }
  Target:
    Type: AWS::ApplicationAutoScaling::ScalableTarget
    Properties:
      ResourceId: !Sub
        - endpoint/\${Name}/variant/AllTraffic
        - { Name: !Ref Endpoint }
      MinCapacity: 1
      MaxCapacity: 4
`;

describe('CloudFormation templates', () => {
  it('reads YAML short-form intrinsics as their long form, as a JSON template has them', () => {
    const t = parseTemplate(YAML, 'app.yaml');
    expect(t.Resources.Endpoint?.Properties).toEqual({
      EndpointName: { 'Fn::Join': ['-', ['chat', { Ref: 'Env' }]] },
      EndpointConfigName: { 'Fn::GetAtt': ['Config', 'EndpointConfigName'] },
      Tags: [{ Key: 'team', Value: { 'Fn::Select': [0, ['chat', 'other']] } }],
    });
    const json = parseTemplate(JSON.stringify(t), 'app.json');
    expect(json).toEqual(t);
  });

  it('resolves parameters with defaults, Sub, Join, Select and the resources it is told about', () => {
    const t = parseTemplate(YAML, 'app.yaml');
    const ctx = {
      template: t,
      refOf: (id: string) => (id === 'Endpoint' ? 'chat-prod' : undefined),
      attOf: (id: string, att: string) =>
        id === 'Config' && att === 'EndpointConfigName' ? 'chat-prod-config' : undefined,
    };
    const endpoint = resolveValue(t.Resources.Endpoint?.Properties, ctx, 'Resources.Endpoint.Properties');
    expect(endpoint).toEqual({
      EndpointName: 'chat-prod',
      EndpointConfigName: 'chat-prod-config',
      Tags: [{ Key: 'team', Value: 'chat' }],
    });
    const target = resolveValue(t.Resources.Target?.Properties, ctx, 'Resources.Target.Properties');
    expect(target).toMatchObject({ ResourceId: 'endpoint/chat-prod/variant/AllTraffic', MinCapacity: 1 });
    const config = resolveValue(t.Resources.Config?.Properties, ctx, 'Resources.Config.Properties') as {
      EndpointConfigName: string;
      ProductionVariants: { InstanceType: unknown }[];
    };
    expect(config.EndpointConfigName).toBe('chat-prod-config');
  });

  it('names what it cannot resolve, with its path, instead of guessing', () => {
    const t = parseTemplate(YAML, 'app.yaml');
    const config = resolveValue(
      t.Resources.Config?.Properties,
      { template: t },
      'Resources.Config.Properties',
    ) as {
      ProductionVariants: { InstanceType: unknown }[];
    };
    const type = config.ProductionVariants[0]?.InstanceType;
    expect(isUnresolved(type)).toBe(true);
    expect(type).toEqual({
      unresolved:
        'Resources.Config.Properties.ProductionVariants[0].InstanceType: Ref InstanceType: a parameter without a default (give its value)',
    });
    const given = resolveValue(
      t.Resources.Config?.Properties,
      { template: t, values: { InstanceType: 'ml.g5.xlarge' } },
      'p',
    ) as { ProductionVariants: { InstanceType: unknown }[] };
    expect(given.ProductionVariants[0]?.InstanceType).toBe('ml.g5.xlarge');
    const name = resolveValue({ Ref: 'Endpoint' }, { template: t }, 'x');
    expect(name).toEqual({ unresolved: 'x: Ref Endpoint: the name of a resource CloudFormation names' });
    expect(resolveValue({ 'Fn::ImportValue': 'shared-type' }, { template: t }, 'y')).toEqual({
      unresolved: 'y.Fn::ImportValue: not resolved before deploy',
    });
  });

  it('leaves an SSM-typed parameter and an unknown pseudo parameter unresolved, and takes a pseudo parameter given', () => {
    const t = parseTemplate(
      'Parameters:\n  Type: { Type: "AWS::SSM::Parameter::Value<String>", Default: /ml/instance-type }\nResources: {}\n',
      'ssm.yaml',
    );
    expect(resolveValue({ Ref: 'Type' }, { template: t }, 'p')).toEqual({
      unresolved: 'p: Ref Type: a parameter read from SSM Parameter Store at deploy',
    });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
    expect(resolveValue({ 'Fn::Sub': '${AWS::StackName}-x' }, { template: t }, 'n')).toEqual({
      unresolved: 'n.Fn::Sub: Ref AWS::StackName: a pseudo parameter known only at deploy (give its value)',
    });
    const given = { template: t, values: { 'AWS::StackName': 'app' } };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub string
    expect(resolveValue({ 'Fn::Sub': '${AWS::StackName}-x' }, given, 'n')).toBe('app-x');
  });

  it('refuses what is not a template in one line naming the file', () => {
    const cases: [string, RegExp][] = [
      ['{ "Resources": ', /^bad\.json: not a CloudFormation template: /],
      ['- a\n- b\n', /^bad\.yaml: not a CloudFormation template: expected a mapping/],
      ['Resources:\n  A: { Type: X }\n  A: { Type: Y }\n', /^bad\.yaml:3: not a CloudFormation template: /],
      ['Parameters: {}\n', /expected a Resources mapping/],
      ['Resources:\n  A: { Properties: {} }\n', /Resources\.A: expected a resource with a Type/],
    ];
    for (const [text, message] of cases) {
      const where = text.startsWith('{') ? 'bad.json' : 'bad.yaml';
      expect(() => parseTemplate(text, where)).toThrow(InputError);
      expect(() => parseTemplate(text, where)).toThrow(message);
    }
  });
});
