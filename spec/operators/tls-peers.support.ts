/**
 * Helpers for the peer-authentication, resumption, 0-RTT and PSK specs of the TLS layer: two
 * transports that give connected ciphertext Duplex pairs (in memory, and real 127.0.0.1
 * sockets through `listen`/`connect`), and bounded ways to run one exchange and collect how
 * each side ended.
 */
import type { AddressInfo } from 'node:net';
import { Observable, Subject, firstValueFrom, lastValueFrom, of, tap, timeout, toArray, type Subscription } from 'rxjs';
import { connect } from '../../src/sources/connect.js';
import { duplexPair } from '../../src/sources/duplex-pair.js';
import type { Duplex } from '../../src/sources/duplex.js';
import type { SocketDuplex } from '../../src/sources/from-socket.js';
import { listen } from '../../src/sources/listen.js';
import type { TlsDuplex } from '../../src/operators/tls-duplex.js';
import type { SessionInfo } from '../../src/tls/session.js';

/** Every wait in these specs is bounded by this. */
export const WAIT_MS = 10_000;

/** Connected ciphertext ends: `client` and `server`. */
export interface Transport {
  readonly name: string;
  /** A fresh connected pair. */
  pair(): Promise<{ client: Duplex; server: Duplex }>;
  /** Closes everything this transport opened. */
  close(): Promise<void>;
}

/** `duplexPair()`: synchronous, in memory. */
export function memoryTransport(): Transport {
  return {
    name: 'duplexPair',
    pair: async () => {
      const [client, server] = duplexPair();
      return { client, server };
    },
    close: async () => undefined,
  };
}

/** `listen` on 127.0.0.1:0 and `connect` to it: each pair is one accepted TCP connection. */
export function loopbackTransport(): Transport {
  const sockets: SocketDuplex[] = [];
  const accepted = new Subject<SocketDuplex>();
  let listening: Subscription | undefined;
  let port: Promise<number> | undefined;
  const start = (): Promise<number> =>
    (port ??= new Promise<number>((resolve, reject) => {
      listening = listen({ host: '127.0.0.1', port: 0, onListening: (a: AddressInfo) => resolve(a.port) }).subscribe({
        next: (d) => {
          sockets.push(d);
          accepted.next(d);
        },
        error: reject,
      });
    }));
  return {
    name: 'loopback sockets',
    pair: async () => {
      const p = await start();
      const server = firstValueFrom(accepted.pipe(timeout(WAIT_MS)));
      const client = await firstValueFrom(connect({ host: '127.0.0.1', port: p }).pipe(timeout(WAIT_MS)));
      sockets.push(client);
      return { client, server: await server };
    },
    close: async () => {
      listening?.unsubscribe();
      for (const s of sockets.splice(0)) s.close();
      port = undefined;
    },
  };
}

/** How an observable ended: its values, or its error. */
export type Settled<T> = { readonly ok: true; readonly values: T[] } | { readonly ok: false; readonly error: unknown };

/** Subscribes now; resolves with every value and the completion, or with the error (bounded). */
export function settle<T>(o: Observable<T>, ms = WAIT_MS): Promise<Settled<T>> {
  return lastValueFrom(o.pipe(toArray(), timeout(ms))).then(
    (values): Settled<T> => ({ ok: true, values }),
    (error: unknown): Settled<T> => ({ ok: false, error }),
  );
}

/** The error of a settled observable that should have failed (throws if it did not). */
export function errorOf(s: Settled<unknown>): unknown {
  if (s.ok) throw new Error(`expected an error, got ${s.values.length} values and completion`);
  return s.error;
}

export const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (chunks: readonly Uint8Array[]): string => Buffer.concat(chunks).toString();

/** What {@link echoOnce} saw. */
export interface Echoed {
  readonly client: SessionInfo;
  readonly server: SessionInfo;
  /** What the server read, in order (all of it). */
  readonly serverGot: string;
  /** What the client read back. */
  readonly clientGot: string;
  /** On the server: `'data'` for each chunk read and `'session'` when the handshake completed, in order. */
  readonly serverOrder: readonly string[];
}

/**
 * One request/echo exchange: the client writes `message` (subscribing to its write first, so
 * the data is there before the handshake: 0-RTT when the client may send it) and closes its
 * write; the server echoes what it reads until the client's close_notify, then closes. Resolves
 * once both sides are done; rejects with the first error.
 */
export async function echoOnce(client: TlsDuplex, server: TlsDuplex, message: string | Uint8Array): Promise<Echoed> {
  const serverOrder: string[] = [];
  const serverChunks: Uint8Array[] = [];
  const data = typeof message === 'string' ? enc(message) : message;
  const written = settle(client.write(of(data)));
  const clientSession = settle(client.session$);
  const clientRead = settle(client.read(of(Infinity)));
  // events$ is passive (it starts nothing): it marks when the server's handshake completed.
  const serverEvents = settle(server.events$.pipe(tap((e) => e.type === 'handshake' && serverOrder.push('session'))));
  // The server's reader first: early data can be read as soon as it is decrypted.
  const echoed = settle(server.write(server.read(of(Infinity)).pipe(tap((c) => {
    serverOrder.push('data');
    serverChunks.push(c);
  }))));
  const serverSession = settle(server.session$);
  const all = await Promise.all([written, clientSession, clientRead, serverSession, echoed, serverEvents]);
  for (const s of all) if (!s.ok) throw s.error;
  const values = <T>(s: Settled<T>): T[] => (s.ok ? s.values : []);
  return {
    client: values(await clientSession)[0]!,
    server: values(await serverSession)[0]!,
    serverGot: text(serverChunks),
    clientGot: text(values(await clientRead)),
    serverOrder,
  };
}

/** Both sides of a handshake expected to fail: how each side's read ended. */
export async function bothFail(client: TlsDuplex, server: TlsDuplex): Promise<{ client: unknown; server: unknown }> {
  const c = settle(client.read(of(Infinity)));
  const s = settle(server.read(of(Infinity)));
  return { client: errorOf(await c), server: errorOf(await s) };
}
