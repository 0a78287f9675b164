/**
 * Where workers run: a VPC (private subnets behind NAT, free gateway endpoints for DynamoDB and
 * S3, rejected-traffic flow logs), an ECS cluster with Container Insights (its RunningTaskCount
 * feeds the backlog-per-task scaling), the worker image (infra/lib/worker-image.ts: the
 * Dockerfile with a workflows folder baked in) built at deploy time, and the role and log group every worker service shares.
 */
import { join } from 'node:path';
import { RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { stageWorkerImage, type WorkerImageOptions } from '../worker-image.js';

export interface WorkerClusterProps {
  prefix: string;
  natGateways: number;
  logRetention: logs.RetentionDays;
  /** The workflows folder and base image baked into the worker image (samples by default). */
  image?: WorkerImageOptions;
}

// Where the image's build context filter lives now; kept importable from here.
export { workerImageExcludes } from '../worker-image.js';

export class WorkerCluster extends Construct {
  readonly vpc: ec2.Vpc;
  readonly cluster: ecs.Cluster;
  readonly image: ecs.ContainerImage;
  readonly taskRole: iam.Role;
  /** Pulls the image and writes the logs (ECS's own use, not the worker's). */
  readonly executionRole: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly securityGroup: ec2.SecurityGroup;
  readonly subnets: ec2.SubnetSelection;
  readonly assignPublicIp: boolean;

  constructor(scope: Construct, id: string, props: WorkerClusterProps) {
    super(scope, id);
    const private_ = props.natGateways > 0;
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: props.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        ...(private_
          ? [{ name: 'workers', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 }]
          : []),
      ],
      gatewayEndpoints: {
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
      },
      flowLogs: {
        rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', {
              retention: props.logRetention,
              removalPolicy: RemovalPolicy.DESTROY,
            }),
          ),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    // Without NAT (natGateways=0, cheaper) tasks sit in public subnets with a public IP; the
    // security group still admits nothing inbound.
    this.subnets = {
      subnetType: private_ ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC,
    };
    this.assignPublicIp = !private_;
    this.securityGroup = new ec2.SecurityGroup(this, 'WorkerSecurityGroup', {
      vpc: this.vpc,
      description: 'Warden workers: no inbound traffic; outbound HTTPS to AWS APIs',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs over HTTPS');

    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      clusterName: `${props.prefix}-workers`,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    // The same staged context, Dockerfile and build arguments as `npm run image`, staged beside
    // the cloud assembly; the asset hash follows its contents, so the workflows folder counts.
    const image = stageWorkerImage(
      join(Stage.of(this)?.outdir ?? '.', `${this.node.addr}.worker-context`),
      props.image ?? {},
    );
    this.image = ecs.ContainerImage.fromDockerImageAsset(
      new ecrAssets.DockerImageAsset(this, 'Image', {
        directory: image.directory,
        file: image.file,
        buildArgs: image.buildArgs,
        platform: ecrAssets.Platform.LINUX_AMD64,
      }),
    );

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Confused-deputy guard: ECS may assume these roles only for tasks of this account.
    const ecsTasks = (): iam.IPrincipal =>
      new iam.ServicePrincipal('ecs-tasks.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnLike: {
            'aws:SourceArn': Stack.of(this).formatArn({ service: 'ecs', resource: '*' }),
          },
        },
      });
    this.taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: ecsTasks(),
      description: 'Warden worker tasks: what the worker code calls, nothing more',
    });
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: ecsTasks(),
      description: 'ECS pulls the Warden worker image and ships its logs with this role',
    });
  }

  /** ARN pattern of this cluster's tasks (task protection, StopTask). */
  get taskArnPattern(): string {
    return this.cluster.stack.formatArn({
      service: 'ecs',
      resource: 'task',
      resourceName: `${this.cluster.clusterName}/*`,
    });
  }
}
