import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { lakeViewSql, MANIFESTS_TABLE, prestoType } from '../cdk/athenaViews.ts';
import { npmCpu, PREFIXES, RecoupStack, type RecoupStackProps } from '../cdk/recoupStack.ts';
import { addRulePacks } from '../cdk/rulePacks.ts';
import { loadModels } from '../functions/adapters/localModelFiles.ts';
import { METRICS_NAMESPACE, SERVICES } from '../functions/aws/metricNames.ts';
import { MART_COLUMNS } from '../functions/core/lake/martSchema.ts';
import { glueType, LAKE_SCHEMA, LAKE_TABLES, tableColumns } from '../functions/core/lake/schema.ts';
import { findModel } from '../functions/models/loadModels.ts';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

let app: App;
let stack: RecoupStack;
let template: Template;
let resources: Resources;
let assemblyDir: string;
let synthError: unknown;

/** The feature flags `cdk synth` passes the app (cdk.json's context), so tests see what deploys. */
const CDK_CONTEXT = (JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> })
  .context;

/** A stack synthesized without bundling (fast), for the props that change only the template. */
function templateWith(props: RecoupStackProps): Template {
  const variant = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const variantStack = new RecoupStack(variant, 'Variant', props);
  return Template.fromStack(variantStack);
}

beforeAll(() => {
  // Prepare: one app with the three rule packs, synthesized once (bundling runs at construction).
  app = new App({ context: CDK_CONTEXT });
  stack = new RecoupStack(app, 'Recoup');
  addRulePacks(app);
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
  it('synthesizes with zero unacknowledged AwsSolutions, HIPAA Security and Serverless findings', () => {
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
    addRulePacks(probe);
    expect(() => probe.synth()).toThrow(/AwsSolutions-S1'[\s\S]*HIPAA\.Security-S3BucketLoggingEnabled/);
  });

  it('runs the Serverless pack too (its findings fail synthesis)', () => {
    const probe = new App();
    new Queue(new Stack(probe, 'Probe'), 'PlainQueue');
    addRulePacks(probe);
    expect(() => probe.synth()).toThrow(/Serverless-SQSRedrivePolicy/);
  });

  it('says truthfully why the buckets are not replicated', () => {
    const reasonOf = (construct: IConstruct) => {
      for (const child of construct.node.findAll()) {
        for (const entry of child.node.metadata) {
          if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
          const data = entry.data as Record<string, string>;
          const reason = Object.entries(data).find(([id]) =>
            id.endsWith('HIPAA.Security-S3BucketReplicationEnabled'),
          )?.[1];
          if (reason !== undefined) return reason;
        }
      }
      return undefined;
    };
    const landing = reasonOf(stack.landingBucket)!;
    // The landing files are the system of record: the reason names what protects them, which
    // this test checks exists (versioning, six years of versions, the backup plan).
    expect(landing).toContain('system of record');
    expect(landing).toContain('2192 days');
    expect(landing).toContain('AWS Backup');
    expect(landing).not.toMatch(/rebuilt from/);
    expect(reasonOf(stack.lakeBucket)).toContain('rebuilt by re-ingesting the landed files');
  });

  it('sets the recommended CDK feature flags of this aws-cdk-lib in cdk.json', () => {
    const recommended = JSON.parse(
      readFileSync(join(libDir(), 'recommended-feature-flags.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(CDK_CONTEXT).toMatchObject(recommended);
    expect(Object.keys(recommended).length).toBeGreaterThan(50);
  });
});

/** The installed aws-cdk-lib folder. */
function libDir(): string {
  return join(createRequire(import.meta.url).resolve('aws-cdk-lib'), '..');
}

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

  it('denies non-TLS access and TLS below 1.2 on every bucket', () => {
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
            expect.objectContaining({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            }),
          ]),
        },
      });
    }
  });

  it('keeps the landing files, the system of record: never expired, old versions kept six years', () => {
    const properties = resources[logicalId(stack.landingBucket)]!.Properties!;
    const rules = (properties.LifecycleConfiguration as { Rules: Record<string, unknown>[] }).Rules;
    // No rule expires a current landed file.
    for (const rule of rules) expect(rule.ExpirationInDays, String(rule.Id)).toBeUndefined();
    const landed = rules.find((rule) => rule.Prefix === PREFIXES.landing)!;
    expect(landed.NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 2192 });
    expect(properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    // Object Lock is opt-in (it can only be switched on when the bucket is created).
    expect(properties.ObjectLockEnabled).toBeUndefined();
  });

  it('takes the landing retention and an Object Lock in governance mode from the stack props', () => {
    const variant = templateWith({
      landingRetention: Duration.days(3650),
      landingObjectLock: Duration.days(2192),
    });
    variant.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2192 } },
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ NoncurrentVersionExpiration: { NoncurrentDays: 3650 } })]),
      },
    });
    // Only the landing bucket is locked.
    const locked = Object.values(variant.findResources('AWS::S3::Bucket')).filter(
      (bucket) => (bucket as { Properties: { ObjectLockEnabled?: boolean } }).Properties.ObjectLockEnabled,
    );
    expect(locked).toHaveLength(1);
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

describe('backups', () => {
  it('backs both buckets up with AWS Backup into a vault encrypted with the data key', () => {
    template.resourceCountIs('AWS::Backup::BackupVault', 1);
    expect(resources[logicalId(stack.backupVault)]!.Properties).toMatchObject({
      EncryptionKeyArn: { 'Fn::GetAtt': [logicalId(stack.dataKey), 'Arn'] },
    });
    const rules = (
      resources[logicalId(stack.backupPlan)]!.Properties as {
        BackupPlan: { BackupPlanRule: Record<string, unknown>[] };
      }
    ).BackupPlan.BackupPlanRule;
    expect(rules).toEqual([
      expect.objectContaining({
        RuleName: 'continuous-35-days',
        EnableContinuousBackup: true,
        Lifecycle: { DeleteAfterDays: 35 },
      }),
      expect.objectContaining({ RuleName: 'monthly', Lifecycle: { DeleteAfterDays: 365 } }),
    ]);
    const role = new Capture();
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupPlanId: { 'Fn::GetAtt': [logicalId(stack.backupPlan), 'BackupPlanId'] },
      BackupSelection: {
        IamRoleArn: role,
        Resources: [
          { 'Fn::GetAtt': [logicalId(stack.landingBucket), 'Arn'] },
          { 'Fn::GetAtt': [logicalId(stack.lakeBucket), 'Arn'] },
        ],
      },
    });
    // The role AWS Backup assumes has the S3 backup and restore policies AWS documents.
    const [roleId] = role.asObject()['Fn::GetAtt'] as string[];
    const managed = JSON.stringify(resources[roleId!]!.Properties!.ManagedPolicyArns);
    expect(managed).toContain('AWSBackupServiceRolePolicyForS3Backup');
    expect(managed).toContain('AWSBackupServiceRolePolicyForS3Restore');
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
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: {
          LAKE_BUCKET: { Ref: logicalId(stack.lakeBucket) },
          LANDING_BUCKET: { Ref: logicalId(stack.landingBucket) },
          ALERT_TOPIC_ARN: { Ref: logicalId(stack.alertTopic) },
          QUARANTINE_PREFIX: PREFIXES.quarantine,
          POWERTOOLS_LOG_LEVEL: 'INFO',
        },
      },
    });
    expect(resources[logicalId(stack.modelsFunction)]!.Properties!.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('points alert e-mails at the report location: the marts in the S3 console, or the one given', () => {
    const location = (
      resources[logicalId(stack.modelsFunction)]!.Properties!.Environment as {
        Variables: { REPORT_LOCATION: unknown };
      }
    ).Variables.REPORT_LOCATION;
    expect(JSON.stringify(location)).toContain('.console.aws.amazon.com/s3/buckets/');
    expect(JSON.stringify(location)).toContain(`prefix=${PREFIXES.marts}`);
    const variant = templateWith({ reportLocation: 'https://bi.example.org/recoup' });
    variant.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ REPORT_LOCATION: 'https://bi.example.org/recoup' }) },
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
    // The addon is the x86-64 build the function runs on (ELF e_machine 62), whatever machine synthesized.
    expect(elfMachine(join(models, 'node_modules/@duckdb/node-bindings-linux-x64/duckdb.node'))).toBe(62);
  });

  it('ships the report assets and ECharts beside the models bundle, where the renderer looks for them at run time', () => {
    const assetOf = (fn: typeof stack.modelsFunction) => {
      const code = resources[logicalId(fn)]!.Properties!.Code as { S3Key: string };
      return join(assemblyDir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    };
    const models = assetOf(stack.modelsFunction);
    const bundleUrl = pathToFileURL(join(models, 'index.mjs'));
    // functions/adapters/reportAssets.ts: require.resolve('echarts/dist/echarts.min.js') and ./assets/<name>.
    expect(createRequire(bundleUrl).resolve('echarts/dist/echarts.min.js')).toBe(
      join(models, 'node_modules/echarts/dist/echarts.min.js'),
    );
    for (const name of ['report.css', 'report.js'])
      expect(existsSync(fileURLToPath(new URL(`./assets/${name}`, bundleUrl))), name).toBe(true);
    // The weekly digest needs no DuckDB: its bundle carries no node_modules.
    const digest = assetOf(stack.reports.digestFunction);
    expect(existsSync(join(digest, 'index.mjs')), digest).toBe(true);
    expect(existsSync(join(digest, 'node_modules'))).toBe(false);
  });

  it("ships every SQL model beside the models bundle, the feature folders' marts included", () => {
    const code = resources[logicalId(stack.modelsFunction)]!.Properties!.Code as { S3Key: string };
    const models = join(assemblyDir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    // functions/models/loadModels.ts looks for ./sql/ beside index.mjs before ../../sql/.
    const bundled = loadModels(join(models, 'sql'), []);
    const repository = loadModels();
    expect(bundled.map((m) => `${m.layer}/${m.name}`)).toEqual(repository.map((m) => `${m.layer}/${m.name}`));
    expect(bundled.map((m) => m.name)).toEqual(
      expect.arrayContaining(['takeback_alerts', 'liquidity_forecast']),
    );
    for (const model of bundled) expect(model.sql, model.name).toBe(findModel(model.name, repository).sql);
  });

  it('derives the bundled addon CPU from the function architecture', () => {
    expect(npmCpu(Architecture.X86_64)).toBe('x64');
    expect(npmCpu(Architecture.ARM_64)).toBe('arm64');
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

  it('grants s3:DeleteObject to neither function', () => {
    for (const prefix of ['IngestPolicy', 'ModelsPolicy']) {
      for (const statement of statementsOf(prefix)) {
        expect([statement.Action].flat(), statement.Sid).not.toContain('s3:DeleteObject');
      }
    }
  });

  it('lets ingest list the landing bucket, so S3 answers 404 (gone) and not 403 for a deleted file', () => {
    const list = statementsOf('IngestPolicy').find((s) => s.Sid === 'ListLanding') as unknown as {
      Action: string;
      Resource: unknown;
      Condition?: unknown;
    };
    expect(list.Action).toBe('s3:ListBucket');
    expect(list.Resource).toEqual({ 'Fn::GetAtt': [logicalId(stack.landingBucket), 'Arn'] });
    expect(list.Condition).toBeUndefined();
  });

  it('lets ingest publish (quarantine notices) to the alert topic only, and both functions write traces', () => {
    for (const prefix of ['IngestPolicy', 'ModelsPolicy']) {
      const statements = statementsOf(prefix) as unknown as {
        Sid: string;
        Action: unknown;
        Resource: unknown;
      }[];
      const publish = statements.find((s) => s.Sid === 'PublishAlerts')!;
      expect(publish.Action).toBe('sns:Publish');
      expect(publish.Resource).toEqual({ Ref: logicalId(stack.alertTopic) });
      const traces = statements.find((s) => s.Sid === 'WriteTraces')!;
      expect([traces.Action].flat().sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
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
      // CDK's notifications custom resource, and the role AWS Backup assumes (checked in backups).
      if (id.startsWith('BucketNotificationsHandler') || id.startsWith('BackupRole')) continue;
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

  it('alarms on DLQ depth, function errors, queue age and quarantined files, paging through the topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(6);
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
    // The oldest landed file waiting longer than an hour: ingest stuck, throttled or failing.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(stack.ingestQueue), 'QueueName'] } },
      ],
      Statistic: 'Maximum',
      Threshold: 3600,
    });
    // Any quarantined file: the EMF metric the ingest handler prints (namespace, name, dimension).
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: METRICS_NAMESPACE,
      MetricName: 'QuarantinedFiles',
      Dimensions: [{ Name: 'service', Value: SERVICES.ingest }],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });
});

describe('Glue catalog', () => {
  it('describes each lake table as a view over its staged and compacted files and the manifests', () => {
    template.resourceCountIs('AWS::Glue::Database', 1);
    for (const table of LAKE_TABLES) {
      const fileColumns = tableColumns(table)
        .filter((column) => !column.partition)
        .map((column) => ({ Name: column.name, Type: glueType(column.type) }));
      for (const [layer, prefix] of [
        ['staged', `/${table}/`],
        ['compacted', `/compacted/${table}/`],
      ] as const) {
        const location = new Capture();
        template.hasResourceProperties('AWS::Glue::Table', {
          DatabaseName: 'recoup',
          TableInput: {
            Name: `${table}_${layer}`,
            // Not partitioned: no payer, month (unknown, future) or file needs registering or projecting.
            PartitionKeys: Match.absent(),
            Parameters: Match.not(Match.objectLike({ 'projection.enabled': Match.anyValue() })),
            StorageDescriptor: Match.objectLike({
              Columns: fileColumns,
              Location: location,
              SerdeInfo: {
                SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
              },
            }),
          },
        });
        expect(JSON.stringify(location.asObject())).toContain(prefix);
      }
    }
    const manifests = new Capture();
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: MANIFESTS_TABLE,
        StorageDescriptor: Match.objectLike({
          Location: manifests,
          SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
        }),
      }),
    });
    expect(JSON.stringify(manifests.asObject())).toContain('/compacted/_manifests/');
    expect(JSON.stringify(LAKE_SCHEMA)).not.toContain('float');
  });

  it('the lake views: current generation only, staged not compacted, committed only, payer and month from the path', () => {
    for (const table of LAKE_TABLES) {
      const text = new Capture();
      template.hasResourceProperties('AWS::Glue::Table', {
        TableInput: Match.objectLike({
          Name: table,
          TableType: 'VIRTUAL_VIEW',
          Parameters: { presto_view: 'true', comment: 'Presto View' },
          ViewOriginalText: text,
        }),
      });
      const encoded = /^\/\* Presto View: (.+) \*\/$/.exec(text.asString())?.[1] as string;
      const view = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
      expect(view.schema).toBe('recoup');
      // Every lake column, partition columns included, in the lake's order, with Trino types.
      expect(view.columns).toEqual(
        tableColumns(table).map((c) => ({ name: c.name, type: prestoType(c.type) })),
      );
      const sql: string = view.originalSql;
      expect(sql).toBe(lakeViewSql(table));
      // The current generation: the highest manifest of each partition names the files read.
      expect(sql).toMatch(
        /row_number\(\) OVER \(PARTITION BY payer_id, payment_month ORDER BY generation DESC\)/,
      );
      expect(sql).toContain(`UNNEST(current_manifests.files.${table})`);
      expect(sql).toContain(`FROM ${table}_compacted`);
      // Staged files of remittances a current manifest holds are not read twice.
      expect(sql).toMatch(/WHERE NOT EXISTS \(SELECT 1 FROM compacted_ids/);
      // Claims and adjustments of staged remittances count once the remittance is committed.
      if (table === 'remittances') expect(sql).not.toContain('remittances_staged r');
      else expect(sql).toContain('EXISTS (SELECT 1 FROM remittances_staged r');
      // Payer and month come from each file's path: no partition to register, `unknown` and
      // future months included, and nothing makes a query name a payer.
      expect(sql).toContain(`regexp_extract("$path", 'payer_id=([^/]+)/', 1) AS payer_id`);
      expect(sql).toContain(`regexp_extract("$path", 'payment_month=([^/]+)/', 1) AS payment_month`);
      expect(sql).not.toMatch(/payment_month\s*(<|>|BETWEEN)|payer_id\s*=\s*'/i);
    }
    // No lake table is partitioned or projected any more.
    for (const [, resource] of ofType('AWS::Glue::Table')) {
      const input = (resource.Properties as { TableInput: Record<string, unknown> }).TableInput;
      expect(input.PartitionKeys, String(input.Name)).toBeUndefined();
      expect(JSON.stringify(input.Parameters ?? {})).not.toContain('projection');
    }
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
    // Per lake table: a view, a staged and a compacted table; and the manifests table.
    template.resourceCountIs('AWS::Glue::Table', LAKE_TABLES.length * 3 + 1 + names.length);
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

describe('arm64', () => {
  let armTemplate: Template;
  let armAssembly: string;
  let armStack: RecoupStack;

  beforeAll(() => {
    // A real synth (bundling included) with the functions on Graviton.
    const armApp = new App({ context: CDK_CONTEXT });
    armStack = new RecoupStack(armApp, 'RecoupArm', { architecture: Architecture.ARM_64 });
    armAssembly = armApp.synth().directory;
    armTemplate = Template.fromStack(armStack);
  });

  it('runs both functions on arm64 with the linux-arm64 DuckDB addon bundled (aarch64 ELF)', () => {
    const functions = armTemplate.findResources('AWS::Lambda::Function', {
      Properties: { Runtime: 'nodejs24.x' },
    });
    const architectures = Object.values(functions).map(
      (fn) => (fn as { Properties: { Architectures: string[] } }).Properties.Architectures,
    );
    // ingest, models and the weekly digest (cdk/leadershipReports.ts)
    expect(architectures).toEqual([['arm64'], ['arm64'], ['arm64']]);
    const code = (
      armTemplate.toJSON().Resources[
        armStack.getLogicalId(armStack.modelsFunction.node.defaultChild as never)
      ].Properties as { Code: { S3Key: string } }
    ).Code;
    const asset = join(armAssembly, `asset.${code.S3Key.replace(/\.zip$/, '')}`);
    const addon = join(asset, 'node_modules/@duckdb/node-bindings-linux-arm64/duckdb.node');
    expect(existsSync(addon), addon).toBe(true);
    expect(elfMachine(addon)).toBe(183); // EM_AARCH64
    expect(existsSync(join(asset, 'node_modules/@duckdb/node-bindings-linux-x64'))).toBe(false);
  });
});

/** The e_machine field of an ELF file's header (62 x86-64, 183 AArch64). */
function elfMachine(path: string): number {
  const header = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  expect(header.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return header.readUInt16LE(18);
}
