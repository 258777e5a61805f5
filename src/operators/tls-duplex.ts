/**
 * The plaintext side of a TLS layer as applications see it: {@link TlsDuplex} (a Duplex plus
 * the handshake outcome, engine events and live-connection operations), its byte counts, and
 * the operator type of {@link tlsClient} and {@link tlsServer}.
 *
 * @module
 */
import type { Observable } from 'rxjs';
import type { Duplex, DuplexStats } from '../sources/duplex.js';
import type { SessionInfo, TlsEvent } from '../tls/session.js';

/** Bytes held in a TLS layer: the Duplex totals plus where the read side's bytes are. */
export interface TlsStats extends DuplexStats {
  /** Decrypted plaintext waiting for the reader (the engine's `readableBytes`); part of `readBuffered`. */
  readonly plaintextBuffered: number;
  /** Ciphertext taken from below and not yet fed to the engine (at most one chunk's rest); part of `readBuffered`. */
  readonly ciphertextBuffered: number;
}

/**
 * A plaintext Duplex over TLS: the Duplex contract plus the handshake's outcome and the
 * engine operations that make sense on a live connection.
 */
export interface TlsDuplex extends Duplex<Uint8Array, Uint8Array> {
  /**
   * Emits the negotiated parameters once, when the handshake completes, then completes; errors
   * if the handshake fails. Subscribing starts the connection, like `read`, `write` and
   * `writable$`. Late subscribers get the stored outcome.
   *
   * ```
   * ciphertext: --CH--SH,EE,CERT,CV,FIN--FIN-->
   * session$:   ---------------------------(s|)
   * ```
   */
  readonly session$: Observable<SessionInfo>;
  /** Bytes buffered in this layer right now (see {@link TlsStats}). */
  stats(): TlsStats;
  /** Sends a KeyUpdate now (RFC 8446 section 4.6.3); with `requestPeer`, asks the peer to update too. */
  updateKeys(requestPeer?: boolean): void;
  /** Keying material exported from the connection (RFC 8446 section 7.5), Node's argument order. */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Uint8Array;
  /**
   * Every event the engine reports ({@link TlsEvent}), as it happens: `handshake` (also on
   * `session$`), `newSessionTicket` (client), `peerCertificate` (server, after post-handshake
   * authentication), `keyUpdate`, `alert`, `peerClosed`. Hot: a subscriber sees the events
   * after it subscribed, so subscribe before acting (before `requestCertificate()`, say).
   * Subscribing neither starts the connection nor keeps it up. Completes once both directions
   * are closed; errors as the read does when the connection fails; a late subscriber gets that
   * end at once.
   *
   * ```
   * cipher in:  --S--F------NST--NST------n|     (client: server flight, tickets, close_notify)
   * events$:    --h----------t----t------c|      h: handshake, t: newSessionTicket, c: peerClosed
   * ```
   */
  readonly events$: Observable<TlsEvent>;
}

/**
 * What {@link tlsClient} and {@link tlsServer} return: a DuplexOperator whose result keeps the
 * TLS extras (`duplex.pipe(op)` keeps them in the type too).
 */
export type TlsOperator = (source: Duplex<Uint8Array, Uint8Array>) => TlsDuplex;
