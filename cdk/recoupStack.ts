import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Aws,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Size,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from 'aws-cdk-lib/aws-backup';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { type IRole, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  EventType,
  type LifecycleRule,
  ObjectLockRetention,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { FEATURE_MART_DIRS } from '../functions/adapters/localModelFiles.ts';
import { METRICS_NAMESPACE, SERVICES } from '../functions/aws/metricNames.ts';
import { EXPORTS_PREFIX, REPORTS_PREFIX } from '../functions/aws/reportKeys.ts';
import { MART_COLUMNS } from '../functions/core/lake/martSchema.ts';
import { LAKE_TABLES } from '../functions/core/lake/schema.ts';
import { addLakeViews } from './athenaViews.ts';
import {
  type DigestFunctionOptions,
  LeadershipReports,
  type LeadershipReportsProps,
} from './leadershipReports.ts';
import { ModelsFanout } from './modelsFanout.ts';

/** Object-key prefixes shared by the stack and the handlers (passed to them as environment). */
export const PREFIXES = {
  landing: 'landing/',
  /** In the lake bucket: unreadable files and their JSON sidecars (functions/ingest/ingestFiles.ts). */
  quarantine: 'quarantine/',
  /** In the lake bucket: the models job's state, e.g. which alerts were already sent. */
  state: 'state/',
  marts: 'marts/',
  /** In the lake bucket: the report after each models run, and the digest (cdk/leadershipReports.ts). */
  reports: REPORTS_PREFIX,
  /** In the lake bucket: the finance marts as CSV, exports/<as-of>/<mart>.csv. */
  exports: EXPORTS_PREFIX,
  athenaResults: 'athena-results/',
  /** In the lake bucket: the fan-out groups' marts and merge inputs, per run (expired after a week). */
  fanout: 'models-fanout/',
  /** In the lake bucket: the compacted layer (compactedLayout.ts), read by the models function. */
  compacted: 'compacted/',
} as const;

/** Of the models function's 4 GiB /tmp, what the copied lake files may take (the rest: DuckDB spill, marts). */
export const MODELS_SCRATCH_MAX_MB = 3072;

const PARQUET_STORAGE = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
} as const;

/** HIPAA asks covered entities to keep records six years; the default retention of raw 835s. */
export const SIX_YEARS = Duration.days(2192);

export interface RecoupStackProps extends StackProps, LeadershipReportsProps {
  /** Reserved concurrency of the ingest function (caps parallel writes to the lake). */
  ingestConcurrency?: number;
  /** EventBridge schedule of the models run; default daily at 06:00 UTC. */
  modelsSchedule?: Schedule;
  /**
   * What the schedule runs: `single` (default) one models function builds every payer; `fanout`
   * starts the state machine that builds one payer group per function and merges them. The state
   * machine exists either way (start it by hand to try it).
   */
  modelsRun?: 'single' | 'fanout';
  /** Payer groups of the fan-out (functions at once); default 8, at most 40. */
  fanoutGroups?: number;
  /** CPU of both functions; default x86_64. arm64 bundles DuckDB's linux-arm64 addon. */
  architecture?: Architecture;
  /**
   * How long overwritten or deleted landed 835 files (noncurrent versions of the landing bucket)
   * are kept: the landing bucket is the system of record. Default six years.
   */
  landingRetention?: Duration;
  /**
   * When set, the landing bucket is created with S3 Object Lock in governance mode and this
   * default retention: no one can delete or overwrite a landed file's version before it ends
   * without the s3:BypassGovernanceRetention permission. Object Lock can only be switched on
   * when the bucket is created.
   */
  landingObjectLock?: Duration;
  /** How long the monthly AWS Backup recovery points of both buckets are kept; default one year. */
  backupRetention?: Duration;
  /**
   * Where alert e-mails send readers for the claims behind an alert (a URL of the report or BI
   * page). Default: the S3 console on the lake's marts/ prefix.
   */
  reportLocation?: string;
  /** Age of the oldest ingest-queue message that pages on-call; default one hour. */
  queueAgeAlarm?: Duration;
}

/**
 * recoup on AWS: landing bucket → S3 event → SQS (with DLQ) → ingest Lambda → Parquet lake bucket;
 * a scheduled models Lambda writes the marts and publishes alerts to SNS; Glue tables for Athena.
 * Environment-agnostic: account and region come from the deploy-time credentials.
 */
export class RecoupStack extends Stack {
  readonly landingBucket: Bucket;
  readonly lakeBucket: Bucket;
  readonly ingestQueue: Queue;
  readonly ingestDlq: Queue;
  readonly ingestFunction: NodejsFunction;
  readonly modelsFunction: NodejsFunction;
  readonly alertTopic: Topic;
  readonly dataKey: Key;
  readonly messagingKey: Key;
  readonly modelsDlq: Queue;
  readonly modelsStateMachine: StateMachine;
  readonly backupVault: BackupVault;
  readonly backupPlan: BackupPlan;
  readonly reports: LeadershipReports;

  constructor(scope: Construct, id: string, props: RecoupStackProps = {}) {
    super(scope, id, props);
    // Grant S3 log delivery by bucket policy, not the legacy LogDeliveryWrite ACL (ACLs stay disabled).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    // Two customer-managed keys. Data at rest (buckets, logs, Athena results) and messaging (queues,
    // topic) are split because the messaging key's policy must name the landing bucket (S3 → SQS),
    // and a bucket encrypted with a key whose policy names it is a CloudFormation dependency cycle.
    const key = new Key(this, 'DataKey', {
      description: 'recoup: landed 835 files, lake, Athena results and logs',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.dataKey = key;
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchLogs',
        principals: [new ServicePrincipal(`logs.${Aws.REGION}.amazonaws.com`)],
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKey',
          'kms:DescribeKey',
        ],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${Aws.PARTITION}:logs:${Aws.REGION}:${Aws.ACCOUNT_ID}:*`,
          },
        },
      }),
    );
    const messagingKey = new Key(this, 'MessagingKey', {
      description: 'recoup: ingest queues, dead-letter queues and alert topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.messagingKey = messagingKey;
    // Alarms publish to the encrypted topic and EventBridge sends failed schedules to the encrypted DLQ.
    messagingKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowAlarmsAndSchedules',
        principals: [
          new ServicePrincipal('cloudwatch.amazonaws.com'),
          new ServicePrincipal('events.amazonaws.com'),
        ],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );

    // Server access logs: the log bucket must use SSE-S3 (S3 log delivery cannot use a KMS key).
    const logBucket = new Bucket(this, 'AccessLogBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'archive-then-expire-access-logs',
          transitions: [{ storageClass: StorageClass.GLACIER, transitionAfter: Duration.days(90) }],
          // HIPAA asks for six years of audit records.
          expiration: Duration.days(2190),
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
    });

    const dataBucket = (
      bucketId: string,
      logPrefix: string,
      lifecycleRules: LifecycleRule[],
      objectLock?: Duration,
    ) =>
      new Bucket(this, bucketId, {
        encryption: BucketEncryption.KMS,
        encryptionKey: key,
        bucketKeyEnabled: true,
        blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        minimumTLSVersion: 1.2,
        versioned: true,
        objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
        serverAccessLogsBucket: logBucket,
        serverAccessLogsPrefix: logPrefix,
        removalPolicy: RemovalPolicy.RETAIN,
        lifecycleRules,
        ...(objectLock !== undefined
          ? { objectLockDefaultRetention: ObjectLockRetention.governance(objectLock) }
          : {}),
      });

    // The landing bucket is the system of record: the raw 835s are never expired, and a file
    // overwritten or deleted keeps its old version for the retention (six years by default).
    const landingRetention = props.landingRetention ?? SIX_YEARS;
    this.landingBucket = dataBucket(
      'LandingBucket',
      'landing-bucket/',
      [
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        {
          id: 'age-out-landed-835s',
          prefix: PREFIXES.landing,
          // The lake holds the parsed rows; the raw file stays for re-ingest and audit, and goes cold.
          transitions: [
            { storageClass: StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(30) },
            { storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) },
          ],
          noncurrentVersionTransitions: [
            { storageClass: StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(30) },
          ],
          noncurrentVersionExpiration: landingRetention,
        },
      ],
      props.landingObjectLock,
    );

    this.lakeBucket = dataBucket('LakeBucket', 'lake-bucket/', [
      { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      // Rewrites of a partition file leave a noncurrent version; keep a month for recovery.
      { id: 'expire-noncurrent-versions', noncurrentVersionExpiration: Duration.days(30) },
      { id: 'expire-athena-results', prefix: PREFIXES.athenaResults, expiration: Duration.days(30) },
      // The merge reads a run's group outputs within the hour; a week leaves time to inspect one.
      { id: 'expire-fanout-outputs', prefix: PREFIXES.fanout, expiration: Duration.days(7) },
    ]);

    // Landing events: S3 → SQS, with a dead-letter queue after five failed receives.
    this.ingestDlq = new Queue(this, 'IngestDlq', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: messagingKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const ingestTimeout = Duration.minutes(5);
    const architecture = props.architecture ?? Architecture.X86_64;
    const ingestConcurrency = props.ingestConcurrency ?? 10;
    this.ingestQueue = new Queue(this, 'IngestQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: messagingKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      // Six times the function timeout, as AWS recommends for SQS event sources.
      visibilityTimeout: Duration.minutes(ingestTimeout.toMinutes() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.ingestDlq, maxReceiveCount: 5 },
    });
    this.landingBucket.addEventNotification(EventType.OBJECT_CREATED, new SqsDestination(this.ingestQueue), {
      prefix: PREFIXES.landing,
    });

    // Alerts (spikes from the models, ingest problems, alarms).
    this.alertTopic = new Topic(this, 'AlertTopic', {
      displayName: 'recoup alerts',
      masterKey: messagingKey,
      enforceSSL: true,
    });

    const environment = {
      LAKE_BUCKET: this.lakeBucket.bucketName,
      LAKE_PREFIX: '',
      LANDING_BUCKET: this.landingBucket.bucketName,
      LANDING_PREFIX: PREFIXES.landing,
      QUARANTINE_PREFIX: PREFIXES.quarantine,
      MARTS_PREFIX: PREFIXES.marts,
      ALERT_TOPIC_ARN: this.alertTopic.topicArn,
      REPORT_LOCATION:
        props.reportLocation ??
        `https://${Aws.REGION}.console.aws.amazon.com/s3/buckets/${this.lakeBucket.bucketName}?region=${Aws.REGION}&prefix=${PREFIXES.marts}`,
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };

    const lakeObjects = (prefix: string) => this.lakeBucket.arnForObjects(`${prefix}*`);
    const useKey = (sid: string, keyToUse: Key) =>
      new PolicyStatement({
        sid,
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [keyToUse.keyArn],
      });
    const publishAlerts = new PolicyStatement({
      sid: 'PublishAlerts',
      actions: ['sns:Publish'],
      resources: [this.alertTopic.topicArn],
    });

    // Ingest: parse an 835 from the landing bucket, write Parquet to the lake.
    this.ingestFunction = this.nodeFunction('Ingest', {
      entry: 'functions/aws/handlers/ingestHandler.ts',
      description: 'recoup: parse landed 835 files into the Parquet lake',
      memorySize: 1769,
      ephemeralStorageSize: 2048,
      timeout: ingestTimeout,
      reservedConcurrentExecutions: ingestConcurrency,
      architecture,
      environment,
      statements: [
        new PolicyStatement({
          sid: 'ConsumeIngestQueue',
          actions: [
            'sqs:ReceiveMessage',
            'sqs:DeleteMessage',
            'sqs:ChangeMessageVisibility',
            'sqs:GetQueueAttributes',
          ],
          resources: [this.ingestQueue.queueArn],
        }),
        new PolicyStatement({
          sid: 'ReadLandedFiles',
          actions: ['s3:GetObject'],
          resources: [this.landingBucket.arnForObjects(`${PREFIXES.landing}*`)],
        }),
        // S3 answers a GetObject of a missing key with 404 only to a caller that may list the
        // bucket, else with 403, which ingest cannot tell from a real denial: a landed file
        // deleted before ingest would be retried into the DLQ. A grant conditioned on s3:prefix
        // is not documented to count for that decision, so it names the bucket; the landing
        // bucket holds only landing/ and the names of landed files.
        new PolicyStatement({
          sid: 'ListLanding',
          actions: ['s3:ListBucket'],
          resources: [this.landingBucket.bucketArn],
        }),
        new PolicyStatement({
          sid: 'WriteQuarantine',
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: [lakeObjects(PREFIXES.quarantine)],
        }),
        // The same 404-or-403 rule for the idempotency checks (HEAD) on the lake tables.
        new PolicyStatement({
          sid: 'ListLake',
          actions: ['s3:ListBucket'],
          resources: [this.lakeBucket.bucketArn],
        }),
        // No s3:DeleteObject: ingest only adds objects (a compaction that removes staged files
        // would be its own function with its own grant).
        new PolicyStatement({
          sid: 'WriteLakeTables',
          actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
          resources: LAKE_TABLES.map((table) => lakeObjects(`${table}/`)),
        }),
        useKey('UseDataKey', key),
        useKey('UseMessagingKey', messagingKey),
        // Used for the notice of each quarantined file.
        publishAlerts,
      ],
    });
    // The role is immutable, so this adds only the event source mapping; its grants are in the policy above.
    this.ingestFunction.addEventSource(
      new SqsEventSource(this.ingestQueue, {
        batchSize: 5,
        reportBatchItemFailures: true,
        // Pollers stop at the reserved concurrency instead of being throttled, which would count
        // receives toward the DLQ's maxReceiveCount without the file ever being tried.
        maxConcurrency: ingestConcurrency,
      }),
    );

    // Models: run the DuckDB SQL models over the lake, write marts, publish alerts.
    const modelsDlq = new Queue(this, 'ModelsDlq', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: messagingKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.modelsDlq = modelsDlq;
    const fanoutGroups = props.fanoutGroups ?? 8;
    const modelsRun = props.modelsRun ?? 'single';
    this.modelsFunction = this.nodeFunction('Models', {
      entry: 'functions/aws/handlers/modelsHandler.ts',
      description: 'recoup: build the marts with DuckDB and publish takeback alerts',
      memorySize: 3008,
      ephemeralStorageSize: 4096,
      timeout: Duration.minutes(15),
      // One build at a time: concurrent runs would race on the same mart files. The fan-out runs
      // one function per payer group at once (its merge step alone writes the marts).
      reservedConcurrentExecutions: modelsRun === 'fanout' ? fanoutGroups : 1,
      deadLetterQueue: modelsDlq,
      retryAttempts: 0,
      duckdb: true,
      architecture,
      environment: {
        ...environment,
        RECOUP_SCRATCH_MAX_MB: String(MODELS_SCRATCH_MAX_MB),
        RECOUP_BUILD_RESERVE_SECONDS: '300',
        RECOUP_FANOUT_GROUPS: String(fanoutGroups),
      },
      statements: [
        new PolicyStatement({
          sid: 'ListLake',
          actions: ['s3:ListBucket'],
          resources: [this.lakeBucket.bucketArn],
        }),
        new PolicyStatement({
          sid: 'ReadLake',
          actions: ['s3:GetObject'],
          resources: [...LAKE_TABLES.map((table) => `${table}/`), PREFIXES.compacted, PREFIXES.marts].map(
            lakeObjects,
          ),
        }),
        new PolicyStatement({
          sid: 'FanoutOutputs',
          actions: ['s3:GetObject', 's3:PutObject'],
          resources: [lakeObjects(PREFIXES.fanout)],
        }),
        // Marts are overwritten in place (marts/<name>/data.parquet), never deleted.
        new PolicyStatement({
          sid: 'WriteMarts',
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: [lakeObjects(PREFIXES.marts)],
        }),
        // The report, the finance exports and the digest after each run (functions/aws/publishReports.ts).
        new PolicyStatement({
          sid: 'WriteReports',
          actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
          resources: [lakeObjects(PREFIXES.reports), lakeObjects(PREFIXES.exports)],
        }),
        new PolicyStatement({
          sid: 'KeepAlertState',
          actions: ['s3:GetObject', 's3:PutObject'],
          resources: [lakeObjects(PREFIXES.state)],
        }),
        new PolicyStatement({
          sid: 'SendToDlq',
          actions: ['sqs:SendMessage'],
          resources: [modelsDlq.queueArn],
        }),
        useKey('UseDataKey', key),
        useKey('UseMessagingKey', messagingKey),
        publishAlerts,
      ],
    });

    this.modelsStateMachine = new ModelsFanout(this, 'ModelsFanout', {
      modelsFunction: this.modelsFunction,
      groups: fanoutGroups,
      logKey: key,
    }).stateMachine;

    new Rule(this, 'ModelsSchedule', {
      description: `recoup: nightly models build (${modelsRun === 'fanout' ? 'fanned out by payer group' : 'one function'})`,
      schedule: props.modelsSchedule ?? Schedule.cron({ minute: '0', hour: '6' }),
      targets: [
        modelsRun === 'fanout'
          ? new SfnStateMachine(this.modelsStateMachine, {
              input: RuleTargetInput.fromObject({}),
              role: this.scheduleRole(this.modelsStateMachine),
              deadLetterQueue: modelsDlq,
              retryAttempts: 2,
            })
          : new LambdaFunction(this.modelsFunction, { deadLetterQueue: modelsDlq, retryAttempts: 2 }),
      ],
    });

    // Reports for leadership: the weekly digest and the read-only policy (cdk/leadershipReports.ts).
    this.reports = new LeadershipReports(this, 'Reports', {
      ...props,
      lakeBucket: this.lakeBucket,
      dataKey: key,
      messagingKey,
      alertTopic: this.alertTopic,
      deadLetterQueue: modelsDlq,
      architecture,
      environment,
      nodeFunction: (fnId, options) => this.nodeFunction(fnId, options),
    });

    // Alarms page on-call through the alert topic.
    const alarmAction = new SnsAction(this.alertTopic);
    const alarms = [
      new Alarm(this, 'IngestDlqDepthAlarm', {
        alarmDescription: 'Landed 835 files failed ingest five times and sit in the dead-letter queue.',
        metric: this.ingestDlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'ModelsDlqDepthAlarm', {
        alarmDescription: 'A scheduled models run failed and its event sits in the dead-letter queue.',
        metric: modelsDlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'IngestErrorsAlarm', {
        alarmDescription: 'The ingest function threw (whole batch failed, not a single bad file).',
        metric: this.ingestFunction.metricErrors({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'IngestQueueAgeAlarm', {
        alarmDescription:
          'The oldest landed 835 waiting in the ingest queue is older than expected: ingest is stuck, throttled or failing.',
        metric: this.ingestQueue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        threshold: (props.queueAgeAlarm ?? Duration.hours(1)).toSeconds(),
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'QuarantinedFilesAlarm', {
        alarmDescription:
          'Landed 835 files could not be read and were quarantined: their remittances (money) are missing from the lake. See the notices on the alert topic; fix, then `recoup quarantine retry`.',
        metric: new Metric({
          namespace: METRICS_NAMESPACE,
          metricName: 'QuarantinedFiles',
          dimensionsMap: { service: SERVICES.ingest },
          statistic: 'Sum',
          period: Duration.minutes(5),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'ModelsErrorsAlarm', {
        alarmDescription: 'The models build failed.',
        metric: this.modelsFunction.metricErrors({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];
    for (const alarm of alarms) alarm.addAlarmAction(alarmAction);

    const backup = this.backups(props.backupRetention ?? Duration.days(365));
    this.backupVault = backup.vault;
    this.backupPlan = backup.plan;

    this.glueCatalog();

    new CfnOutput(this, 'LandingBucketName', { value: this.landingBucket.bucketName });
    new CfnOutput(this, 'LakeBucketName', { value: this.lakeBucket.bucketName });
    new CfnOutput(this, 'IngestQueueUrl', { value: this.ingestQueue.queueUrl });
    new CfnOutput(this, 'IngestDlqUrl', { value: this.ingestDlq.queueUrl });
    new CfnOutput(this, 'ModelsFunctionName', { value: this.modelsFunction.functionName });
    new CfnOutput(this, 'ModelsStateMachineArn', { value: this.modelsStateMachine.stateMachineArn });
    new CfnOutput(this, 'AlertTopicArn', { value: this.alertTopic.topicArn });

    this.acknowledgeFindings(logBucket, landingRetention.toDays());
  }

  /** The role EventBridge starts the fan-out with: a customer-managed policy (no inline one), StartExecution on it only. */
  private scheduleRole(stateMachine: StateMachine): IRole {
    const policy = new ManagedPolicy(this, 'ModelsSchedulePolicy', {
      description: 'recoup models schedule: start the fan-out state machine',
      statements: [
        new PolicyStatement({
          sid: 'StartFanout',
          actions: ['states:StartExecution'],
          resources: [stateMachine.stateMachineArn],
        }),
      ],
    });
    return new Role(this, 'ModelsScheduleRole', {
      assumedBy: new ServicePrincipal('events.amazonaws.com'),
      description: 'recoup models schedule (fan-out)',
      managedPolicies: [policy],
    }).withoutPolicyUpdates();
  }

  /** A Node.js function with its own role and KMS-encrypted log group; DuckDB as a real node module when asked. */
  private nodeFunction(
    id: string,
    options: DigestFunctionOptions & {
      /** Installs DuckDB's native addon beside the bundle (the models function; ingest encodes Parquet itself). */
      duckdb?: boolean;
    },
  ): NodejsFunction {
    const logGroup = new LogGroup(this, `${id}LogGroup`, {
      retention: RetentionDays.ONE_YEAR,
      encryptionKey: this.dataKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // An explicit role with a customer-managed policy holding exactly what the function uses: no
    // AWSLambdaBasicExecutionRole (logs on *), no inline policy. The function gets the role immutable
    // so CDK's automatic grants cannot widen it; every permission is in `statements`.
    const policy = new ManagedPolicy(this, `${id}Policy`, {
      description: `recoup ${id} function: least privilege`,
      statements: [
        new PolicyStatement({
          sid: 'WriteOwnLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
        // Active tracing (Powertools Tracer). X-Ray has no resource-level permissions for these.
        new PolicyStatement({
          sid: 'WriteTraces',
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
        ...options.statements,
      ],
    });
    const role = new Role(this, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `recoup ${id} function`,
      managedPolicies: [policy],
    });
    const projectRoot = fileURLToPath(new URL('..', import.meta.url));
    return new NodejsFunction(this, `${id}Function`, {
      entry: `${projectRoot}${options.entry}`,
      handler: 'handler',
      projectRoot,
      depsLockFilePath: `${projectRoot}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: options.architecture,
      tracing: Tracing.ACTIVE,
      description: options.description,
      memorySize: options.memorySize,
      ephemeralStorageSize: Size.mebibytes(options.ephemeralStorageSize),
      timeout: options.timeout,
      reservedConcurrentExecutions: options.reservedConcurrentExecutions,
      environment: options.environment,
      deadLetterQueue: options.deadLetterQueue,
      retryAttempts: options.retryAttempts,
      role: role.withoutPolicyUpdates(),
      logGroup,
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLE.target,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        sourceMap: true,
        minify: true,
        banner: LAMBDA_BUNDLE.banner,
        // Bundle the pinned SDK rather than trusting the runtime's copy.
        externalModules: [],
        // DuckDB ships a native addon: install it as a real package beside the bundle, the Linux
        // glibc build for the function's CPU whatever machine synthesizes.
        ...(options.duckdb === true
          ? {
              nodeModules: ['@duckdb/node-api', '@duckdb/node-bindings'],
              environment: {
                npm_config_os: 'linux',
                npm_config_cpu: npmCpu(options.architecture),
                npm_config_libc: 'glibc',
              },
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: modelsBundleFiles,
              },
            }
          : {}),
      },
    });
  }

  /**
   * AWS Backup of both buckets into a KMS-encrypted vault: continuous backups (point-in-time
   * restore) for 35 days and a monthly recovery point kept for `retention`. A recovery point is
   * a copy outside the bucket, so a bucket emptied by mistake or by a compromised role can be
   * restored even after its noncurrent versions are gone.
   */
  private backups(retention: Duration): { vault: BackupVault; plan: BackupPlan } {
    const vault = new BackupVault(this, 'BackupVault', {
      encryptionKey: this.dataKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const plan = new BackupPlan(this, 'BackupPlan', { backupVault: vault });
    plan.addRule(
      new BackupPlanRule({
        ruleName: 'continuous-35-days',
        enableContinuousBackup: true,
        deleteAfter: Duration.days(35),
        scheduleExpression: Schedule.cron({ minute: '0', hour: '5' }),
      }),
    );
    plan.addRule(
      new BackupPlanRule({
        ruleName: 'monthly',
        scheduleExpression: Schedule.cron({ minute: '0', hour: '5', day: '1' }),
        deleteAfter: retention,
      }),
    );
    // The AWS-managed S3 backup and restore policies are what AWS Backup documents for S3; the
    // keys the buckets and the vault use are granted by a customer-managed policy beside them.
    const keyPolicy = new ManagedPolicy(this, 'BackupKeyPolicy', {
      description: 'recoup AWS Backup: read KMS-encrypted objects and write the encrypted vault',
      statements: [
        new PolicyStatement({
          sid: 'UseDataKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          resources: [this.dataKey.keyArn],
        }),
      ],
    });
    const role = new Role(this, 'BackupRole', {
      assumedBy: new ServicePrincipal('backup.amazonaws.com'),
      description: 'recoup AWS Backup of the landing and lake buckets',
      managedPolicies: [
        ManagedPolicy.fromAwsManagedPolicyName('AWSBackupServiceRolePolicyForS3Backup'),
        ManagedPolicy.fromAwsManagedPolicyName('AWSBackupServiceRolePolicyForS3Restore'),
        keyPolicy,
      ],
    });
    plan.addSelection('Buckets', {
      resources: [
        BackupResource.fromArn(this.landingBucket.bucketArn),
        BackupResource.fromArn(this.lakeBucket.bucketArn),
      ],
      role,
    });
    return { vault, plan };
  }

  /** Glue database and tables so Athena reads the lake and marts with partition projection (no crawler). */
  private glueCatalog(): void {
    const databaseName = 'recoup';
    const database = new CfnDatabase(this, 'GlueDatabase', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: { name: databaseName, description: 'recoup: 835 remittance lake and takeback marts' },
    });
    const lake = this.lakeBucket.bucketName;

    // The lake tables are views over their staged and compacted files (athenaViews.ts).
    addLakeViews(this, database, databaseName, lake);

    for (const [mart, columns] of Object.entries(MART_COLUMNS)) {
      const glueTable = new CfnTable(this, `GlueMart${pascal(mart)}`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName,
        tableInput: {
          name: mart,
          description: `recoup mart ${mart} (Parquet, rebuilt by the models function)`,
          tableType: 'EXTERNAL_TABLE',
          parameters: { classification: 'parquet', EXTERNAL: 'TRUE' },
          storageDescriptor: {
            location: `s3://${lake}/${PREFIXES.marts}${mart}/`,
            columns: columns.map((column) => ({ name: column.name, type: column.type })),
            ...PARQUET_STORAGE,
          },
        },
      });
      glueTable.addResourceDependency(database);
    }

    new CfnWorkGroup(this, 'AthenaWorkGroup', {
      name: 'recoup',
      description: 'recoup: finance queries over the lake and marts',
      state: 'ENABLED',
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        // Guard rail: a query scanning more than 100 GB is cancelled (about $0.49 at $5/TB).
        bytesScannedCutoffPerQuery: 100 * 1024 ** 3,
        resultConfiguration: {
          outputLocation: `s3://${lake}/${PREFIXES.athenaResults}`,
          encryptionConfiguration: {
            encryptionOption: 'SSE_KMS',
            kmsKey: this.dataKey.keyArn,
          },
        },
      },
    });
  }

  /** Rule findings this design accepts, each acknowledged on the narrowest construct with its reason. */
  private acknowledgeFindings(logBucket: Bucket, landingRetentionDays: number): void {
    const ack = (scope: Construct, id: string, reason: string) =>
      Validations.of(scope).acknowledge({ id, reason });
    const objectsFinding = (bucket: Bucket, prefix: string) =>
      `AwsSolutions-IAM5[Resource::<${this.resolve((bucket.node.defaultChild as CfnBucket).logicalId)}.Arn>/${prefix}*]`;

    const ingestPolicy = this.node.findChild('IngestPolicy');
    const modelsPolicy = this.node.findChild('ModelsPolicy');
    const objectReason =
      'Object keys are per-remittance Hive paths unknown at deploy time; the wildcard is confined to one table or prefix of one bucket.';
    ack(ingestPolicy, objectsFinding(this.landingBucket, PREFIXES.landing), objectReason);
    ack(ingestPolicy, objectsFinding(this.lakeBucket, PREFIXES.quarantine), objectReason);
    ack(modelsPolicy, objectsFinding(this.lakeBucket, PREFIXES.state), objectReason);
    for (const table of LAKE_TABLES) {
      ack(ingestPolicy, objectsFinding(this.lakeBucket, `${table}/`), objectReason);
      ack(modelsPolicy, objectsFinding(this.lakeBucket, `${table}/`), objectReason);
    }
    ack(modelsPolicy, objectsFinding(this.lakeBucket, PREFIXES.marts), objectReason);
    ack(modelsPolicy, objectsFinding(this.lakeBucket, PREFIXES.compacted), objectReason);
    ack(modelsPolicy, objectsFinding(this.lakeBucket, PREFIXES.fanout), objectReason);
    ack(modelsPolicy, objectsFinding(this.lakeBucket, PREFIXES.reports), objectReason);
    ack(modelsPolicy, objectsFinding(this.lakeBucket, PREFIXES.exports), objectReason);
    const tracesReason =
      'X-Ray xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (AWS documents Resource "*"); only these two write actions are granted, for active tracing.';
    ack(ingestPolicy, 'AwsSolutions-IAM5[Resource::*]', tracesReason);
    ack(modelsPolicy, 'AwsSolutions-IAM5[Resource::*]', tracesReason);

    const backupRole = this.node.findChild('BackupRole');
    for (const managed of [
      'AWSBackupServiceRolePolicyForS3Backup',
      'AWSBackupServiceRolePolicyForS3Restore',
      'service-role/AWSBackupServiceRolePolicyForBackup',
    ]) {
      ack(
        backupRole,
        `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${managed}]`,
        'AWS Backup documents these AWS-managed service policies for backing up and restoring S3 buckets (CDK BackupSelection attaches AWSBackupServiceRolePolicyForBackup itself); the role is assumable only by backup.amazonaws.com and the KMS key it may use is granted by a customer-managed policy.',
      );
    }

    const replication = 'HIPAA.Security-S3BucketReplicationEnabled';
    const elsewhere =
      'A copy in another region or account (S3 replication, or a copy action in the backup plan) is a disaster-recovery decision of the deploying organisation and is not configured by this stack.';
    ack(
      this.landingBucket,
      replication,
      `Not replicated. The landed 835s are the system of record and are protected in one region by versioning (overwritten or deleted versions kept ${landingRetentionDays} days), optional Object Lock in governance mode, RETAIN, and the AWS Backup plan (continuous backups for 35 days, monthly recovery points in a separate vault). ${elsewhere}`,
    );
    ack(
      this.lakeBucket,
      replication,
      `Not replicated. The lake is derived data: it is rebuilt by re-ingesting the landed files (recoup backfill), which are versioned and backed up; it is versioned and in the AWS Backup plan too. ${elsewhere}`,
    );
    ack(
      logBucket,
      replication,
      `Not replicated. The access logs are versioned, RETAIN, and kept six years. ${elsewhere}`,
    );
    ack(
      logBucket,
      'HIPAA.Security-S3DefaultEncryptionKMS',
      'S3 server access log delivery supports only SSE-S3 on the target bucket; the logs hold no PHI.',
    );

    for (const fn of [this.ingestFunction, this.modelsFunction]) {
      ack(
        fn,
        'HIPAA.Security-LambdaInsideVPC',
        'The functions reach only S3, SQS and SNS over TLS with IAM auth and hold no network listeners; a VPC would add NAT or endpoint cost without reducing exposure.',
      );
    }
    const ingestDlqReason =
      'Invoked synchronously by the SQS event source: failed messages go to the ingest queue redrive DLQ (maxReceiveCount 5, alarmed); a function DLQ applies only to async invokes.';
    ack(this.ingestFunction, 'HIPAA.Security-LambdaDLQ', ingestDlqReason);
    ack(this.ingestFunction, 'Serverless-LambdaDLQ', ingestDlqReason);
    const eventSource = this.ingestFunction.node.children.find((child) =>
      child.node.id.startsWith('SqsEventSource'),
    );
    if (eventSource) {
      ack(
        eventSource,
        'Serverless-LambdaEventSourceMappingDestination',
        'Lambda supports on-failure destinations for stream and Kafka event sources, not SQS: failed ingest messages reach the ingest DLQ through the queue redrive policy (maxReceiveCount 5), and its depth is alarmed.',
      );
    }
    ack(
      this.modelsFunction.node.findChild('EventInvokeConfig'),
      'Serverless-LambdaAsyncFailureDestination',
      'Asynchronous failures of the models function go to its dead-letter queue (deadLetterConfig: ModelsDlq, depth alarmed); an on-failure destination would deliver the same failed event to a queue a second time.',
    );
    ack(
      this.ingestDlq,
      'Serverless-SQSRedrivePolicy',
      'This queue is the dead-letter queue of the ingest queue: a dead-letter queue of its own would only move failed messages further from the alarm on its depth; `recoup redrive` returns them to the ingest queue once the cause is fixed.',
    );
    ack(
      this.modelsDlq,
      'Serverless-SQSRedrivePolicy',
      'This queue is the dead-letter queue of the models function and its schedule: a dead-letter queue of its own would only move failed events further from the alarm on its depth; the models run is repeated by invoking the function once the cause is fixed.',
    );

    // The CDK-provided singleton that configures bucket notifications (S3 → SQS).
    const notificationsHandler = this.node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (notificationsHandler) {
      ack(
        notificationsHandler,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'CDK-managed custom resource that sets the landing bucket notification at deploy time; its role is defined by aws-cdk-lib.',
      );
    }
    ack(
      this.landingBucket.node.findChild('Notifications'),
      'HIPAA.Security-IAMNoInlinePolicy',
      'Inline policy of the CDK-managed bucket-notifications custom resource (s3:PutBucketNotification only), defined by aws-cdk-lib.',
    );
  }
}

/** npm's name for a Lambda architecture (`npm_config_cpu`), so the bundled addon matches it. */
export function npmCpu(architecture: Architecture): 'x64' | 'arm64' {
  if (architecture.name === Architecture.X86_64.name) return 'x64';
  if (architecture.name === Architecture.ARM_64.name) return 'arm64';
  throw new Error(`unsupported Lambda architecture ${architecture.name}`);
}

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_match, _sep, letter: string) => letter.toUpperCase());
}

/** The feature folders' mart files (functions/alerts/*.sql …), relative to the repository. */
function featureMartFiles(): string[] {
  const root = fileURLToPath(new URL('../', import.meta.url));
  return FEATURE_MART_DIRS.flatMap((dir) =>
    readdirSync(dir)
      .filter((name) => name.endsWith('.sql'))
      .map((name) => relative(root, join(dir, name))),
  );
}

/**
 * How every function is bundled (esbuild through NodejsFunction): ESM for Node 22+, with a banner
 * because bundled CommonJS dependencies still call require(). test/aws-lambda-bundles.test.ts
 * bundles the handlers with these same settings and runs them.
 */
export const LAMBDA_BUNDLE = {
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
} as const;

/**
 * Shell commands that put beside the models bundle what it reads at run time: the SQL models
 * (sql/, with the feature folders' marts copied into sql/marts: functions/models/loadModels.ts),
 * the report's page assets and ECharts' one-file build (functions/aws/publishReports.ts renders
 * the report).
 */
export function modelsBundleFiles(inputDir: string, outputDir: string): string[] {
  return [
    `cp -r "${inputDir}/sql" "${outputDir}/sql"`,
    ...featureMartFiles().map((file) => `cp "${inputDir}/${file}" "${outputDir}/sql/marts/"`),
    `cp -r "${inputDir}/functions/report/assets" "${outputDir}/assets"`,
    `mkdir -p "${outputDir}/node_modules/echarts/dist"`,
    `cp "${inputDir}/node_modules/echarts/package.json" "${outputDir}/node_modules/echarts/package.json"`,
    `cp "${inputDir}/node_modules/echarts/dist/echarts.min.js" "${outputDir}/node_modules/echarts/dist/echarts.min.js"`,
  ];
}
