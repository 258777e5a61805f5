/**
 * Extra key material for the authentication interop tests (./certs.ts has the shared PKI):
 *
 * - a self-signed client certificate that no test CA issued ({@link extraPki}`().rogueClient`),
 *   for "unknown CA" refusals;
 * - raw public key files (RFC 7250): the DER SubjectPublicKeyInfo of a key, as the PEM
 *   `PUBLIC KEY` file that GnuTLS's `--rawpkfile` wants (`openssl pkey -pubout`), with its
 *   SHA-256 (a `pins.spkiSha256` value).
 *
 * Generated with the `openssl` CLI through `execFileSync` (no shell), into a fresh temporary
 * directory; cached for the life of the module. Call {@link disposeExtraPki} in `afterAll`.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CertAndKey } from './certs.js';

/** A raw public key: the SubjectPublicKeyInfo of a private key, as a file and as bytes. */
export interface RawPublicKeyFiles {
  /** PEM `PUBLIC KEY` file (what `gnutls-cli/gnutls-serv --rawpkfile` take). */
  readonly pubPath: string;
  /** The private key file (`--rawpkkeyfile`). */
  readonly keyPath: string;
  /** The private key, PEM. */
  readonly keyPem: string;
  /** The DER SubjectPublicKeyInfo. */
  readonly spkiDer: Buffer;
  /** SHA-256 of `spkiDer`, hex: a `pins.spkiSha256` value. */
  readonly spkiSha256: string;
}

/** The extra material. */
export interface ExtraPki {
  readonly dir: string;
  /** Self-signed ECDSA P-256 client certificate, CN `rxtls rogue client`, EKU clientAuth. */
  readonly rogueClient: CertAndKey;
  /** Raw public key files for a key (by its PEM key file); made on demand, cached. */
  rawPublicKey(keyPath: string): RawPublicKeyFiles;
}

function openssl(args: string[]): Buffer {
  try {
    return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr?.toString() ?? err.message}`);
  }
}

let cached: ExtraPki | undefined;

/** Generates the extra material on first call; cached afterwards. */
export function extraPki(): ExtraPki {
  if (cached && fs.existsSync(cached.dir)) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtls-pki-extra-'));
  const keyPath = path.join(dir, 'rogue.key');
  const certPath = path.join(dir, 'rogue.pem');
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve', '-out', keyPath]);
  openssl([
    'req', '-x509', '-new', '-key', keyPath, '-subj', '/CN=rxtls rogue client', '-days', '30', '-sha256',
    '-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'keyUsage=critical,digitalSignature',
    '-addext', 'extendedKeyUsage=clientAuth', '-out', certPath,
  ]);
  const certPem = fs.readFileSync(certPath, 'utf8');
  const rogueClient: CertAndKey = {
    certPem, keyPem: fs.readFileSync(keyPath, 'utf8'), certPath, keyPath, chainPem: certPem, chainPath: certPath,
  };
  const raw = new Map<string, RawPublicKeyFiles>();
  const rawPublicKey = (forKey: string): RawPublicKeyFiles => {
    const hit = raw.get(forKey);
    if (hit) return hit;
    const pubPath = path.join(dir, `raw-${raw.size}.pub`);
    openssl(['pkey', '-in', forKey, '-pubout', '-out', pubPath]);
    const spkiDer = openssl(['pkey', '-in', forKey, '-pubout', '-outform', 'DER']);
    const files: RawPublicKeyFiles = {
      pubPath, keyPath: forKey, keyPem: fs.readFileSync(forKey, 'utf8'), spkiDer, spkiSha256: createHash('sha256').update(spkiDer).digest('hex'),
    };
    raw.set(forKey, files);
    return files;
  };
  cached = { dir, rogueClient, rawPublicKey };
  return cached;
}

/** Deletes the directory, if one was made. */
export function disposeExtraPki(): void {
  if (cached) fs.rmSync(cached.dir, { recursive: true, force: true });
  cached = undefined;
}
