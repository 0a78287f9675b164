/**
 * Who may administer Warden. `AdminUsers` (stateful stack: the accounts and their MFA enrolments
 * outlive any runtime deployment) is the Cognito user pool — no self sign-up, MFA required — with
 * its hosted UI domain and the admin group the handlers check. `AdminAppClient` (runtime stack,
 * beside the app it serves) is the public app client: authorization code with PKCE, no secret.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';

export interface AdminUsersProps {
  prefix: string;
  adminGroup: string;
  viewerGroup: string;
}

export const OAUTH_SCOPES = ['openid', 'email', 'profile'];

export class AdminUsers extends Construct {
  readonly userPool: cognito.UserPool;
  readonly domain: cognito.UserPoolDomain;
  readonly adminGroupName: string;
  readonly viewerGroupName: string;

  constructor(scope: Construct, id: string, props: AdminUsersProps) {
    super(scope, id);
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `${props.prefix}-admins`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.userPool, {
      id: 'AwsSolutions-COG8',
      reason:
        'Threat protection needs the Cognito Plus plan; this pool holds a handful of platform admins who sign in with a strong password and a required TOTP second factor.',
    });

    this.domain = this.userPool.addDomain('HostedUi', {
      // Globally unique: the prefix plus the account number.
      cognitoDomain: { domainPrefix: `${props.prefix}-admin-${Stack.of(this).account}` },
    });

    this.adminGroupName = props.adminGroup;
    new cognito.CfnUserPoolGroup(this, 'AdminGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: props.adminGroup,
      description: 'Platform admins: may use the admin app, API and live events',
    });
    this.viewerGroupName = props.viewerGroup;
    new cognito.CfnUserPoolGroup(this, 'ViewerGroup', {
      userPoolId: this.userPool.userPoolId,
      groupName: props.viewerGroup,
      description: 'Viewers: may read the admin app, API and live events, and change nothing',
    });
  }

  /** The hosted UI's base URL (authorize, token and logout endpoints live under it). */
  get hostedUiUrl(): string {
    return this.domain.baseUrl();
  }
}

export interface AdminAppClientProps {
  prefix: string;
  userPool: cognito.IUserPool;
  /** Where the hosted UI may send users back after signing in (the app's /auth/callback). */
  callbackUrls: string[];
  /** Where the hosted UI may send users after signing out (the app's /login). */
  logoutUrls: string[];
}

export class AdminAppClient extends Construct {
  readonly client: cognito.UserPoolClient;

  constructor(scope: Construct, id: string, props: AdminAppClientProps) {
    super(scope, id);
    this.client = new cognito.UserPoolClient(this, 'Client', {
      userPool: props.userPool,
      userPoolClientName: `${props.prefix}-admin-app`,
      generateSecret: false,
      // The admin app uses the hosted UI (code + PKCE). Operators get a token for the CLI with
      // their AWS credentials plus password and TOTP (admin-initiate-auth), see operations.md.
      authFlows: { adminUserPassword: true },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [cognito.OAuthScope.OPENID, cognito.OAuthScope.EMAIL, cognito.OAuthScope.PROFILE],
        callbackUrls: props.callbackUrls,
        logoutUrls: props.logoutUrls,
      },
      supportedIdentityProviders: [cognito.UserPoolClientIdentityProvider.COGNITO],
    });
  }
}
