/**
 * The client side of TLS as a Duplex operator.
 *
 * @module
 */
import type { ClientConfig } from '../tls/client/config.js';
import { TlsClient } from '../tls/client/tls13.js';
import { tlsLayer } from './tls-layer.js';
import type { TlsOperator } from './tls-duplex.js';
import { splitLayerOptions, type TlsLayerOptions } from './tls-options.js';

/** Options of {@link tlsClient}: the engine's {@link ClientConfig} plus the layer's {@link TlsLayerOptions}. */
export type TlsClientOptions = ClientConfig & TlsLayerOptions;

/**
 * Runs a TLS 1.3 client over a ciphertext Duplex and returns the plaintext side, a
 * {@link TlsDuplex}. The handshake starts on the first subscription to `read`, `write`,
 * `writable$` or `session$` and runs without any read demand; plaintext written before it
 * completes is held (and counts against `writeHighWaterMark`), unless it can go as 0-RTT
 * data (below). Completing the write source
 * sends close_notify, then FIN; the read completes on the server's close_notify.
 *
 * Options are checked here, synchronously (TlsMisuseError); engine options such as a missing
 * `pins`/`verifier` are checked when the connection starts and error its observables.
 *
 * One engine per connection, all made from one copy of `options` (the same copy for every call
 * with the same options object): its connections share the default session store, so a later
 * one resumes with a ticket an earlier one received (`session.resumed`). With `earlyData` and
 * a ticket that allows it, plaintext written before the handshake completes goes out as 0-RTT
 * data; if the server refuses it, the engine sends it again after the handshake, so it arrives
 * exactly once either way (`session.earlyData` tells which). Tickets show on `events$` as
 * `newSessionTicket`.
 *
 * ```
 * cipher in:      --S----------d----n|     S: server flight, d: data, n: close_notify
 * cipher out:     C-F---D---(n|)           C: ClientHello, F: Finished, then close_notify and FIN
 * session$:       --(s|)
 * source:         ------D---|
 * write(source):  ----------|
 * read(of(∞)):    -------------d----|
 * ```
 *
 * @example
 * const tls = tlsClient({ servername: 'example.com', pins: { spkiSha256: [pin] } })(fromSocket(socket)); // op(d) keeps session$ in the type
 * tls.session$.subscribe((s) => console.log('negotiated', s.cipherSuite));
 * tls.write(of(new TextEncoder().encode('GET / HTTP/1.0\r\n\r\n'))).subscribe();
 * tls.read(of(Infinity)).subscribe((chunk) => process.stdout.write(chunk));
 */
export function tlsClient(options: TlsClientOptions): TlsOperator {
  const { engine, layer } = splitLayerOptions<ClientConfig>(options);
  return (lower) => tlsLayer(lower, () => new TlsClient(engine), layer);
}
