/**
 * `connect`: a TCP connection as an observable of one {@link SocketDuplex}.
 */
import * as net from 'node:net';
import { Observable } from 'rxjs';
import { fromSocket } from './from-socket.js';
import type { FromSocketOptions, SocketDuplex } from './from-socket.js';

/**
 * Options of {@link connect}: where to connect, the socket's buffer sizes, and {@link FromSocketOptions}.
 *
 * @example
 * ```ts
 * connect({ host: 'localhost', port: 8443, readHighWaterMark: 32 * 1024, noDelay: true });
 * ```
 */
export interface ConnectOptions extends FromSocketOptions {
  /** Host name or address. Default `'localhost'`. */
  host?: string;
  /** TCP port. */
  port: number;
  /** The socket's `readableHighWaterMark`: how much Node reads ahead while the reader holds no credit. Default Node's (16 KiB). */
  readHighWaterMark?: number;
  /** Also the socket's `writableHighWaterMark`; see {@link FromSocketOptions.writeHighWaterMark}. Default Node's (16 KiB). */
  writeHighWaterMark?: number;
  /** Local address to bind before connecting. */
  localAddress?: string;
  /** 4 or 6 to force an address family; default either. */
  family?: number;
  /** Disable Nagle's algorithm (TCP_NODELAY). Default false, as Node. */
  noDelay?: boolean;
}

/**
 * Connects on subscription (with `allowHalfOpen: true`), emits one {@link SocketDuplex} once
 * connected, and completes. Connection errors (ECONNREFUSED, ENOTFOUND, ...) error the observable.
 * Unsubscribing before the connection is established destroys the socket; after the Duplex is
 * emitted, the socket belongs to it (see `fromSocket` for its lifetime). For a connect timeout,
 * use RxJS `timeout()`: its unsubscription aborts the attempt.
 *
 * @example
 * ```ts
 * connect({ host: '127.0.0.1', port: 8443 }).pipe(
 *   timeout(5000),
 *   switchMap((transport) => transport.pipe(tlsClient(config)).read(of(Infinity))),
 * ).subscribe((plaintext) => console.log(plaintext));
 * ```
 */
export function connect(options: ConnectOptions): Observable<SocketDuplex> {
  return new Observable<SocketDuplex>((subscriber) => {
    // Node passes these to the Socket (stream) constructor; @types/node does not list them.
    const connectOptions: net.TcpNetConnectOpts & { readableHighWaterMark?: number; writableHighWaterMark?: number } = {
      port: options.port,
      allowHalfOpen: true,
    };
    if (options.host !== undefined) connectOptions.host = options.host;
    if (options.localAddress !== undefined) connectOptions.localAddress = options.localAddress;
    if (options.family !== undefined) connectOptions.family = options.family;
    if (options.noDelay !== undefined) connectOptions.noDelay = options.noDelay;
    if (options.readHighWaterMark !== undefined) connectOptions.readableHighWaterMark = options.readHighWaterMark;
    if (options.writeHighWaterMark !== undefined) connectOptions.writableHighWaterMark = options.writeHighWaterMark;
    const socket = net.connect(connectOptions);
    let handedOver = false;
    const onError = (err: Error) => subscriber.error(err);
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      let duplex: SocketDuplex;
      try {
        duplex = fromSocket(socket, options);
      } catch (err) {
        socket.destroy();
        subscriber.error(err);
        return;
      }
      handedOver = true;
      subscriber.next(duplex);
      subscriber.complete();
    });
    return () => {
      if (!handedOver) {
        socket.off('error', onError);
        socket.on('error', () => undefined); // a late error of an abandoned attempt is nobody's
        socket.destroy();
      }
    };
  });
}
