/**
 * rxtls endpoints over loopback, through the public reactive API only: `listen`/`connect` for
 * sockets, `tlsServer`/`tlsClient` for TLS.
 */
import { Observable, Subject, firstValueFrom, type Subscription } from 'rxjs';
import {
  CipherSuite, type CryptoProvider, NamedGroup, type SigningKey, type SocketDuplex, type TlsDuplex, connect, listen, tlsClient, tlsServer,
} from '../../src/index.js';
import { identity } from './common.js';

/** TLS options both ends of a benchmark connection use. */
export interface RxTlsOptions {
  provider: CryptoProvider;
  cipherSuites?: readonly CipherSuite[];
  groups?: readonly NamedGroup[];
}

/** A listening rxtls server: its port, its accepted sockets, and a way to close everything. */
export interface RxServer {
  readonly port: number;
  /** Stops listening and destroys every accepted socket. */
  close(): void;
}

/** The server key as `provider` loads it (once, as a server would at startup). */
const keys = new WeakMap<CryptoProvider, SigningKey>();
export function serverKey(provider: CryptoProvider): SigningKey {
  let k = keys.get(provider);
  if (!k) keys.set(provider, (k = provider.loadPrivateKey(identity().keyPem)));
  return k;
}

/**
 * Listens on 127.0.0.1 and runs `onConnection` with each accepted connection's TLS Duplex
 * (and its socket). Resolves once bound.
 */
export async function rxServer(
  opts: RxTlsOptions & { readHighWaterMark?: number },
  onConnection: (tls: TlsDuplex, socket: SocketDuplex) => void,
): Promise<RxServer> {
  const sockets = new Set<SocketDuplex>();
  // One operator for every connection, as a server would run it: options (and the ticket keys
  // and anti-replay state they imply) are resolved once, not per connection.
  const serverTls = tlsServer({
    cert: [identity().certDer],
    key: serverKey(opts.provider),
    provider: opts.provider,
    ...(opts.cipherSuites ? { cipherSuites: opts.cipherSuites } : {}),
    ...(opts.groups ? { groups: opts.groups } : {}),
    ...(opts.readHighWaterMark ? { readHighWaterMark: opts.readHighWaterMark } : {}),
  });
  const bound = new Subject<number>();
  const ready = firstValueFrom(bound);
  const sub: Subscription = listen({
    host: '127.0.0.1',
    port: 0,
    noDelay: true,
    backlog: 2048,
    onListening: (a) => bound.next(a.port),
  }).subscribe({
    next: (socket) => {
      sockets.add(socket);
      const tls = socket.pipe(serverTls);
      onConnection(tls, socket);
    },
    error: (e) => bound.error(e),
  });
  const port = await ready;
  return {
    port,
    close() {
      sub.unsubscribe();
      for (const s of sockets) s.close();
      sockets.clear();
    },
  };
}

/** An rxtls client connection: the TLS Duplex and its socket. */
export interface RxClient {
  readonly tls: TlsDuplex;
  readonly socket: SocketDuplex;
}

/**
 * Connects to 127.0.0.1:`port` and wraps the socket in a client pinned to the bench identity.
 * Each call makes fresh options, so no session is resumed: every handshake is a full one.
 */
export async function rxConnect(port: number, opts: RxTlsOptions): Promise<RxClient> {
  return rxConnectWith(port, rxClientOptions(opts));
}

/** Client options pinned to the bench identity. Connections made from one such object resume each other's sessions. */
export function rxClientOptions(opts: RxTlsOptions): Parameters<typeof tlsClient>[0] {
  return {
    servername: 'localhost',
    pins: { spkiSha256: [identity().spkiPin] },
    provider: opts.provider,
    ...(opts.cipherSuites ? { cipherSuites: opts.cipherSuites } : {}),
    ...(opts.groups ? { groups: opts.groups } : {}),
  };
}

/** Connects to 127.0.0.1:`port` with these client options (the same object each time to resume). */
export async function rxConnectWith(port: number, options: Parameters<typeof tlsClient>[0]): Promise<RxClient> {
  const socket = await firstValueFrom(connect({ host: '127.0.0.1', port, noDelay: true }));
  return { tls: socket.pipe(tlsClient(options)), socket };
}

/** Ignores an error (connections torn down at the end of a benchmark error their observables). */
export const quiet = { error: (): void => undefined };

/**
 * A write source that offers `total` bytes in `chunk`-sized pieces, only while `tls.writable$`
 * is true, then completes. `onChunk` sees the running count.
 */
export function writer(tls: TlsDuplex, chunk: Uint8Array, total: number, onChunk?: (sent: number) => void): Observable<Uint8Array> {
  return new Observable<Uint8Array>((o) => {
    let writable = false;
    let sent = 0;
    let scheduled = false;
    const pump = (): void => {
      scheduled = false;
      while (writable && sent < total && !o.closed) {
        const n = Math.min(chunk.length, total - sent);
        sent += n;
        o.next(n === chunk.length ? chunk : chunk.subarray(0, n));
        onChunk?.(sent);
      }
      if (sent >= total) o.complete();
    };
    const sub = tls.writable$.subscribe({
      next: (w) => {
        writable = w;
        if (w && !scheduled) {
          scheduled = true;
          queueMicrotask(pump);
        }
      },
      error: (e) => o.error(e),
    });
    return () => sub.unsubscribe();
  });
}
