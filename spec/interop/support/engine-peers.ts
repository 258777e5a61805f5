/**
 * Small helpers for the engine-level interop specs (openssl.spec.ts, node.spec.ts): rxtls
 * clients pinned to a test server certificate, rxtls servers presenting a test chain, a TCP
 * listener that runs a fresh engine per accepted socket, an event recorder, and bounded waits.
 * Every socket made here is tracked so a spec can destroy them all in `afterEach`.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import { lastValueFrom, Observable, of, startWith, Subject, type Subscriber } from 'rxjs';
import type { TlsDuplex } from '../../../src/operators/tls-duplex.js';
import { TlsClient } from '../../../src/tls/client/tls13.js';
import type { ClientConfig } from '../../../src/tls/client/config.js';
import type { TlsConnection } from '../../../src/tls/connection.js';
import { pemDecode } from '../../../src/tls/crypto/pem.js';
import { TlsServer } from '../../../src/tls/server/tls13.js';
import type { ServerConfig } from '../../../src/tls/server/config.js';
import type { TlsEvent } from '../../../src/tls/session.js';
import { connectEngine, runOverSocket, type EngineSession } from './engine-socket.js';
import type { CertAndKey } from './certs.js';

/** SHA-256 (hex) of the DER of the first certificate in `pem`: a `pins.certSha256` value. */
export function leafSha256(pem: string): string {
  const der = pemDecode(pem).find((b) => b.label === 'CERTIFICATE');
  if (!der) throw new Error('leafSha256: no CERTIFICATE in PEM');
  return createHash('sha256').update(der.der).digest('hex');
}

/** An rxtls client for `localhost`, pinned to `server`'s leaf certificate; `extra` overrides. */
export function pinnedClient(server: CertAndKey, extra: Partial<ClientConfig> = {}): TlsClient {
  return new TlsClient({ servername: 'localhost', pins: { certSha256: [leafSha256(server.certPem)] }, ...extra });
}

/** An rxtls server presenting `identity`'s chain (leaf then CA); `extra` overrides. */
export function chainServer(identity: CertAndKey, extra: Partial<ServerConfig> = {}): TlsServer {
  return new TlsServer({ cert: identity.chainPem, key: identity.keyPem, ...extra });
}

/**
 * Records every event `conn` reports, in order, while leaving `takeEvents()` working for its
 * driver (engine-socket drains events itself). Call before the connection is driven.
 */
export function recordEvents(conn: TlsConnection): TlsEvent[] {
  const log: TlsEvent[] = [];
  const take = conn.takeEvents.bind(conn);
  conn.takeEvents = (): TlsEvent[] => {
    const e = take();
    log.push(...e);
    return e;
  };
  return log;
}

/** The keyUpdate directions in `events`, in order (e.g. `['write', 'read']`). */
export function keyUpdates(events: readonly TlsEvent[]): ('read' | 'write')[] {
  return events.flatMap((e) => (e.type === 'keyUpdate' ? [e.direction] : []));
}

/** Races `p` against a timer; the error names `what`. The timer is always cleared. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Every socket opened through these helpers (client and accepted), for cleanup. */
const sockets = new Set<net.Socket>();
/** Every listener opened through these helpers, for cleanup. */
const listeners = new Set<net.Server>();

/** Tracks a socket (made elsewhere) so {@link destroyAll} destroys it. */
export function track<S extends net.Socket>(s: S): S {
  sockets.add(s);
  s.once('close', () => sockets.delete(s));
  return s;
}

/** Destroys every tracked socket and closes every listener (call in `afterEach`). */
export async function destroyAll(): Promise<void> {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all([...listeners].map((l) => new Promise<void>((r) => l.close(() => r()))));
  listeners.clear();
}

/** Connects `conn` to 127.0.0.1:port (engine-socket), tracking the socket. */
export async function connectTracked(conn: TlsConnection, port: number): Promise<EngineSession> {
  const s = await within(connectEngine(conn, port), 10_000, `TCP connect to port ${port}`);
  track(s.socket);
  return s;
}

/** A loopback TCP listener that runs a fresh engine over each accepted socket. */
export interface EngineListener {
  /** The port on 127.0.0.1. */
  readonly port: number;
  /** The next accepted connection's session (connections queue up); bounded. */
  accept(timeoutMs?: number): Promise<EngineSession>;
}

/**
 * Listens on 127.0.0.1:0 (half-open sockets allowed, so a peer's FIN after its close_notify
 * leaves our sending side open) and runs `make()` over each accepted socket.
 */
export async function listenEngine(make: () => TlsConnection): Promise<EngineListener> {
  const queue: EngineSession[] = [];
  const waiters: ((s: EngineSession) => void)[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    track(socket);
    const session = runOverSocket(make(), socket);
    const w = waiters.shift();
    if (w) w(session);
    else queue.push(session);
  });
  listeners.add(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    accept: (timeoutMs = 10_000) => {
      const ready = queue.shift();
      if (ready) return Promise.resolve(ready);
      return within(new Promise<EngineSession>((resolve) => waiters.push(resolve)), timeoutMs, `a connection accepted on port ${port}`);
    },
  };
}

/** The application end of a reactive TLS Duplex ({@link driveTls}). */
export interface TlsAppEnd {
  /** Plaintext read so far. */
  received(): Buffer;
  /** Resolves once at least `n` bytes were read; rejects on timeout or when the read ends or fails first. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  /** Queues `data` for writing; it is handed to the Duplex in 16 KiB chunks while `writable$` is true. */
  send(data: Uint8Array): void;
  /** Completes the write source once everything queued is written (close_notify, then FIN). */
  end(): void;
  /** Settles when the read completes (the peer's close_notify) or errors. */
  readonly readDone: Promise<void>;
  /** Settles when the write completes (flushed after `end()`) or errors. */
  readonly writeDone: Promise<void>;
  /** Read chunks received (each used one credit when paced). */
  chunks(): number;
}

/**
 * Reads and writes a reactive TLS Duplex as an application would: writes honour `writable$`;
 * reads are flowing (`of(Infinity)`) or, with `paced`, one credit per chunk, the next credit
 * given a macrotask after each chunk (so the layer and the socket must stop and resume).
 */
export function driveTls(tls: TlsDuplex, opts: { paced?: boolean } = {}): TlsAppEnd {
  const chunks: Buffer[] = [];
  let size = 0;
  let readEnd: { error?: unknown } | undefined;
  const pokes = new Set<() => void>();
  const demand = new Subject<number>();
  const readDone = new Promise<void>((resolve, reject) => {
    tls.read(opts.paced ? demand.pipe(startWith(1)) : of(Infinity)).subscribe({
      next: (c) => {
        chunks.push(Buffer.from(c));
        size += c.length;
        if (opts.paced) setImmediate(() => demand.next(1));
        for (const p of [...pokes]) p();
      },
      error: (e: unknown) => {
        readEnd = { error: e };
        for (const p of [...pokes]) p();
        reject(e);
      },
      complete: () => {
        readEnd = {};
        for (const p of [...pokes]) p();
        resolve();
      },
    });
  });
  readDone.catch(() => undefined);

  const queue: Uint8Array[] = [];
  let ending = false;
  let writable = false;
  let pumping = false;
  let sink: Subscriber<Uint8Array> | undefined;
  const pump = (): void => {
    if (pumping || !sink) return;
    pumping = true;
    try {
      while (writable && queue.length > 0 && !sink.closed) sink.next(queue.shift()!);
      if (ending && queue.length === 0 && !sink.closed) sink.complete();
    } finally {
      pumping = false;
    }
  };
  const source = new Observable<Uint8Array>((s) => {
    sink = s;
    pump();
  });
  const writeDone = lastValueFrom(tls.write(source), { defaultValue: undefined }).then(() => undefined);
  writeDone.catch(() => undefined);
  tls.writable$.subscribe({
    next: (w) => {
      writable = w;
      pump();
    },
    error: () => undefined,
  });

  return {
    received: () => Buffer.concat(chunks, size),
    chunks: () => chunks.length,
    readDone,
    writeDone,
    send(data) {
      for (let i = 0; i < data.length; i += 16 * 1024) queue.push(data.subarray(i, i + 16 * 1024));
      pump();
    },
    end() {
      ending = true;
      pump();
    },
    waitFor: (n, timeoutMs = 15_000) =>
      within(
        new Promise<void>((resolve, reject) => {
          const check = (): void => {
            if (size >= n) resolve();
            else if (readEnd) reject(new Error(`read ended after ${size} of ${n} bytes${readEnd.error ? `: ${String(readEnd.error)}` : ''}`));
            else return;
            pokes.delete(check);
          };
          pokes.add(check);
          check();
        }),
        timeoutMs,
        `${n} plaintext bytes (have ${size})`,
      ),
  };
}
