/**
 * The certificate verification error codes, their messages and the alert each one sends.
 *
 * Codes are OpenSSL's X509_V_ERR_* names without the prefix, and messages are OpenSSL's
 * X509_verify_cert_error_string texts, which is what Node 20 reports: `err.code` and
 * `err.message` of a refused `tls.connect`. One difference: Node names only 28 of these codes
 * (`X509ErrorCode` in its src/crypto/crypto_common.cc) and reports every other one as
 * `UNSPECIFIED`, with OpenSSL's message; rxtls keeps the specific name in `code` and puts
 * Node's in {@link CertificateVerifyError.nodeCode}.
 *
 * Alerts follow RFC 8446 section 6.2; where it leaves a choice, OpenSSL's choice
 * (ssl_x509err2alert) is kept. Two deliberate differences from OpenSSL, both per section 6.2:
 * a bad certificate signature sends bad_certificate ("contained signatures that did not verify
 * correctly"), not decrypt_error; a not-yet-valid certificate sends certificate_expired ("has
 * expired or is not currently valid"), not bad_certificate.
 */
import { AlertDescription } from '../constants.js';
import { TlsCertificateError } from '../errors.js';

const { bad_certificate, unsupported_certificate, certificate_expired, certificate_unknown, unknown_ca } = AlertDescription;

/** Every code path validation reports: OpenSSL's text and the alert. */
export const VERIFY_ERRORS = {
  // No path to a trust anchor (RFC 8446: unknown_ca).
  UNABLE_TO_GET_ISSUER_CERT: ['unable to get issuer certificate', unknown_ca],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: ['unable to get local issuer certificate', unknown_ca],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: ['unable to verify the first certificate', unknown_ca],
  DEPTH_ZERO_SELF_SIGNED_CERT: ['self-signed certificate', unknown_ca],
  SELF_SIGNED_CERT_IN_CHAIN: ['self-signed certificate in certificate chain', unknown_ca],
  CERT_CHAIN_TOO_LONG: ['certificate chain too long', unknown_ca],
  INVALID_CA: ['invalid CA certificate', unknown_ca],
  PATH_LENGTH_EXCEEDED: ['path length constraint exceeded', unknown_ca],
  // Validity (section 6.1.3 (a)(2)).
  CERT_NOT_YET_VALID: ['certificate is not yet valid', certificate_expired],
  CERT_HAS_EXPIRED: ['certificate has expired', certificate_expired],
  // Signatures and keys.
  CERT_SIGNATURE_FAILURE: ['certificate signature failure', bad_certificate],
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: ['unable to decode issuer public key', bad_certificate],
  CA_MD_TOO_WEAK: ['CA signature digest algorithm too weak', bad_certificate],
  CA_KEY_TOO_SMALL: ['CA certificate key too weak', bad_certificate],
  EE_KEY_TOO_SMALL: ['EE certificate key too weak', bad_certificate],
  // Use of the certificate.
  INVALID_PURPOSE: ['unsuitable certificate purpose', unsupported_certificate],
  KEYUSAGE_NO_CERTSIGN: ['key usage does not include certificate signing', certificate_unknown],
  UNHANDLED_CRITICAL_EXTENSION: ['unhandled critical extension', unsupported_certificate],
  // Name constraints (section 6.1.3 (b), (c)).
  PERMITTED_VIOLATION: ['permitted subtree violation', certificate_unknown],
  EXCLUDED_VIOLATION: ['excluded subtree violation', certificate_unknown],
  SUBTREE_MINMAX: ['name constraints minimum and maximum not supported', certificate_unknown],
  UNSUPPORTED_CONSTRAINT_TYPE: ['unsupported name constraint type', certificate_unknown],
  UNSUPPORTED_CONSTRAINT_SYNTAX: ['unsupported or invalid name constraint syntax', certificate_unknown],
  UNSUPPORTED_NAME_SYNTAX: ['unsupported or invalid name syntax', certificate_unknown],
  UNSPECIFIED: ['unspecified certificate verification error', certificate_unknown],
  // RFC 5280 profile checks (OpenSSL's X509_V_FLAG_X509_STRICT set; rxtls's default).
  PATHLEN_INVALID_FOR_NON_CA: ['Path length invalid for non-CA cert', bad_certificate],
  PATHLEN_WITHOUT_KU_KEY_CERT_SIGN: ['Path length given without key usage keyCertSign', bad_certificate],
  KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA: ['Key usage keyCertSign invalid for non-CA cert', bad_certificate],
  ISSUER_NAME_EMPTY: ['Issuer name empty', bad_certificate],
  SUBJECT_NAME_EMPTY: ['Subject name empty', bad_certificate],
  MISSING_AUTHORITY_KEY_IDENTIFIER: ['Missing Authority Key Identifier', bad_certificate],
  MISSING_SUBJECT_KEY_IDENTIFIER: ['Missing Subject Key Identifier', bad_certificate],
  EMPTY_SUBJECT_ALT_NAME: ['Empty Subject Alternative Name extension', bad_certificate],
  EMPTY_SUBJECT_SAN_NOT_CRITICAL: ['Subject empty and Subject Alt Name extension not critical', bad_certificate],
  CA_BCONS_NOT_CRITICAL: ['Basic Constraints of CA cert not marked critical', bad_certificate],
  AUTHORITY_KEY_IDENTIFIER_CRITICAL: ['Authority Key Identifier marked critical', bad_certificate],
  SUBJECT_KEY_IDENTIFIER_CRITICAL: ['Subject Key Identifier marked critical', bad_certificate],
  CA_CERT_MISSING_KEY_USAGE: ['CA cert does not include key usage extension', bad_certificate],
  EXTENSIONS_REQUIRE_VERSION_3: ['Using cert extension requires at least X509v3', bad_certificate],
  SIGNATURE_ALGORITHM_INCONSISTENCY: ['cert info signature and signature algorithm mismatch', bad_certificate],
  // rxtls's own profile checks, beyond OpenSSL's (see validate.ts).
  SERIAL_NUMBER_TOO_LONG: ['serial number longer than 20 octets', bad_certificate],
  EXTENDED_KEY_USAGE_CRITICAL: ['Extended Key Usage of a TLS server certificate marked critical', bad_certificate],
  // The leaf's key cannot sign TLS 1.3 CertificateVerify messages with rxtls.
  UNSUPPORTED_PUBLIC_KEY: ['unsupported public key', unsupported_certificate],
} as const satisfies Record<string, readonly [string, AlertDescription]>;

/** A verification error code. */
export type VerifyCode = keyof typeof VERIFY_ERRORS;

/** The codes Node 20 reports by name; it reports every other code as `UNSPECIFIED`. */
const NODE_NAMED = new Set<string>([
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_CRL', 'UNABLE_TO_DECRYPT_CERT_SIGNATURE', 'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', 'CERT_SIGNATURE_FAILURE', 'CRL_SIGNATURE_FAILURE', 'CERT_NOT_YET_VALID', 'CERT_HAS_EXPIRED',
  'CRL_NOT_YET_VALID', 'CRL_HAS_EXPIRED', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD', 'ERROR_IN_CRL_NEXT_UPDATE_FIELD', 'OUT_OF_MEM', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_CHAIN_TOO_LONG',
  'CERT_REVOKED', 'INVALID_CA', 'PATH_LENGTH_EXCEEDED', 'INVALID_PURPOSE', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'HOSTNAME_MISMATCH',
]);

/** One problem found on a path: the code, the depth (0 is the leaf) and what was wrong. */
export interface PathProblem {
  readonly code: VerifyCode;
  readonly depth: number;
  readonly detail: string;
}

/**
 * A refused certificate chain. `code` and the start of `message` are what Node reports for the
 * same chain; `problems` lists everything found on the path, in the order OpenSSL finds them
 * (the reported one is the last, as in Node, whose OpenSSL verify callback lets verification
 * run on and keeps the last error).
 */
export class CertificateVerifyError extends TlsCertificateError {
  /** The depth of the certificate the error is about: 0 for the leaf. */
  readonly depth: number;
  /** Node's `err.code` for this error: `code`, or `UNSPECIFIED` for codes Node does not name. */
  readonly nodeCode: string;
  /** Every problem on the path, in the order found; the last is the reported one. */
  readonly problems: readonly PathProblem[];
  constructor(problems: readonly PathProblem[]) {
    const last = problems[problems.length - 1]!;
    const [text, alert] = VERIFY_ERRORS[last.code];
    super(last.code, `${text} (depth ${last.depth}: ${last.detail})`, alert);
    this.depth = last.depth;
    this.nodeCode = NODE_NAMED.has(last.code) ? last.code : 'UNSPECIFIED';
    this.problems = problems;
  }
}

/** The message OpenSSL (and so Node) gives for a code. */
export function verifyErrorText(code: VerifyCode): string {
  return VERIFY_ERRORS[code][0];
}
