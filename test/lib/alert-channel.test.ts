import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, it } from 'vitest';
import { secureTransportDeny, synthStack } from './helpers.ts';

let template: Template;

beforeAll(() => {
  template = synthStack({ alarmEmail: 'finops@example.com' }).template;
});

describe('PerfBudgets alert channel', () => {
  it('encrypts the alert topic with a rotated customer key and refuses plain HTTP', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('Key'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([secureTransportDeny]) },
    });
  });

  it('creates the Slack secret empty: no value, not even a generated one, in the template', () => {
    template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: {
        Description: Match.stringLikeRegexp('webhookUrl'),
        SecretString: Match.absent(),
        GenerateSecretString: Match.absent(),
      },
    });
  });

  it('subscribes the alarm email, with failed deliveries kept in the dead-letter queue', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'finops@example.com',
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue() },
    });
  });

  it('subscribes nobody without an alarm email', () => {
    synthStack().template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('gives notify the topic and the Slack secret', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          TOPIC_ARN: { Ref: Match.stringLikeRegexp('Alerts') },
          SLACK_SECRET_ARN: { Ref: Match.stringLikeRegexp('SlackSecret') },
        }),
      },
    });
  });
});
