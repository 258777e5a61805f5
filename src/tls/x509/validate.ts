/**
 * Path validation (RFC 5280 section 6.1) of one candidate path, with OpenSSL 3.0's checks in
 * OpenSSL's order, so that the error reported for a refused chain is the one Node reports.
 *
 * Node lets OpenSSL's verification run to the end whatever it finds (its verify callback
 * always returns 1) and reports the last error. So every problem is collected here, in the
 * order of OpenSSL's X509_verify_cert, and the caller reports the last one (the `strict`
 * profile problems, which Node does not look for, are put first, so they are reported only
 * for chains Node accepts):
 *
 * 1. the leaf's key (EE_KEY_TOO_SMALL; UNSUPPORTED_PUBLIC_KEY when rxtls cannot use it);
 * 2. path building: no anchor (UNABLE_TO_GET_ISSUER_CERT[_LOCALLY], DEPTH_ZERO_SELF_SIGNED_CERT,
 *    SELF_SIGNED_CERT_IN_CHAIN) or too long (CERT_CHAIN_TOO_LONG);
 * 3. per certificate, leaf first (check_chain_extensions): unknown critical extensions
 *    (section 4.2), CA-ness of issuers (basicConstraints, section 4.2.1.9 and 6.1.4 (k)), the
 *    RFC 5280 profile when `strict`, purpose (extKeyUsage section 4.2.1.12, keyUsage section
 *    4.2.1.3, as OpenSSL's ssl_server/ssl_client purposes), pathLenConstraint (6.1.4 (l), (m));
 * 4. algorithm strength (CA_MD_TOO_WEAK for MD5/SHA-1 below the top, CA_KEY_TOO_SMALL);
 * 5. from the top down (internal_verify): the issuer's keyCertSign (6.1.4 (n)), the signature
 *    (6.1.3 (a)(1)), then validity at `now` (6.1.3 (a)(2)), the anchor's validity included;
 * 6. name constraints (6.1.3 (b), (c); name-constraints.ts).
 *
 * Differences from Node, each making rxtls stricter (documented in ca-verifier.ts):
 * - `strict` (the default) adds OpenSSL's X509_V_FLAG_X509_STRICT profile checks, as Python
 *   3.13's default context does, and three more: serial numbers over 20 octets (section
 *   4.1.2.2), an authorityKeyIdentifier without keyIdentifier on any certificate (section
 *   4.2.1.1), and a critical extKeyUsage on a TLS server certificate (CA/Browser Forum
 *   Baseline Requirements section 7.1.2.7.6; RFC 5280 section 4.2.1.12 allows it).
 * - A TLS 1.3 leaf with keyUsage must assert digitalSignature (RFC 8446 section 4.4.2.2);
 *   OpenSSL also accepts keyEncipherment or keyAgreement.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { TlsCertificateError } from '../errors.js';
import { ExtensionOid, KeyPurpose, KeyUsageBit, describeCertificate, type ParsedCertificate } from './certificate.js';
import { checkNameConstraints } from './name-constraints.js';
import { selfIssued, selfSigned, likelyIssued, type CandidatePath, type TrustStore } from './path.js';
import { certificateKey, signatureAlgorithmInfo, verifyCertificateSignature } from './signature.js';
import type { PathProblem, VerifyCode } from './verify-error.js';

/** How to validate. */
export interface ValidationOptions {
  /** The time to validate at, milliseconds since the epoch. */
  readonly now: number;
  /** Which peer the leaf belongs to: `'server'` needs serverAuth, `'client'` clientAuth. */
  readonly purpose: 'server' | 'client';
  /** Apply the RFC 5280 profile checks (OpenSSL's X509_STRICT and rxtls's own). */
  readonly strict: boolean;
  /** Verifies signatures; the noble provider's keys when absent. */
  readonly provider?: CryptoProvider;
  /** Most intermediates that are not self-issued (x509-limbo's max_chain_depth); unbounded when absent. */
  readonly maxIntermediates?: number;
}

/** Netscape certificate type bits (first octet): SSL client, SSL server, and any CA. */
const NS_SSL_CLIENT = 0x80;
const NS_SSL_SERVER = 0x40;
const NS_SSL_CA = 0x04;
const NS_ANY_CA = 0x07;

/** Server Gated Crypto purposes, which OpenSSL accepts in place of serverAuth. */
const SGC = new Set(['2.16.840.1.113730.4.1', '1.3.6.1.4.1.311.10.3.3']);

/** Smallest RSA modulus at OpenSSL's default security level 1 (80 bits of security). */
const MIN_RSA_BITS = 1024;

/** keyUsage present without any of `bits` (OpenSSL's ku_reject). */
const kuReject = (c: ParsedCertificate, bits: number) => c.keyUsage !== undefined && (c.keyUsage & bits) === 0;

/** nsCertType present without any of `bits` (OpenSSL's ns_reject). */
const nsReject = (c: ParsedCertificate, bits: number) => c.netscapeCertType !== undefined && (c.netscapeCertType & bits) === 0;

/** OpenSSL's check_ca: 0 not a CA; 1 basicConstraints cA; 3 v1 self-signed; 4 keyUsage only; 5 Netscape CA. */
function caKind(c: ParsedCertificate): 0 | 1 | 3 | 4 | 5 {
  if (kuReject(c, KeyUsageBit.keyCertSign)) return 0;
  if (c.basicConstraints) return c.basicConstraints.cA ? 1 : 0;
  if (c.version === 1 && selfSigned(c)) return 3;
  if (c.keyUsage !== undefined) return 4;
  if (c.netscapeCertType !== undefined && (c.netscapeCertType & NS_ANY_CA) !== 0) return 5;
  return 0;
}

/** The extKeyUsage rule of OpenSSL's purposes: absent means any; anyExtendedKeyUsage alone does not do. */
function ekuReject(c: ParsedCertificate, purpose: 'server' | 'client'): boolean {
  const eku = c.extKeyUsage;
  if (eku === undefined) return false;
  if (purpose === 'client') return !eku.includes(KeyPurpose.clientAuth);
  return !eku.some((p) => p === KeyPurpose.serverAuth || SGC.has(p));
}

/** Why `c` does not suit `purpose` (OpenSSL's check_purpose_ssl_server/_client, plus RFC 8446), or undefined. */
function purposeProblem(c: ParsedCertificate, purpose: 'server' | 'client', asCa: boolean): string | undefined {
  if (ekuReject(c, purpose)) {
    return `extKeyUsage ${c.extKeyUsage!.join(', ') || '(empty)'} lacks ${purpose === 'server' ? 'serverAuth' : 'clientAuth'}`;
  }
  if (asCa) {
    const k = caKind(c);
    if (k === 0 || (k === 5 && (c.netscapeCertType! & NS_SSL_CA) === 0)) return 'not a CA certificate';
    return undefined;
  }
  if (nsReject(c, purpose === 'server' ? NS_SSL_SERVER : NS_SSL_CLIENT)) return 'Netscape certificate type excludes this use';
  const ku = purpose === 'server' ? KeyUsageBit.digitalSignature | KeyUsageBit.keyEncipherment | KeyUsageBit.keyAgreement : KeyUsageBit.digitalSignature | KeyUsageBit.keyAgreement;
  if (kuReject(c, ku)) return 'keyUsage allows no TLS use';
  // RFC 8446 section 4.4.2.2: "the digitalSignature bit MUST be set if the Key Usage extension is present".
  if (kuReject(c, KeyUsageBit.digitalSignature)) return 'keyUsage lacks digitalSignature, which TLS 1.3 requires (RFC 8446 section 4.4.2.2)';
  return undefined;
}

/** Significant octets of a serial number (RFC 5280 section 4.1.2.2 counts the value, not a sign octet). */
function serialLength(serial: Uint8Array): number {
  let i = 0;
  while (i < serial.length - 1 && serial[i] === 0) i++;
  return serial.length - i;
}

/** The RFC 5280 profile checks of OpenSSL's X509_STRICT, in its order, then rxtls's own. */
function profileProblems(c: ParsedCertificate, i: number, num: number, purpose: 'server' | 'client', add: (code: VerifyCode, detail: string) => void): void {
  const isCa = c.basicConstraints?.cA === true;
  const ku = c.keyUsage ?? 0;
  const san = c.subjectAltName;
  const subjectEmpty = c.subject.rdns.length === 0;
  if (c.basicConstraints?.pathLen !== undefined) {
    if (!isCa) add('PATHLEN_INVALID_FOR_NON_CA', 'pathLenConstraint without cA (section 4.2.1.9)');
    if ((ku & KeyUsageBit.keyCertSign) === 0) add('PATHLEN_WITHOUT_KU_KEY_CERT_SIGN', 'pathLenConstraint without keyCertSign (section 4.2.1.9)');
  }
  if (isCa && !c.basicConstraints!.critical) add('CA_BCONS_NOT_CRITICAL', 'basicConstraints of a CA must be critical (section 4.2.1.9)');
  if (isCa) {
    if (c.keyUsage === undefined) add('CA_CERT_MISSING_KEY_USAGE', 'a CA must have keyUsage (section 4.2.1.3)');
  } else if ((ku & KeyUsageBit.keyCertSign) !== 0) {
    add('KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA', 'keyCertSign without cA (section 4.2.1.3)');
  }
  if (c.issuer.rdns.length === 0) add('ISSUER_NAME_EMPTY', 'empty issuer (section 4.1.2.4)');
  if ((isCa || (ku & KeyUsageBit.cRLSign) !== 0 || san === undefined) && subjectEmpty) add('SUBJECT_NAME_EMPTY', 'empty subject (section 4.1.2.6)');
  if (subjectEmpty && san !== undefined && !san.critical) add('EMPTY_SUBJECT_SAN_NOT_CRITICAL', 'empty subject needs a critical subjectAltName (section 4.2.1.6)');
  if (san !== undefined && san.names.length === 0) add('EMPTY_SUBJECT_ALT_NAME', 'empty subjectAltName (section 4.2.1.6)');
  if (Buffer.compare(c.signatureAlgorithm.der, c.tbsSignatureAlgorithm.der) !== 0) {
    add('SIGNATURE_ALGORITHM_INCONSISTENCY', 'signatureAlgorithm differs from tbsCertificate.signature (section 4.1.1.2)');
  }
  if (c.authorityKeyId?.critical) add('AUTHORITY_KEY_IDENTIFIER_CRITICAL', 'authorityKeyIdentifier must not be critical (section 4.2.1.1)');
  if (c.subjectKeyId?.critical) add('SUBJECT_KEY_IDENTIFIER_CRITICAL', 'subjectKeyIdentifier must not be critical (section 4.2.1.2)');
  if (c.version === 3) {
    if (i + 1 < num && c.authorityKeyId?.keyIdentifier === undefined) add('MISSING_AUTHORITY_KEY_IDENTIFIER', 'no authorityKeyIdentifier keyIdentifier (section 4.2.1.1)');
    if (isCa && c.subjectKeyId === undefined) add('MISSING_SUBJECT_KEY_IDENTIFIER', 'a CA must have subjectKeyIdentifier (section 4.2.1.2)');
  } else if (c.extensions.length > 0) {
    add('EXTENSIONS_REQUIRE_VERSION_3', `version ${c.version} with extensions (section 4.1.2.1)`);
  }
  // rxtls's additions (webpki and CA/Browser Forum rules that RFC 5280 states for conforming CAs).
  if (serialLength(c.serial) > 20) add('SERIAL_NUMBER_TOO_LONG', `serial number of ${serialLength(c.serial)} octets (section 4.1.2.2)`);
  if (i + 1 >= num && c.authorityKeyId !== undefined && c.authorityKeyId.keyIdentifier === undefined) {
    add('MISSING_AUTHORITY_KEY_IDENTIFIER', 'authorityKeyIdentifier without keyIdentifier (section 4.2.1.1)');
  }
  // CA/Browser Forum Baseline Requirements section 7.1.2.7.6: a TLS server certificate's extKeyUsage is not critical.
  if (i === 0 && purpose === 'server' && c.extensions.some((e) => e.oid === ExtensionOid.extKeyUsage && e.critical)) {
    add('EXTENDED_KEY_USAGE_CRITICAL', 'extKeyUsage of a TLS server certificate marked critical (CA/Browser Forum BR 7.1.2.7.6)');
  }
}

/** Problems of the leaf's key (OpenSSL checks it before building the chain). */
function leafKeyProblems(leaf: ParsedCertificate, o: ValidationOptions, add: (code: VerifyCode, detail: string) => void): void {
  try {
    const key = certificateKey(leaf, o.provider);
    if (key.type === 'rsa' && key.bits < MIN_RSA_BITS) add('EE_KEY_TOO_SMALL', `${key.bits}-bit RSA key`);
  } catch (e) {
    add('UNSUPPORTED_PUBLIC_KEY', e instanceof Error ? e.message : String(e));
  }
}

/**
 * Every problem of `p`, in OpenSSL's order; empty when the path is valid. The reported error
 * is the last one.
 */
export function checkPath(p: CandidatePath, store: TrustStore, o: ValidationOptions): PathProblem[] {
  const problems: PathProblem[] = [];
  // The profile checks Node does not make go first, so that when Node refuses a chain too,
  // its error is the last and the one reported; they are reported alone only when Node accepts.
  const profile: PathProblem[] = [];
  const certs = p.certs;
  const num = certs.length;
  const name = (i: number) => describeCertificate(certs[i]!);
  const at = (depth: number) => (code: VerifyCode, detail: string) => problems.push({ code, depth, detail: `${name(depth)}: ${detail}` });
  const profileAt = (depth: number) => (code: VerifyCode, detail: string) => profile.push({ code, depth, detail: `${name(depth)}: ${detail}` });

  // 1. The leaf's key.
  leafKeyProblems(certs[0]!, o, at(0));

  // 2. How path building ended.
  const top = certs[num - 1]!;
  if (p.tooLong) at(num - 1)('CERT_CHAIN_TOO_LONG', `no trust anchor within ${num} certificates`);
  else if (!p.anchored) {
    if (selfSigned(top)) at(num - 1)(num === 1 ? 'DEPTH_ZERO_SELF_SIGNED_CERT' : 'SELF_SIGNED_CERT_IN_CHAIN', 'self-signed and not trusted');
    else if (p.trusted[num - 1]) at(num - 1)('UNABLE_TO_GET_ISSUER_CERT', `trusted but not self-signed, and its issuer ${top.issuer.text} is not in ca`);
    else at(num - 1)('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', `issuer ${top.issuer.text} not found`);
  }
  if (o.maxIntermediates !== undefined) {
    const middle = certs.slice(1, p.anchored ? num - 1 : num).filter((c) => !selfIssued(c)).length;
    if (middle > o.maxIntermediates) at(num - 1)('CERT_CHAIN_TOO_LONG', `${middle} intermediates, at most ${o.maxIntermediates} allowed`);
  }

  // 3. Extensions, CA-ness, profile, purpose, path length (check_chain_extensions).
  let plen = 0;
  for (let i = 0; i < num; i++) {
    const c = certs[i]!;
    const add = at(i);
    if (c.unknownCritical.length > 0) add('UNHANDLED_CRITICAL_EXTENSION', `critical extension ${c.unknownCritical.join(', ')}`);
    const ca = caKind(c);
    const notCa = c.basicConstraints ? (c.basicConstraints.cA ? 'keyUsage without keyCertSign' : 'basicConstraints cA is false') : 'no basicConstraints';
    if (i === 0) {
      // X509_STRICT: a leaf with CA markings but no basicConstraints.
      if (o.strict && ca !== 1 && ca !== 0) profileAt(i)('INVALID_CA', 'CA markings without basicConstraints');
    } else if (ca === 0 || (i + 1 < num && ca !== 1)) {
      add('INVALID_CA', notCa);
    } else if (o.strict && ca !== 1 && !store.isExempt(c)) {
      // X509_STRICT: a trust anchor must be a CA by basicConstraints, not by keyUsage or version 1.
      profileAt(i)('INVALID_CA', notCa);
    }
    if (o.strict && num > 1 && !store.isExempt(c)) profileProblems(c, i, num, o.purpose, profileAt(i));
    const why = purposeProblem(c, o.purpose, i > 0);
    if (why) add('INVALID_PURPOSE', why);
    const pathLen = c.basicConstraints?.pathLen;
    if (i > 1 && pathLen !== undefined && plen > pathLen) add('PATH_LENGTH_EXCEEDED', `pathLenConstraint ${pathLen}, ${plen} intermediates below`);
    if (i > 0 && !selfIssued(c)) plen++;
  }

  // 4. Algorithm strength (check_auth_level at security level 1).
  for (let i = 0; i < num; i++) {
    const c = certs[i]!;
    if (i > 0) {
      try {
        const key = certificateKey(c, o.provider);
        if (key.type === 'rsa' && key.bits < MIN_RSA_BITS) at(i)('CA_KEY_TOO_SMALL', `${key.bits}-bit RSA key`);
      } catch {
        // Reported as UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY when the key is used below.
      }
    }
    const alg = signatureAlgorithmInfo(c.signatureAlgorithm);
    if (i < num - 1 && alg.status === 'weak') at(i)('CA_MD_TOO_WEAK', `signed with ${alg.name}`);
  }

  // 5. Signatures and validity, from the top down (internal_verify).
  const timeProblems = (i: number) => {
    const c = certs[i]!;
    if (c.notBefore.getTime() > o.now) at(i)('CERT_NOT_YET_VALID', `notBefore ${c.notBefore.toISOString()} is after ${new Date(o.now).toISOString()}`);
    if (c.notAfter.getTime() < o.now) at(i)('CERT_HAS_EXPIRED', `notAfter ${c.notAfter.toISOString()} is before ${new Date(o.now).toISOString()}`);
  };
  let n = num - 1;
  if (!likelyIssued(top, top)) {
    if (n === 0) {
      at(0)('UNABLE_TO_VERIFY_LEAF_SIGNATURE', `issuer ${top.issuer.text} not found`);
      timeProblems(0);
      n = -1;
    } else {
      n--;
    }
  }
  for (; n >= 0; n--) {
    const xs = certs[n]!;
    const xi = certs[Math.min(n + 1, num - 1)]!;
    if (xs !== xi) {
      if (kuReject(xi, KeyUsageBit.keyCertSign)) at(n + 1)('KEYUSAGE_NO_CERTSIGN', 'keyUsage lacks keyCertSign');
      let key;
      try {
        key = certificateKey(xi, o.provider);
      } catch (e) {
        at(n + 1)('UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', e instanceof TlsCertificateError ? e.message : String(e));
      }
      const alg = signatureAlgorithmInfo(xs.signatureAlgorithm);
      // A weak algorithm already failed the path with CA_MD_TOO_WEAK; OpenSSL would still check it.
      if (key && alg.status !== 'weak' && !verifyCertificateSignature(xs, key)) {
        at(n)('CERT_SIGNATURE_FAILURE', alg.status === 'unsupported' ? `unsupported signature algorithm ${alg.name}` : `${alg.name} signature by ${name(n + 1)} does not verify`);
      }
    }
    timeProblems(n);
  }

  // 6. Name constraints, from the top down; self-issued certificates are exempt unless the leaf.
  for (let i = num - 1; i >= 0; i--) {
    const c = certs[i]!;
    if (i !== 0 && selfIssued(c)) continue;
    for (let j = num - 1; j > i; j--) {
      const nc = certs[j]!.nameConstraints;
      if (!nc) continue;
      const v = checkNameConstraints(c, nc, i === 0);
      if (v) at(i)(v.code, `${v.name} against the name constraints of ${name(j)}`);
    }
  }
  return [...profile, ...problems];
}
