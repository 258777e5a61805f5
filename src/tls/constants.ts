/**
 * Wire constants of TLS 1.3 (RFC 8446 appendix B) and the extensions rxtls speaks.
 * Plain numeric `const` objects: cheap to compare, easy to print with {@link nameOf}.
 */

/** Record content types (RFC 8446 section 5.1). */
export const ContentType = {
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;
/** A record content type value. */
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

/** Protocol version numbers on the wire (RFC 8446 section 4.2.1). */
export const ProtocolVersion = {
  TLS10: 0x0301,
  TLS11: 0x0302,
  TLS12: 0x0303,
  TLS13: 0x0304,
} as const;

/** Handshake message types (RFC 8446 section 4). */
export const HandshakeType = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;
/** A handshake message type value. */
export type HandshakeType = (typeof HandshakeType)[keyof typeof HandshakeType];

/** Extension code points (RFC 8446 section 4.2, RFC 6066, RFC 7301, RFC 8449). */
export const ExtensionType = {
  server_name: 0,
  max_fragment_length: 1,
  status_request: 5,
  supported_groups: 10,
  ec_point_formats: 11,
  signature_algorithms: 13,
  use_srtp: 14,
  heartbeat: 15,
  application_layer_protocol_negotiation: 16,
  signed_certificate_timestamp: 18,
  client_certificate_type: 19,
  server_certificate_type: 20,
  padding: 21,
  encrypt_then_mac: 22,
  extended_master_secret: 23,
  record_size_limit: 28,
  session_ticket: 35,
  pre_shared_key: 41,
  early_data: 42,
  supported_versions: 43,
  cookie: 44,
  psk_key_exchange_modes: 45,
  certificate_authorities: 47,
  oid_filters: 48,
  post_handshake_auth: 49,
  signature_algorithms_cert: 50,
  key_share: 51,
  renegotiation_info: 0xff01,
} as const;

/** TLS 1.3 cipher suites (RFC 8446 appendix B.4). */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;
/** A TLS 1.3 cipher suite value. */
export type CipherSuite = (typeof CipherSuite)[keyof typeof CipherSuite];

/** Key exchange groups (RFC 8446 section 4.2.7). */
export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  secp521r1: 0x0019,
  x25519: 0x001d,
  x448: 0x001e,
} as const;
/** A named group value. */
export type NamedGroup = (typeof NamedGroup)[keyof typeof NamedGroup];

/** Signature schemes (RFC 8446 section 4.2.3). */
export const SignatureScheme = {
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ecdsa_secp521r1_sha512: 0x0603,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
  ed448: 0x0808,
  rsa_pss_pss_sha256: 0x0809,
  rsa_pss_pss_sha384: 0x080a,
  rsa_pss_pss_sha512: 0x080b,
  rsa_pkcs1_sha1: 0x0201,
  ecdsa_sha1: 0x0203,
} as const;
/** A signature scheme value. */
export type SignatureScheme = (typeof SignatureScheme)[keyof typeof SignatureScheme];

/** Alert levels (RFC 8446 section 6). */
export const AlertLevel = { warning: 1, fatal: 2 } as const;

/** Alert descriptions (RFC 8446 section 6). */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;
/** An alert description value. */
export type AlertDescription = (typeof AlertDescription)[keyof typeof AlertDescription];

/** PSK key exchange modes (RFC 8446 section 4.2.9). */
export const PskKeyExchangeMode = { psk_ke: 0, psk_dhe_ke: 1 } as const;

/** KeyUpdate request values (RFC 8446 section 4.6.3). */
export const KeyUpdateRequest = { update_not_requested: 0, update_requested: 1 } as const;

/** The largest TLSPlaintext.fragment: 2^14 bytes (RFC 8446 section 5.1). */
export const MAX_PLAINTEXT = 1 << 14;
/** The largest TLSCiphertext.fragment: 2^14 + 256 bytes (RFC 8446 section 5.2). */
export const MAX_CIPHERTEXT = MAX_PLAINTEXT + 256;
/** The record header length. */
export const RECORD_HEADER_LENGTH = 5;

/**
 * The fixed ServerHello.random that marks a HelloRetryRequest: SHA-256("HelloRetryRequest")
 * (RFC 8446 section 4.1.3).
 */
export const HELLO_RETRY_REQUEST_RANDOM = Uint8Array.from([
  0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
  0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
]);

/**
 * The name of a constant's value within one of the tables above, for messages:
 * `nameOf(AlertDescription, 40)` is `'handshake_failure'`; unknown values print as hex.
 */
export function nameOf(table: Readonly<Record<string, number>>, value: number): string {
  for (const [k, v] of Object.entries(table)) if (v === value) return k;
  return `0x${value.toString(16).padStart(4, '0')}`;
}
