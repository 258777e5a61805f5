/**
 * Certificate signatures (RFC 5280 sections 4.1.1.2 and 4.1.1.3): which algorithm an
 * AlgorithmIdentifier names, and whether an issuer's key signed a certificate's tbsCertificate.
 *
 * Accepted: RSASSA-PKCS1-v1_5 with SHA-256/384/512 (RFC 4055 section 5), RSASSA-PSS with
 * SHA-256/384/512, MGF1 over the same hash and trailer field 1 (RFC 4055 section 3.1), ECDSA
 * with SHA-256/384/512 on P-256 or P-384 keys in any combination (RFC 5758 section 3.2), and
 * Ed25519 (RFC 8410 section 3). MD5 and SHA-1 are recognised as too weak: Node 20's OpenSSL at
 * its default security level 1 refuses them with CA_MD_TOO_WEAK; anything else is unsupported.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { Oid } from '../crypto/der.js';
import { publicKeyFromSpki } from '../crypto/keys.js';
import type { CertificateSignatureAlgorithm, CryptoProvider, HashName, VerifyingKey } from '../crypto/provider.js';
import type { AlgorithmInfo, ParsedCertificate } from './certificate.js';

/** The family of key an algorithm needs, to match it with an issuer's key (OpenSSL's check_sig_alg_match). */
export type KeyFamily = 'rsa' | 'ec' | 'ed25519' | 'ed448' | 'dsa' | 'unknown';

/** What an AlgorithmIdentifier names. */
export type SignatureAlgorithmInfo =
  | { readonly status: 'ok'; readonly algorithm: CertificateSignatureAlgorithm; readonly family: KeyFamily; readonly name: string }
  | { readonly status: 'weak'; readonly family: KeyFamily; readonly name: string }
  | { readonly status: 'unsupported'; readonly family: KeyFamily; readonly name: string };

const HASH_OIDS: Record<string, HashName> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const SHA1 = '1.3.14.3.2.26';
const MGF1 = '1.2.840.113549.1.1.8';
const NULL = '0500';

/** Signature OIDs that name a hash and a key family and take no PSS parameters. */
const SIMPLE: Record<string, { kind: 'rsa-pkcs1' | 'ecdsa' | 'ed25519' | 'weak' | 'unsupported'; hash?: HashName; family: KeyFamily; name: string }> = {
  '1.2.840.113549.1.1.11': { kind: 'rsa-pkcs1', hash: 'sha256', family: 'rsa', name: 'sha256WithRSAEncryption' },
  '1.2.840.113549.1.1.12': { kind: 'rsa-pkcs1', hash: 'sha384', family: 'rsa', name: 'sha384WithRSAEncryption' },
  '1.2.840.113549.1.1.13': { kind: 'rsa-pkcs1', hash: 'sha512', family: 'rsa', name: 'sha512WithRSAEncryption' },
  '1.2.840.10045.4.3.2': { kind: 'ecdsa', hash: 'sha256', family: 'ec', name: 'ecdsa-with-SHA256' },
  '1.2.840.10045.4.3.3': { kind: 'ecdsa', hash: 'sha384', family: 'ec', name: 'ecdsa-with-SHA384' },
  '1.2.840.10045.4.3.4': { kind: 'ecdsa', hash: 'sha512', family: 'ec', name: 'ecdsa-with-SHA512' },
  [Oid.ed25519]: { kind: 'ed25519', family: 'ed25519', name: 'Ed25519' },
  '1.2.840.113549.1.1.4': { kind: 'weak', family: 'rsa', name: 'md5WithRSAEncryption' },
  '1.2.840.113549.1.1.5': { kind: 'weak', family: 'rsa', name: 'sha1WithRSAEncryption' },
  '1.2.840.10045.4.1': { kind: 'weak', family: 'ec', name: 'ecdsa-with-SHA1' },
  '1.2.840.113549.1.1.14': { kind: 'unsupported', family: 'rsa', name: 'sha224WithRSAEncryption' },
  '1.2.840.10045.4.3.1': { kind: 'unsupported', family: 'ec', name: 'ecdsa-with-SHA224' },
  [Oid.ed448]: { kind: 'unsupported', family: 'ed448', name: 'Ed448' },
  '1.2.840.10040.4.3': { kind: 'unsupported', family: 'dsa', name: 'dsa-with-SHA1' },
  '2.16.840.1.101.3.4.3.2': { kind: 'unsupported', family: 'dsa', name: 'dsa-with-SHA256' },
};

const hex = (b: Uint8Array | undefined) => (b === undefined ? '' : Buffer.from(b).toString('hex'));

/** The hash an AlgorithmIdentifier of a hash names, `'sha1'`, or undefined (parameters NULL or absent). */
function hashOf(a: AlgorithmIdentifier): HashName | 'sha1' | undefined {
  if (a.parameters !== undefined && a.parameters !== null) return undefined;
  return a.algorithm === SHA1 ? 'sha1' : HASH_OIDS[a.algorithm];
}

/** RSASSA-PSS parameters (RFC 4055 section 3.1); SHA-1 defaults make it weak. */
function pss(parameters: Uint8Array | undefined): SignatureAlgorithmInfo {
  const name = 'RSASSA-PSS';
  const unsupported = { status: 'unsupported', family: 'rsa', name } as const;
  if (parameters === undefined) return unsupported;
  let p: RsaSaPssParams;
  try {
    p = AsnConvert.parse(parameters, RsaSaPssParams);
  } catch {
    return unsupported;
  }
  const hash = hashOf(p.hashAlgorithm);
  if (p.maskGenAlgorithm.algorithm !== MGF1 || !p.maskGenAlgorithm.parameters || p.trailerField !== 1) return unsupported;
  let mgfHash: HashName | 'sha1' | undefined;
  try {
    mgfHash = hashOf(AsnConvert.parse(p.maskGenAlgorithm.parameters, AlgorithmIdentifier));
  } catch {
    return unsupported;
  }
  if (hash === 'sha1' || mgfHash === 'sha1') return { status: 'weak', family: 'rsa', name: `${name} with SHA-1` };
  if (hash === undefined || mgfHash !== hash) return unsupported;
  return { status: 'ok', algorithm: { kind: 'rsa-pss', hash, saltLength: p.saltLength }, family: 'rsa', name: `${name} (${hash}, salt ${p.saltLength})` };
}

/** Names the signature algorithm of an AlgorithmIdentifier and checks its parameters. */
export function signatureAlgorithmInfo(a: AlgorithmInfo): SignatureAlgorithmInfo {
  if (a.oid === Oid.rsassaPss) return pss(a.parameters);
  const s = SIMPLE[a.oid];
  if (!s) return { status: 'unsupported', family: 'unknown', name: a.oid };
  if (s.kind === 'weak' || s.kind === 'unsupported') return { status: s.kind, family: s.family, name: s.name };
  // RFC 4055 section 5: PKCS#1 v1.5 parameters are NULL (absent is tolerated, as OpenSSL does);
  // RFC 5758 section 3.2 and RFC 8410 section 3: ECDSA and Ed25519 parameters are absent.
  const paramsOk = s.kind === 'rsa-pkcs1' ? a.parameters === undefined || hex(a.parameters) === NULL : a.parameters === undefined;
  if (!paramsOk) return { status: 'unsupported', family: s.family, name: `${s.name} with parameters` };
  const algorithm: CertificateSignatureAlgorithm = s.kind === 'ed25519' ? { kind: 'ed25519' } : { kind: s.kind, hash: s.hash! };
  return { status: 'ok', algorithm, family: s.family, name: s.name };
}

/** The family of a SubjectPublicKeyInfo's algorithm OID. */
export function keyFamily(publicKeyAlgorithm: string): KeyFamily {
  switch (publicKeyAlgorithm) {
    case Oid.rsaEncryption:
    case Oid.rsassaPss:
      return 'rsa';
    case Oid.ecPublicKey:
      return 'ec';
    case Oid.ed25519:
      return 'ed25519';
    case Oid.ed448:
      return 'ed448';
    case Oid.dsa:
      return 'dsa';
    default:
      return 'unknown';
  }
}

/** Loaded keys, per certificate: each CA key is decoded once however many paths use it. */
const keys = new WeakMap<ParsedCertificate, VerifyingKey>();

/**
 * The public key of `cert` as a verifying key from `provider`, or from the noble provider's
 * key loader when the provider's keys cannot verify certificate signatures. Throws the
 * TlsCertificateError of `publicKeyFromSpki` (UNSUPPORTED_PUBLIC_KEY, INVALID_PUBLIC_KEY).
 */
export function certificateKey(cert: ParsedCertificate, provider: CryptoProvider | undefined): VerifyingKey {
  let key = keys.get(cert);
  if (key === undefined) {
    key = provider?.publicKeyFromSpki(cert.spki);
    if (key?.verifyCertificateSignature === undefined) key = publicKeyFromSpki(cert.spki);
    keys.set(cert, key);
  }
  return key;
}

/**
 * True when `issuerKey` made `cert`'s signature. False when the signature is wrong, the
 * algorithm is not one rxtls verifies, or tbsCertificate.signature differs from
 * signatureAlgorithm (RFC 5280 section 4.1.1.2: they MUST be the same; OpenSSL's X509_verify
 * fails then too).
 */
export function verifyCertificateSignature(cert: ParsedCertificate, issuerKey: VerifyingKey): boolean {
  if (hex(cert.signatureAlgorithm.der) !== hex(cert.tbsSignatureAlgorithm.der)) return false;
  const info = signatureAlgorithmInfo(cert.signatureAlgorithm);
  if (info.status !== 'ok' || issuerKey.verifyCertificateSignature === undefined) return false;
  return issuerKey.verifyCertificateSignature(info.algorithm, cert.tbs, cert.signature);
}
