/**
 * Test PKI, generated at test time with the `openssl` CLI.
 *
 * One root CA (ECDSA P-256) signs a `localhost` server certificate per key type
 * (SAN `DNS:localhost, IP:127.0.0.1`, EKU serverAuth) and one client certificate
 * (ECDSA P-256, EKU clientAuth). Keys are PKCS#8 PEM, which OpenSSL, GnuTLS and
 * `node:tls` all read. Everything lands in a fresh `fs.mkdtempSync` directory under
 * `os.tmpdir()`; the result is cached for the life of the module (one test file under
 * Jest), so call {@link testPki} freely and {@link disposeTestPki} in `afterAll`.
 *
 * Only `execFileSync` with explicit argument vectors is used: no shell, no string
 * interpolation into commands. Certificates are valid from now for 30 days.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The server key types the PKI provides. */
export const SERVER_KEY_KINDS = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'ed25519'] as const;

/** One of {@link SERVER_KEY_KINDS}. */
export type ServerKeyKind = (typeof SERVER_KEY_KINDS)[number];

/** A certificate with its private key, as PEM strings and as files. */
export interface CertAndKey {
  /** The end-entity certificate (PEM). */
  readonly certPem: string;
  /** Its private key (PKCS#8 PEM). */
  readonly keyPem: string;
  /** File holding `certPem`. */
  readonly certPath: string;
  /** File holding `keyPem`. */
  readonly keyPath: string;
  /** The certificate followed by the root CA certificate (PEM), what a server sends. */
  readonly chainPem: string;
  /** File holding `chainPem`. */
  readonly chainPath: string;
}

/** The generated PKI. */
export interface TestPki {
  /** The temporary directory holding every file. */
  readonly dir: string;
  /** The root CA certificate (PEM): the trust anchor for servers and clients. */
  readonly caCertPem: string;
  /** File holding `caCertPem`. */
  readonly caCertPath: string;
  /** The root CA's private key file (to sign more certificates in a test). */
  readonly caKeyPath: string;
  /** `localhost` server certificates by key type. */
  readonly server: Readonly<Record<ServerKeyKind, CertAndKey>>;
  /** A client certificate (ECDSA P-256, CN `rxtls test client`, EKU clientAuth). */
  readonly client: CertAndKey;
}

const GENPKEY_ARGS: Record<ServerKeyKind, string[]> = {
  'ecdsa-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve'],
  'ecdsa-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-pkeyopt', 'ec_param_enc:named_curve'],
  'rsa-2048': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  ed25519: ['-algorithm', 'ED25519'],
};

const REQ_CONFIG = `[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
CN = rxtls test root CA
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
`;

function leafExtensions(kind: ServerKeyKind | 'client'): string {
  const usage = kind === 'rsa-2048' ? 'digitalSignature, keyEncipherment' : 'digitalSignature';
  const role = kind === 'client' ? 'extendedKeyUsage = clientAuth\n' : 'extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost, IP:127.0.0.1\n';
  return (
    'basicConstraints = critical, CA:FALSE\n' +
    `keyUsage = critical, ${usage}\n` +
    role +
    'subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n'
  );
}

function openssl(args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${err.stderr?.toString() ?? err.message}`);
  }
}

function issue(dir: string, name: string, genpkey: string[], subject: string, ext: string, ca: { cert: string; key: string }, caPem: string): CertAndKey {
  const keyPath = path.join(dir, `${name}.key`);
  const csrPath = path.join(dir, `${name}.csr`);
  const extPath = path.join(dir, `${name}.ext`);
  const certPath = path.join(dir, `${name}.pem`);
  const chainPath = path.join(dir, `${name}.chain.pem`);
  openssl(['genpkey', ...genpkey, '-out', keyPath]);
  openssl(['req', '-new', '-config', path.join(dir, 'req.cnf'), '-key', keyPath, '-subj', subject, '-out', csrPath]);
  fs.writeFileSync(extPath, ext);
  openssl([
    'x509', '-req', '-in', csrPath, '-CA', ca.cert, '-CAkey', ca.key, '-sha256',
    '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '30', '-extfile', extPath, '-out', certPath,
  ]);
  const certPem = fs.readFileSync(certPath, 'utf8');
  const chainPem = certPem + caPem;
  fs.writeFileSync(chainPath, chainPem);
  return { certPem, keyPem: fs.readFileSync(keyPath, 'utf8'), certPath, keyPath, chainPem, chainPath };
}

let cached: TestPki | undefined;

/**
 * Generates the test PKI on first call (about a second; RSA dominates) and returns the
 * cached result afterwards. Throws with openssl's stderr if a step fails.
 */
export function testPki(): TestPki {
  if (cached && fs.existsSync(cached.dir)) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtls-pki-'));
  fs.writeFileSync(path.join(dir, 'req.cnf'), REQ_CONFIG);
  const caKeyPath = path.join(dir, 'ca.key');
  const caCertPath = path.join(dir, 'ca.pem');
  openssl(['genpkey', ...GENPKEY_ARGS['ecdsa-p256'], '-out', caKeyPath]);
  openssl(['req', '-x509', '-new', '-config', path.join(dir, 'req.cnf'), '-key', caKeyPath, '-sha256', '-days', '30', '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-out', caCertPath]);
  const caCertPem = fs.readFileSync(caCertPath, 'utf8');
  const ca = { cert: caCertPath, key: caKeyPath };
  const server = {} as Record<ServerKeyKind, CertAndKey>;
  for (const kind of SERVER_KEY_KINDS) {
    server[kind] = issue(dir, `server-${kind}`, GENPKEY_ARGS[kind], '/CN=localhost', leafExtensions(kind), ca, caCertPem);
  }
  const client = issue(dir, 'client', GENPKEY_ARGS['ecdsa-p256'], '/CN=rxtls test client', leafExtensions('client'), ca, caCertPem);
  cached = { dir, caCertPem, caCertPath, caKeyPath, server, client };
  return cached;
}

/** Deletes the PKI directory, if one was generated; the next {@link testPki} makes a new one. */
export function disposeTestPki(): void {
  if (cached) fs.rmSync(cached.dir, { recursive: true, force: true });
  cached = undefined;
}
