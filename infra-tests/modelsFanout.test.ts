import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODELS_SCRATCH_MAX_MB, PREFIXES, RecoupStack, type RecoupStackProps } from '../cdk/recoupStack.ts';
import { addRulePacks } from '../cdk/rulePacks.ts';

// The models fan-out (Step Functions: plan → one models function per payer group → merge) and
// what the models function needs to read little: the compacted layer, its state, the group outputs.

const CDK_CONTEXT = (JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> })
  .context;

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** A stack synthesized without bundling (fast), with the rule packs: synth throws on any finding. */
function synth(props: RecoupStackProps): { stack: RecoupStack; template: Template; resources: Resources } {
  const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new RecoupStack(app, 'Recoup', props);
  addRulePacks(app);
  app.synth();
  const template = Template.fromStack(stack);
  return { stack, template, resources: template.toJSON().Resources as Resources };
}

/** The state machine's definition as JSON, with CloudFormation references replaced by their logical ids. */
function definition(resources: Resources): {
  StartAt: string;
  States: Record<string, Record<string, unknown>>;
} {
  const machine = Object.values(resources).find((r) => r.Type === 'AWS::StepFunctions::StateMachine');
  if (machine?.Properties === undefined) throw new Error('no state machine');
  const parts = (machine.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  const text = parts
    .map((p) => (typeof p === 'string' ? p : `REF:${JSON.stringify(p).replace(/"/g, "'")}`))
    .join('');
  return JSON.parse(text);
}

function logicalIdOf(resources: Resources, type: string, match: (r: Resources[string]) => boolean): string {
  const found = Object.entries(resources).find(([, r]) => r.Type === type && match(r));
  if (found === undefined) throw new Error(`no ${type}`);
  return found[0];
}

describe('models fan-out (default: the schedule runs the single job)', () => {
  let single: ReturnType<typeof synth>;
  let fanout: ReturnType<typeof synth>;
  beforeAll(() => {
    single = synth({});
    fanout = synth({ modelsRun: 'fanout', fanoutGroups: 12 });
  });

  it('runs plan, then one models invocation per payer group (at most the groups at once), then merge', () => {
    const def = definition(fanout.resources);
    expect(def.StartAt).toBe('Plan');
    const plan = def.States.Plan as Record<string, unknown>;
    expect(plan.Parameters).toEqual({ step: 'plan', jobs: 12 });
    expect(plan.ResultPath).toBe('$.plan');
    expect(plan.Next).toBe('Groups');
    const groups = def.States.Groups as Record<string, unknown>;
    expect(groups.Type).toBe('Map');
    expect(groups.MaxConcurrency).toBe(12);
    expect(groups.ItemsPath).toBe('$.plan.groups');
    expect(groups.ItemSelector).toMatchObject({ step: 'partition', 'payers.$': '$$.Map.Item.Value.payers' });
    expect(groups.ResultPath).toBe('$.partitions');
    expect(groups.Next).toBe('Merge');
    const inner = (groups.ItemProcessor as { States: Record<string, Record<string, unknown>> }).States
      .BuildGroup as Record<string, unknown>;
    // A group that ran out of time saved its copy state; the retry resumes it.
    expect(inner.Retry).toEqual(
      expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['SyncIncompleteError'] })]),
    );
    const merge = def.States.Merge as Record<string, unknown>;
    expect(merge.Parameters).toMatchObject({
      step: 'merge',
      'run.$': '$.plan.run',
      'partitions.$': '$.partitions',
    });
    expect(merge.End).toBe(true);
    // Every task invokes the one models function.
    const fn = logicalIdOf(fanout.resources, 'AWS::Lambda::Function', (r) =>
      String(r.Properties?.Description).includes('build the marts'),
    );
    for (const task of [plan, inner, merge]) expect(String(task.Resource)).toContain(fn);
  });

  it('logs every state machine event to an encrypted log group and traces it', () => {
    fanout.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    fanout.template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: Match.anyValue(),
      RetentionInDays: 365,
    });
  });

  it('schedules the single job by default and the state machine when modelsRun is fanout', () => {
    const target = (t: Template) =>
      Object.values(t.findResources('AWS::Events::Rule')).map(
        (r) => (r.Properties as { Targets: { Arn: unknown }[] }).Targets[0]?.Arn,
      );
    const singleFn = logicalIdOf(single.resources, 'AWS::Lambda::Function', (r) =>
      String(r.Properties?.Description).includes('build the marts'),
    );
    expect(JSON.stringify(target(single.template))).toContain(singleFn);
    const machine = logicalIdOf(fanout.resources, 'AWS::StepFunctions::StateMachine', () => true);
    expect(JSON.stringify(target(fanout.template))).toContain(machine);
    // The state machine exists in both modes (it can be started by hand).
    single.template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  });

  it('lets one models function run at a time for the single job, one per group for the fan-out', () => {
    single.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('build the marts'),
      ReservedConcurrentExecutions: 1,
      Environment: {
        Variables: Match.objectLike({
          RECOUP_SCRATCH_MAX_MB: String(MODELS_SCRATCH_MAX_MB),
          RECOUP_FANOUT_GROUPS: '8',
        }),
      },
      EphemeralStorage: { Size: 4096 },
    });
    fanout.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('build the marts'),
      ReservedConcurrentExecutions: 12,
    });
    // The lake files a build copies fit /tmp with room for DuckDB's spill and the marts.
    expect(MODELS_SCRATCH_MAX_MB).toBeLessThan(4096);
  });

  it('lets the models function read the compacted layer and keep group outputs; they expire', () => {
    const policy = JSON.stringify(
      Object.values(fanout.resources).find(
        (r) =>
          r.Type === 'AWS::IAM::ManagedPolicy' &&
          String(r.Properties?.Description).includes('Models function'),
      )?.Properties,
    );
    expect(policy).toContain(`/${PREFIXES.compacted}*`);
    expect(policy).toContain(`/${PREFIXES.fanout}*`);
    expect(policy).toContain(`/${PREFIXES.state}*`);
    fanout.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'expire-fanout-outputs', Prefix: PREFIXES.fanout, ExpirationInDays: 7 }),
        ]),
      },
    });
  });

  it('gives the state machine a role with a managed policy invoking the models function only', () => {
    const [role] = Object.values(fanout.template.findResources('AWS::IAM::Role')).filter((r) =>
      JSON.stringify(r).includes('states.amazonaws.com'),
    );
    expect(role?.Properties?.Policies).toBeUndefined();
    const invoke = Object.values(fanout.template.findResources('AWS::IAM::ManagedPolicy'))
      .flatMap(
        (p) =>
          (p.Properties as { PolicyDocument: { Statement: { Sid?: string; Resource: unknown }[] } })
            .PolicyDocument.Statement,
      )
      .find((s) => s.Sid === 'InvokeModels');
    expect(JSON.stringify(invoke?.Resource)).not.toContain(':*');
  });

  it('refuses more groups than an inline Map runs at once', () => {
    const app = new App({ context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    expect(() => new RecoupStack(app, 'TooMany', { modelsRun: 'fanout', fanoutGroups: 41 })).toThrow(
      /1\.\.40/,
    );
  });
});
