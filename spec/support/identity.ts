/**
 * A throwaway server identity for tests: a P-256 key and a self-signed certificate for
 * localhost made with the openssl CLI, and the certificate's SHA-256 pin.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** PEM certificate and key, and the hex SHA-256 of the certificate (for `pins.certSha256`). */
export interface TestIdentity {
  certPem: string;
  keyPem: string;
  pin: string;
}

/** Makes a fresh identity; the temporary files are removed before it returns. */
export function opensslIdentity(): TestIdentity {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtls-identity-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const certPem = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    const keyPem = fs.readFileSync(path.join(dir, 'key.pem'), 'utf8');
    return { certPem, keyPem, pin: createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A deterministic `random(n)` (xorshift32), so handshakes replay byte for byte. */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let x = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}
