import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCertificate {
  /** PEM. */
  readonly cert: string;
  /** PEM; made for this test run, never written to the repository. */
  readonly key: string;
}

/** A throwaway self-signed certificate (P-256) for `hosts`, made with the `openssl` binary. */
export function selfSignedCertificate(hosts: readonly string[]): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-cert-'));
  try {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-new',
        '-key',
        key,
        '-out',
        cert,
        '-subj',
        `/CN=${hosts[0]}`,
        '-addext',
        `subjectAltName=${hosts.map((host) => `DNS:${host}`).join(',')}`,
        '-days',
        '2',
      ],
      { stdio: 'pipe' },
    );
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A `kind: Secret` of type kubernetes.io/tls holding `certificate`, as `kubectl create secret tls` makes it. */
export function tlsSecret(name: string, namespace: string, certificate: TestCertificate): string {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return `apiVersion: v1
kind: Secret
metadata: { name: ${name}, namespace: ${namespace} }
type: kubernetes.io/tls
data:
  tls.crt: ${b64(certificate.cert)}
  tls.key: ${b64(certificate.key)}
`;
}
