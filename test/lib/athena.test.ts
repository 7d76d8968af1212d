import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { folder, parseS3Uri } from '../../lib/athena.ts';
import { FOCUS_TABLE_COLUMNS } from '../../lib/athena-columns.ts';
import {
  actionsOf,
  ATHENA_CREATE as CREATE,
  ATHENA_EXISTING as EXISTING,
  editedBudgets,
  flatten,
  identityStatements,
  type Statement,
  synthStack,
  withAthena,
} from './helpers.ts';
import { ACCOUNT, deployedArns, evaluate, policiesOf, REGION } from './iam-simulation.ts';

/** The statements of collect's AthenaQuery policy, by Sid, with tokens flattened. */
function athenaPolicy(
  template: Template,
): Record<string, { actions: string[]; resources: string[]; condition?: unknown }> {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { PolicyName: Match.stringLikeRegexp('CollectAthenaQuery') },
  });
  const [policy] = Object.values(policies);
  const out: Record<string, { actions: string[]; resources: string[]; condition?: unknown }> = {};
  for (const s of (policy?.Properties.PolicyDocument.Statement ?? []) as (Statement & { Sid: string })[]) {
    const resources = (Array.isArray(s.Resource) ? s.Resource : [s.Resource]).map(render);
    out[s.Sid] = { actions: actionsOf(s), resources, ...(s.Condition ? { condition: s.Condition } : {}) };
  }
  return out;
}

/** A CloudFormation value as text: pseudo parameters as {AWS::...}, a GetAtt as {LogicalId.Attr}. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const o = value as Record<string, unknown>;
  if ('Ref' in o) return `{${o.Ref}}`;
  if ('Fn::GetAtt' in o) {
    const [id, attr] = o['Fn::GetAtt'] as [string, string];
    return `{${id.replace(/[0-9A-F]{8}$/, '')}.${attr}}`;
  }
  if ('Fn::Join' in o) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(sep);
  }
  return flatten(value);
}

describe('PerfBudgets with costSource athena and athena.create', () => {
  const { template } = synthStack({ budgetsFile: withAthena(CREATE) });

  it('creates the Glue database and the table over the export data folder, projected by billing period', () => {
    template.hasResourceProperties('AWS::Glue::Database', {
      CatalogId: { Ref: 'AWS::AccountId' },
      DatabaseInput: Match.objectLike({ Name: 'billing' }),
    });
    const [table] = Object.values(template.findResources('AWS::Glue::Table'));
    const input = table?.Properties.TableInput;
    expect(table?.Properties.DatabaseName).toBe('billing');
    expect(input.Name).toBe('focus_1_0');
    expect(input.TableType).toBe('EXTERNAL_TABLE');
    expect(input.PartitionKeys).toEqual([{ Name: 'billing_period', Type: 'string' }]);
    expect(input.StorageDescriptor.Location).toBe('s3://my-exports/focus/org-export/data/');
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(
      'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
    );
    expect(input.Parameters).toEqual({
      EXTERNAL: 'TRUE',
      classification: 'parquet',
      'projection.enabled': 'true',
      'projection.billing_period.type': 'date',
      'projection.billing_period.format': 'yyyy-MM',
      'projection.billing_period.range': '2020-01,NOW',
      'projection.billing_period.interval': '1',
      'projection.billing_period.interval.unit': 'MONTHS',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's projection placeholder, not JavaScript's
      'storage.location.template': 's3://my-exports/focus/org-export/data/BILLING_PERIOD=${billing_period}',
    });
    expect(table?.DependsOn).toEqual([expect.stringContaining('AthenaDatabase')]);
  });

  it('declares the table columns lower-cased with the types the query reads them as', () => {
    const [table] = Object.values(template.findResources('AWS::Glue::Table'));
    const declared: { Name: string; Type: string }[] =
      table?.Properties.TableInput.StorageDescriptor.Columns ?? [];
    const columns = Object.fromEntries(declared.map((c) => [c.Name, c.Type]));
    expect(columns).toMatchObject({
      billedcost: 'double',
      effectivecost: 'double',
      chargeperiodstart: 'timestamp',
      chargeperiodend: 'timestamp',
      tags: 'map<string,string>',
      x_usagetype: 'string',
      resourceid: 'string',
    });
    expect(Object.keys(columns).every((n) => n === n.toLowerCase())).toBe(true);
  });

  it('creates the workgroup with the bytes-scanned cutoff, enforced, with metrics, results encrypted in its own bucket', () => {
    const [wg] = Object.values(template.findResources('AWS::Athena::WorkGroup'));
    expect(wg?.Properties.Name).toBe('perf-budgets');
    const config = wg?.Properties.WorkGroupConfiguration;
    expect(config.BytesScannedCutoffPerQuery).toBe(50_000_000);
    expect(config.EnforceWorkGroupConfiguration).toBe(true);
    expect(config.PublishCloudWatchMetricsEnabled).toBe(true);
    expect(config.EngineVersion).toEqual({ SelectedEngineVersion: 'Athena engine version 3' });
    expect(config.ResultConfiguration.EncryptionConfiguration).toEqual({ EncryptionOption: 'SSE_S3' });
    expect(render(config.ResultConfiguration.OutputLocation)).toMatch(
      /^s3:\/\/\{PerfBudgetsAthenaResults\w*\}\/$/,
    );
  });

  it('keeps query results in an encrypted, TLS-only, logged bucket that expires them', () => {
    const buckets = template.findResources('AWS::S3::Bucket');
    const [id, results] = Object.entries(buckets).find(([k]) => k.includes('AthenaResults')) ?? [];
    expect(id).toBeDefined();
    expect(results?.DeletionPolicy).toBe('Retain');
    expect(results?.Properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    expect(results?.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: expect.stringContaining('AccessLogs') },
      LogFilePrefix: 'athena-results/',
    });
    expect(results?.Properties.LifecycleConfiguration.Rules).toEqual([
      expect.objectContaining({ ExpirationInDays: 7, Status: 'Enabled' }),
    ]);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('grants collect the query on the workgroup, the catalog reads, the data folder and the results bucket, exactly', () => {
    const p = athenaPolicy(template);
    const arn = (service: string, resource: string) =>
      `arn:{AWS::Partition}:${service}:{AWS::Region}:{AWS::AccountId}:${resource}`;
    expect(p).toEqual({
      AthenaQuery: {
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
        ],
        resources: [arn('athena', 'workgroup/perf-budgets')],
      },
      AthenaCatalog: {
        actions: [
          'glue:GetDatabase',
          'glue:GetTable',
          'glue:GetPartition',
          'glue:GetPartitions',
          'glue:BatchGetPartition',
        ],
        resources: [
          arn('glue', 'catalog'),
          arn('glue', 'database/billing'),
          arn('glue', 'table/billing/focus_1_0'),
        ],
      },
      AthenaDataBucket: {
        actions: ['s3:GetBucketLocation'],
        resources: ['arn:{AWS::Partition}:s3:::my-exports'],
      },
      AthenaDataList: {
        actions: ['s3:ListBucket'],
        resources: ['arn:{AWS::Partition}:s3:::my-exports'],
        condition: { StringLike: { 's3:prefix': ['focus/org-export/data/*'] } },
      },
      AthenaDataRead: {
        actions: ['s3:GetObject'],
        resources: ['arn:{AWS::Partition}:s3:::my-exports/focus/org-export/data/*'],
      },
      AthenaResultsBucket: {
        actions: ['s3:GetBucketLocation', 's3:ListBucket'],
        resources: ['{PerfBudgetsAthenaResults.Arn}'],
      },
      AthenaResults: {
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
        resources: ['{PerfBudgetsAthenaResults.Arn}/*'],
      },
    });
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { PolicyName: Match.stringLikeRegexp('CollectAthenaQuery') },
      }),
    );
    expect(policy?.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^PerfBudgetsCollectRole/) }]);
  });

  it('lets collect run the query, read the partitions and write results, and nothing beside (IAM simulation)', async () => {
    const role = Object.keys(template.findResources('AWS::IAM::Role')).find((k) =>
      k.startsWith('PerfBudgetsCollectRole'),
    ) as string;
    const policies = policiesOf(template, role);
    const principal = `arn:aws:iam::${ACCOUNT}:role/perf-budgets/collect`;
    const results = Object.entries(deployedArns(template)).find(([k]) => k.includes('AthenaResults'))?.[1]
      .arn;
    const can = (action: string, resource: string, context = {}) =>
      evaluate(policies, principal, [{ action, resource, context }]);
    const athena = (wg: string) => `arn:aws:athena:${REGION}:${ACCOUNT}:workgroup/${wg}`;
    const glue = (r: string) => `arn:aws:glue:${REGION}:${ACCOUNT}:${r}`;
    const part = 'focus/org-export/data/BILLING_PERIOD=2026-09/';
    const allowed = [
      await can('athena:StartQueryExecution', athena('perf-budgets')),
      await can('athena:GetQueryResults', athena('perf-budgets')),
      await can('glue:GetTable', glue('table/billing/focus_1_0')),
      await can('glue:GetDatabase', glue('database/billing')),
      await can('s3:ListBucket', 'arn:aws:s3:::my-exports', { 's3:prefix': part }),
      await can('s3:GetBucketLocation', 'arn:aws:s3:::my-exports'),
      await can('s3:GetObject', `arn:aws:s3:::my-exports/${part}focus-00001.snappy.parquet`),
      await can('s3:PutObject', `${results}/0c5a6e0e-1d0b-4f4e-9a8e-2f7d1b9c0a11.csv`),
      await can('s3:GetObject', `${results}/0c5a6e0e-1d0b-4f4e-9a8e-2f7d1b9c0a11.csv`),
    ];
    expect(allowed.every((d) => d === 'Allowed')).toBe(true);
    const refused = [
      await can('athena:StartQueryExecution', athena('primary')),
      await can('glue:GetTable', glue('table/billing/payroll')),
      await can('glue:GetTable', glue('table/hr/focus_1_0')),
      await can('s3:ListBucket', 'arn:aws:s3:::my-exports', { 's3:prefix': 'focus/other-export/' }),
      await can('s3:GetObject', 'arn:aws:s3:::my-exports/focus/org-export/metadata/manifest.json'),
      await can('s3:PutObject', `arn:aws:s3:::my-exports/${part}x.parquet`),
      await can('s3:DeleteObject', `${results}/0c5a6e0e-1d0b-4f4e-9a8e-2f7d1b9c0a11.csv`),
    ];
    expect(refused.filter((d) => d === 'Allowed')).toEqual([]);
  });

  it('gives no other role any Athena, Glue or export access', () => {
    const touching = identityStatements(template).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('athena:') || a.startsWith('glue:')),
    );
    expect(touching).toHaveLength(2);
    const exportReads = identityStatements(template).filter((s) =>
      [s.Resource].flat().some((r) => flatten(r).includes('my-exports')),
    );
    expect(exportReads.map((s) => s.Sid).sort()).toEqual([
      'AthenaDataBucket',
      'AthenaDataList',
      'AthenaDataRead',
    ]);
  });
});

describe('PerfBudgets with costSource athena over an existing table', () => {
  const location = 's3://org-billing/exports/focus-org/data/';
  const { template } = synthStack({ budgetsFile: withAthena(EXISTING), athenaTableLocation: location });

  it('creates no Glue, Athena or results resources', () => {
    for (const type of ['AWS::Glue::Database', 'AWS::Glue::Table', 'AWS::Athena::WorkGroup']) {
      expect(template.findResources(type)).toEqual({});
    }
    expect(
      Object.keys(template.findResources('AWS::S3::Bucket')).filter((k) => k.includes('Athena')),
    ).toEqual([]);
  });

  it('grants the named workgroup and table, the given table location and the output location only', () => {
    const p = athenaPolicy(template);
    expect(p.AthenaQuery?.resources).toEqual([
      'arn:{AWS::Partition}:athena:{AWS::Region}:{AWS::AccountId}:workgroup/finops',
    ]);
    expect(p.AthenaCatalog?.resources).toEqual([
      'arn:{AWS::Partition}:glue:{AWS::Region}:{AWS::AccountId}:catalog',
      'arn:{AWS::Partition}:glue:{AWS::Region}:{AWS::AccountId}:database/cur',
      'arn:{AWS::Partition}:glue:{AWS::Region}:{AWS::AccountId}:table/cur/focus_export',
    ]);
    expect(p.AthenaDataList?.condition).toEqual({
      StringLike: { 's3:prefix': ['exports/focus-org/data/*'] },
    });
    expect(p.AthenaDataRead?.resources).toEqual([
      'arn:{AWS::Partition}:s3:::org-billing/exports/focus-org/data/*',
    ]);
    expect(p.AthenaResultsBucket?.resources).toEqual(['arn:{AWS::Partition}:s3:::finops-results']);
    expect(p.AthenaResults?.resources).toEqual(['arn:{AWS::Partition}:s3:::finops-results/athena/*']);
  });
});

describe('PerfBudgets with athena.create and an outputLocation', () => {
  const { template } = synthStack({
    budgetsFile: withAthena(
      '{ database: billing, table: focus, workgroup: pb, outputLocation: "s3://shared-results/pb", create: { bucket: my-exports } }',
    ),
  });

  it('points the workgroup at the given location, makes no results bucket, and reads the export root data folder', () => {
    const [wg] = Object.values(template.findResources('AWS::Athena::WorkGroup'));
    expect(wg?.Properties.WorkGroupConfiguration.ResultConfiguration.OutputLocation).toBe(
      's3://shared-results/pb/',
    );
    expect(wg?.Properties.WorkGroupConfiguration.BytesScannedCutoffPerQuery).toBeUndefined();
    expect(
      Object.keys(template.findResources('AWS::S3::Bucket')).filter((k) => k.includes('Athena')),
    ).toEqual([]);
    const p = athenaPolicy(template);
    expect(p.AthenaResults?.resources).toEqual(['arn:{AWS::Partition}:s3:::shared-results/pb/*']);
    expect(p.AthenaDataRead?.resources).toEqual(['arn:{AWS::Partition}:s3:::my-exports/data/*']);
  });
});

describe('PerfBudgets without costSource athena', () => {
  it('creates no Athena resources and grants no Athena or Glue action, even with an athena block', () => {
    const path = editedBudgets((t) =>
      t.replace('costMetric: billed', `costMetric: billed\nathena: ${CREATE}`),
    );
    const { template } = synthStack({ budgetsFile: path });
    expect(template.findResources('AWS::Athena::WorkGroup')).toEqual({});
    expect(template.findResources('AWS::Glue::Table')).toEqual({});
    const athenaActions = identityStatements(template)
      .flatMap(actionsOf)
      .filter((a) => a.startsWith('athena:') || a.startsWith('glue:'));
    expect(athenaActions).toEqual([]);
  });
});

describe('PerfBudgets refuses an athena setup it cannot grant', () => {
  it('an existing table without athenaTableLocation', () => {
    expect(() => synthStack({ budgetsFile: withAthena(EXISTING) })).toThrow(
      /existing table cur\.focus_export needs the S3 location it reads.*athenaTableLocation/,
    );
  });

  it('an existing workgroup without outputLocation', () => {
    expect(() =>
      synthStack({
        budgetsFile: withAthena('{ database: cur, table: focus_export, workgroup: finops }'),
        athenaTableLocation: 's3://org-billing/data/',
      }),
    ).toThrow(/existing workgroup finops needs athena.outputLocation/);
  });

  it('athena.create in the primary workgroup', () => {
    expect(() =>
      synthStack({
        budgetsFile: withAthena('{ database: billing, table: focus, create: { bucket: my-exports } }'),
      }),
    ).toThrow(/"primary" exists in every account: name one in athena.workgroup/);
  });

  it('athenaTableLocation with athena.create', () => {
    expect(() =>
      synthStack({ budgetsFile: withAthena(CREATE), athenaTableLocation: 's3://elsewhere/data/' }),
    ).toThrow(/athenaTableLocation "s3:\/\/elsewhere\/data\/" is for an existing table/);
  });

  it('an athenaTableLocation that is not an S3 location', () => {
    expect(() => synthStack({ athenaTableLocation: 'my-exports/data' })).toThrow(
      /athenaTableLocation "my-exports\/data" is not an S3 location/,
    );
  });
});

describe('S3 locations', () => {
  it('splits a URI into bucket and folder, with one trailing slash', () => {
    expect(parseS3Uri('s3://b/x/y')).toEqual({ bucket: 'b', prefix: 'x/y/' });
    expect(parseS3Uri('s3://b/x/y/')).toEqual({ bucket: 'b', prefix: 'x/y/' });
    expect(parseS3Uri('s3://b')).toEqual({ bucket: 'b', prefix: '' });
    expect(folder('/focus//')).toBe('focus/');
    expect(folder('')).toBe('');
    expect(() => parseS3Uri('b/x')).toThrow(/not an S3 URI/);
  });
});

describe('the FOCUS table columns', () => {
  const declared = new Map(FOCUS_TABLE_COLUMNS.map(([n, t]) => [n, t]));
  const hiveType: Record<string, string> = {
    DOUBLE: 'double',
    VARCHAR: 'string',
    TIMESTAMP: 'timestamp',
    'MAP(VARCHAR, VARCHAR)': 'map<string,string>',
  };

  it('declare every column of the Parquet AWS Data Exports writes, in its type', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const r = await c.runAndReadAll(
      "DESCRIBE SELECT * FROM read_parquet('test/fixtures/aws/focus-export/sagemaker-endpoints.snappy.parquet')",
    );
    const physical = r.getRowObjects().map((o) => [String(o.column_name), hiveType[String(o.column_type)]]);
    expect(physical.length).toBeGreaterThan(15);
    for (const [name, type] of physical) expect([name, declared.get(name as string)]).toEqual([name, type]);
    c.closeSync();
  });

  it('declare every FOCUS 1.0 column of the specification sample and the SageMaker fixtures', () => {
    const header = (path: string) =>
      (readFileSync(path, 'utf8').split('\n')[0] as string).split(',').map((h) => h.replace(/"/g, ''));
    const names = new Set([
      // the sample's "Id" is a row number of the sample, not a FOCUS column
      ...header('test/fixtures/focus/focus_sample.csv').filter((n) => n !== 'Id'),
      ...header('test/fixtures/focus/sagemaker-endpoints.csv'),
      ...header('test/fixtures/focus/sagemaker-commitments.csv'),
    ]);
    expect([...names].filter((n) => !declared.has(n))).toEqual([]);
  });
});
