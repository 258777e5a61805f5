/** Helpers for the socket specs: real 127.0.0.1 connections, bounded waits, cleanup. */
import { createHash } from 'node:crypto';
import * as net from 'node:net';
import { Observable } from 'rxjs';
import type { Duplex } from '../../../src/sources/duplex.js';

/** Everything opened by a spec, closed in afterEach. */
export class Resources {
  private readonly sockets = new Set<net.Socket>();
  private readonly servers = new Set<net.Server>();
  private readonly cleanups: Array<() => void> = [];

  socket(s: net.Socket): net.Socket {
    this.sockets.add(s);
    return s;
  }

  server(s: net.Server): net.Server {
    this.servers.add(s);
    return s;
  }

  /** Unsubscribed in afterEach before the sockets are destroyed (which would error it). */
  keep<T extends { unsubscribe(): void }>(subscription: T): T {
    this.cleanups.push(() => subscription.unsubscribe());
    return subscription;
  }

  onCleanup(fn: () => void): void {
    this.cleanups.push(fn);
  }

  async closeAll(): Promise<void> {
    for (const fn of this.cleanups.splice(0)) fn();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await Promise.all([...this.servers].map((srv) => new Promise<void>((resolve) => {
      if (!srv.listening) return resolve();
      srv.close(() => resolve());
    })));
    this.servers.clear();
  }
}

/** A connected pair of raw sockets over 127.0.0.1, both with allowHalfOpen. */
export async function socketPair(
  res: Resources,
  opts: { serverReadHighWaterMark?: number } = {},
): Promise<{ client: net.Socket; server: net.Socket }> {
  const srv = res.server(net.createServer({ allowHalfOpen: true, ...(opts.serverReadHighWaterMark ? { highWaterMark: opts.serverReadHighWaterMark } : {}) }));
  const accepted = new Promise<net.Socket>((resolve) => srv.once('connection', (s: net.Socket) => resolve(res.socket(s))));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  const client = res.socket(net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', resolve);
    client.once('error', reject);
  });
  const server = await withTimeout(accepted, 2000, 'accept');
  srv.close();
  return { client, server };
}

/** Rejects if `p` takes longer than `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

/** Polls `cond` every 10 ms until true, for at most `ms`. */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
export function pseudoRandom(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export const sha256 = (chunks: Uint8Array[] | Uint8Array): string => {
  const h = createHash('sha256');
  for (const c of Array.isArray(chunks) ? chunks : [chunks]) h.update(c);
  return h.digest('hex');
};

/**
 * A write source that respects `writable$`: emits `data` in `chunk`-byte views while writable and
 * completes after the last one. `onProgress` sees the number of bytes emitted so far.
 */
export function paced(d: Pick<Duplex, 'writable$'>, data: Uint8Array, chunk: number, onProgress?: (sent: number) => void): Observable<Uint8Array> {
  return new Observable<Uint8Array>((subscriber) => {
    let sent = 0;
    let writable = false;
    return d.writable$.subscribe((w) => {
      writable = w; // a nested `false` (emitted while we write below) updates this at once
      while (writable && sent < data.length && !subscriber.closed) {
        const c = data.subarray(sent, Math.min(data.length, sent + chunk));
        sent += c.length;
        onProgress?.(sent);
        subscriber.next(c);
      }
      if (sent >= data.length) subscriber.complete();
    });
  });
}
