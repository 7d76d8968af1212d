import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { AthenaConfig } from '../lambdas/core/budget.ts';
import { FOCUS_TABLE_COLUMNS } from './athena-columns.ts';
import type { HouseFunction } from './house-function.ts';
import { acknowledgeWildcards, arnRef } from './iam-statements.ts';

/** An S3 location as a bucket and a key prefix ('' or ending in '/'). */
export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
}

export interface AthenaProps {
  readonly config: AthenaConfig;
  /** Receives the results bucket's access logs, as it does the data bucket's. */
  readonly accessLogsBucket: s3.IBucket;
  /** The S3 location an existing table reads (`PerfBudgetsProps.athenaTableLocation`); absent with `create`. */
  readonly tableLocation?: string;
  /** The construct id, for the messages. */
  readonly id: string;
}

/** What collect may touch to run its query: the workgroup, the table's data, the results location. */
export interface AthenaAccess {
  readonly config: AthenaConfig;
  /** Where the table's Parquet files are: the export's `data/` folder. */
  readonly data: S3Location;
  /** Where Athena writes the query's results. */
  readonly results: S3Location;
  /** The results bucket the stack created, when it did. */
  readonly resultsBucket?: s3.Bucket;
  readonly workgroup?: athena.CfnWorkGroup;
  readonly table?: glue.CfnTable;
}

/** Days Athena's result files are kept: the collect step reads them once, right after the query. */
export const RESULTS_EXPIRY_DAYS = 7;

/** The first month partition projection offers; Data Exports backfills at most 36 months. */
export const PROJECTION_START = '2020-01';

/** Splits an `s3://bucket/key/prefix/` URI; the prefix ends in '/' unless empty. */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) throw new Error(`${JSON.stringify(uri)} is not an S3 URI; use e.g. s3://my-bucket/athena-results/`);
  return { bucket: m[1] as string, prefix: folder(m[2] as string) };
}

/** A key prefix as a folder: no leading '/', one trailing '/' unless empty. */
export function folder(prefix: string): string {
  const trimmed = prefix.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `${trimmed}/`;
}

const uri = (l: S3Location) => `s3://${l.bucket}/${l.prefix}`;

/**
 * The Athena side of `costSource: athena`. With `create`: the Glue database, the table over the export's `data/`
 * folder (FOCUS 1.0 Parquet, partition projection on BILLING_PERIOD), and the workgroup with its bytes-scanned cutoff
 * and its results location (a bucket of this stack unless `outputLocation` names one). Without: nothing is created,
 * and the existing table's location comes from `tableLocation`. Throws, with the fix, where the grants would be
 * unknown.
 */
export function addAthena(scope: Construct, props: AthenaProps): AthenaAccess {
  const { config, id } = props;
  const fail = (message: string): never => {
    throw new Error(`PerfBudgets ${id}: ${message}`);
  };
  const output = config.outputLocation === undefined ? undefined : parseS3Uri(config.outputLocation);
  if (!config.create) {
    if (props.tableLocation === undefined) {
      fail(
        `costSource athena over the existing table ${config.database}.${config.table} needs the S3 location it reads, to grant collect read access there: set the athenaTableLocation prop (or -c athenaTableLocation=s3://bucket/prefix/data/), or give athena.create to let the stack create the table`,
      );
    }
    if (!output) {
      fail(
        `costSource athena in the existing workgroup ${config.workgroup} needs athena.outputLocation (the workgroup's query result location), to grant collect access there; or give athena.create to let the stack create the workgroup and its results bucket`,
      );
    }
    return { config, data: parseS3Uri(props.tableLocation as string), results: output as S3Location };
  }
  if (props.tableLocation !== undefined) {
    fail(
      `athenaTableLocation ${JSON.stringify(props.tableLocation)} is for an existing table; with athena.create the table reads s3://${config.create.bucket}/${folder(config.create.prefix)}data/: remove one of the two`,
    );
  }
  if (config.workgroup === 'primary') {
    fail(
      `athena.create makes the workgroup, and "primary" exists in every account: name one in athena.workgroup, e.g. perf-budgets`,
    );
  }

  const data = { bucket: config.create.bucket, prefix: `${folder(config.create.prefix)}data/` };
  const database = new glue.CfnDatabase(scope, 'AthenaDatabase', {
    catalogId: Aws.ACCOUNT_ID,
    databaseInput: {
      name: config.database,
      description: 'perf-budgets: the AWS Data Exports (FOCUS 1.0) table the cycle queries',
    },
  });
  const table = new glue.CfnTable(scope, 'AthenaTable', {
    catalogId: Aws.ACCOUNT_ID,
    databaseName: config.database,
    tableInput: focusTableInput(config.table, data),
  });
  table.node.addDependency(database);

  let resultsBucket: s3.Bucket | undefined;
  let results = output;
  if (!results) {
    resultsBucket = new s3.Bucket(scope, 'AthenaResults', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: 'athena-results/',
      lifecycleRules: [
        {
          id: 'expire-query-results',
          expiration: Duration.days(RESULTS_EXPIRY_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    results = { bucket: resultsBucket.bucketName, prefix: '' };
  }

  const workgroup = new athena.CfnWorkGroup(scope, 'AthenaWorkGroup', {
    name: config.workgroup,
    description: 'perf-budgets: the cost query of each governance cycle',
    state: 'ENABLED',
    workGroupConfiguration: {
      // the workgroup's settings win over the client's: the cutoff and the results location hold for every query
      enforceWorkGroupConfiguration: true,
      publishCloudWatchMetricsEnabled: true,
      ...(config.bytesScannedLimit === undefined
        ? {}
        : { bytesScannedCutoffPerQuery: config.bytesScannedLimit }),
      engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
      resultConfiguration: {
        outputLocation: uri(results),
        encryptionConfiguration: { encryptionOption: 'SSE_S3' },
      },
    },
  });
  return { config, data, results, resultsBucket, workgroup, table };
}

/** The Glue table over a FOCUS 1.0 Data Export: Parquet, one partition a month, projected rather than crawled. */
function focusTableInput(name: string, data: S3Location): glue.CfnTable.TableInputProperty {
  return {
    name,
    description: 'perf-budgets: AWS Data Exports FOCUS 1.0, partition projection on billing_period',
    tableType: 'EXTERNAL_TABLE',
    parameters: {
      EXTERNAL: 'TRUE',
      classification: 'parquet',
      'projection.enabled': 'true',
      'projection.billing_period.type': 'date',
      'projection.billing_period.format': 'yyyy-MM',
      'projection.billing_period.range': `${PROJECTION_START},NOW`,
      'projection.billing_period.interval': '1',
      'projection.billing_period.interval.unit': 'MONTHS',
      // Data Exports names its partition folders BILLING_PERIOD=YYYY-MM
      'storage.location.template': `${uri(data)}BILLING_PERIOD=\${billing_period}`,
    },
    partitionKeys: [{ name: 'billing_period', type: 'string' }],
    storageDescriptor: {
      location: uri(data),
      inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
      columns: FOCUS_TABLE_COLUMNS.map(([n, type]) => ({ name: n.toLowerCase(), type })),
    },
  };
}

const s3Bucket = (bucket: string) => `arn:${Aws.PARTITION}:s3:::${bucket}`;
const glueArn = (resource: string) => `arn:${Aws.PARTITION}:glue:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;

/**
 * Least privilege for one query a cycle: the Athena calls on the one workgroup, the Glue reads of the one database
 * and table (and the catalog that holds them), reads of the table's data folder, and the results location.
 */
export function athenaStatements(access: AthenaAccess): iam.PolicyStatement[] {
  const { config, data, results, resultsBucket } = access;
  const resultsBucketArn = resultsBucket ? resultsBucket.bucketArn : s3Bucket(results.bucket);
  return [
    new iam.PolicyStatement({
      sid: 'AthenaQuery',
      actions: ['StartQueryExecution', 'GetQueryExecution', 'GetQueryResults', 'StopQueryExecution'].map(
        (a) => `athena:${a}`,
      ),
      resources: [
        `arn:${Aws.PARTITION}:athena:${Aws.REGION}:${Aws.ACCOUNT_ID}:workgroup/${config.workgroup}`,
      ],
    }),
    new iam.PolicyStatement({
      sid: 'AthenaCatalog',
      actions: ['GetDatabase', 'GetTable', 'GetPartition', 'GetPartitions', 'BatchGetPartition'].map(
        (a) => `glue:${a}`,
      ),
      resources: [
        glueArn('catalog'),
        glueArn(`database/${config.database}`),
        glueArn(`table/${config.database}/${config.table}`),
      ],
    }),
    // GetBucketLocation carries no s3:prefix: under the listing's condition it would always be refused
    new iam.PolicyStatement({
      sid: 'AthenaDataBucket',
      actions: ['s3:GetBucketLocation'],
      resources: [s3Bucket(data.bucket)],
    }),
    new iam.PolicyStatement({
      sid: 'AthenaDataList',
      actions: ['s3:ListBucket'],
      resources: [s3Bucket(data.bucket)],
      conditions: { StringLike: { 's3:prefix': [`${data.prefix}*`] } },
    }),
    new iam.PolicyStatement({
      sid: 'AthenaDataRead',
      actions: ['s3:GetObject'],
      resources: [`${s3Bucket(data.bucket)}/${data.prefix}*`],
    }),
    // Athena checks the results bucket (location, listing) before it writes there as the caller
    new iam.PolicyStatement({
      sid: 'AthenaResultsBucket',
      actions: ['s3:GetBucketLocation', 's3:ListBucket'],
      resources: [resultsBucketArn],
    }),
    new iam.PolicyStatement({
      sid: 'AthenaResults',
      actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
      resources: [`${resultsBucketArn}/${results.prefix}*`],
    }),
  ];
}

/**
 * Attaches `athenaStatements` to collect's role as the policy `AthenaQuery`, acknowledging exactly the two object
 * wildcards: the export's data folder and the results location, both written by AWS under names made at run time.
 */
export function attachAthenaPolicy(collect: HouseFunction, access: AthenaAccess): iam.Policy {
  const policy = new iam.Policy(collect, 'AthenaQuery', { statements: athenaStatements(access) });
  policy.attachToRole(collect.role);
  const { data, results, resultsBucket } = access;
  acknowledgeWildcards(
    policy,
    [`arn:<AWS::Partition>:s3:::${data.bucket}/${data.prefix}*`],
    'AWS Data Exports writes new Parquet files into the export data folder several times a day, under names made at each delivery; reads are limited to that folder.',
  );
  acknowledgeWildcards(
    policy,
    [
      resultsBucket
        ? `${arnRef(resultsBucket)}/*`
        : `arn:<AWS::Partition>:s3:::${results.bucket}/${results.prefix}*`,
    ],
    'Athena names each result file after its query execution id; access is limited to the workgroup results location.',
  );
  return policy;
}
