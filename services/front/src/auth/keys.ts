import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { ConfigError } from '@music/service-kit';

export interface PublicJwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
  jwk: PublicJwk;
  /** Generated at start (dev defaults): tokens stop verifying when the process restarts. */
  ephemeral: boolean;
}

/**
 * Reads the ES256 signing key. Kubernetes secrets hold real newlines; a `.env` line may hold `\n`,
 * so both are accepted. Errors name the variable, never the key.
 */
export function parsePrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem.replaceAll('\\n', '\n'), format: 'pem' });
  } catch {
    throw new ConfigError('JWT_PRIVATE_KEY', 'is not a PEM private key (PKCS#8 expected)');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new ConfigError('JWT_PRIVATE_KEY', 'must be an EC P-256 key, as ES256 requires');
  }
  return key;
}

/** The configured key, or a fresh one when none is configured (only allowed with dev defaults). */
export function createSigningKey(pem: string | undefined): SigningKey {
  const privateKey =
    pem === undefined ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey : parsePrivateKey(pem);
  const publicKey = createPublicKey(privateKey);
  const { x, y } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string' || typeof y !== 'string') throw new Error('EC public key without coordinates');
  const kid = thumbprint(x, y);
  return {
    privateKey,
    publicKey,
    kid,
    jwk: { kty: 'EC', crv: 'P-256', x, y, kid, alg: 'ES256', use: 'sig' },
    ephemeral: pem === undefined,
  };
}

/** RFC 7638: SHA-256 over the required members in lexicographic order, without whitespace. */
function thumbprint(x: string, y: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ crv: 'P-256', kty: 'EC', x, y }))
    .digest('base64url');
}
