/**
 * The server side of TLS as a Duplex operator.
 *
 * @module
 */
import { type Observable, filter } from 'rxjs';
import type { Duplex } from '../sources/duplex.js';
import { TlsMisuseError } from '../tls/errors.js';
import type { ServerConfig } from '../tls/server/config.js';
import { TlsServer } from '../tls/server/tls13.js';
import type { TlsEvent } from '../tls/session.js';
import { openTlsLayer } from './tls-layer.js';
import type { TlsDuplex } from './tls-duplex.js';
import { splitLayerOptions, type TlsLayerOptions } from './tls-options.js';

/** Options of {@link tlsServer}: the engine's {@link ServerConfig} plus the layer's {@link TlsLayerOptions}. */
export type TlsServerOptions = ServerConfig & TlsLayerOptions;

/**
 * The outcome of one post-handshake authentication (RFC 8446 section 4.6.2): the client's chain
 * (DER, leaf first; empty when it declined), and, when `rejectUnauthorized: false` let a missing
 * or refused certificate through, why it was refused.
 */
export type PeerCertificateEvent = Extract<TlsEvent, { type: 'peerCertificate' }>;

/** The plaintext side of a server connection: a {@link TlsDuplex} plus client authentication after the handshake. */
export interface TlsServerDuplex extends TlsDuplex {
  /**
   * Asks the client for a certificate now (post-handshake authentication, RFC 8446 section
   * 4.6.2); the answer comes on {@link peerCertificate$}. Throws TlsMisuseError when it cannot
   * be sent: before the handshake completed, without `requestCert` (and `ca`, `pins` or a
   * `verifier`), when the client did not offer post_handshake_auth, while a request is
   * outstanding, after the write side closed, or after the client's close_notify (it could not
   * answer); throws the connection's error once it failed.
   * A refused answer (with `rejectUnauthorized`, the default) fails the connection like any
   * fatal alert: the read, the write and `events$` error.
   */
  requestCertificate(): void;
  /**
   * `events$` narrowed to the outcome of each post-handshake authentication. Hot, like
   * `events$`: subscribe before calling {@link requestCertificate}. The certificate of the
   * handshake itself is in `session$` (`peerCertificates`).
   *
   * ```
   * requestCertificate():  ---x
   * cipher out:            ---R              R: CertificateRequest
   * cipher in:             -------C,CV,F     the client's answer
   * peerCertificate$:      -------p          p: { type: 'peerCertificate', chain }
   * ```
   */
  readonly peerCertificate$: Observable<PeerCertificateEvent>;
}

/** What {@link tlsServer} returns: an operator whose result is a {@link TlsServerDuplex}. */
export type TlsServerOperator = (source: Duplex<Uint8Array, Uint8Array>) => TlsServerDuplex;

/**
 * Runs a TLS 1.3 server over a ciphertext Duplex (one accepted connection) and returns the
 * plaintext side, a {@link TlsServerDuplex}. Like {@link tlsClient}: the handshake runs on the first
 * subscription without read demand, reads stop pulling ciphertext at `readHighWaterMark` while
 * writes keep flowing, completing the write sends close_notify then FIN.
 *
 * One engine per connection, all made from one copy of `options` (the same copy for every call
 * with the same options object): its connections share the default ticket keys and 0-RTT
 * anti-replay state, so they resume each other's sessions. Early data (`maxEarlyData`) is
 * readable before the handshake completes.
 *
 * ```
 * cipher in:      C-F---D---n|              C: ClientHello, F: Finished, n: close_notify
 * cipher out:     S------------d----(n|)    S: the server flight, then data, close_notify, FIN
 * session$:       --(s|)
 * read demand:    --------1
 * read:           --------D-|               held until credit; completes on close_notify
 * ```
 *
 * @example
 * const serve = tlsServer({ cert: certPem, key: keyPem, ALPNProtocols: ['echo'] }); // once: shared ticket keys
 * listen({ port: 8443 }).subscribe((socket) => {
 *   const tls = socket.pipe(serve);
 *   tls.write(tls.read(of(Infinity))).subscribe(); // echo
 * });
 */
export function tlsServer(options: TlsServerOptions): TlsServerOperator {
  const { engine, layer } = splitLayerOptions<ServerConfig>(options);
  return (lower) => {
    const { duplex, operate } = openTlsLayer(lower, () => new TlsServer(engine), layer);
    return Object.assign(duplex, {
      requestCertificate: () =>
        operate('requestCertificate()', (e) => {
          // The engine would send the request, and wait for ever: the client can no longer answer.
          if (e.peerClosed) throw new TlsMisuseError('tls: requestCertificate() after the client sent close_notify; it cannot answer');
          e.requestCertificate();
        }),
      peerCertificate$: duplex.events$.pipe(filter((ev): ev is PeerCertificateEvent => ev.type === 'peerCertificate')),
    });
  };
}
