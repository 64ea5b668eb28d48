import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MART_COLUMNS } from '../cdk/martColumns.ts';
import { PREFIXES, RecoupStack } from '../cdk/recoupStack.ts';
import { glueType, LAKE_SCHEMA, LAKE_TABLES, tableColumns } from '../functions/core/lake/schema.ts';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

let app: App;
let stack: RecoupStack;
let template: Template;
let resources: Resources;
let assemblyDir: string;
let synthError: unknown;

beforeAll(() => {
  // Prepare: one app with both rule packs, synthesized once (bundling runs at construction).
  app = new App();
  stack = new RecoupStack(app, 'Recoup');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
  try {
    assemblyDir = app.synth().directory;
  } catch (error) {
    synthError = error;
  }
  template = Template.fromStack(stack);
  resources = template.toJSON().Resources as Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as never);

describe('security rule packs', () => {
  it('synthesizes with zero unacknowledged AwsSolutions and HIPAA Security findings', () => {
    expect(synthError instanceof Error ? synthError.message : synthError).toBeUndefined();
  });

  it('gives every acknowledgement a reason', () => {
    const acknowledgements: { id: string; reason: string }[] = [];
    const visit = (construct: IConstruct) => {
      for (const entry of construct.node.metadata) {
        if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
          acknowledgements.push({ id, reason });
        }
      }
      for (const child of construct.node.children) visit(child);
    };
    visit(stack);
    expect(acknowledgements.length).toBeGreaterThan(5);
    for (const { id, reason } of acknowledgements) expect(reason.length, id).toBeGreaterThan(30);
  });

  it('fails synthesis on an unacknowledged finding (the gate is live)', () => {
    const probe = new App();
    new Bucket(new Stack(probe, 'Probe'), 'PlainBucket');
    Validations.of(probe).addPlugins(new AwsSolutionsChecks(probe), new HIPAASecurityChecks(probe));
    expect(() => probe.synth()).toThrow(/AwsSolutions-S1'[\s\S]*HIPAA\.Security-S3BucketLoggingEnabled/);
  });
});

describe('buckets', () => {
  it('encrypts landing and lake with the data key, versions them, blocks public access and logs access', () => {
    for (const bucket of [stack.landingBucket, stack.lakeBucket]) {
      const properties = resources[logicalId(bucket)]!.Properties!;
      expect(properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(stack.dataKey), 'Arn'] },
              },
            },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: { DestinationBucketName: { Ref: expect.stringMatching(/^AccessLogBucket/) } },
      });
      const rules = (properties.LifecycleConfiguration as { Rules: { Status: string }[] }).Rules;
      expect(rules.length).toBeGreaterThanOrEqual(2);
    }
  });

  it('denies non-TLS access on every bucket', () => {
    const policies = ofType('AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(3);
    for (const [, policy] of policies) {
      expect(policy.Properties).toMatchObject({
        PolicyDocument: {
          Statement: expect.arrayContaining([
            expect.objectContaining({
              Effect: 'Deny',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('sends ObjectCreated under landing/ to the ingest queue', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId(stack.landingBucket) },
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: PREFIXES.landing }] } },
            QueueArn: { 'Fn::GetAtt': [logicalId(stack.ingestQueue), 'Arn'] },
          },
        ],
      },
    });
  });
});

describe('queues', () => {
  it('redrives to the DLQ after five receives and encrypts both with KMS', () => {
    const ingestQueue = resources[logicalId(stack.ingestQueue)]!.Properties!;
    expect(ingestQueue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(stack.ingestDlq), 'Arn'] },
      maxReceiveCount: 5,
    });
    const messagingKey = { 'Fn::GetAtt': [logicalId(stack.messagingKey), 'Arn'] };
    expect(ingestQueue.KmsMasterKeyId).toEqual(messagingKey);
    expect(resources[logicalId(stack.ingestDlq)]!.Properties!.KmsMasterKeyId).toEqual(messagingKey);
  });

  it('keeps messages invisible longer than the ingest function may run', () => {
    const visibility = resources[logicalId(stack.ingestQueue)]!.Properties!.VisibilityTimeout as number;
    const timeout = resources[logicalId(stack.ingestFunction)]!.Properties!.Timeout as number;
    expect(visibility).toBeGreaterThan(timeout);
  });
});

describe('functions', () => {
  it('runs ingest on nodejs24.x x86_64 with reserved concurrency and the handler environment', () => {
    const properties = resources[logicalId(stack.ingestFunction)]!.Properties!;
    expect(properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['x86_64'],
      Handler: 'index.handler',
      ReservedConcurrentExecutions: 10,
      Environment: {
        Variables: {
          LAKE_BUCKET: { Ref: logicalId(stack.lakeBucket) },
          LANDING_BUCKET: { Ref: logicalId(stack.landingBucket) },
          ALERT_TOPIC_ARN: { Ref: logicalId(stack.alertTopic) },
          QUARANTINE_PREFIX: PREFIXES.quarantine,
        },
      },
    });
  });

  it('feeds ingest from the queue with partial batch failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.ingestQueue), 'Arn'] },
      FunctionName: { Ref: logicalId(stack.ingestFunction) },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('sizes the models function for DuckDB and runs it on a schedule', () => {
    const properties = resources[logicalId(stack.modelsFunction)]!.Properties!;
    expect(properties.Runtime).toBe('nodejs24.x');
    expect(properties.MemorySize).toBeGreaterThanOrEqual(3008);
    expect(properties.EphemeralStorage).toEqual({ Size: 4096 });
    expect(properties.Timeout).toBe(900);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: Match.stringLikeRegexp('^cron\\('),
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalId(stack.modelsFunction), 'Arn'] } })],
    });
  });

  it('ships DuckDB as an installed node module beside the models bundle, and keeps it out of ingest', () => {
    const assetOf = (fn: typeof stack.modelsFunction) => {
      const code = resources[logicalId(fn)]!.Properties!.Code as { S3Key: string };
      return join(assemblyDir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    };
    const models = assetOf(stack.modelsFunction);
    expect(existsSync(join(models, 'index.mjs')), models).toBe(true);
    expect(existsSync(join(models, 'node_modules/@duckdb/node-api/package.json'))).toBe(true);
    expect(existsSync(join(models, 'node_modules/@duckdb/node-bindings-linux-x64/duckdb.node'))).toBe(true);
    // Ingest encodes Parquet in-process: a bundle without the 70 MB native addon starts faster.
    const ingest = assetOf(stack.ingestFunction);
    expect(existsSync(join(ingest, 'index.mjs')), ingest).toBe(true);
    expect(existsSync(join(ingest, 'node_modules'))).toBe(false);
  });

  it('writes logs to KMS-encrypted log groups kept for a year', () => {
    const logGroups = ofType('AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThanOrEqual(2);
    for (const [, logGroup] of logGroups) {
      expect(logGroup.Properties).toMatchObject({
        RetentionInDays: 365,
        KmsKeyId: { 'Fn::GetAtt': [logicalId(stack.dataKey), 'Arn'] },
      });
    }
  });
});

describe('least privilege', () => {
  const statementsOf = (policyPrefix: string) => {
    const [, policy] = ofType('AWS::IAM::ManagedPolicy').find(([id]) => id.startsWith(policyPrefix))!;
    return (policy.Properties!.PolicyDocument as { Statement: { Sid: string; Action: string | string[] }[] })
      .Statement;
  };

  it('grants no wildcard actions to the function roles', () => {
    for (const prefix of ['IngestPolicy', 'ModelsPolicy']) {
      for (const statement of statementsOf(prefix)) {
        for (const action of [statement.Action].flat()) expect(action, statement.Sid).not.toContain('*');
      }
    }
  });

  it('lets ingest read landed files but not overwrite them, and keeps models out of the lake tables', () => {
    const ingest = statementsOf('IngestPolicy');
    expect(ingest.find((s) => s.Sid === 'ReadLandedFiles')!.Action).toBe('s3:GetObject');
    const models = statementsOf('ModelsPolicy');
    const write = models.find((s) => s.Sid === 'WriteMarts') as unknown as { Resource: unknown };
    expect(JSON.stringify(write.Resource)).toContain('/marts/*');
    for (const table of LAKE_TABLES) expect(JSON.stringify(write.Resource)).not.toContain(`/${table}/`);
  });

  it('lets ingest quarantine and models keep alert state in the lake bucket, where the handlers write them', () => {
    const resourceOf = (prefix: string, sid: string) =>
      JSON.stringify(
        (statementsOf(prefix).find((s) => s.Sid === sid) as unknown as { Resource: unknown }).Resource,
      );
    const lakeArn = `"${logicalId(stack.lakeBucket)}","Arn"`;
    expect(resourceOf('IngestPolicy', 'WriteQuarantine')).toContain(lakeArn);
    expect(resourceOf('IngestPolicy', 'WriteQuarantine')).toContain(`/${PREFIXES.quarantine}*`);
    expect(resourceOf('ModelsPolicy', 'KeepAlertState')).toContain(lakeArn);
    expect(resourceOf('ModelsPolicy', 'KeepAlertState')).toContain(`/${PREFIXES.state}*`);
  });

  it('gives the function roles no AWS managed policies', () => {
    for (const [id, role] of ofType('AWS::IAM::Role')) {
      if (id.startsWith('BucketNotificationsHandler')) continue;
      expect(JSON.stringify(role.Properties?.ManagedPolicyArns ?? []), id).not.toContain(':aws:policy/');
    }
  });
});

describe('alerts and alarms', () => {
  it('encrypts the alert topic', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [logicalId(stack.messagingKey), 'Arn'] },
    });
  });

  it('alarms on DLQ depth and function errors, paging through the topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(4);
    for (const [, alarm] of alarms) {
      expect(alarm.Properties!.AlarmActions).toEqual([{ Ref: logicalId(stack.alertTopic) }]);
    }
    const dlqName = new Capture();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: dlqName }],
      Threshold: 1,
    });
    expect(dlqName.asObject()).toEqual({ 'Fn::GetAtt': [logicalId(stack.ingestDlq), 'QueueName'] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack.ingestFunction) } }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack.modelsFunction) } }],
    });
  });
});

describe('Glue catalog', () => {
  it('describes each lake table with the lake schema columns, Hive partitions and projection', () => {
    template.resourceCountIs('AWS::Glue::Database', 1);
    for (const table of LAKE_TABLES) {
      const columns = tableColumns(table)
        .filter((column) => !column.partition)
        .map((column) => ({ Name: column.name, Type: glueType(column.type) }));
      const location = new Capture();
      template.hasResourceProperties('AWS::Glue::Table', {
        DatabaseName: 'recoup',
        TableInput: {
          Name: table,
          PartitionKeys: [
            { Name: 'payer_id', Type: 'string' },
            { Name: 'payment_month', Type: 'string' },
          ],
          Parameters: Match.objectLike({
            'projection.enabled': 'true',
            'projection.payer_id.type': 'injected',
            'projection.payment_month.type': 'date',
            'projection.payment_month.format': 'yyyy-MM',
            'projection.payment_month.range': Match.stringLikeRegexp('^\\d{4}-\\d{2},NOW$'),
            'storage.location.template': Match.anyValue(),
          }),
          StorageDescriptor: {
            Columns: columns,
            Location: location,
            SerdeInfo: {
              SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
            },
            InputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          },
        },
      });
      expect(JSON.stringify(location.asObject())).toContain(`/${table}/`);
    }
    expect(JSON.stringify(LAKE_SCHEMA)).not.toContain('float');
  });

  it('describes every mart as an unpartitioned Parquet table under marts/<name>/', () => {
    const names = Object.keys(MART_COLUMNS);
    expect(names).toEqual(
      expect.arrayContaining([
        'recoupment_rates',
        'payer_scorecard',
        'takeback_trend',
        'takeback_links',
        'liquidity_forecast',
        'takeback_appeals',
        'plb_summary',
        'takeback_alerts',
      ]),
    );
    template.resourceCountIs('AWS::Glue::Table', LAKE_TABLES.length + names.length);
    for (const name of names) {
      const location = new Capture();
      template.hasResourceProperties('AWS::Glue::Table', {
        TableInput: {
          Name: name,
          PartitionKeys: Match.absent(),
          StorageDescriptor: Match.objectLike({
            Location: location,
            Columns: MART_COLUMNS[name]!.map((column) => ({ Name: column.name, Type: column.type })),
          }),
        },
      });
      expect(JSON.stringify(location.asObject())).toContain(`/marts/${name}/`);
    }
  });
});
