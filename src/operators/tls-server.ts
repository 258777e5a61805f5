/**
 * The server side of TLS as a Duplex operator.
 *
 * @module
 */
import type { ServerConfig } from '../tls/server/config.js';
import { TlsServer } from '../tls/server/tls13.js';
import { tlsLayer, type TlsOperator } from './tls-layer.js';
import { splitLayerOptions, type TlsLayerOptions } from './tls-options.js';

/** Options of {@link tlsServer}: the engine's {@link ServerConfig} plus the layer's {@link TlsLayerOptions}. */
export type TlsServerOptions = ServerConfig & TlsLayerOptions;

/**
 * Runs a TLS 1.3 server over a ciphertext Duplex (one accepted connection) and returns the
 * plaintext side, a {@link TlsDuplex}. Like {@link tlsClient}: the handshake runs on the first
 * subscription without read demand, reads stop pulling ciphertext at `readHighWaterMark` while
 * writes keep flowing, completing the write sends close_notify then FIN.
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
 * listen({ port: 8443 }).subscribe((socket) => {
 *   const tls = socket.pipe(tlsServer({ cert: certPem, key: keyPem, ALPNProtocols: ['echo'] }));
 *   tls.write(tls.read(of(Infinity))).subscribe(); // echo
 * });
 */
export function tlsServer(options: TlsServerOptions): TlsOperator {
  const { engine, layer } = splitLayerOptions<ServerConfig>(options);
  return (lower) => tlsLayer(lower, () => new TlsServer(engine), layer);
}
