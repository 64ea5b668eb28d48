import { Aws, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { ManagedPolicy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { Architecture } from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EXPORTS_PREFIX, REPORTS_PREFIX } from '../functions/aws/reportKeys.ts';

/** Stack props of the leadership reports (issue 25); RecoupStackProps includes them. */
export interface LeadershipReportsProps {
  /** EventBridge schedule of the digest to the alert topic; default weekly, Monday 07:00 UTC. */
  digestSchedule?: Schedule;
  /**
   * Whether the digest links to the report with a presigned GET URL (default true); false links
   * to the report's page in the S3 console (readers sign in, e.g. with the leadership policy).
   */
  presignDigestLink?: boolean;
  /** Lifetime of the presigned link, at most seven days (SigV4); default seven days. */
  digestLinkLifetime?: Duration;
}

/** The options of the stack's function factory (RecoupStack.nodeFunction), which the construct is given. */
export interface DigestFunctionOptions {
  entry: string;
  description: string;
  memorySize: number;
  ephemeralStorageSize: number;
  timeout: Duration;
  reservedConcurrentExecutions: number;
  environment: Record<string, string>;
  deadLetterQueue?: Queue;
  retryAttempts?: number;
  statements: PolicyStatement[];
  architecture: Architecture;
}

export interface LeadershipReportsInputs extends LeadershipReportsProps {
  lakeBucket: Bucket;
  dataKey: Key;
  messagingKey: Key;
  alertTopic: Topic;
  /** Where failed schedule deliveries and failed asynchronous runs go (the models DLQ, alarmed). */
  deadLetterQueue: Queue;
  architecture: Architecture;
  /** The environment every function gets (bucket, topic, log settings). */
  environment: Record<string, string>;
  /** Creates a function with its own role, customer-managed policy and encrypted log group. */
  nodeFunction: (id: string, options: DigestFunctionOptions) => NodejsFunction;
}

const SEVEN_DAYS = Duration.days(7);

/**
 * Reports for leadership: the weekly digest function and its schedule, and one customer-managed
 * policy (output by the stack) that reads only reports/ and exports/ of the lake bucket. The
 * models function writes those prefixes (its grant is in the stack).
 */
export class LeadershipReports extends Construct {
  readonly digestFunction: NodejsFunction;
  readonly digestSchedule: Rule;
  readonly readPolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, inputs: LeadershipReportsInputs) {
    super(scope, id);
    const { lakeBucket, dataKey } = inputs;
    const lifetime = inputs.digestLinkLifetime ?? SEVEN_DAYS;
    if (lifetime.toSeconds() < 1 || lifetime.toSeconds() > SEVEN_DAYS.toSeconds())
      throw new Error(
        `digestLinkLifetime must be 1 second to 7 days (SigV4), got ${lifetime.toHumanString()}`,
      );
    const reports = lakeBucket.arnForObjects(`${REPORTS_PREFIX}*`);
    const exports = lakeBucket.arnForObjects(`${EXPORTS_PREFIX}*`);

    this.digestFunction = inputs.nodeFunction('Digest', {
      entry: 'functions/aws/handlers/digestHandler.ts',
      description: 'recoup: the weekly digest, with a link to the report, to the alert topic',
      memorySize: 512,
      ephemeralStorageSize: 512,
      timeout: Duration.minutes(1),
      reservedConcurrentExecutions: 1,
      deadLetterQueue: inputs.deadLetterQueue,
      retryAttempts: 0,
      architecture: inputs.architecture,
      environment: {
        ...inputs.environment,
        DIGEST_LINK: inputs.presignDigestLink === false ? 'console' : 'presigned',
        DIGEST_LINK_SECONDS: String(lifetime.toSeconds()),
      },
      statements: [
        // Reads the digest the models run kept; a presigned link is signed with this role, so it
        // reads the report too. Nothing else of the lake.
        new PolicyStatement({ sid: 'ReadReports', actions: ['s3:GetObject'], resources: [reports] }),
        // A missing digest (before the first models run) answers 404 only to a caller that may list.
        new PolicyStatement({
          sid: 'ListLake',
          actions: ['s3:ListBucket'],
          resources: [lakeBucket.bucketArn],
        }),
        new PolicyStatement({ sid: 'ReadDataKey', actions: ['kms:Decrypt'], resources: [dataKey.keyArn] }),
        new PolicyStatement({
          sid: 'UseMessagingKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [inputs.messagingKey.keyArn],
        }),
        new PolicyStatement({
          sid: 'PublishDigest',
          actions: ['sns:Publish'],
          resources: [inputs.alertTopic.topicArn],
        }),
        new PolicyStatement({
          sid: 'SendToDlq',
          actions: ['sqs:SendMessage'],
          resources: [inputs.deadLetterQueue.queueArn],
        }),
      ],
    });

    this.digestSchedule = new Rule(this, 'DigestSchedule', {
      description: 'recoup: weekly digest to the alert topic',
      schedule: inputs.digestSchedule ?? Schedule.cron({ weekDay: 'MON', hour: '7', minute: '0' }),
      targets: [
        new LambdaFunction(this.digestFunction, {
          deadLetterQueue: inputs.deadLetterQueue,
          retryAttempts: 2,
        }),
      ],
    });

    this.readPolicy = new ManagedPolicy(this, 'LeadershipReadPolicy', {
      description:
        'recoup: read the reports and finance exports (reports/, exports/ of the lake bucket) only',
      statements: [
        new PolicyStatement({
          sid: 'ReadReportsAndExports',
          actions: ['s3:GetObject'],
          resources: [reports, exports],
        }),
        new PolicyStatement({
          sid: 'ListReportsAndExports',
          actions: ['s3:ListBucket'],
          resources: [lakeBucket.bucketArn],
          conditions: {
            StringLike: {
              's3:prefix': [REPORTS_PREFIX, `${REPORTS_PREFIX}*`, EXPORTS_PREFIX, `${EXPORTS_PREFIX}*`],
            },
          },
        }),
        // The objects are SSE-KMS with the data key: reading them needs Decrypt, through S3 only.
        new PolicyStatement({
          sid: 'DecryptThroughS3',
          actions: ['kms:Decrypt'],
          resources: [dataKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
        }),
      ],
    });
    new CfnOutput(Stack.of(this), 'LeadershipReadPolicyArn', {
      description:
        'Attach to the people or roles who read the reports and exports (nothing else of the lake)',
      value: this.readPolicy.managedPolicyArn,
    });
    new CfnOutput(Stack.of(this), 'DigestFunctionName', { value: this.digestFunction.functionName });

    // The wildcards are the reports/ and exports/ prefixes of one bucket: dated keys unknown at deploy time.
    const stack = Stack.of(this);
    const lakeId = stack.resolve((lakeBucket.node.defaultChild as CfnBucket).logicalId);
    const finding = (prefix: string) => `AwsSolutions-IAM5[Resource::<${lakeId}.Arn>/${prefix}*]`;
    const reason =
      'Report and export keys are dated (reports/<as-of>.html, exports/<as-of>/<mart>.csv) and unknown at deploy time; the wildcard is confined to one prefix of one bucket.';
    for (const [scope, prefixes] of [
      [this.readPolicy, [REPORTS_PREFIX, EXPORTS_PREFIX]],
      [stack.node.findChild('DigestPolicy'), [REPORTS_PREFIX]],
    ] as const) {
      for (const prefix of prefixes) Validations.of(scope).acknowledge({ id: finding(prefix), reason });
    }
    Validations.of(this.digestFunction).acknowledge({
      id: 'HIPAA.Security-LambdaInsideVPC',
      reason:
        'The digest function reaches only S3 and SNS over TLS with IAM auth and holds no network listener; a VPC would add NAT or endpoint cost without reducing exposure.',
    });
    Validations.of(this.digestFunction.node.findChild('EventInvokeConfig')).acknowledge({
      id: 'Serverless-LambdaAsyncFailureDestination',
      reason:
        'Asynchronous failures of the digest function go to the models dead-letter queue (deadLetterConfig, depth alarmed); an on-failure destination would deliver the same failed event to a queue a second time.',
    });
    Validations.of(stack.node.findChild('DigestPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (AWS documents Resource "*"); only these two write actions are granted, for active tracing.',
    });
  }
}
