/**
 * Glue for running rxtls engine connections against the GnuTLS CLI peers (./peers.ts):
 * our TlsClient over the unix-socket bridge to `gnutls-serv`, our TlsServer on a unix
 * listener that `gnutls-cli` reaches through its bridge. Each session records every engine
 * event (runOverSocket drains `takeEvents()` itself, so the events are copied as they are
 * taken) and the framing of every record each side sent (record headers parsed from the
 * socket's `'data'` and from `takeOutput()`), so a spec can assert what the engine reported
 * and what went over the wire.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import type { TlsConnection } from '../../../src/tls/connection.js';
import { pemDecode } from '../../../src/tls/crypto/pem.js';
import type { TlsEvent } from '../../../src/tls/session.js';
import { runOverSocket, type EngineSession } from './engine-socket.js';

/** The header of one TLS record seen on the wire. */
export interface SeenRecord {
  /** Outer content type (23 = application_data once encrypted). */
  readonly type: number;
  /** Length of the record body (TLSCiphertext.length). */
  readonly length: number;
}

/**
 * An engine session with its events and the record framing both ways. `send` and `end`
 * replace runOverSocket's (see {@link observe}); the rest is runOverSocket's.
 */
export interface ObservedSession extends EngineSession {
  /** Every event the engine reported so far, oldest first. */
  events(): TlsEvent[];
  /** Headers of every record received from the peer so far. */
  records(): readonly SeenRecord[];
  /** Headers of every record our engine produced so far. */
  sentRecords(): readonly SeenRecord[];
  /** The first bytes received from the peer (up to 16 KiB): its first flight, raw. */
  head(): Buffer;
}

/** How much of the peer's first bytes {@link ObservedSession.head} keeps. */
const HEAD_BYTES = 16 * 1024;

/** A feeder of a byte stream (split anywhere) that appends each record header to `seen`. */
function recordParser(seen: SeenRecord[]): (data: Uint8Array) => void {
  let header = Buffer.alloc(0);
  let skip = 0; // body bytes of the current record still to pass
  return (data: Uint8Array) => {
    let off = 0;
    while (off < data.length) {
      if (skip > 0) {
        const n = Math.min(skip, data.length - off);
        skip -= n;
        off += n;
        continue;
      }
      const need = 5 - header.length;
      header = Buffer.concat([header, Buffer.from(data.subarray(off, off + need))]);
      off += Math.min(need, data.length - off);
      if (header.length < 5) break;
      const length = header.readUInt16BE(3);
      seen.push({ type: header[0]!, length });
      skip = length;
      header = Buffer.alloc(0);
    }
  };
}

/** Runs `conn` over the connected `socket` (./engine-socket.ts), recording its events and records. */
export function observe(conn: TlsConnection, socket: net.Socket): ObservedSession {
  const events: TlsEvent[] = [];
  const take = conn.takeEvents.bind(conn);
  conn.takeEvents = () => {
    const e = take();
    events.push(...e);
    return e;
  };
  const sent: SeenRecord[] = [];
  const parseSent = recordParser(sent);
  const takeOutput = conn.takeOutput.bind(conn);
  conn.takeOutput = () => {
    const c = takeOutput();
    if (c) parseSent(c);
    return c;
  };
  const received: SeenRecord[] = [];
  const head: Buffer[] = [];
  let headBytes = 0;
  socket.on('data', (d: Buffer) => {
    if (headBytes < HEAD_BYTES) {
      head.push(Buffer.from(d.subarray(0, HEAD_BYTES - headBytes)));
      headBytes += head[head.length - 1]!.length;
    }
  });
  socket.on('data', recordParser(received)); // before runOverSocket: sees each chunk before the engine does
  const s = runOverSocket(conn, socket);
  const base = { send: s.send, end: s.end };
  // runOverSocket's own send() stalls when the engine's write buffer fills while the socket
  // never needs a 'drain' (the kernel took everything) and no input arrives to re-pump it.
  // So hand it only what the engine can take now, and re-pump on 'drain' or a short timer.
  const queue: Uint8Array[] = [];
  let endAfterQueue = false;
  let waiting = false;
  const pump = (): void => {
    waiting = false;
    while (queue.length > 0 && !conn.failure && !socket.destroyed) {
      if (socket.writableNeedDrain || conn.writableBytes === 0) {
        waiting = true;
        if (socket.writableNeedDrain) socket.once('drain', pump);
        else setTimeout(pump, 2); // e.g. plaintext held until the handshake completes
        return;
      }
      const next = queue[0]!;
      const n = Math.min(conn.writableBytes, next.length);
      base.send(next.subarray(0, n)); // n fits: the engine takes all of it at once
      if (n === next.length) queue.shift();
      else queue[0] = next.subarray(n);
    }
    if (queue.length === 0 && endAfterQueue) base.end();
  };
  return Object.assign(s, {
    send(data: Uint8Array) {
      queue.push(data);
      if (!waiting) pump();
    },
    end() {
      endAfterQueue = true;
      if (!waiting) pump();
    },
    events: () => {
      conn.takeEvents(); // events queued by calls outside input handling (updateKeys)
      return [...events];
    },
    records: () => received,
    sentRecords: () => sent,
    head: () => Buffer.concat(head),
  });
}

/** Connects to a unix socket (e.g. gnutls-serv's bridge) and runs `conn` over it. */
export function connectEngineUnix(conn: TlsConnection, socketPath: string, timeoutMs = 10_000): Promise<ObservedSession> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ path: socketPath, allowHalfOpen: true });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timed out after ${timeoutMs} ms connecting to ${socketPath}`));
    }, timeoutMs);
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`connect ${socketPath}: ${e.message}`));
    });
    s.once('connect', () => {
      clearTimeout(timer);
      resolve(observe(conn, s));
    });
  });
}

/** A unix-socket listener that runs a fresh engine connection on every accepted socket. */
export interface EngineListener {
  readonly path: string;
  /** The next accepted session (sessions queue up); rejects on timeout. */
  nextSession(timeoutMs?: number): Promise<ObservedSession>;
  /** Destroys open sockets and closes the listener. */
  close(): Promise<void>;
}

/** Listens on the unix socket `path`, running `make()` on each connection. */
export async function listenEngineUnix(path: string, make: () => TlsConnection): Promise<EngineListener> {
  const ready: ObservedSession[] = [];
  const waiters: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    ready.push(observe(make(), socket));
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    path,
    nextSession: (timeoutMs = 10_000) =>
      new Promise<ObservedSession>((resolve, reject) => {
        const check = (): void => {
          const s = ready.shift();
          if (!s) return;
          clearTimeout(timer);
          resolve(s);
        };
        const timer = setTimeout(() => {
          const i = waiters.indexOf(check);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for a connection on ${path}`));
        }, timeoutMs);
        waiters.push(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => {
          fs.rmSync(path, { force: true });
          resolve();
        });
      }),
  };
}

/** SHA-256 (hex) of the first certificate in `pem`: a `pins.certSha256` value. */
export function leafCertSha256(pem: string): string {
  const der = pemDecode(pem).find((b) => b.label === 'CERTIFICATE')?.der;
  if (!der) throw new Error('leafCertSha256: no CERTIFICATE block');
  return createHash('sha256').update(der).digest('hex');
}

/** Resolves with `p`, or rejects after `ms` with `what` in the message. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
