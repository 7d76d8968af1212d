import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import type { BudgetFile } from '../lambdas/core/budget.ts';
import { BUDGETS_KEY } from '../lambdas/cycle/contract.ts';

/** What the deployment keeps: every resource here is retained when the stack is deleted. */
export interface Storage {
  /** Encrypts the alert topic; CloudWatch alarms of this account may use it to publish. */
  readonly key: kms.Key;
  readonly accessLogsBucket: s3.Bucket;
  /** The budget file, snapshots, findings and reports (S3 key layout in `lambdas/cycle/contract.ts`). */
  readonly dataBucket: s3.Bucket;
  /** The ledger: alerts sent, actions and their lifecycle, cached closed days. */
  readonly table: dynamodb.Table;
}

export interface StorageProps {
  readonly budgetFile: BudgetFile;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Adds the key, the buckets, the budget file's upload and the ledger table to `scope`, with the ids they have
 * always had: their logical ids are the resources' identity, and a new one would replace them (and lose the data).
 */
export function addStorage(scope: Construct, props: StorageProps): Storage {
  // access logs are delivered through a bucket policy, not the legacy LogDeliveryWrite ACL
  scope.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
  const key = new kms.Key(scope, 'Key', {
    description: 'perf-budgets: encrypts the alert topic',
    enableKeyRotation: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  // CloudWatch alarms publish to the encrypted topic with this key
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  );

  const accessLogsBucket = new s3.Bucket(scope, 'AccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
    removalPolicy: RemovalPolicy.RETAIN,
  });
  Validations.of(accessLogsBucket).acknowledge({
    id: 'AwsSolutions-S1',
    reason: 'This bucket receives the data bucket access logs; logging it into itself would loop.',
  });

  const dataBucket = new s3.Bucket(scope, 'Data', {
    // the handlers write with SSE-KMS and no key id, which is the AWS managed key: keep the default the same
    encryption: s3.BucketEncryption.KMS_MANAGED,
    bucketKeyEnabled: true,
    versioned: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: accessLogsBucket,
    serverAccessLogsPrefix: 'data/',
    lifecycleRules: [
      {
        id: 'cheaper-storage',
        transitions: [
          { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
          { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) },
        ],
        noncurrentVersionExpiration: Duration.days(90),
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      },
    ],
    removalPolicy: RemovalPolicy.RETAIN,
  });

  writeBudgetFile(scope, dataBucket, props);

  const table = new dynamodb.Table(scope, 'Ledger', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    deletionProtection: true,
    removalPolicy: RemovalPolicy.RETAIN,
  });

  return { key, accessLogsBucket, dataBucket, table };
}

/**
 * Writes the validated budget file to the bucket as JSON at deploy time (and again whenever it changes), with a
 * role that may put that one object and nothing else. The object is kept when the stack is deleted.
 */
function writeBudgetFile(scope: Construct, dataBucket: s3.Bucket, props: StorageProps): void {
  const logGroup = new logs.LogGroup(scope, 'BudgetFileLogs', {
    retention: props.logRetention,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const role = new iam.Role(scope, 'BudgetFileRole', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: 'perf-budgets: writes the validated budget file to the data bucket at deploy',
  });
  logGroup.grantWrite(role);
  const put: cr.AwsSdkCall = {
    service: 'S3',
    action: 'putObject',
    parameters: {
      Bucket: dataBucket.bucketName,
      Key: BUDGETS_KEY,
      Body: JSON.stringify(props.budgetFile),
      ContentType: 'application/json',
      ServerSideEncryption: 'aws:kms',
      BucketKeyEnabled: true,
    },
    physicalResourceId: cr.PhysicalResourceId.of(BUDGETS_KEY),
  };
  const writer = new cr.AwsCustomResource(scope, 'BudgetFile', {
    onCreate: put,
    onUpdate: put,
    role,
    logGroup,
    installLatestAwsSdk: false,
    policy: cr.AwsCustomResourcePolicy.fromStatements([
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [dataBucket.arnForObjects(BUDGETS_KEY)],
      }),
    ]),
  });
  // CDK's one provider function for AwsCustomResource, shared by the stack: only CloudFormation invokes it,
  // synchronously, at deploy, and a failure shows as a stack event
  const provider = Stack.of(scope).node.findChild(
    `AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
  );
  writer.node.addDependency(dataBucket);
  Validations.of(provider).acknowledge(
    {
      id: 'Serverless-LambdaDLQ',
      reason:
        'The AwsCustomResource provider is invoked synchronously by CloudFormation; a failure fails the deployment.',
    },
    {
      id: 'Serverless-LambdaTracing',
      reason:
        'The AwsCustomResource provider runs once per deployment; its log group holds what tracing would show.',
    },
    {
      id: 'Serverless-LambdaDefaultMemorySize',
      reason:
        'The AwsCustomResource provider (written by CDK) makes one PutObject call; the default memory suffices.',
    },
  );
}
