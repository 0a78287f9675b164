/**
 * The role whose credentials workflows get. The worker's task role may assume it (and nothing
 * else may); the worker hands its short-lived credentials to runners and refreshes them, so a
 * workflow never holds the worker's own permissions (every Warden table, every admin's
 * WebSocket). It holds nothing by default: the platform team grants it what workflows need, e.g.
 * `stack.workflowRole.addToPolicy(...)` or `bucket.grantRead(stack.workflowRole)`.
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

export interface WorkflowRoleProps {
  /** The worker task role, the one principal trusted to assume it. */
  assumedBy: iam.IRole;
}

export class WorkflowRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: WorkflowRoleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ArnPrincipal(props.assumedBy.roleArn),
      description: 'Workflows run by Warden workers: grant here what workflows need',
      // Role chaining (task role → this role) caps sessions at one hour anyway.
      maxSessionDuration: Duration.hours(1),
    });
    props.assumedBy.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [this.role.roleArn] }),
    );
  }
}
