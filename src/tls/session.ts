/**
 * What a finished handshake negotiated, as reported to the application.
 */
import type { TlsCertificateError } from './errors.js';

/** Negotiated parameters of an established connection. */
export interface SessionInfo {
  /** Always `'TLSv1.3'` for now (Node's spelling). */
  readonly version: 'TLSv1.3';
  /** IANA name of the cipher suite, e.g. `TLS_AES_128_GCM_SHA256`. */
  readonly cipherSuite: string;
  /** Key exchange group name, e.g. `x25519`; undefined for a PSK-only (psk_ke) handshake. */
  readonly group: string | undefined;
  /** The signature scheme the peer signed its CertificateVerify with, if it sent one. */
  readonly peerSignatureScheme: string | undefined;
  /** The ALPN protocol both sides agreed on, or undefined. */
  readonly alpnProtocol: string | undefined;
  /** The server name the client asked for (SNI), or undefined. */
  readonly serverName: string | undefined;
  /**
   * The peer's certificate chain, DER, leaf first (empty when the peer sent none); with a raw
   * public key (RFC 7250), its one SubjectPublicKeyInfo. On a resumed connection, the chain of
   * the session resumed.
   */
  readonly peerCertificates: readonly Uint8Array[];
  /** Whether `peerCertificates` holds X.509 certificates or an RFC 7250 raw public key. */
  readonly certificateType: 'x509' | 'raw';
  /** True when a ticket from an earlier connection was used (RFC 8446 section 2.2). */
  readonly resumed: boolean;
  /** The kind of PSK the handshake used, if any. */
  readonly psk: 'resumption' | 'external' | undefined;
  /** The external PSK identity used (as UTF-8 text), if any. */
  readonly pskIdentity: string | undefined;
  /**
   * 0-RTT: `'accepted'` (the early data was taken as it came), `'rejected'` (the server ignored
   * it; a client sends it again after the handshake), `'none'` (not offered).
   */
  readonly earlyData: 'accepted' | 'rejected' | 'none';
  /** True when the server sent a HelloRetryRequest. */
  readonly helloRetry: boolean;
  /**
   * Why the peer's certificate was refused, when `rejectUnauthorized: false` let the handshake
   * complete anyway (Node's `socket.authorizationError`); undefined when it was accepted.
   */
  readonly authorizationError?: TlsCertificateError;
}

/** Something the engine reports besides bytes; drain with `takeEvents()`. */
export type TlsEvent =
  | { readonly type: 'handshake'; readonly session: SessionInfo }
  | { readonly type: 'peerClosed' }
  | { readonly type: 'keyUpdate'; readonly direction: 'read' | 'write' }
  | { readonly type: 'alert'; readonly alert: number; readonly fromPeer: boolean }
  | { readonly type: 'newSessionTicket'; readonly lifetime: number }
  | { readonly type: 'peerCertificate'; readonly chain: readonly Uint8Array[]; readonly authorizationError?: TlsCertificateError };
