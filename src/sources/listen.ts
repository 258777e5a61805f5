/**
 * `listen`: a TCP server as an observable of accepted connections, one {@link SocketDuplex} each.
 */
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { getDefaultHighWaterMark } from 'node:stream';
import { Observable } from 'rxjs';
import { fromSocket } from './from-socket.js';
import type { FromSocketOptions, SocketDuplex } from './from-socket.js';

/**
 * Options of {@link listen}: where to listen, the accepted sockets' buffer sizes, and {@link FromSocketOptions}.
 *
 * @example
 * ```ts
 * listen({ host: '127.0.0.1', port: 0, readHighWaterMark: 16 * 1024, onListening: ({ port }) => console.log(port) });
 * ```
 */
export interface ListenOptions extends FromSocketOptions {
  /** Address to bind. Default: all addresses (`::` or `0.0.0.0`), as Node. */
  host?: string;
  /** TCP port; 0 or absent picks a free one (see `onListening`). */
  port?: number;
  /** Listen backlog. Default Node's. */
  backlog?: number;
  /**
   * The accepted sockets' `readableHighWaterMark` (Node's server `highWaterMark` option, which also
   * sets their writable mark; the write high mark of the Duplex stays `writeHighWaterMark` or 16 KiB).
   */
  readHighWaterMark?: number;
  /** Disable Nagle's algorithm on accepted sockets. Default false, as Node. */
  noDelay?: boolean;
  /** Called once the server is bound, with its address (the port, when `port` was 0). */
  onListening?: (address: AddressInfo) => void;
}

/**
 * Listens on subscription and emits one {@link SocketDuplex} per accepted connection (sockets
 * are created with `allowHalfOpen: true`). A server error (EADDRINUSE, ...) errors the
 * observable. Unsubscribing closes the server: it stops accepting at once, and connections
 * already emitted stay up (each belongs to its Duplex; end it by completing its write and
 * reading to the end, or abort it with `close()`).
 *
 * @example An echo server on a free port:
 * ```ts
 * listen({ host: '127.0.0.1', port: 0, onListening: (a) => console.log('port', a.port) })
 *   .subscribe((conn) => conn.write(conn.read(of(Infinity))).subscribe());
 * ```
 */
export function listen(options: ListenOptions = {}): Observable<SocketDuplex> {
  return new Observable<SocketDuplex>((subscriber) => {
    const serverOptions: net.ServerOpts = { allowHalfOpen: true };
    if (options.noDelay !== undefined) serverOptions.noDelay = options.noDelay;
    if (options.readHighWaterMark !== undefined) serverOptions.highWaterMark = options.readHighWaterMark;
    const socketOptions: FromSocketOptions = { ...options, writeHighWaterMark: options.writeHighWaterMark ?? getDefaultHighWaterMark(false) };
    const server = net.createServer(serverOptions);
    server.on('connection', (socket: net.Socket) => {
      if (subscriber.closed) {
        socket.destroy(); // accepted just as we stopped listening: nobody will own it
        return;
      }
      let duplex: SocketDuplex;
      try {
        duplex = fromSocket(socket, socketOptions);
      } catch (err) {
        socket.destroy();
        subscriber.error(err);
        return;
      }
      subscriber.next(duplex);
    });
    server.on('error', (err) => subscriber.error(err));
    const listenOptions: net.ListenOptions = { port: options.port ?? 0 };
    if (options.host !== undefined) listenOptions.host = options.host;
    if (options.backlog !== undefined) listenOptions.backlog = options.backlog;
    server.listen(listenOptions, () => options.onListening?.(server.address() as AddressInfo));
    return () => {
      server.close();
    };
  });
}
