/**
 * The shapes of decoded TLS 1.3 handshake messages and extension values (RFC 8446 section 4
 * and appendix B). Byte fields of decoded values are views into the decoded input, never
 * copies: keep the input alive (and unmodified) as long as you use them.
 */

/**
 * One extension: its code point and its raw `extension_data` (RFC 8446 section 4.2).
 * The typed codecs in the `ext-*.ts` files decode and encode `data`.
 */
export interface Extension {
  /** The ExtensionType code point (see `ExtensionType` in constants.ts). */
  type: number;
  /** The extension_data bytes, without the 2-byte length. */
  data: Uint8Array;
}

/**
 * ClientHello (RFC 8446 section 4.1.2). The decoder also accepts TLS 1.2-style hellos
 * (RFC 5246 section 7.4.1.2): version and compression checks belong to the engine.
 */
export interface ClientHello {
  /** legacy_version; 0x0303 for TLS 1.3 clients. */
  legacyVersion: number;
  /** 32 random bytes. */
  random: Uint8Array;
  /** legacy_session_id, 0 to 32 bytes. */
  legacySessionId: Uint8Array;
  /** Offered cipher suites, in the client's order of preference. */
  cipherSuites: number[];
  /** legacy_compression_methods, one byte each; TLS 1.3 requires exactly `[0]`. */
  compressionMethods: Uint8Array;
  /** Extensions in wire order; `[]` when the block is absent. */
  extensions: Extension[];
}

/** ServerHello and HelloRetryRequest (RFC 8446 section 4.1.3, 4.1.4). */
export interface ServerHello {
  /** legacy_version; 0x0303 for TLS 1.3 servers. */
  legacyVersion: number;
  /** 32 bytes; `HELLO_RETRY_REQUEST_RANDOM` marks a HelloRetryRequest. */
  random: Uint8Array;
  /** legacy_session_id_echo, 0 to 32 bytes. */
  legacySessionId: Uint8Array;
  /** The selected cipher suite. */
  cipherSuite: number;
  /** legacy_compression_method; 0 in TLS 1.3. */
  compressionMethod: number;
  /** Extensions in wire order; `[]` when the block is absent. */
  extensions: Extension[];
  /** True when `random` equals `HELLO_RETRY_REQUEST_RANDOM` (RFC 8446 section 4.1.3). */
  isHelloRetryRequest: boolean;
}

/** EncryptedExtensions (RFC 8446 section 4.3.1). */
export interface EncryptedExtensions {
  /** Extensions in wire order. */
  extensions: Extension[];
}

/** One CertificateEntry (RFC 8446 section 4.4.2): an X.509 DER or RawPublicKey SPKI. */
export interface CertificateEntry {
  /** cert_data (or ASN1_subjectPublicKeyInfo), 1 to 2^24-1 bytes. */
  data: Uint8Array;
  /** Per-certificate extensions (status_request, signed_certificate_timestamp). */
  extensions: Extension[];
}

/** Certificate (RFC 8446 section 4.4.2). */
export interface CertificateMessage {
  /** certificate_request_context, 0 to 255 bytes (empty in the server's Certificate). */
  context: Uint8Array;
  /** The chain, end-entity certificate first. */
  entries: CertificateEntry[];
}

/** CertificateRequest (RFC 8446 section 4.3.2). */
export interface CertificateRequest {
  /** certificate_request_context, 0 to 255 bytes. */
  context: Uint8Array;
  /** Extensions in wire order; signature_algorithms is mandatory (checked by the engine). */
  extensions: Extension[];
}

/** CertificateVerify (RFC 8446 section 4.4.3). */
export interface CertificateVerify {
  /** The SignatureScheme used. */
  scheme: number;
  /** The signature, 0 to 2^16-1 bytes. */
  signature: Uint8Array;
}

/** Finished (RFC 8446 section 4.4.4). */
export interface Finished {
  /** verify_data; its length (the hash length) is checked by the caller. */
  verifyData: Uint8Array;
}

/** NewSessionTicket (RFC 8446 section 4.6.1). */
export interface NewSessionTicket {
  /** ticket_lifetime in seconds (the engine caps it at 604800). */
  lifetime: number;
  /** ticket_age_add, a 32-bit unsigned value. */
  ageAdd: number;
  /** ticket_nonce, 0 to 255 bytes. */
  nonce: Uint8Array;
  /** The opaque ticket, 1 to 2^16-1 bytes. */
  ticket: Uint8Array;
  /** Extensions (early_data with max_early_data_size). */
  extensions: Extension[];
}

/** KeyUpdate (RFC 8446 section 4.6.3). */
export interface KeyUpdate {
  /** 0 = update_not_requested, 1 = update_requested. */
  requestUpdate: 0 | 1;
}

/** EndOfEarlyData (RFC 8446 section 4.5): an empty body. */
export type EndOfEarlyData = Record<string, never>;

/** A KeyShareEntry (RFC 8446 section 4.2.8). */
export interface KeyShareEntry {
  /** The NamedGroup. */
  group: number;
  /** key_exchange, 1 to 2^16-1 bytes. */
  keyExchange: Uint8Array;
}

/** A PskIdentity (RFC 8446 section 4.2.11). */
export interface PskIdentity {
  /** The identity (a ticket, or an external PSK label), 1 to 2^16-1 bytes. */
  identity: Uint8Array;
  /** obfuscated_ticket_age, a 32-bit unsigned value (RFC 8446 section 4.2.11.1). */
  obfuscatedTicketAge: number;
}

/** OfferedPsks, the ClientHello form of pre_shared_key (RFC 8446 section 4.2.11). */
export interface OfferedPsks {
  /** The offered identities, at least one. */
  identities: PskIdentity[];
  /** One binder (32 to 255 bytes) per identity, in the same order. */
  binders: Uint8Array[];
}
