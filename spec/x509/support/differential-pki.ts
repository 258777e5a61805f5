/**
 * The PKI of the X.509 differential test (../differential.spec.ts): roots, intermediates and
 * leaves, each made to show one rule of path validation or name matching, and the chains
 * built from them (what the server sends, what the client trusts, which name it asks for).
 *
 * `node` in each {@link ChainCase} is the verdict Node 20 (OpenSSL 3.0) gives, written down
 * when the table was made; the test asks Node again every run and checks this note too, so
 * a change in Node or a certificate that does not show what it was made for is caught.
 *
 * @module
 */
import { CA_EXTENSIONS, ChainFactory, daysFromNow, leafExtensions, type CertSpec, type KeyKind } from './chain-factory.js';

/** One chain: the server sends `send` (leaf first), the client trusts `roots` and checks `host`. */
export interface ChainCase {
  /** What it shows. */
  readonly name: string;
  /** Certificates the server sends, leaf first (the leaf's key is the server's key). */
  readonly send: readonly string[];
  /** Trust anchors given to the client as `ca`. */
  readonly roots: readonly string[];
  /** The name or IP the client checks (servername, or the host for an IP). Default `localhost`. */
  readonly host?: string;
  /** Node's verdict: `'OK'` or its `err.code`. */
  readonly node: string;
  /**
   * When Node's code is `UNSPECIFIED` (Node names only some OpenSSL verify errors; the rest
   * become `UNSPECIFIED` with OpenSSL's text as the message): OpenSSL's own name for the
   * error (`X509_V_ERR_` dropped), which our client may give instead. See {@link OPENSSL_REASONS}.
   */
  readonly opensslReason?: keyof typeof OPENSSL_REASONS;
  /**
   * A deliberate difference of rxtls from Node, documented in src/tls/x509/ca-verifier.ts: our
   * verdict and why. Either a refusal where Node accepts (stricter), or an acceptance where
   * Node refuses only because OpenSSL builds one path and stops: then `validPath` (a sub-list
   * of `send`, leaf first) must be a chain Node itself accepts with the same roots.
   */
  readonly rxtls?: { readonly verdict: string; readonly why: string; readonly validPath?: readonly string[] };
  /** The server runs at OpenSSL security level 0 (it refuses to load SHA-1 certificates otherwise). */
  readonly serverSeclevel0?: boolean;
}

/**
 * OpenSSL verify errors that Node reports as `UNSPECIFIED`, with the message Node gives
 * (`X509_verify_cert_error_string`).
 */
export const OPENSSL_REASONS = {
  KEYUSAGE_NO_CERTSIGN: 'key usage does not include certificate signing',
  PERMITTED_VIOLATION: 'permitted subtree violation',
  EXCLUDED_VIOLATION: 'excluded subtree violation',
  UNHANDLED_CRITICAL_EXTENSION: 'unhandled critical extension',
  CA_MD_TOO_WEAK: 'CA signature digest algorithm too weak',
} as const;

const KEYS: Record<string, KeyKind> = {
  kRootP256: 'p256', kRootRsa: 'rsa2048', kRootEd: 'ed25519', kRootP384: 'p384', kRootExp: 'p256', kRootPl0: 'p256', kUntrusted: 'p256',
  kIntP256: 'p256', kInt2: 'p256', kIntRsa: 'rsa2048', kIntEd: 'ed25519', kImposter: 'p256',
  kLeafP256: 'p256', kLeafRsa: 'rsa2048', kLeafEd: 'ed25519', kLeafP384: 'p384',
};

const ca = (extra: string[] = []): string => [CA_EXTENSIONS, 'authorityKeyIdentifier = keyid', ...extra].join('\n');
const caLines = (lines: string[]): string => [...lines, 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid'].join('\n');

/** Every certificate, by name. Order does not matter (the factory waits for issuers). */
const CERTS: Record<string, CertSpec> = {
  // Roots
  rootP256: { subject: '/O=rxtls diff/CN=Root P-256', key: 'kRootP256', ext: CA_EXTENSIONS },
  rootRsa: { subject: '/O=rxtls diff/CN=Root RSA', key: 'kRootRsa', ext: CA_EXTENSIONS },
  rootEd: { subject: '/O=rxtls diff/CN=Root Ed25519', key: 'kRootEd', ext: CA_EXTENSIONS },
  rootP384: { subject: '/O=rxtls diff/CN=Root P-384', key: 'kRootP384', ext: CA_EXTENSIONS, md: 'sha384' },
  rootExpired: { subject: '/O=rxtls diff/CN=Root expired', key: 'kRootExp', ext: CA_EXTENSIONS, notBefore: daysFromNow(-60), notAfter: daysFromNow(-30) },
  rootPathlen0: { subject: '/O=rxtls diff/CN=Root pathlen 0', key: 'kRootPl0', ext: caLines(['basicConstraints = critical, CA:TRUE, pathlen:0', 'keyUsage = critical, keyCertSign, cRLSign']) },
  rootUntrusted: { subject: '/O=rxtls diff/CN=Root nobody trusts', key: 'kUntrusted', ext: CA_EXTENSIONS },

  // Intermediates
  int: { subject: '/O=rxtls diff/CN=Int P-256', key: 'kIntP256', issuer: 'rootP256', ext: ca() },
  int2: { subject: '/O=rxtls diff/CN=Int level 2', key: 'kInt2', issuer: 'int', ext: ca() },
  intRsa: { subject: '/O=rxtls diff/CN=Int RSA', key: 'kIntRsa', issuer: 'rootRsa', ext: ca() },
  intEd: { subject: '/O=rxtls diff/CN=Int Ed25519', key: 'kIntEd', issuer: 'rootEd', ext: ca() },
  intMixed: { subject: '/O=rxtls diff/CN=Int P-256 under RSA', key: 'kIntP256', issuer: 'rootRsa', ext: ca() },
  intRsaUnderP384: { subject: '/O=rxtls diff/CN=Int RSA under P-384', key: 'kIntRsa', issuer: 'rootP384', ext: ca(), md: 'sha384' },
  intCaFalse: { subject: '/O=rxtls diff/CN=Int CA FALSE', key: 'kInt2', issuer: 'rootP256', ext: caLines(['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, keyCertSign, cRLSign']) },
  intNoBc: { subject: '/O=rxtls diff/CN=Int without basicConstraints', key: 'kInt2', issuer: 'rootP256', ext: caLines(['keyUsage = critical, keyCertSign, cRLSign']) },
  intPathlen0: { subject: '/O=rxtls diff/CN=Int pathlen 0', key: 'kInt2', issuer: 'rootP256', ext: caLines(['basicConstraints = critical, CA:TRUE, pathlen:0', 'keyUsage = critical, keyCertSign, cRLSign']) },
  intUnderPathlen0: { subject: '/O=rxtls diff/CN=Int under pathlen 0', key: 'kIntP256', issuer: 'intPathlen0', ext: ca() },
  intUnderRootPathlen0: { subject: '/O=rxtls diff/CN=Int under root pathlen 0', key: 'kIntP256', issuer: 'rootPathlen0', ext: ca() },
  intNoCertSign: { subject: '/O=rxtls diff/CN=Int without keyCertSign', key: 'kInt2', issuer: 'rootP256', ext: caLines(['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, digitalSignature, cRLSign']) },
  intEkuClient: { subject: '/O=rxtls diff/CN=Int EKU clientAuth', key: 'kInt2', issuer: 'rootP256', ext: ca(['extendedKeyUsage = clientAuth']) },
  intEkuServer: { subject: '/O=rxtls diff/CN=Int EKU serverAuth', key: 'kInt2', issuer: 'rootP256', ext: ca(['extendedKeyUsage = serverAuth']) },
  intExpired: { subject: '/O=rxtls diff/CN=Int expired', key: 'kInt2', issuer: 'rootP256', ext: ca(), notBefore: daysFromNow(-60), notAfter: daysFromNow(-1) },
  intNotYet: { subject: '/O=rxtls diff/CN=Int not yet valid', key: 'kInt2', issuer: 'rootP256', ext: ca(), notBefore: daysFromNow(2), notAfter: daysFromNow(60) },
  intSha1: { subject: '/O=rxtls diff/CN=Int signed with SHA-1', key: 'kInt2', issuer: 'rootRsa', ext: ca(), md: 'sha1' },
  intV1: { subject: '/O=rxtls diff/CN=Int version 1', key: 'kInt2', issuer: 'rootP256', ext: null },
  intCrit: { subject: '/O=rxtls diff/CN=Int unknown critical', key: 'kInt2', issuer: 'rootP256', ext: ca(['1.3.6.1.4.1.55555.1 = critical, ASN1:UTF8String:unknown']) },
  intNcPermit: { subject: '/O=rxtls diff/CN=Int permits allowed.test', key: 'kInt2', issuer: 'rootP256', ext: ca(['nameConstraints = critical, permitted;DNS:allowed.test']) },
  intNcExclude: { subject: '/O=rxtls diff/CN=Int excludes localhost', key: 'kInt2', issuer: 'rootP256', ext: ca(['nameConstraints = critical, excluded;DNS:localhost']) },
  intNcIp: { subject: '/O=rxtls diff/CN=Int permits 10.0.0.0 slash 8', key: 'kInt2', issuer: 'rootP256', ext: ca(['nameConstraints = critical, permitted;IP:10.0.0.0/255.0.0.0']) },
  // `int` again (same name, same key), cross-signed by other roots: a second path for its leaves.
  intCrossRsa: { subject: '/O=rxtls diff/CN=Int P-256', key: 'kIntP256', issuer: 'rootRsa', ext: ca() },
  intCrossExpired: { subject: '/O=rxtls diff/CN=Int P-256', key: 'kIntP256', issuer: 'rootExpired', ext: ca() },
  intUntrusted: { subject: '/O=rxtls diff/CN=Int under untrusted root', key: 'kInt2', issuer: 'rootUntrusted', ext: ca() },
  // Same name as `int`, other key: what it signs does not verify under the real `int`.
  intImposter: { subject: '/O=rxtls diff/CN=Int P-256', key: 'kImposter', issuer: 'rootUntrusted', ext: ca() },

  // Leaves (SAN DNS:localhost, IP:127.0.0.1 and EKU serverAuth unless said otherwise)
  leaf: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions() },
  leafDirect: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'rootP256', ext: leafExtensions() },
  leafRsa: { subject: '/CN=localhost', key: 'kLeafRsa', issuer: 'intRsa', ext: leafExtensions({ rsa: true }) },
  leafEd: { subject: '/CN=localhost', key: 'kLeafEd', issuer: 'intEd', ext: leafExtensions() },
  leafMixed: { subject: '/CN=localhost', key: 'kLeafEd', issuer: 'intMixed', ext: leafExtensions() },
  leafRsaUnderEd: { subject: '/CN=localhost', key: 'kLeafRsa', issuer: 'rootEd', ext: leafExtensions({ rsa: true }) },
  leafP384: { subject: '/CN=localhost', key: 'kLeafP384', issuer: 'intRsaUnderP384', ext: leafExtensions(), md: 'sha384' },
  leafSha384: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions(), md: 'sha384' },
  leafSha512: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intRsa', ext: leafExtensions(), md: 'sha512' },
  leafPss: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'rootRsa', ext: leafExtensions(), sigopts: ['rsa_padding_mode:pss', 'rsa_pss_saltlen:digest'] },
  leafDeep: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int2', ext: leafExtensions() },
  leafExpired: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions(), notBefore: daysFromNow(-30), notAfter: daysFromNow(-1) },
  leafNotYet: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions(), notBefore: daysFromNow(1), notAfter: daysFromNow(30) },
  leafFar: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions(), notAfter: new Date('2055-06-01T00:00:00Z') },
  leafUnderRootExpired: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'rootExpired', ext: leafExtensions() },
  leafWild: { subject: '/CN=wildcard', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ san: 'DNS:*.wild.test' }) },
  leafPartialWild: { subject: '/CN=partial wildcard', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ san: 'DNS:f*.wild.test' }) },
  leafUpper: { subject: '/CN=upper', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ san: 'DNS:LocalHost' }) },
  leafCnOnly: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ san: null }) },
  leafCnSanOther: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ san: 'DNS:other.test' }) },
  leafCnIpSan: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ san: 'IP:127.0.0.1' }) },
  leafDnsOnly: { subject: '/CN=127.0.0.1', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ san: 'DNS:localhost' }) },
  leafIpv6: { subject: '/CN=ipv6', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ san: 'DNS:localhost, IP:::1' }) },
  leafUnderCaFalse: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intCaFalse', ext: leafExtensions() },
  leafUnderNoBc: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intNoBc', ext: leafExtensions() },
  leafUnderPathlen0: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intPathlen0', ext: leafExtensions() },
  leafPathTooLong: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intUnderPathlen0', ext: leafExtensions() },
  leafRootPathTooLong: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intUnderRootPathlen0', ext: leafExtensions() },
  leafUnderNoCertSign: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intNoCertSign', ext: leafExtensions() },
  leafUnderEkuClient: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intEkuClient', ext: leafExtensions() },
  leafUnderEkuServer: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intEkuServer', ext: leafExtensions() },
  leafUnderIntExpired: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intExpired', ext: leafExtensions() },
  leafUnderIntNotYet: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intNotYet', ext: leafExtensions() },
  leafUnderIntSha1: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intSha1', ext: leafExtensions() },
  leafUnderIntV1: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intV1', ext: leafExtensions({ aki: null }) },
  leafUnderIntCrit: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intCrit', ext: leafExtensions() },
  leafEkuClient: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ eku: 'clientAuth' }) },
  leafNoEku: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ eku: null }) },
  leafAnyEku: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ eku: 'anyExtendedKeyUsage' }) },
  leafEkuBoth: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ eku: 'clientAuth, serverAuth' }) },
  leafKuCertSignOnly: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ ku: 'critical, keyCertSign' }) },
  leafNoKu: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ ku: null, bc: null }) },
  leafCrit: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ extra: ['1.3.6.1.4.1.55555.2 = critical, ASN1:UTF8String:unknown'] }) },
  leafNonCrit: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: leafExtensions({ extra: ['1.3.6.1.4.1.55555.3 = ASN1:UTF8String:unknown'] }) },
  leafSha1: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intRsa', ext: leafExtensions(), md: 'sha1' },
  leafBadSig: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intImposter', ext: leafExtensions({ aki: null }) },
  leafNcGood: { subject: '/CN=a.allowed.test', key: 'kLeafP256', issuer: 'intNcPermit', ext: leafExtensions({ san: 'DNS:a.allowed.test' }) },
  leafNcBad: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intNcPermit', ext: leafExtensions({ san: 'DNS:localhost' }) },
  leafNcExcluded: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intNcExclude', ext: leafExtensions({ san: 'DNS:localhost' }) },
  leafNcIp: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intNcIp', ext: leafExtensions() },
  leafV1: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'int', ext: null },
  leafUntrusted: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'intUntrusted', ext: leafExtensions() },
  leafUnderUntrustedRoot: { subject: '/CN=localhost', key: 'kLeafP256', issuer: 'rootUntrusted', ext: leafExtensions() },
  leafSelfSigned: { subject: '/CN=localhost', key: 'kLeafP256', ext: leafExtensions({ aki: null }) },
  leafSelfSignedCa: { subject: '/CN=localhost', key: 'kLeafEd', ext: [CA_EXTENSIONS, 'subjectAltName = DNS:localhost'].join('\n') },
  leafSelfSignedCaTls: {
    subject: '/CN=localhost', key: 'kLeafEd',
    ext: ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, digitalSignature, keyCertSign', 'extendedKeyUsage = serverAuth', 'subjectAltName = DNS:localhost'].join('\n'),
  },
};

const P256 = ['rootP256'];

/** Why rxtls accepts some chains Node refuses. */
const ALTERNATIVE_PATHS = 'rxtls tries every path (path.ts); OpenSSL 3.0 keeps the first issuer it finds, and fails if that path fails';

/** The chains. */
export const CHAINS: readonly ChainCase[] = [
  // Valid chains, key and signature mixes
  { name: 'baseline P-256: leaf, intermediate, root', send: ['leaf', 'int'], roots: P256, node: 'OK' },
  { name: 'baseline checked by IP address', send: ['leaf', 'int'], roots: P256, host: '127.0.0.1', node: 'OK' },
  { name: 'leaf issued by the root directly', send: ['leafDirect'], roots: P256, node: 'OK' },
  { name: 'server also sends the root', send: ['leaf', 'int', 'rootP256'], roots: P256, node: 'OK' },
  { name: 'RSA root, RSA intermediate, RSA leaf', send: ['leafRsa', 'intRsa'], roots: ['rootRsa'], node: 'OK' },
  { name: 'Ed25519 all the way', send: ['leafEd', 'intEd'], roots: ['rootEd'], node: 'OK' },
  { name: 'RSA root, P-256 intermediate, Ed25519 leaf', send: ['leafMixed', 'intMixed'], roots: ['rootRsa'], node: 'OK' },
  { name: 'Ed25519 root, RSA leaf', send: ['leafRsaUnderEd'], roots: ['rootEd'], node: 'OK' },
  { name: 'P-384 root, RSA intermediate (SHA-384), P-384 leaf', send: ['leafP384', 'intRsaUnderP384'], roots: ['rootP384'], node: 'OK' },
  { name: 'ECDSA with SHA-384 on the leaf', send: ['leafSha384', 'int'], roots: P256, node: 'OK' },
  { name: 'RSA PKCS#1 v1.5 with SHA-512 on the leaf', send: ['leafSha512', 'intRsa'], roots: ['rootRsa'], node: 'OK' },
  { name: 'RSA-PSS signature on the leaf', send: ['leafPss'], roots: ['rootRsa'], node: 'OK' },
  { name: 'two intermediates', send: ['leafDeep', 'int2', 'int'], roots: P256, node: 'OK' },
  { name: 'two intermediates out of order', send: ['leafDeep', 'int', 'int2'], roots: P256, node: 'OK' },
  { name: 'an unrelated extra certificate in the chain', send: ['leaf', 'intRsa', 'int'], roots: P256, node: 'OK' },
  { name: 'several trusted roots, the third one issues', send: ['leafEd', 'intEd'], roots: ['rootP256', 'rootRsa', 'rootEd'], node: 'OK' },
  { name: 'notAfter in 2055 (GeneralizedTime)', send: ['leafFar', 'int'], roots: P256, node: 'OK' },
  { name: 'version 1 leaf (no extensions, CN)', send: ['leafV1', 'int'], roots: P256, node: 'OK' },
  // Several paths (cross-signed intermediate)
  {
    name: 'cross-signed intermediate: untrusted path listed first', send: ['leaf', 'intCrossRsa', 'int'], roots: P256, node: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    rxtls: { verdict: 'OK', why: ALTERNATIVE_PATHS, validPath: ['leaf', 'int'] },
  },
  {
    name: 'cross-signed intermediate: trusted path listed second', send: ['leaf', 'int', 'intCrossRsa'], roots: ['rootRsa'], node: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    rxtls: { verdict: 'OK', why: ALTERNATIVE_PATHS, validPath: ['leaf', 'intCrossRsa'] },
  },
  { name: 'cross-signed intermediate: only the RSA-root path, trusting it', send: ['leaf', 'intCrossRsa'], roots: ['rootRsa'], node: 'OK' },
  { name: 'cross-signed intermediate: only the untrusted path sent', send: ['leaf', 'intCrossRsa'], roots: P256, node: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
  {
    name: 'cross-signed intermediate: expired root first, valid root second', send: ['leaf', 'intCrossExpired', 'int'], roots: ['rootExpired', 'rootP256'], node: 'CERT_HAS_EXPIRED',
    rxtls: { verdict: 'OK', why: ALTERNATIVE_PATHS, validPath: ['leaf', 'int'] },
  },
  { name: 'cross-signed intermediate: expired root trusted, valid path sent', send: ['leaf', 'int'], roots: ['rootExpired', 'rootP256'], node: 'OK' },
  { name: 'cross-signed intermediate: only the expired-root path', send: ['leaf', 'intCrossExpired'], roots: ['rootExpired', 'rootP256'], node: 'CERT_HAS_EXPIRED' },
  // Trust
  { name: 'trusting another root', send: ['leaf', 'int'], roots: ['rootRsa'], node: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
  { name: 'missing intermediate', send: ['leaf'], roots: P256, node: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
  { name: 'untrusted root sent in the chain', send: ['leafUntrusted', 'intUntrusted', 'rootUntrusted'], roots: P256, node: 'SELF_SIGNED_CERT_IN_CHAIN' },
  { name: 'untrusted root not sent', send: ['leafUntrusted', 'intUntrusted'], roots: P256, node: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
  { name: 'leaf issued directly by an untrusted root', send: ['leafUnderUntrustedRoot'], roots: P256, node: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
  { name: 'self-signed leaf', send: ['leafSelfSigned'], roots: P256, node: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
  { name: 'self-signed leaf that is itself trusted', send: ['leafSelfSigned'], roots: ['leafSelfSigned'], node: 'OK' },
  { name: 'self-signed CA as leaf (keyCertSign only), untrusted: purpose first', send: ['leafSelfSignedCa'], roots: P256, node: 'INVALID_PURPOSE' },
  { name: 'self-signed CA as leaf (digitalSignature, serverAuth), untrusted', send: ['leafSelfSignedCaTls'], roots: P256, node: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
  { name: 'self-signed CA as leaf, trusted', send: ['leafSelfSignedCaTls'], roots: ['leafSelfSignedCaTls'], node: 'OK' },
  { name: 'intermediate as the only trust anchor (no partial chains)', send: ['leaf', 'int', 'rootP256'], roots: ['int'], node: 'UNABLE_TO_GET_ISSUER_CERT' },
  { name: 'intermediate as the only trust anchor, root not sent', send: ['leaf', 'int'], roots: ['int'], node: 'UNABLE_TO_GET_ISSUER_CERT' },
  { name: 'leaf signature does not verify (one bit flipped)', send: ['leafCorruptSig', 'int'], roots: P256, node: 'CERT_SIGNATURE_FAILURE' },
  { name: 'intermediate signature does not verify (one bit flipped)', send: ['leaf', 'intCorruptSig'], roots: P256, node: 'CERT_SIGNATURE_FAILURE' },
  { name: "issuer name matches but another key signed (no AKI)", send: ['leafBadSig', 'int'], roots: P256, node: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
  // Time
  { name: 'expired leaf', send: ['leafExpired', 'int'], roots: P256, node: 'CERT_HAS_EXPIRED' },
  { name: 'leaf not yet valid', send: ['leafNotYet', 'int'], roots: P256, node: 'CERT_NOT_YET_VALID' },
  { name: 'expired intermediate', send: ['leafUnderIntExpired', 'intExpired'], roots: P256, node: 'CERT_HAS_EXPIRED' },
  { name: 'intermediate not yet valid', send: ['leafUnderIntNotYet', 'intNotYet'], roots: P256, node: 'CERT_NOT_YET_VALID' },
  { name: 'expired trusted root', send: ['leafUnderRootExpired'], roots: ['rootExpired'], node: 'CERT_HAS_EXPIRED' },
  // Names
  { name: 'wrong host name', send: ['leaf', 'int'], roots: P256, host: 'other.test', node: 'ERR_TLS_CERT_ALTNAME_INVALID' },
  { name: 'wildcard matches one label', send: ['leafWild', 'int'], roots: P256, host: 'a.wild.test', node: 'OK' },
  {
    name: 'partial wildcard f*.wild.test', send: ['leafPartialWild', 'int'], roots: P256, host: 'foo.wild.test', node: 'OK',
    rxtls: { verdict: 'ERR_TLS_CERT_ALTNAME_INVALID', why: 'a wildcard counts only as the whole left-most label (RFC 6125 section 7.2)' },
  },
  { name: 'wildcard does not match two labels', send: ['leafWild', 'int'], roots: P256, host: 'a.b.wild.test', node: 'ERR_TLS_CERT_ALTNAME_INVALID' },
  { name: 'wildcard does not match the bare domain', send: ['leafWild', 'int'], roots: P256, host: 'wild.test', node: 'ERR_TLS_CERT_ALTNAME_INVALID' },
  { name: 'SAN in upper case', send: ['leafUpper', 'int'], roots: P256, node: 'OK' },
  { name: 'CN only, no SAN', send: ['leafCnOnly', 'int'], roots: P256, node: 'OK' },
  { name: 'CN ignored when a DNS SAN exists', send: ['leafCnSanOther', 'int'], roots: P256, node: 'ERR_TLS_CERT_ALTNAME_INVALID' },
  { name: 'CN used when the only SAN is an IP', send: ['leafCnIpSan', 'int'], roots: P256, node: 'OK' },
  { name: 'IP host versus DNS-only SAN (CN is the IP)', send: ['leafDnsOnly', 'int'], roots: P256, host: '127.0.0.1', node: 'ERR_TLS_CERT_ALTNAME_INVALID' },
  { name: 'IPv6 SAN ::1', send: ['leafIpv6', 'int'], roots: P256, host: '::1', node: 'OK' },
  { name: 'IPv6 host versus IPv4-only SAN', send: ['leaf', 'int'], roots: P256, host: '::1', node: 'ERR_TLS_CERT_ALTNAME_INVALID' },
  // CA constraints
  { name: 'intermediate with CA:FALSE', send: ['leafUnderCaFalse', 'intCaFalse'], roots: P256, node: 'INVALID_PURPOSE' },
  { name: 'intermediate without basicConstraints', send: ['leafUnderNoBc', 'intNoBc'], roots: P256, node: 'INVALID_CA' },
  { name: 'version 1 intermediate', send: ['leafUnderIntV1', 'intV1'], roots: P256, node: 'INVALID_PURPOSE' },
  { name: 'intermediate without keyCertSign', send: ['leafUnderNoCertSign', 'intNoCertSign'], roots: P256, node: 'UNSPECIFIED', opensslReason: 'KEYUSAGE_NO_CERTSIGN' },
  { name: 'pathlen:0 intermediate issuing the leaf', send: ['leafUnderPathlen0', 'intPathlen0'], roots: P256, node: 'OK' },
  { name: 'pathlen:0 intermediate issuing an intermediate', send: ['leafPathTooLong', 'intUnderPathlen0', 'intPathlen0'], roots: P256, node: 'PATH_LENGTH_EXCEEDED' },
  { name: 'pathlen:0 root issuing an intermediate', send: ['leafRootPathTooLong', 'intUnderRootPathlen0'], roots: ['rootPathlen0'], node: 'PATH_LENGTH_EXCEEDED' },
  { name: 'name constraints: permitted subtree satisfied', send: ['leafNcGood', 'intNcPermit'], roots: P256, host: 'a.allowed.test', node: 'OK' },
  { name: 'name constraints: outside the permitted subtree', send: ['leafNcBad', 'intNcPermit'], roots: P256, node: 'UNSPECIFIED', opensslReason: 'PERMITTED_VIOLATION' },
  { name: 'name constraints: excluded subtree', send: ['leafNcExcluded', 'intNcExclude'], roots: P256, node: 'UNSPECIFIED', opensslReason: 'EXCLUDED_VIOLATION' },
  { name: 'name constraints: IP outside the permitted range', send: ['leafNcIp', 'intNcIp'], roots: P256, host: '127.0.0.1', node: 'UNSPECIFIED', opensslReason: 'PERMITTED_VIOLATION' },
  // Purpose
  { name: 'leaf EKU clientAuth only', send: ['leafEkuClient', 'int'], roots: P256, node: 'INVALID_PURPOSE' },
  { name: 'leaf without EKU', send: ['leafNoEku', 'int'], roots: P256, node: 'OK' },
  { name: 'leaf EKU anyExtendedKeyUsage only', send: ['leafAnyEku', 'int'], roots: P256, node: 'INVALID_PURPOSE' },
  { name: 'leaf EKU clientAuth and serverAuth', send: ['leafEkuBoth', 'int'], roots: P256, node: 'OK' },
  { name: 'leaf keyUsage keyCertSign only', send: ['leafKuCertSignOnly', 'int'], roots: P256, node: 'INVALID_PURPOSE' },
  { name: 'leaf without keyUsage and basicConstraints', send: ['leafNoKu', 'int'], roots: P256, node: 'OK' },
  { name: 'intermediate EKU clientAuth only', send: ['leafUnderEkuClient', 'intEkuClient'], roots: P256, node: 'INVALID_PURPOSE' },
  { name: 'intermediate EKU serverAuth', send: ['leafUnderEkuServer', 'intEkuServer'], roots: P256, node: 'OK' },
  // Extensions and algorithms
  { name: 'unknown critical extension on the leaf', send: ['leafCrit', 'int'], roots: P256, node: 'UNSPECIFIED', opensslReason: 'UNHANDLED_CRITICAL_EXTENSION' },
  { name: 'unknown non-critical extension on the leaf', send: ['leafNonCrit', 'int'], roots: P256, node: 'OK' },
  { name: 'unknown critical extension on the intermediate', send: ['leafUnderIntCrit', 'intCrit'], roots: P256, node: 'UNSPECIFIED', opensslReason: 'UNHANDLED_CRITICAL_EXTENSION' },
  { name: 'leaf signed with RSA SHA-1', send: ['leafSha1', 'intRsa'], roots: ['rootRsa'], node: 'UNSPECIFIED', opensslReason: 'CA_MD_TOO_WEAK', serverSeclevel0: true },
  { name: 'intermediate signed with RSA SHA-1', send: ['leafUnderIntSha1', 'intSha1'], roots: ['rootRsa'], node: 'UNSPECIFIED', opensslReason: 'CA_MD_TOO_WEAK', serverSeclevel0: true },
];

/** Makes every key and certificate of the PKI; resolves when all are made. */
export async function buildDifferentialPki(f: ChainFactory): Promise<void> {
  for (const [name, kind] of Object.entries(KEYS)) void f.key(name, kind);
  for (const [name, spec] of Object.entries(CERTS)) void f.cert(name, spec);
  void f.derive('leafCorruptSig', 'leaf', flipLastBit);
  void f.derive('intCorruptSig', 'int', flipLastBit);
  await f.settle();
}

/**
 * Flips the lowest bit of the last byte of a certificate: the end of the signature value
 * (for ECDSA, the last byte of `s`), so the DER still parses and only the signature is wrong.
 */
function flipLastBit(der: Uint8Array): Uint8Array {
  der[der.length - 1]! ^= 1;
  return der;
}
