/**
 * Who is calling, and may they administer Warden. Two authenticators behind one interface:
 * locally a shared admin token (compared in constant time); in AWS a Cognito JWT verified
 * against the user pool's JWKS, whose `cognito:groups` must include the admin group. API
 * Gateway's JWT authorizer checks the signature too, but only the handler knows about groups.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { ControlPlaneConfig } from '@warden/core';

export interface Principal {
  /** Recorded as blacklistedBy / removedBy / requestedBy / updatedBy. */
  id: string;
  admin: boolean;
  via: 'token' | 'cognito';
  /** When the token stops being valid (epoch ms); absent for the local token, which does not expire. */
  expiresAt?: number;
}

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

/** Throws AuthError(403) unless the principal is an admin. */
export function requireAdmin(principal: Principal): Principal {
  if (!principal.admin) {
    throw new AuthError(
      403,
      `${principal.id} is signed in but is not a Warden admin: ask for membership of the admin group`,
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
  ) {}

  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token) throw new AuthError(401, MISSING_TOKEN);
    // Both comparisons always run, so timing does not tell which token was close.
    const admin = sameSecret(token, this.adminToken);
    const nonAdmin = this.nonAdminToken ? sameSecret(token, this.nonAdminToken) : false;
    if (admin) return { id: 'local-admin', admin: true, via: 'token' };
    if (nonAdmin) return { id: 'local-non-admin', admin: false, via: 'token' };
    throw new AuthError(401, 'The token is not valid: use the admin token printed by npm start');
  }
}

export interface CognitoOptions {
  /** `https://cognito-idp.<region>.amazonaws.com/<userPoolId>` */
  issuer: string;
  /** The app client tokens must be issued to (ID token `aud`, access token `client_id`). */
  clientId: string;
  adminGroup: string;
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
    return {
      id,
      admin: groups.includes(this.options.adminGroup),
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
    });
  }
  return new TokenAuthenticator(config.adminToken as string, config.nonAdminToken);
}

/** The bearer token of an Authorization header, if any. */
export function bearerToken(header: string | undefined | null): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}
