/**
 * CertificateVerify signing and checking (RFC 8446 section 4.4.3): the signed content is 64
 * spaces, a context string, a zero byte, then the transcript hash.
 */
import { SignatureScheme } from '../constants.js';
import { concat, utf8 } from '../codec/bytes.js';

const SERVER_CONTEXT = utf8('TLS 1.3, server CertificateVerify');
const CLIENT_CONTEXT = utf8('TLS 1.3, client CertificateVerify');
const PREFIX = new Uint8Array(64).fill(0x20);

/** The bytes a CertificateVerify signs, for the given role and transcript hash. */
export function certificateVerifyContent(role: 'server' | 'client', transcriptHash: Uint8Array): Uint8Array {
  return concat(PREFIX, role === 'server' ? SERVER_CONTEXT : CLIENT_CONTEXT, Uint8Array.of(0), transcriptHash);
}

/**
 * The schemes TLS 1.3 allows in CertificateVerify (RFC 8446 section 4.4.3: RSASSA-PKCS1-v1_5
 * and SHA-1 schemes are for certificates only).
 */
export const CERTIFICATE_VERIFY_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.ed25519,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
];

/**
 * What rxtls offers in signature_algorithms: the CertificateVerify schemes, then the
 * PKCS#1 v1.5 schemes, which TLS 1.3 permits only for signatures in certificates
 * (RFC 8446 section 4.2.3).
 */
export const OFFERED_SIGNATURE_SCHEMES: readonly number[] = [
  ...CERTIFICATE_VERIFY_SCHEMES,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];
