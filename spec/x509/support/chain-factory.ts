/**
 * Certificate chains made with the `openssl` CLI at test time, for the X.509 differential
 * tests: keys of four kinds, and certificates with any extensions, any validity window (past,
 * future, beyond 2050), any signature digest and signature options, self-signed or issued by
 * an earlier certificate, version 1 when given no extensions.
 *
 * Every certificate is made by `openssl ca` (a CSR from `openssl req -new`, then `ca` with a
 * throw-away one-entry database), because `ca` alone takes explicit `-startdate`/`-enddate`
 * in OpenSSL 3.0, so expired and not-yet-valid certificates need no fake clock. Keys are made
 * once and reused by name. Commands run with explicit argument vectors (no shell), at most
 * {@link MAX_PARALLEL} at a time, each bounded by a timeout; everything is written under one
 * `fs.mkdtempSync` directory that {@link ChainFactory.dispose} deletes.
 *
 * @example
 * const f = ChainFactory.create();
 * await f.key('root', 'p256');
 * await f.cert('root', { subject: '/CN=Root', key: 'root', ext: CA_EXTENSIONS });
 * await f.key('leaf', 'ed25519');
 * await f.cert('leaf', { subject: '/CN=localhost', key: 'leaf', issuer: 'root', ext: leafExtensions() });
 * f.get('leaf').pem; // PEM
 *
 * @module
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Key types the factory makes. */
export type KeyKind = 'p256' | 'p384' | 'rsa2048' | 'ed25519';

const GENPKEY: Record<KeyKind, string[]> = {
  p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve'],
  p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-pkeyopt', 'ec_param_enc:named_curve'],
  rsa2048: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  ed25519: ['-algorithm', 'ED25519'],
};

/** At most this many openssl processes run at once. */
export const MAX_PARALLEL = Math.max(2, os.cpus().length * 2);

const DAY = 86_400_000;

/** Extensions of a CA certificate (root or intermediate) without constraints beyond CA:TRUE. */
export const CA_EXTENSIONS = [
  'basicConstraints = critical, CA:TRUE',
  'keyUsage = critical, keyCertSign, cRLSign',
  'subjectKeyIdentifier = hash',
].join('\n');

/** Options of {@link leafExtensions}; each `null` leaves that extension out. */
export interface LeafOptions {
  /** subjectAltName value (default `DNS:localhost, IP:127.0.0.1`). */
  san?: string | null;
  /** extendedKeyUsage value (default `serverAuth`). */
  eku?: string | null;
  /** keyUsage value (default `critical, digitalSignature`, plus keyEncipherment for RSA). */
  ku?: string | null;
  /** basicConstraints value (default `critical, CA:FALSE`). */
  bc?: string | null;
  /** authorityKeyIdentifier value (default `keyid`). */
  aki?: string | null;
  /** More extension lines, appended as they are (`1.2.3.4 = critical, ASN1:NULL`). */
  extra?: readonly string[];
  /** The key is RSA (adds keyEncipherment to the default keyUsage). */
  rsa?: boolean;
}

/** Extension lines of a TLS server certificate; see {@link LeafOptions}. */
export function leafExtensions(o: LeafOptions = {}): string {
  const lines: string[] = [];
  const add = (name: string, value: string | null | undefined, dflt: string): void => {
    if (value === null) return;
    lines.push(`${name} = ${value ?? dflt}`);
  };
  add('basicConstraints', o.bc, 'critical, CA:FALSE');
  add('keyUsage', o.ku, o.rsa ? 'critical, digitalSignature, keyEncipherment' : 'critical, digitalSignature');
  add('extendedKeyUsage', o.eku, 'serverAuth');
  add('subjectAltName', o.san, 'DNS:localhost, IP:127.0.0.1');
  lines.push('subjectKeyIdentifier = hash');
  add('authorityKeyIdentifier', o.aki, 'keyid');
  lines.push(...(o.extra ?? []));
  return lines.join('\n');
}

/** How to make one certificate. */
export interface CertSpec {
  /** Subject in openssl `-subj` form (`/CN=localhost`, `/O=Org/CN=x`). */
  subject: string;
  /** Name of the subject's key (made by {@link ChainFactory.key}). */
  key: string;
  /** Name of the issuing certificate; omitted for a self-signed certificate. */
  issuer?: string;
  /**
   * Extension lines (`name = value`, one a line) of the certificate; `null` makes a version 1
   * certificate without extensions. `authorityKeyIdentifier = keyid` is fine for any issuer.
   */
  ext: string | null;
  /** Start of validity (default one hour ago). */
  notBefore?: Date;
  /** End of validity (default 30 days from now). */
  notAfter?: Date;
  /** Signature digest (`sha256` default; `sha1`, `sha384`, `sha512`; ignored for Ed25519). */
  md?: string;
  /** `-sigopt` values (`rsa_padding_mode:pss`, ...). */
  sigopts?: readonly string[];
}

/** A certificate the factory made. */
export interface MadeCert {
  /** Its name in the factory. */
  readonly name: string;
  /** The certificate (PEM). */
  readonly pem: string;
  /** The certificate (DER). */
  readonly der: Uint8Array;
  /** File holding `pem`. */
  readonly path: string;
  /** The subject's private key (PKCS#8 PEM). */
  readonly keyPem: string;
  /** File holding `keyPem`. */
  readonly keyPath: string;
}

/** `YYYYMMDDHHMMSSZ`, the form `openssl ca -startdate/-enddate` takes. */
function caDate(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/** A counting semaphore for openssl processes. */
class Gate {
  private running = 0;
  private readonly queue: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((r) => this.queue.push(r));
    this.running++;
    try {
      return await f();
    } finally {
      this.running--;
      this.queue.shift()?.();
    }
  }
}

/** Makes keys and certificates under one temporary directory. */
export class ChainFactory {
  /** The directory holding every file. */
  readonly dir: string;
  private readonly keys = new Map<string, Promise<string>>();
  private readonly certs = new Map<string, Promise<MadeCert>>();
  private readonly done = new Map<string, MadeCert>();
  private readonly gate = new Gate(MAX_PARALLEL);
  /** Number of openssl commands run so far. */
  commands = 0;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /** A factory with a fresh temporary directory. */
  static create(): ChainFactory {
    return new ChainFactory(fs.mkdtempSync(path.join(os.tmpdir(), 'rxtls-chains-')));
  }

  /** Runs openssl with `args`; rejects with its stderr on failure. */
  private openssl(args: readonly string[]): Promise<void> {
    return this.gate.run(
      () =>
        new Promise<void>((resolve, reject) => {
          this.commands++;
          execFile('openssl', args, { timeout: 30_000, cwd: this.dir }, (err, _stdout, stderr) => {
            if (err) reject(new Error(`openssl ${args.join(' ')} failed: ${stderr || err.message}`));
            else resolve();
          });
        }),
    );
  }

  /** Makes (once) a private key named `name`; resolves to its file. */
  key(name: string, kind: KeyKind): Promise<string> {
    let p = this.keys.get(name);
    if (!p) {
      const file = path.join(this.dir, `${name}.key`);
      p = this.openssl(['genpkey', ...GENPKEY[kind], '-out', file]).then(() => file);
      this.keys.set(name, p);
    }
    return p;
  }

  /**
   * Makes a certificate named `name` (once; a second call with the same name returns the
   * first). Waits for the key and the issuer, so certificates may be requested in any order.
   */
  cert(name: string, spec: CertSpec): Promise<MadeCert> {
    let p = this.certs.get(name);
    if (!p) {
      p = this.make(name, spec);
      p.catch(() => undefined);
      this.certs.set(name, p);
    }
    return p;
  }

  private async make(name: string, spec: CertSpec): Promise<MadeCert> {
    const keyFile = this.keys.get(spec.key);
    if (!keyFile) throw new Error(`cert ${name}: no key named ${spec.key}`);
    const keyPath = await keyFile;
    const issuer = spec.issuer === undefined ? undefined : this.certs.get(spec.issuer);
    if (spec.issuer !== undefined && !issuer) throw new Error(`cert ${name}: no certificate named ${spec.issuer}`);
    const issuerCert = issuer ? await issuer : undefined;
    const base = path.join(this.dir, name);
    const cnf = `${base}.cnf`;
    const db = `${base}.db`;
    fs.mkdirSync(db);
    fs.writeFileSync(path.join(db, 'index.txt'), '');
    fs.writeFileSync(
      cnf,
      [
        '[ca]', 'default_ca = d',
        '[d]', `database = ${path.join(db, 'index.txt')}`, `new_certs_dir = ${db}`, `serial = ${path.join(db, 'serial')}`,
        'policy = p', 'unique_subject = no', `default_md = ${spec.md ?? 'sha256'}`, 'email_in_dn = no', 'copy_extensions = none',
        '[p]', 'countryName = optional', 'organizationName = optional', 'organizationalUnitName = optional', 'commonName = optional',
        '[req]', 'distinguished_name = dn', '[dn]',
        '[ext]', spec.ext ?? '', '',
      ].join('\n'),
    );
    await this.openssl(['req', '-new', '-config', cnf, '-key', keyPath, '-subj', spec.subject, '-out', `${base}.csr`]);
    const now = Date.now();
    const args = [
      'ca', '-batch', '-notext', '-config', cnf, '-in', `${base}.csr`, '-out', `${base}.pem`, '-preserveDN', '-rand_serial',
      '-startdate', caDate(spec.notBefore ?? new Date(now - 3_600_000)),
      '-enddate', caDate(spec.notAfter ?? new Date(now + 30 * DAY)),
    ];
    if (issuerCert) args.push('-cert', issuerCert.path, '-keyfile', issuerCert.keyPath);
    else args.push('-selfsign', '-keyfile', keyPath);
    if (spec.ext !== null) args.push('-extfile', cnf, '-extensions', 'ext');
    if (spec.md) args.push('-md', spec.md);
    for (const o of spec.sigopts ?? []) args.push('-sigopt', o);
    await this.openssl(args);
    const pem = fs.readFileSync(`${base}.pem`, 'utf8');
    const made: MadeCert = {
      name, pem, path: `${base}.pem`, keyPath, keyPem: fs.readFileSync(keyPath, 'utf8'), der: new Uint8Array(new X509Certificate(pem).raw),
    };
    this.done.set(name, made);
    return made;
  }

  /**
   * Makes certificate `name` from certificate `from` by rewriting its DER with `transform`
   * (a flipped signature bit, say); the key stays `from`'s.
   */
  derive(name: string, from: string, transform: (der: Uint8Array) => Uint8Array): Promise<MadeCert> {
    let p = this.certs.get(name);
    if (!p) {
      const source = this.certs.get(from);
      if (!source) throw new Error(`derive ${name}: no certificate named ${from}`);
      p = source.then((src) => {
        const der = transform(src.der.slice());
        const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
        const pem = `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
        const file = path.join(this.dir, `${name}.pem`);
        fs.writeFileSync(file, pem);
        const made: MadeCert = { name, pem, der, path: file, keyPem: src.keyPem, keyPath: src.keyPath };
        this.done.set(name, made);
        return made;
      });
      p.catch(() => undefined);
      this.certs.set(name, p);
    }
    return p;
  }

  /** A certificate made earlier (throws if `name` was not made or is still being made). */
  get(name: string): MadeCert {
    const c = this.done.get(name);
    if (!c) throw new Error(`no certificate named ${name}`);
    return c;
  }

  /** Waits until every requested certificate is made; rejects with the first failure. */
  async settle(): Promise<void> {
    await Promise.all([...this.keys.values(), ...this.certs.values()]);
  }

  /** The PEMs of `names`, concatenated in that order (what a server sends, leaf first). */
  chainPem(names: readonly string[]): string {
    return names.map((n) => this.get(n).pem).join('');
  }

  /** Deletes the directory. */
  dispose(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Days from now as a Date (negative for the past). */
export function daysFromNow(days: number): Date {
  return new Date(Date.now() + days * DAY);
}
