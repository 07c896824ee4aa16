import { type Principal, verifyBearer } from '@music/service-kit';
import { createRemoteJWKSet } from 'jose';

export type TokenVerifier = (authorization: string | undefined) => Promise<Principal>;

/**
 * Verifies front's tokens against its published JWKS (the same keys Istio's RequestAuthentication
 * uses on a cluster). Keys are cached and refetched when a token names an unknown `kid`, so front
 * can rotate keys without restarting back.
 */
export function createTokenVerifier(options: { jwksUrl: string; issuer: string }): TokenVerifier {
  const keys = createRemoteJWKSet(new URL(options.jwksUrl), {
    timeoutDuration: 3_000,
    cooldownDuration: 5_000,
  });
  return (authorization) => verifyBearer(authorization, keys, options.issuer);
}
