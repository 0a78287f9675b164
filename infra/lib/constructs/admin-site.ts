/**
 * The admin app: a private S3 bucket served by CloudFront through Origin Access Control, with
 * the built app from `admin-ui/dist` and a runtime `config.json` generated at deploy time (so one
 * build of the app serves any deployment). Without a built app only the config is deployed, and
 * the synth says so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

/** The runtime configuration the admin app fetches from `/config.json`. */
export interface AdminRuntimeConfig {
  apiUrl: string;
  webSocketUrl: string;
  auth: {
    mode: 'cognito';
    region: string;
    userPoolId: string;
    clientId: string;
    /** Hosted UI base URL: `/oauth2/authorize`, `/oauth2/token` and `/logout` live under it. */
    domain: string;
    redirectUri: string;
    logoutUri: string;
    scopes: string[];
    adminGroup: string;
  };
}

export interface AdminSiteProps {
  /** Directory of the built admin app; deployed when it exists at synth. */
  distDir: string;
}

export class AdminSite extends Construct {
  readonly bucket: s3.Bucket;
  readonly logBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  private readonly distDir: string;

  constructor(scope: Construct, id: string, props: AdminSiteProps) {
    super(scope, id);
    this.distDir = props.distDir;
    const region = Stack.of(this).region;

    this.logBucket = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      // CloudFront's standard logs are delivered with ACLs.
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.logBucket, {
      id: 'AwsSolutions-S1',
      reason:
        'This bucket receives the access logs of the site bucket and the distribution; logging it into itself would loop.',
    });

    this.bucket = new s3.Bucket(this, 'Content', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 'site-bucket/',
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          override: true,
          contentSecurityPolicy: [
            "default-src 'self'",
            "script-src 'self'",
            // The component library injects its theme as <style> elements at run time.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            // The header cannot name the APIs (they depend on this distribution for CORS);
            // index.html carries a second policy pinning connect-src to them (see deploy()).
            `connect-src 'self' https://*.execute-api.${region}.amazonaws.com wss://*.execute-api.${region}.amazonaws.com https://*.amazoncognito.com https://cognito-idp.${region}.amazonaws.com`,
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "form-action 'self' https://*.amazoncognito.com",
          ].join('; '),
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: {
          referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          override: true,
        },
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'Warden admin app',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: headers,
      },
      // A single-page app: unknown paths are client-side routes.
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(0),
      })),
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    });
    acknowledge(
      this.distribution,
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Admins work from anywhere; sign-in (Cognito with MFA) is the access control, not geography.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves only static files of the admin app; every API call is authorized by Cognito JWTs at API Gateway. A web ACL can be attached per account without changing this app.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'The distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the TLS policy; a custom domain with its own certificate and TLSv1.2_2021 is a per-account choice.',
      },
    );
  }

  get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }

  /** Deploys the built app (when present) and the runtime config.json. */
  deploy(config: AdminRuntimeConfig): void {
    const hasBuild = existsSync(this.distDir);
    let app: s3deploy.BucketDeployment | undefined;
    const deployTime: s3deploy.ISource[] = [s3deploy.Source.jsonData('config.json', config)];
    if (hasBuild) {
      deployTime.push(
        s3deploy.Source.data(
          'index.html',
          pinConnectSources(this.distDir, config, Stack.of(this).region),
        ),
      );
      app = new s3deploy.BucketDeployment(this, 'App', {
        sources: [s3deploy.Source.asset(this.distDir, { exclude: ['config.json', 'index.html'] })],
        destinationBucket: this.bucket,
        // config.json and index.html belong to the deployment below; pruning must leave them.
        exclude: ['config.json', 'index.html'],
        prune: true,
        memoryLimit: 512,
      });
    } else {
      Annotations.of(this).addWarningV2(
        'warden:admin-ui-not-built',
        `${this.distDir} does not exist: only config.json is deployed. Run "npm run build -w admin-ui" before "cdk deploy" to ship the admin app.`,
      );
    }
    const runtimeConfig = new s3deploy.BucketDeployment(this, 'RuntimeConfig', {
      sources: deployTime,
      destinationBucket: this.bucket,
      prune: false,
      cacheControl: [s3deploy.CacheControl.noCache()],
      distribution: this.distribution,
      // Runs after the app deployment, so one invalidation covers both.
      distributionPaths: ['/*'],
      memoryLimit: 512,
    });
    if (app) runtimeConfig.node.addDependency(app);
  }
}

/**
 * index.html with a Content-Security-Policy meta element that allows connections to this
 * deployment's HTTP API, its WebSocket API and its sign-in endpoints only. Browsers enforce every
 * policy they are given, so this narrows the header's connect-src (which cannot name the APIs
 * without a dependency cycle). The URLs are deploy-time values, filled in by the deployment.
 */
export function pinConnectSources(
  distDir: string,
  config: AdminRuntimeConfig,
  region: string,
): string {
  const html = readFileSync(join(distDir, 'index.html'), 'utf8');
  // A source ending in "/" covers every path under it (the HTTP API's routes).
  const sources = [
    "'self'",
    config.apiUrl,
    config.webSocketUrl,
    config.auth.domain,
    `https://cognito-idp.${region}.amazonaws.com`,
  ];
  const meta = `<meta http-equiv="Content-Security-Policy" content="connect-src ${sources.join(' ')}">`;
  if (/<head[^>]*>/i.test(html))
    return html.replace(/<head[^>]*>/i, (head) => `${head}\n    ${meta}`);
  // No <head> element (it is optional in HTML): the meta goes first, after any doctype.
  return html.replace(/^(<!doctype[^>]*>\s*)?/i, (doctype) => `${doctype}${meta}\n`);
}
