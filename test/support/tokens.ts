import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export interface TokenIssuer {
  jwksUrl: string;
  issuer: string;
  /** `expiresIn: null` leaves `exp` out, as a forger would. */
  sign(claims: {
    sub: string;
    auth?: string;
    expiresIn?: string | number | null;
    issuer?: string;
  }): Promise<string>;
  close(): Promise<void>;
}

/** Signs ES256 tokens as front does and serves the public key over real HTTP as a JWKS. */
export async function startTokenIssuer(issuer = 'music-front'): Promise<TokenIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'test-key', alg: 'ES256', use: 'sig' };
  const server: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    issuer,
    sign: ({ sub, auth = 'ROLE_USER', expiresIn = '1h', issuer: iss = issuer }) => {
      const jwt = new SignJWT({ auth })
        .setProtectedHeader({ alg: 'ES256', kid: 'test-key' })
        .setSubject(sub)
        .setIssuer(iss)
        .setIssuedAt();
      return (expiresIn === null ? jwt : jwt.setExpirationTime(expiresIn)).sign(privateKey);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
