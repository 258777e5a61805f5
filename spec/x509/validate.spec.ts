/**
 * Path validation, one check at a time, against Node itself. Every case builds a chain in
 * memory (./support/pki-builder.ts), and:
 *
 * - our verdict (`caVerifier`, default options) must be the code written in the case;
 * - Node's verdict (node:tls client and server on loopback, ./support/node-verdict.ts) must be
 *   the code written for Node: the same code, or `UNSPECIFIED` where Node does not name an
 *   OpenSSL error (then its message must be OpenSSL's text, which starts our message), or
 *   `OK` where rxtls is stricter on purpose (the case says why, and for the RFC 5280 profile
 *   checks, `strict: false` must then accept like Node).
 *
 * When several checks fail, Node reports the last one OpenSSL finds; the "order" cases pin
 * that down.
 */
import { AlertDescription } from '../../src/tls/constants.js';
import { CertificateVerifyError, VERIFY_ERRORS, verifyErrorText, type VerifyCode } from '../../src/tls/x509/verify-error.js';
import { nodeVerdict } from './support/node-verdict.js';
import { ourVerdict } from './support/our-verdict.js';
import { makeCert, newKey, sharedKey, typicalChain, type CertOptions, type TestCert } from './support/pki-builder.js';

const DAY = 86400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

interface Case {
  readonly name: string;
  readonly send: readonly TestCert[];
  readonly ca: readonly TestCert[];
  readonly host?: string;
  /** Our code, or 'OK'. */
  readonly ours: string;
  /** Node's code when it is not `ours`: 'UNSPECIFIED' (unnamed in Node) or 'OK' (we are stricter; see `why`). */
  readonly node?: string;
  /** Why we are stricter than Node, when `node` is 'OK'. */
  readonly why?: string;
  /** A `strict` profile check: `strict: false` accepts, as Node does. */
  readonly profile?: boolean;
}

// The PKI: a P-256 root, intermediate and leaf for example.com, and variations.
const t = typicalChain();
const { root, inter, leaf } = t;
const otherRoot = makeCert({ subject: 'CN=Other Root', ca: true, keyUsage: ['keyCertSign'], key: sharedKey('other-root') });
const rsaRoot = makeCert({ subject: 'CN=RSA Root', ca: true, keyUsage: ['keyCertSign', 'cRLSign'], key: sharedKey('rsa-root', 'rsa1024') });
const edInter = makeCert({ subject: 'CN=Ed25519 Intermediate', issuer: root, ca: true, keyUsage: ['keyCertSign'], key: sharedKey('ed-inter', 'ed25519') });

/** An intermediate under `root` named like `inter` (same key), with `o` on top. */
const interWith = (o: CertOptions) => makeCert({ subject: 'CN=Test Intermediate', issuer: root, ca: true, keyUsage: ['keyCertSign', 'cRLSign'], key: sharedKey('inter'), ...o });
/** A leaf for example.com under `issuer` (default `inter`), with `o` on top. */
const leafWith = (o: CertOptions, issuer: TestCert = inter) =>
  makeCert({ subject: 'CN=example.com', issuer, dns: ['example.com'], keyUsage: ['digitalSignature'], eku: ['serverAuth'], key: sharedKey('leaf'), ...o });
/** A root named like `root` (same key), with `o` on top. */
const rootWith = (o: CertOptions) => makeCert({ subject: 'CN=Test Root', ca: true, keyUsage: ['keyCertSign', 'cRLSign'], key: sharedKey('root'), ...o });

const selfSigned = makeCert({ subject: 'CN=example.com', dns: ['example.com'], key: sharedKey('leaf'), keyUsage: ['digitalSignature'] });
const expiredLeaf = leafWith({ notBefore: ago(30), notAfter: ago(1) });
const expiredInter = interWith({ notBefore: ago(30), notAfter: ago(1) });
const badSigLeaf = leafWith({ badSignature: true });
const pathLen0 = interWith({ subject: 'CN=Pathlen 0', pathLen: 0, key: sharedKey('pl0') });
const underPathLen0 = makeCert({ subject: 'CN=Under Pathlen 0', issuer: pathLen0, ca: true, keyUsage: ['keyCertSign'], key: sharedKey('upl0') });
const rootPathLen0 = rootWith({ pathLen: 0 });
const ncInter = (o: CertOptions) => interWith({ subject: 'CN=Constrained', key: sharedKey('nc'), ...o });
const ncPermit = ncInter({ permitted: [{ dns: 'allowed.test' }] });
const ncExclude = ncInter({ excluded: [{ dns: 'example.com' }] });
const ncIp = ncInter({ permitted: [{ ip: '10.0.0.0/8' }] });
const ncDn = ncInter({ permitted: [{ dn: 'O=Allowed' }] });
const critical = (oid: string) => ({ extensions: [{ oid, critical: true, value: Uint8Array.of(0x30, 0x00) }] });
const UNKNOWN = '1.3.6.1.4.1.55555.1';
const POLICIES = '2.5.29.32';
const longSerial = Uint8Array.from({ length: 21 }, (_, i) => (i === 0 ? 0x51 : i));

const CASES: readonly Case[] = [
  // Trust and path building
  { name: 'leaf, intermediate, root', send: [leaf, inter], ca: [root], ours: 'OK' },
  { name: 'missing intermediate', send: [leaf], ca: [root], ours: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
  { name: 'another root trusted', send: [leaf, inter], ca: [otherRoot], ours: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
  { name: 'untrusted root sent', send: [leaf, inter, root], ca: [otherRoot], ours: 'SELF_SIGNED_CERT_IN_CHAIN' },
  { name: 'self-signed leaf', send: [selfSigned], ca: [root], ours: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
  { name: 'self-signed leaf that is itself trusted', send: [selfSigned], ca: [selfSigned], ours: 'OK' },
  { name: 'an intermediate alone in ca is no anchor', send: [leaf], ca: [inter], ours: 'UNABLE_TO_GET_ISSUER_CERT' },
  { name: 'intermediate and root in ca, leaf alone sent', send: [leaf], ca: [inter, root], ours: 'OK' },
  { name: 'unrelated certificate in the chain', send: [leaf, otherRoot, inter], ca: [root], ours: 'OK' },
  { name: 'server sends the trusted root too', send: [leaf, inter, root], ca: [root], ours: 'OK' },
  { name: 'Ed25519 intermediate, P-256 leaf', send: [leafWith({}, edInter), edInter], ca: [root], ours: 'OK' },
  { name: 'RSA root signs the leaf with PSS', send: [leafWith({ signWith: { pssSalt: 32 } }, rsaRoot)], ca: [rsaRoot], ours: 'OK' },
  { name: 'RSA root signs the leaf with PKCS#1 v1.5 SHA-512', send: [leafWith({ signWith: { hash: 'sha512' } }, rsaRoot)], ca: [rsaRoot], ours: 'OK' },
  { name: 'P-256 intermediate signs with ecdsa-with-SHA384', send: [leafWith({ signWith: { hash: 'sha384' } }), inter], ca: [root], ours: 'OK' },
  { name: 'RSA 1024 leaf key (enough at security level 1)', send: [leafWith({ key: sharedKey('rsa1024-leaf', 'rsa1024') }), inter], ca: [root], ours: 'OK' },
  // Validity
  { name: 'expired leaf', send: [expiredLeaf, inter], ca: [root], ours: 'CERT_HAS_EXPIRED' },
  { name: 'leaf not yet valid', send: [leafWith({ notBefore: ago(-1), notAfter: ago(-30) }), inter], ca: [root], ours: 'CERT_NOT_YET_VALID' },
  { name: 'expired intermediate', send: [leaf, expiredInter], ca: [root], ours: 'CERT_HAS_EXPIRED' },
  { name: 'expired trusted root', send: [leaf, inter], ca: [rootWith({ notBefore: ago(30), notAfter: ago(1) })], ours: 'CERT_HAS_EXPIRED' },
  // Order: Node reports the last error OpenSSL finds.
  { name: 'order: expired leaf without its intermediate', send: [expiredLeaf], ca: [root], ours: 'CERT_HAS_EXPIRED' },
  { name: 'order: expired leaf and wrong host name', send: [expiredLeaf, inter], ca: [root], host: 'other.test', ours: 'CERT_HAS_EXPIRED' },
  { name: 'order: bad leaf signature under an expired intermediate', send: [badSigLeaf, expiredInter], ca: [root], ours: 'CERT_SIGNATURE_FAILURE' },
  {
    name: 'order: unknown critical extension under an expired intermediate',
    send: [leafWith(critical(UNKNOWN)), expiredInter],
    ca: [root],
    ours: 'CERT_HAS_EXPIRED',
  },
  // Signatures and algorithms
  { name: 'bad leaf signature', send: [badSigLeaf, inter], ca: [root], ours: 'CERT_SIGNATURE_FAILURE' },
  { name: 'bad intermediate signature', send: [leaf, interWith({ badSignature: true })], ca: [root], ours: 'CERT_SIGNATURE_FAILURE' },
  { name: 'leaf signed with RSA SHA-1', send: [leafWith({ signWith: { hash: 'sha1' } }, rsaRoot)], ca: [rsaRoot], ours: 'CA_MD_TOO_WEAK', node: 'UNSPECIFIED' },
  { name: 'leaf signed with RSA MD5', send: [leafWith({ signWith: { hash: 'md5' } }, rsaRoot)], ca: [rsaRoot], ours: 'CA_MD_TOO_WEAK', node: 'UNSPECIFIED' },
  { name: 'intermediate signed with ECDSA SHA-1', send: [leaf, interWith({ signWith: { hash: 'sha1' } })], ca: [root], ours: 'CA_MD_TOO_WEAK', node: 'UNSPECIFIED' },
  { name: "a root's own SHA-1 signature is not checked", send: [leaf, inter], ca: [rootWith({ signWith: { hash: 'sha1' } })], ours: 'OK' },
  // CA-ness, path length, key usage
  { name: 'intermediate with cA false', send: [leaf, interWith({ ca: false })], ca: [root], ours: 'INVALID_PURPOSE' },
  { name: 'intermediate without basicConstraints, with keyCertSign', send: [leaf, interWith({ ca: undefined })], ca: [root], ours: 'INVALID_CA' },
  { name: 'intermediate without basicConstraints or keyUsage', send: [leaf, interWith({ ca: undefined, keyUsage: undefined })], ca: [root], ours: 'INVALID_PURPOSE' },
  { name: 'intermediate keyUsage without keyCertSign', send: [leaf, interWith({ keyUsage: ['digitalSignature', 'cRLSign'] })], ca: [root], ours: 'KEYUSAGE_NO_CERTSIGN', node: 'UNSPECIFIED' },
  { name: 'pathlen 0 intermediate issuing the leaf', send: [leafWith({}, pathLen0), pathLen0], ca: [root], ours: 'OK' },
  { name: 'pathlen 0 intermediate issuing an intermediate', send: [leafWith({}, underPathLen0), underPathLen0, pathLen0], ca: [root], ours: 'PATH_LENGTH_EXCEEDED' },
  { name: 'pathlen 0 root above an intermediate', send: [leaf, inter], ca: [rootPathLen0], ours: 'PATH_LENGTH_EXCEEDED' },
  // Purpose
  { name: 'leaf extKeyUsage clientAuth only', send: [leafWith({ eku: ['clientAuth'] }), inter], ca: [root], ours: 'INVALID_PURPOSE' },
  { name: 'leaf extKeyUsage anyExtendedKeyUsage only', send: [leafWith({ eku: ['any'] }), inter], ca: [root], ours: 'INVALID_PURPOSE' },
  { name: 'leaf without extKeyUsage', send: [leafWith({ eku: undefined }), inter], ca: [root], ours: 'OK' },
  { name: 'intermediate extKeyUsage clientAuth only', send: [leaf, interWith({ eku: ['clientAuth'] })], ca: [root], ours: 'INVALID_PURPOSE' },
  { name: 'intermediate extKeyUsage serverAuth', send: [leaf, interWith({ eku: ['serverAuth'] })], ca: [root], ours: 'OK' },
  { name: 'leaf keyUsage keyCertSign only', send: [leafWith({ keyUsage: ['keyCertSign'] }), inter], ca: [root], ours: 'INVALID_PURPOSE' },
  {
    name: 'leaf keyUsage keyEncipherment only',
    send: [leafWith({ keyUsage: ['keyEncipherment'] }), inter],
    ca: [root],
    ours: 'INVALID_PURPOSE',
    node: 'OK',
    why: 'RFC 8446 section 4.4.2.2: a TLS 1.3 server key must be allowed to sign (digitalSignature)',
  },
  // Extensions
  { name: 'unknown critical extension on the leaf', send: [leafWith(critical(UNKNOWN)), inter], ca: [root], ours: 'UNHANDLED_CRITICAL_EXTENSION', node: 'UNSPECIFIED' },
  { name: 'unknown critical extension on the intermediate', send: [leaf, interWith(critical(UNKNOWN))], ca: [root], ours: 'UNHANDLED_CRITICAL_EXTENSION', node: 'UNSPECIFIED' },
  { name: 'critical certificatePolicies is accepted', send: [leaf, interWith(critical(POLICIES))], ca: [root], ours: 'OK' },
  { name: 'unknown non-critical extension', send: [leafWith({ extensions: [{ oid: UNKNOWN, value: Uint8Array.of(5, 0) }] }), inter], ca: [root], ours: 'OK' },
  // Name constraints
  { name: 'name constraints: permitted DNS', send: [leafWith({ subject: 'CN=a.allowed.test', dns: ['a.allowed.test'] }, ncPermit), ncPermit], ca: [root], host: 'a.allowed.test', ours: 'OK' },
  { name: 'name constraints: outside permitted DNS', send: [leafWith({}, ncPermit), ncPermit], ca: [root], ours: 'PERMITTED_VIOLATION', node: 'UNSPECIFIED' },
  { name: 'name constraints: excluded DNS', send: [leafWith({}, ncExclude), ncExclude], ca: [root], ours: 'EXCLUDED_VIOLATION', node: 'UNSPECIFIED' },
  { name: 'name constraints: IP outside the permitted range', send: [leafWith({ ips: ['127.0.0.1'] }, ncIp), ncIp], ca: [root], ours: 'PERMITTED_VIOLATION', node: 'UNSPECIFIED' },
  { name: 'name constraints: IP inside the permitted range', send: [leafWith({ dns: [], ips: ['10.1.2.3'] }, ncIp), ncIp], ca: [root], host: '10.1.2.3', ours: 'OK' },
  { name: 'name constraints: subject outside the permitted directoryName', send: [leafWith({ subject: 'O=Other,CN=example.com' }, ncDn), ncDn], ca: [root], ours: 'PERMITTED_VIOLATION', node: 'UNSPECIFIED' },
  { name: 'name constraints: subject inside the permitted directoryName', send: [leafWith({ subject: 'O=Allowed,CN=example.com' }, ncDn), ncDn], ca: [root], ours: 'OK' },
  {
    name: 'name constraints: a CN-only leaf is checked by its CN',
    send: [leafWith({ subject: 'CN=example.com', dns: undefined }, ncPermit), ncPermit],
    ca: [root],
    ours: 'PERMITTED_VIOLATION',
    node: 'UNSPECIFIED',
  },
  // Host names
  { name: 'wrong host name', send: [leaf, inter], ca: [root], host: 'other.test', ours: 'ERR_TLS_CERT_ALTNAME_INVALID' },
  { name: 'IP address host and IP SAN', send: [leafWith({ ips: ['127.0.0.1'] }), inter], ca: [root], host: '127.0.0.1', ours: 'OK' },
  {
    name: 'partial wildcard f*.example.com',
    send: [leafWith({ dns: ['f*.example.com'] }), inter],
    ca: [root],
    host: 'foo.example.com',
    ours: 'ERR_TLS_CERT_ALTNAME_INVALID',
    node: 'OK',
    why: 'a wildcard counts only as the whole left-most label (RFC 6125 section 7.2, CA/Browser Forum)',
  },
  // The RFC 5280 profile (strict, the default), which Node does not check.
  { name: 'profile: intermediate basicConstraints not critical', send: [leaf, interWith({ bcCritical: false })], ca: [root], ours: 'CA_BCONS_NOT_CRITICAL', node: 'OK', profile: true },
  { name: 'profile: intermediate without subjectKeyIdentifier', send: [leaf, interWith({ ski: false })], ca: [root], ours: 'MISSING_SUBJECT_KEY_IDENTIFIER', node: 'OK', profile: true },
  { name: 'profile: leaf without authorityKeyIdentifier', send: [leafWith({ aki: false }), inter], ca: [root], ours: 'MISSING_AUTHORITY_KEY_IDENTIFIER', node: 'OK', profile: true },
  { name: 'profile: intermediate without keyUsage', send: [leaf, interWith({ keyUsage: undefined })], ca: [root], ours: 'CA_CERT_MISSING_KEY_USAGE', node: 'OK', profile: true },
  { name: 'profile: serial number of 21 octets', send: [leafWith({ serial: longSerial }), inter], ca: [root], ours: 'SERIAL_NUMBER_TOO_LONG', node: 'OK', profile: true },
  { name: 'profile: critical extKeyUsage on the server leaf', send: [leafWith({ ekuCritical: true }), inter], ca: [root], ours: 'EXTENDED_KEY_USAGE_CRITICAL', node: 'OK', profile: true },
  {
    name: 'profile: empty subject with a non-critical subjectAltName',
    send: [leafWith({ subject: '' }), inter],
    ca: [root],
    ours: 'EMPTY_SUBJECT_SAN_NOT_CRITICAL',
    node: 'OK',
    profile: true,
  },
  // As openssl verify -x509_strict: INVALID_CA, then KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA (the last is reported).
  { name: 'profile: root without basicConstraints', send: [leaf, inter], ca: [rootWith({ ca: undefined })], ours: 'KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA', node: 'OK', profile: true },
  { name: 'profile: version 1 root', send: [leaf, inter], ca: [rootWith({ version: 1, ca: undefined, keyUsage: undefined, ski: false })], ours: 'INVALID_CA', node: 'OK', profile: true },
  { name: 'a version 1 leaf is accepted', send: [leafWith({ version: 1, dns: undefined, keyUsage: undefined, eku: undefined, ski: false, aki: false }), inter], ca: [root], ours: 'OK' },
];

/** Node's verdicts, asked for several cases at a time (each is a loopback handshake). */
const nodeVerdicts = new Map<Case, Awaited<ReturnType<typeof nodeVerdict>>>();
beforeAll(async () => {
  const queue = [...CASES];
  const worker = async () => {
    for (let c = queue.shift(); c; c = queue.shift()) nodeVerdicts.set(c, await nodeVerdict(c.send, c.ca, c.host));
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}, 60_000);

describe('path validation against Node', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const ours = ourVerdict(c.send, c.ca, c.host);
    expect({ name, ours: ours.code }).toEqual({ name, ours: c.ours });
    const node = nodeVerdicts.get(c)!;
    expect({ name, node: node.code }).toEqual({ name, node: c.node ?? c.ours });
    if (c.node === 'OK') expect(c.why ?? (c.profile ? 'profile' : undefined)).toBeDefined();
    if (c.profile) expect(ourVerdict(c.send, c.ca, c.host, { strict: false }).code).toBe('OK');
    if (node.code !== 'OK' && node.code !== 'ERR_TLS_CERT_ALTNAME_INVALID') {
      // Node's message is OpenSSL's text, which is how ours starts; its code is ours or UNSPECIFIED.
      const err = ours.error as CertificateVerifyError;
      expect(err).toBeInstanceOf(CertificateVerifyError);
      expect(err.message.startsWith(`${node.message} (depth `)).toBe(true);
      expect(err.nodeCode).toBe(node.code);
    }
    if (node.code === 'ERR_TLS_CERT_ALTNAME_INVALID' && c.ours === node.code) expect(ours.error!.message).toBe(node.message);
  });
});

describe('error details', () => {
  test('the error names the certificate, its depth and every problem in order', () => {
    const { error } = ourVerdict([badSigLeaf, expiredInter], [root]);
    const e = error as CertificateVerifyError;
    expect(e.depth).toBe(0);
    expect(e.problems.map((p) => [p.code, p.depth])).toEqual([
      ['CERT_HAS_EXPIRED', 1],
      ['CERT_SIGNATURE_FAILURE', 0],
    ]);
    expect(e.message).toMatch(/^certificate signature failure \(depth 0: CN=example.com: ecdsa-with-SHA256 signature by CN=Test Intermediate does not verify\)$/);
  });

  test('the injected clock decides validity', () => {
    const later = Date.now() + 400 * DAY;
    expect(ourVerdict([leaf, inter], [root], 'example.com', { now: later }).code).toBe('CERT_HAS_EXPIRED');
    const lapsed = leafWith({ notBefore: ago(30), notAfter: ago(0.5) });
    expect(ourVerdict([lapsed, inter], [root]).code).toBe('CERT_HAS_EXPIRED');
    expect(ourVerdict([lapsed, inter], [root], 'example.com', { now: ago(0.75).getTime() }).code).toBe('OK');
    expect(ourVerdict([lapsed, inter], [root], 'example.com', { now: ago(2).getTime() }).code).toBe('CERT_NOT_YET_VALID');
  });

  test('a leaf RSA key under 1024 bits is too weak', () => {
    const weak = leafWith({ key: newKey('rsa1024') });
    expect(ourVerdict([weak, inter], [root]).code).toBe('OK');
    const tiny = leafWith({ key: newKey('rsa768') });
    expect(ourVerdict([tiny, inter], [root]).code).toBe('EE_KEY_TOO_SMALL');
    const tinyCa = makeCert({ subject: 'CN=Tiny CA', issuer: root, ca: true, keyUsage: ['keyCertSign'], key: newKey('rsa768') });
    expect(ourVerdict([leafWith({}, tinyCa), tinyCa], [root]).code).toBe('CA_KEY_TOO_SMALL');
  });

  test('purpose client checks clientAuth and skips the host name', () => {
    const client = leafWith({ eku: ['clientAuth'], dns: undefined, subject: 'CN=some client' });
    expect(ourVerdict([client, inter], [root], undefined, { purpose: 'client' }).code).toBe('OK');
    expect(ourVerdict([leaf, inter], [root], undefined, { purpose: 'client' }).code).toBe('INVALID_PURPOSE');
  });

  test('every code has OpenSSL\'s message and the documented alert', () => {
    const alerts: Record<number, VerifyCode[]> = {};
    for (const [code, [, alert]] of Object.entries(VERIFY_ERRORS)) (alerts[alert] ??= []).push(code as VerifyCode);
    expect(alerts[AlertDescription.certificate_expired]!.sort()).toEqual(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
    expect(alerts[AlertDescription.unknown_ca]!.sort()).toEqual([
      'CERT_CHAIN_TOO_LONG', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    ]);
    expect(alerts[AlertDescription.unsupported_certificate]!.sort()).toEqual(['INVALID_PURPOSE', 'UNHANDLED_CRITICAL_EXTENSION', 'UNSUPPORTED_PUBLIC_KEY']);
    expect(VERIFY_ERRORS.CERT_SIGNATURE_FAILURE[1]).toBe(AlertDescription.bad_certificate);
    expect(verifyErrorText('UNABLE_TO_VERIFY_LEAF_SIGNATURE')).toBe('unable to verify the first certificate');
  });
});
