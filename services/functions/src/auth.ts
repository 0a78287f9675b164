/**
 * Who is calling, and what may they do. Two roles: an admin reads and acts; a viewer reads
 * everything and acts on nothing. Two authenticators behind one interface: locally shared
 * tokens (compared in constant time); in AWS a Cognito JWT verified against the user pool's
 * JWKS, whose `cognito:groups` decide the role (the admin group wins over the viewer group).
 * API Gateway's JWT authorizer checks the signature too, but only the handler knows about groups.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { ControlPlaneConfig, Role } from '@warden/core';

export interface Principal {
  /** Recorded as blacklistedBy / removedBy / requestedBy / updatedBy, and as the audit actor. */
  id: string;
  admin: boolean;
  /** May read: admins and viewers. */
  viewer: boolean;
  via: 'token' | 'cognito';
  /** When the token stops being valid (epoch ms); absent for the local token, which does not expire. */
  expiresAt?: number;
}

export const roleOf = (principal: Principal): Role =>
  principal.admin ? 'admin' : principal.viewer ? 'viewer' : 'none';

/** The groups the messages name, so a 403 says which membership is missing. */
export interface RoleNames {
  adminGroup: string;
  viewerGroup: string;
}

const DEFAULT_ROLE_NAMES: RoleNames = {
  adminGroup: 'platform-admins',
  viewerGroup: 'warden-viewers',
};

export class AuthError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

export interface Authenticator {
  /** Resolves the principal behind a bearer token, or throws AuthError(401). */
  authenticate(token: string | undefined): Promise<Principal>;
}

/** Throws AuthError(403), naming the admin role, unless the principal is an admin. */
export function requireAdmin(
  principal: Principal,
  names: RoleNames = DEFAULT_ROLE_NAMES,
): Principal {
  if (!principal.admin) {
    const now = principal.viewer ? 'has the viewer role (read-only)' : 'has no Warden role';
    throw new AuthError(
      403,
      `This action needs the admin role: ${principal.id} ${now}. Ask for membership of the admin group (${names.adminGroup})`,
    );
  }
  return principal;
}

/** Throws AuthError(403), naming the viewer role, unless the principal may read. */
export function requireViewer(
  principal: Principal,
  names: RoleNames = DEFAULT_ROLE_NAMES,
): Principal {
  if (!principal.admin && !principal.viewer) {
    throw new AuthError(
      403,
      `Reading Warden needs the viewer or admin role: ${principal.id} is signed in but has neither. Ask for membership of the viewer group (${names.viewerGroup}) or the admin group (${names.adminGroup})`,
    );
  }
  return principal;
}

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();
/** Hashing first makes the comparison constant-time whatever the lengths. */
const sameSecret = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));

export class TokenAuthenticator implements Authenticator {
  constructor(
    private readonly adminToken: string,
    private readonly nonAdminToken?: string,
    private readonly viewerToken?: string,
  ) {}

  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token) throw new AuthError(401, MISSING_TOKEN);
    // Every comparison always runs, so timing does not tell which token was close.
    const admin = sameSecret(token, this.adminToken);
    const nonAdmin = this.nonAdminToken ? sameSecret(token, this.nonAdminToken) : false;
    const viewer = this.viewerToken ? sameSecret(token, this.viewerToken) : false;
    if (admin) return { id: 'local-admin', admin: true, viewer: true, via: 'token' };
    if (viewer) return { id: 'local-viewer', admin: false, viewer: true, via: 'token' };
    if (nonAdmin) return { id: 'local-non-admin', admin: false, viewer: false, via: 'token' };
    throw new AuthError(
      401,
      'The token is not valid: use the admin or viewer token printed by npm start',
    );
  }
}

export interface CognitoOptions {
  /** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>` */
  issuer: string;
  /** The app client tokens must be issued to (ID token `aud`, access token `client_id`). */
  clientId: string;
  adminGroup: string;
  /** Members read everything and change nothing. */
  viewerGroup?: string;
  /** Key source; defaults to the user pool's published JWKS, fetched and cached by jose. */
  jwks?: JWTVerifyGetKey;
}

export class CognitoAuthenticator implements Authenticator {
  private readonly jwks: JWTVerifyGetKey;

  constructor(private readonly options: CognitoOptions) {
    this.jwks =
      options.jwks ?? createRemoteJWKSet(new URL(`${options.issuer}/.well-known/jwks.json`));
  }

  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token) throw new AuthError(401, MISSING_TOKEN);
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        issuer: this.options.issuer,
        algorithms: ['RS256'],
      }));
    } catch (error) {
      throw new AuthError(401, `The token was refused: ${describeJoseError(error)}; sign in again`);
    }
    const use = payload.token_use;
    const audienceOk =
      use === 'id'
        ? payload.aud === this.options.clientId
        : use === 'access' && payload.client_id === this.options.clientId;
    if (!audienceOk) {
      throw new AuthError(401, 'The token was not issued to the Warden admin app; sign in again');
    }
    const groups = Array.isArray(payload['cognito:groups'])
      ? (payload['cognito:groups'] as unknown[]).filter((g): g is string => typeof g === 'string')
      : [];
    const id =
      [payload['cognito:username'], payload.username, payload.email, payload.sub].find(
        (value): value is string => typeof value === 'string' && value.length > 0,
      ) ?? 'unknown';
    const admin = groups.includes(this.options.adminGroup);
    const viewer =
      admin ||
      (this.options.viewerGroup !== undefined && groups.includes(this.options.viewerGroup));
    return {
      id,
      admin,
      viewer,
      via: 'cognito',
      ...(typeof payload.exp === 'number' ? { expiresAt: payload.exp * 1000 } : {}),
    };
  }
}

function describeJoseError(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'it has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} is wrong`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof joseErrors.JOSEError) return error.code;
  return 'it is not a JWT';
}

const MISSING_TOKEN =
  'No token: send "Authorization: Bearer <token>" (WebSocket: the "token" query parameter)';

export function cognitoIssuer(userPoolId: string): string {
  const region = userPoolId.split('_')[0];
  return `https://cognito-idp.${region}.amazonaws.com/${userPoolId}`;
}

/** The authenticator the configuration asks for. */
export function createAuthenticator(config: ControlPlaneConfig): Authenticator {
  if (config.authMode === 'cognito') {
    return new CognitoAuthenticator({
      issuer: cognitoIssuer(config.cognitoUserPoolId as string),
      clientId: config.cognitoClientId as string,
      adminGroup: config.adminGroup,
      viewerGroup: config.viewerGroup,
    });
  }
  return new TokenAuthenticator(
    config.adminToken as string,
    config.nonAdminToken,
    config.viewerToken,
  );
}

/** The bearer token of an Authorization header, if any. */
export function bearerToken(header: string | undefined | null): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}
