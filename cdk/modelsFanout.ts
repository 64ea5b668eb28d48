import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DefinitionBody,
  JsonPath,
  LogLevel,
  Map as MapState,
  StateMachine,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';

export interface ModelsFanoutProps {
  /** The models function: it runs the plan, each group and the merge (functions/aws/handlers/modelsHandler.ts). */
  modelsFunction: IFunction;
  /** Payer groups at most, and so functions at once (inline Map: 40 at most). */
  groups: number;
  logKey: Key;
}

/**
 * The models job fanned out by payer: Plan (split the payers into groups) → Groups (a Map state,
 * one models-function invocation per group, at most `groups` at once) → Merge (the marts, alerts).
 * An inline Map, not a Distributed Map: the items are the few groups the plan returns (a few
 * kilobytes, at most 40 at once), which an inline Map carries in the state itself; a Distributed
 * Map pays for child executions and an item source in S3 that this does not need.
 */
export class ModelsFanout extends Construct {
  readonly stateMachine: StateMachine;

  constructor(scope: Construct, id: string, props: ModelsFanoutProps) {
    super(scope, id);
    if (!Number.isInteger(props.groups) || props.groups < 1 || props.groups > 40)
      throw new RangeError(
        `fan-out groups must be 1..40 (an inline Map runs at most 40 at once), got ${props.groups}`,
      );
    const invoke = (name: string, payload: TaskInput, resultPath?: string) =>
      new LambdaInvoke(this, name, {
        lambdaFunction: props.modelsFunction,
        payload,
        payloadResponseOnly: true,
        retryOnServiceExceptions: true,
        ...(resultPath === undefined ? {} : { resultPath }),
      });

    const plan = invoke('Plan', TaskInput.fromObject({ step: 'plan', jobs: props.groups }), '$.plan');
    plan.addRetry({ errors: ['SyncIncompleteError'], maxAttempts: 3, interval: Duration.seconds(5) });

    const group = invoke('BuildGroup', TaskInput.fromJsonPathAt('$'));
    // A group whose copy ran out of time saved its state: the retry resumes the copy.
    group.addRetry({ errors: ['SyncIncompleteError'], maxAttempts: 5, interval: Duration.seconds(5) });
    const groups = new MapState(this, 'Groups', {
      itemsPath: '$.plan.groups',
      maxConcurrency: props.groups,
      itemSelector: {
        step: 'partition',
        'run.$': '$$.Map.Item.Value.run',
        'index.$': '$$.Map.Item.Value.index',
        'payers.$': '$$.Map.Item.Value.payers',
        'asOf.$': '$$.Map.Item.Value.asOf',
        'appealsAsOf.$': '$$.Map.Item.Value.appealsAsOf',
      },
      resultPath: '$.partitions',
    });
    groups.itemProcessor(group);

    const merge = invoke(
      'Merge',
      TaskInput.fromObject({
        step: 'merge',
        run: JsonPath.stringAt('$.plan.run'),
        asOf: JsonPath.stringAt('$.plan.asOf'),
        appealsAsOf: JsonPath.stringAt('$.plan.appealsAsOf'),
        partitions: JsonPath.listAt('$.partitions'),
      }),
    );

    const logGroup = new LogGroup(this, 'LogGroup', {
      retention: RetentionDays.ONE_YEAR,
      encryptionKey: props.logKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // An explicit role with a customer-managed policy (no inline policy, no `<function>:*`): the
    // state machine invokes the function's unqualified ARN only.
    const policy = new ManagedPolicy(this, 'Policy', {
      description: 'recoup models fan-out state machine: least privilege',
      statements: [
        new PolicyStatement({
          sid: 'InvokeModels',
          actions: ['lambda:InvokeFunction'],
          resources: [props.modelsFunction.functionArn],
        }),
        new PolicyStatement({
          sid: 'WriteTraces',
          actions: [
            'xray:PutTraceSegments',
            'xray:PutTelemetryRecords',
            'xray:GetSamplingRules',
            'xray:GetSamplingTargets',
          ],
          resources: ['*'],
        }),
        new PolicyStatement({
          sid: 'DeliverLogs',
          actions: [
            'logs:CreateLogDelivery',
            'logs:GetLogDelivery',
            'logs:UpdateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:DescribeResourcePolicies',
            'logs:DescribeLogGroups',
          ],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions documents Resource "*" for its CloudWatch Logs delivery actions (logs:CreateLogDelivery and the rest of vended log delivery) and for the X-Ray write and sampling actions of tracing; neither supports resource-level permissions.',
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('states.amazonaws.com'),
      description: 'recoup models fan-out state machine',
      managedPolicies: [policy],
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      role: role.withoutPolicyUpdates(),
      comment: 'recoup: the models build fanned out by payer group, then merged',
      definitionBody: DefinitionBody.fromChainable(plan.next(groups).next(merge)),
      timeout: Duration.hours(3),
      tracingEnabled: true,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: false },
    });
  }
}
