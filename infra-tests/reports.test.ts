import { readFileSync } from 'node:fs';
import { App, Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecoupStack, type RecoupStackProps } from '../cdk/recoupStack.ts';
import { addRulePacks } from '../cdk/rulePacks.ts';

// Issue 25 on AWS (cdk/leadershipReports.ts): the weekly digest's schedule and function, the
// models function's grant on reports/ and exports/, and the leadership read policy.

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
const CDK_CONTEXT = (JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> })
  .context;

/** A stack without bundling (the template is what is asserted), with the rule packs; synth throws on findings. */
function synth(props: RecoupStackProps = {}) {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new RecoupStack(app, 'Recoup', props);
  addRulePacks(app);
  app.synth();
  const template = Template.fromStack(stack);
  return { stack, template, resources: template.toJSON().Resources as Resources };
}

const idOf = (stack: RecoupStack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

describe('leadership reports stack', () => {
  let built: ReturnType<typeof synth>;
  beforeAll(() => {
    built = synth();
  });

  it('synthesizes with the three rule packs and no unacknowledged finding', () => {
    expect(built.stack.reports.readPolicy).toBeDefined();
  });

  it('runs the digest weekly (Monday 07:00 UTC) into the digest function, failed deliveries to the DLQ', () => {
    const { stack, template } = built;
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 7 ? * MON *)',
      State: 'ENABLED',
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [idOf(stack, stack.reports.digestFunction), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [idOf(stack, stack.modelsDlq), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 2 },
        }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      ReservedConcurrentExecutions: 1,
      Environment: {
        Variables: Match.objectLike({
          DIGEST_LINK: 'presigned',
          DIGEST_LINK_SECONDS: String(7 * 24 * 3600),
          ALERT_TOPIC_ARN: { Ref: idOf(stack, stack.alertTopic) },
        }),
      },
    });
  });

  it('takes the schedule, the link lifetime and the console link as props', () => {
    const { template } = synth({
      digestSchedule: Schedule.cron({ weekDay: 'FRI', hour: '16', minute: '30' }),
      digestLinkLifetime: Duration.days(2),
      presignDigestLink: false,
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(30 16 ? * FRI *)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ DIGEST_LINK: 'console', DIGEST_LINK_SECONDS: String(2 * 24 * 3600) }),
      },
    });
    expect(() => synth({ digestLinkLifetime: Duration.days(8) })).toThrow(/7 days/);
  });

  it('outputs one managed policy that reads reports/ and exports/ only, and decrypts through S3 with the data key', () => {
    const { stack, template, resources } = built;
    const policyId = idOf(stack, stack.reports.readPolicy);
    template.hasOutput('LeadershipReadPolicyArn', { Value: { Ref: policyId } });
    const lake = idOf(stack, stack.lakeBucket);
    const statements = (
      resources[policyId]!.Properties!.PolicyDocument as {
        Statement: { Sid: string; Action: string | string[]; Resource: unknown; Condition?: unknown }[];
      }
    ).Statement;
    expect(statements.map((s) => s.Sid)).toEqual([
      'ReadReportsAndExports',
      'ListReportsAndExports',
      'DecryptThroughS3',
    ]);
    const [read, list, decrypt] = statements;
    expect(read!.Action).toBe('s3:GetObject');
    expect(read!.Resource).toHaveLength(2);
    expect(read!.Resource).toEqual(
      expect.arrayContaining([
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [lake, 'Arn'] }, '/reports/*']] },
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [lake, 'Arn'] }, '/exports/*']] },
      ]),
    );
    expect(list!.Action).toBe('s3:ListBucket');
    expect(list!.Resource).toEqual({ 'Fn::GetAtt': [lake, 'Arn'] });
    expect(list!.Condition).toEqual({
      StringLike: { 's3:prefix': ['reports/', 'reports/*', 'exports/', 'exports/*'] },
    });
    expect(decrypt!.Action).toBe('kms:Decrypt');
    expect(decrypt!.Resource).toEqual({ 'Fn::GetAtt': [idOf(stack, stack.dataKey), 'Arn'] });
    expect(JSON.stringify(decrypt!.Condition)).toContain('kms:ViaService');
    // Nothing but these three statements: no write, no delete, no other prefix or key.
    expect(JSON.stringify(statements)).not.toMatch(/Put|Delete|marts\/|landing/);
  });

  it('keeps reports and exports SSE-KMS with the data key in a bucket that blocks all public access', () => {
    const { stack, resources } = built;
    const bucket = resources[idOf(stack, stack.lakeBucket)]!.Properties!;
    expect(bucket.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [
        {
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: {
            SSEAlgorithm: 'aws:kms',
            KMSMasterKeyID: { 'Fn::GetAtt': [idOf(stack, stack.dataKey), 'Arn'] },
          },
        },
      ],
    });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('lets the models function write reports/ and exports/, and the digest function only read reports/', () => {
    const { stack, resources } = built;
    const lake = idOf(stack, stack.lakeBucket);
    const statementsOf = (prefix: string) => {
      const [, policy] = Object.entries(resources).find(
        ([id, r]) => r.Type === 'AWS::IAM::ManagedPolicy' && id.startsWith(prefix),
      )!;
      return (
        policy.Properties!.PolicyDocument as {
          Statement: { Sid: string; Action: unknown; Resource: unknown }[];
        }
      ).Statement;
    };
    const write = statementsOf('ModelsPolicy').find((s) => s.Sid === 'WriteReports')!;
    expect([write.Action].flat().sort()).toEqual(['s3:AbortMultipartUpload', 's3:PutObject']);
    expect(write.Resource).toHaveLength(2);
    expect(write.Resource).toEqual(
      expect.arrayContaining([
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [lake, 'Arn'] }, '/reports/*']] },
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': [lake, 'Arn'] }, '/exports/*']] },
      ]),
    );
    const digest = statementsOf('DigestPolicy');
    const objectGrants = digest.filter((s) => [s.Action].flat().some((a) => String(a).startsWith('s3:Get')));
    expect(objectGrants).toEqual([
      {
        Sid: 'ReadReports',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [lake, 'Arn'] }, '/reports/*']] },
      },
    ]);
    for (const s of digest) expect([s.Action].flat().join(), s.Sid).not.toMatch(/\*|s3:Put|Delete/);
  });
});
