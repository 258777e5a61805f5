/**
 * Test certificates built in memory: any chain shape, any extension (well-formed or not), signed
 * with node:crypto (RSA PKCS#1 v1.5 and PSS, ECDSA with any hash, Ed25519, also SHA-1 and MD5).
 * Unlike the openssl CLI, every field is under the test's control, and building a certificate
 * takes well under a millisecond once the keys exist.
 */
import { constants, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { RsaSaPssParams, id_RSASSA_PSS, id_mgf1 } from '@peculiar/asn1-rsa';
import {
  AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, AuthorityKeyIdentifier, BasicConstraints, Certificate,
  ExtendedKeyUsage, Extension, Extensions, GeneralName, GeneralSubtree, GeneralSubtrees, KeyIdentifier, KeyUsage, KeyUsageFlags,
  Name, NameConstraints, RelativeDistinguishedName, SubjectAlternativeName, SubjectKeyIdentifier, SubjectPublicKeyInfo,
  TBSCertificate, Validity,
} from '@peculiar/asn1-x509';
import { createHash } from 'node:crypto';

/** Key types the builder makes. */
export type KeyKind = 'p256' | 'p384' | 'p521' | 'rsa768' | 'rsa1024' | 'rsa2048' | 'ed25519';

/** A key pair. */
export interface TestKey {
  readonly kind: KeyKind;
  readonly privateKey: KeyObject;
  readonly spki: Uint8Array;
  /** PKCS#8 PEM of the private key. */
  readonly pem: string;
}

const GEN: Record<KeyKind, () => { privateKey: KeyObject; publicKey: KeyObject }> = {
  p256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  p384: () => generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  p521: () => generateKeyPairSync('ec', { namedCurve: 'P-521' }),
  rsa768: () => generateKeyPairSync('rsa', { modulusLength: 768 }),
  rsa1024: () => generateKeyPairSync('rsa', { modulusLength: 1024 }),
  rsa2048: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ed25519: () => generateKeyPairSync('ed25519'),
};

/** A fresh key pair. */
export function newKey(kind: KeyKind = 'p256'): TestKey {
  const { privateKey, publicKey } = GEN[kind]();
  return {
    kind,
    privateKey,
    spki: new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
    pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** Keys shared by the tests of one file, by name (RSA generation is slow). */
const pool = new Map<string, TestKey>();
/** The key called `name` in this process, made on first use. */
export function sharedKey(name: string, kind: KeyKind = 'p256'): TestKey {
  const key = `${kind}:${name}`;
  let k = pool.get(key);
  if (!k) pool.set(key, (k = newKey(kind)));
  return k;
}

/** How to sign: the hash, and for RSA keys PSS with its salt length. */
export interface SignWith {
  hash?: 'sha256' | 'sha384' | 'sha512' | 'sha1' | 'md5';
  /** RSA keys: RSASSA-PSS with this salt length instead of PKCS#1 v1.5. */
  pssSalt?: number;
  /** RSA-PSS: MGF1 hash (default the same as `hash`). */
  pssMgf1Hash?: 'sha256' | 'sha384' | 'sha512' | 'sha1';
}

const HASH_OID: Record<string, string> = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};
const RSA_SIG: Record<string, string> = {
  md5: '1.2.840.113549.1.1.4',
  sha1: '1.2.840.113549.1.1.5',
  sha256: '1.2.840.113549.1.1.11',
  sha384: '1.2.840.113549.1.1.12',
  sha512: '1.2.840.113549.1.1.13',
};
const ECDSA_SIG: Record<string, string> = {
  sha1: '1.2.840.10045.4.1',
  sha256: '1.2.840.10045.4.3.2',
  sha384: '1.2.840.10045.4.3.3',
  sha512: '1.2.840.10045.4.3.4',
};

/** The AlgorithmIdentifier a key signs with under `w`. */
export function signatureAlgorithm(kind: KeyKind, w: SignWith = {}): AlgorithmIdentifier {
  const hash = w.hash ?? (kind === 'p384' ? 'sha384' : kind === 'p521' ? 'sha512' : 'sha256');
  if (kind === 'ed25519') return new AlgorithmIdentifier({ algorithm: '1.3.101.112' });
  if (kind.startsWith('rsa')) {
    if (w.pssSalt !== undefined) {
      const mgfHash = w.pssMgf1Hash ?? hash;
      const params = new RsaSaPssParams({
        hashAlgorithm: new AlgorithmIdentifier({ algorithm: HASH_OID[hash]!, parameters: null }),
        maskGenAlgorithm: new AlgorithmIdentifier({
          algorithm: id_mgf1,
          parameters: AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: HASH_OID[mgfHash]!, parameters: null })),
        }),
        saltLength: w.pssSalt,
      });
      return new AlgorithmIdentifier({ algorithm: id_RSASSA_PSS, parameters: AsnConvert.serialize(params) });
    }
    return new AlgorithmIdentifier({ algorithm: RSA_SIG[hash]!, parameters: null });
  }
  return new AlgorithmIdentifier({ algorithm: ECDSA_SIG[hash]! });
}

/** Signs `data` with `key` as `signatureAlgorithm(key.kind, w)` says. */
export function signBytes(key: TestKey, data: Uint8Array, w: SignWith = {}): Uint8Array {
  const hash = w.hash ?? (key.kind === 'p384' ? 'sha384' : key.kind === 'p521' ? 'sha512' : 'sha256');
  if (key.kind === 'ed25519') return new Uint8Array(sign(null, data, key.privateKey));
  if (key.kind.startsWith('rsa') && w.pssSalt !== undefined) {
    return new Uint8Array(sign(hash, data, { key: key.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: w.pssSalt }));
  }
  return new Uint8Array(sign(hash, data, key.privateKey));
}

/** A distinguished name: `'CN=a'`, `'O=x,CN=a'`, or RDN pairs; `''` is the empty name. */
export type NameSpec = string | readonly (readonly [string, string])[];

const ATTR: Record<string, string> = { CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6', L: '2.5.4.7', ST: '2.5.4.8', emailAddress: '1.2.840.113549.1.9.1' };

/** A Name from a spec (UTF8String values, PrintableString for C, IA5String for emailAddress). */
export function makeName(spec: NameSpec): Name {
  const pairs: (readonly [string, string])[] =
    typeof spec === 'string' ? (spec === '' ? [] : spec.split(',').map((p) => p.split('=') as [string, string])) : [...spec];
  return new Name(
    pairs.map(([k, v]) => {
      const type = ATTR[k] ?? k;
      const value =
        k === 'C' ? new AttributeValue({ printableString: v }) : k === 'emailAddress' ? new AttributeValue({ ia5String: v }) : new AttributeValue({ utf8String: v });
      return new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })]);
    }),
  );
}

/** A built certificate with what is needed to issue from it or serve it. */
export interface TestCert {
  readonly der: Uint8Array;
  readonly pem: string;
  readonly key: TestKey;
  readonly subject: Name;
  readonly serial: Uint8Array;
  readonly ski: Uint8Array | undefined;
}

/** One name constraint subtree: `{ dns: 'example.com' }`, `{ ip: '10.0.0.0/8' }`, `{ dn: 'O=x' }`, `{ email: 'a.com' }`. */
export type Subtree = { dns: string } | { ip: string } | { dn: NameSpec } | { email: string } | { uri: string };

/** Everything a test may set. Omitted fields get a plausible default. */
export interface CertOptions {
  subject?: NameSpec;
  /** The issuing certificate; omitted for a self-signed certificate. */
  issuer?: TestCert;
  /** The subject's key (default: a new P-256 key). */
  key?: TestKey;
  /** Issuer name override (default: the issuer's subject, or the own subject). */
  issuerName?: NameSpec;
  notBefore?: Date;
  notAfter?: Date;
  serial?: Uint8Array;
  /** 1, 2 or 3 (default 3). */
  version?: 1 | 2 | 3;
  /** basicConstraints: absent when undefined and `ca` is undefined. */
  ca?: boolean;
  pathLen?: number;
  bcCritical?: boolean;
  /** keyUsage names (`digitalSignature`, `keyCertSign`, ...); absent when undefined. */
  keyUsage?: readonly (keyof typeof KeyUsageFlags)[];
  kuCritical?: boolean;
  /** extKeyUsage OIDs or `serverAuth`/`clientAuth`/`any`/`codeSigning`; absent when undefined. */
  eku?: readonly string[];
  ekuCritical?: boolean;
  /** subjectAltName entries. */
  dns?: readonly string[];
  ips?: readonly string[];
  emails?: readonly string[];
  uris?: readonly string[];
  /** Raw iPAddress SAN octets (for malformed lengths). */
  rawIps?: readonly Uint8Array[];
  sanCritical?: boolean;
  /** An empty subjectAltName SEQUENCE. */
  emptySan?: boolean;
  permitted?: readonly Subtree[];
  excluded?: readonly Subtree[];
  ncCritical?: boolean;
  /** subjectKeyIdentifier: default SHA-1 of the key for CAs and leaves alike; false omits it. */
  ski?: boolean | Uint8Array;
  skiCritical?: boolean;
  /** authorityKeyIdentifier: default the issuer's SKI (omitted for self-signed); false omits it. */
  aki?: boolean | { keyId?: Uint8Array; issuer?: NameSpec; serial?: Uint8Array };
  akiCritical?: boolean;
  /** Extra extensions as given. */
  extensions?: readonly { oid: string; critical?: boolean; value: Uint8Array }[];
  /** How the issuer signs. */
  signWith?: SignWith;
  /** Flip a bit of the signature. */
  badSignature?: boolean;
  /** A different algorithm in tbsCertificate.signature than in signatureAlgorithm. */
  tbsAlgorithm?: AlgorithmIdentifier;
}

const EKU: Record<string, string> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  any: '2.5.29.37.0',
};

let serialCounter = 1;

function ab(b: Uint8Array): ArrayBuffer {
  return b.slice().buffer;
}

function ext(oid: string, critical: boolean, value: ArrayBuffer | Uint8Array): Extension {
  return new Extension({ extnID: oid, critical, extnValue: new OctetString(value instanceof Uint8Array ? ab(value) : value) });
}

function subtreeName(s: Subtree): GeneralName {
  if ('dns' in s) return new GeneralName({ dNSName: s.dns });
  if ('ip' in s) return new GeneralName({ iPAddress: s.ip });
  if ('email' in s) return new GeneralName({ rfc822Name: s.email });
  if ('uri' in s) return new GeneralName({ uniformResourceIdentifier: s.uri });
  return new GeneralName({ directoryName: makeName(s.dn) });
}

/** SHA-1 of the subjectPublicKey bits (RFC 5280 section 4.2.1.2 method 1). */
export function keyId(spki: Uint8Array): Uint8Array {
  const info = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  return new Uint8Array(createHash('sha1').update(new Uint8Array(info.subjectPublicKey)).digest());
}

/** DER of `value` (an @peculiar schema object). */
export function der(value: object): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(value));
}

/** Builds and signs a certificate. */
export function makeCert(o: CertOptions = {}): TestCert {
  const key = o.key ?? newKey('p256');
  const subject = makeName(o.subject ?? 'CN=example.com');
  const signer = o.issuer?.key ?? key;
  const issuerName = o.issuerName !== undefined ? makeName(o.issuerName) : (o.issuer?.subject ?? subject);
  const serial = o.serial ?? Uint8Array.of(0x01, (serialCounter >> 8) & 0xff, serialCounter++ & 0xff);
  const exts: Extension[] = [];
  if (o.ca !== undefined || o.pathLen !== undefined || o.bcCritical !== undefined) {
    const bc = new BasicConstraints({ cA: o.ca ?? false });
    if (o.pathLen !== undefined) bc.pathLenConstraint = o.pathLen;
    exts.push(ext('2.5.29.19', o.bcCritical ?? true, AsnConvert.serialize(bc)));
  }
  if (o.keyUsage) {
    let flags = 0;
    for (const k of o.keyUsage) flags |= KeyUsageFlags[k];
    exts.push(ext('2.5.29.15', o.kuCritical ?? true, AsnConvert.serialize(new KeyUsage(flags))));
  }
  if (o.eku) exts.push(ext('2.5.29.37', o.ekuCritical ?? false, AsnConvert.serialize(new ExtendedKeyUsage(o.eku.map((e) => EKU[e] ?? e)))));
  const sans: GeneralName[] = [
    ...(o.dns ?? []).map((d) => new GeneralName({ dNSName: d })),
    ...(o.ips ?? []).map((i) => new GeneralName({ iPAddress: i })),
    ...(o.emails ?? []).map((e) => new GeneralName({ rfc822Name: e })),
    ...(o.uris ?? []).map((u) => new GeneralName({ uniformResourceIdentifier: u })),
  ];
  if (sans.length > 0 || o.rawIps || o.emptySan) {
    let value = der(new SubjectAlternativeName(sans));
    if (o.rawIps) {
      // Append [7] OCTET STRING entries by hand: the schema only writes well-formed addresses.
      const body = value.subarray(2); // short-form SEQUENCE header in these tests
      const extra = o.rawIps.map((b) => Uint8Array.of(0x87, b.length, ...b));
      const all = new Uint8Array([...body, ...extra.flatMap((e) => [...e])]);
      value = Uint8Array.of(0x30, all.length, ...all);
    }
    exts.push(ext('2.5.29.17', o.sanCritical ?? false, value));
  }
  if (o.permitted || o.excluded) {
    const nc = new NameConstraints();
    const subtrees = (list: readonly Subtree[]) => new GeneralSubtrees(list.map((s) => new GeneralSubtree({ base: subtreeName(s) })));
    if (o.permitted) nc.permittedSubtrees = subtrees(o.permitted);
    if (o.excluded) nc.excludedSubtrees = subtrees(o.excluded);
    exts.push(ext('2.5.29.30', o.ncCritical ?? true, AsnConvert.serialize(nc)));
  }
  const ski = o.ski === false ? undefined : o.ski instanceof Uint8Array ? o.ski : keyId(key.spki);
  if (ski) exts.push(ext('2.5.29.14', o.skiCritical ?? false, AsnConvert.serialize(new SubjectKeyIdentifier(ab(ski)))));
  const selfSigned = o.issuer === undefined;
  if (o.aki !== false && (o.aki !== undefined || !selfSigned)) {
    const a = typeof o.aki === 'object' ? o.aki : { keyId: o.issuer?.ski ?? ski };
    const aki = new AuthorityKeyIdentifier();
    if (a.keyId) aki.keyIdentifier = new KeyIdentifier(ab(a.keyId));
    if (a.issuer !== undefined) aki.authorityCertIssuer = [new GeneralName({ directoryName: makeName(a.issuer) })];
    if (a.serial) aki.authorityCertSerialNumber = ab(a.serial);
    exts.push(ext('2.5.29.35', o.akiCritical ?? false, AsnConvert.serialize(aki)));
  }
  for (const e of o.extensions ?? []) exts.push(ext(e.oid, e.critical ?? false, e.value));
  const version = o.version ?? 3;
  const sigAlg = signatureAlgorithm(signer.kind, o.signWith);
  const now = Date.now();
  const tbs = new TBSCertificate({
    version: version - 1,
    serialNumber: ab(serial),
    signature: o.tbsAlgorithm ?? sigAlg,
    issuer: issuerName,
    validity: new Validity({ notBefore: o.notBefore ?? new Date(now - 86400_000), notAfter: o.notAfter ?? new Date(now + 365 * 86400_000) }),
    subject,
    subjectPublicKeyInfo: AsnConvert.parse(key.spki, SubjectPublicKeyInfo),
  });
  if (exts.length > 0) tbs.extensions = new Extensions(exts);
  const tbsDer = der(tbs);
  const sig = signBytes(signer, tbsDer, o.signWith);
  if (o.badSignature) sig[sig.length - 5]! ^= 0x01;
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: sigAlg, signatureValue: ab(sig) });
  const bytes = der(cert);
  const b64 = Buffer.from(bytes).toString('base64').replace(/.{64}/g, '$&\n');
  return { der: bytes, pem: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`.replace('\n\n', '\n'), key, subject, serial, ski };
}

/** The public key of a test key as a KeyObject. */
export function publicKeyOf(k: TestKey): KeyObject {
  return createPublicKey(k.privateKey);
}

/** A root, an intermediate and a leaf for `example.com`, with typical extensions. */
export function typicalChain(overrides: { root?: CertOptions; inter?: CertOptions; leaf?: CertOptions } = {}): {
  root: TestCert;
  inter: TestCert;
  leaf: TestCert;
} {
  const root = makeCert({ subject: 'CN=Test Root', ca: true, keyUsage: ['keyCertSign', 'cRLSign'], key: sharedKey('root'), ...overrides.root });
  const inter = makeCert({
    subject: 'CN=Test Intermediate',
    issuer: root,
    ca: true,
    keyUsage: ['keyCertSign', 'cRLSign'],
    key: sharedKey('inter'),
    ...overrides.inter,
  });
  const leaf = makeCert({
    subject: 'CN=example.com',
    issuer: inter,
    dns: ['example.com'],
    keyUsage: ['digitalSignature'],
    eku: ['serverAuth'],
    key: sharedKey('leaf'),
    ...overrides.leaf,
  });
  return { root, inter, leaf };
}
