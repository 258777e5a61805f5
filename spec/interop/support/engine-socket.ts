/**
 * Runs an rxtls engine connection over a real node:net socket for interop tests: ciphertext
 * from the socket is fed to the engine, engine output is written to the socket, and the
 * plaintext the peer sends is collected. No rxtls reactive code is involved, so these tests
 * exercise the engine alone.
 */
import { connect, type Socket } from 'node:net';
import type { TlsConnection } from '../../../src/tls/connection.js';
import type { TlsError } from '../../../src/tls/errors.js';
import type { TlsEvent } from '../../../src/tls/session.js';

/** A running engine-over-socket session. */
export interface EngineSession {
  readonly conn: TlsConnection;
  readonly socket: Socket;
  /** Plaintext received so far. */
  received(): Buffer;
  /** Sends plaintext (queued in the engine while its buffer is full). */
  send(data: Uint8Array): void;
  /** Completes our sending side: close_notify once everything queued is sent. */
  end(): void;
  /** Resolves when the handshake completes (rejects on error). */
  handshake: Promise<void>;
  /** Resolves when the peer's close_notify arrived or the socket ended; rejects on a TLS error. */
  closed: Promise<void>;
  /** Resolves when at least `n` plaintext bytes were received. */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  /** Pumps engine output to the socket (call after driving the engine directly, e.g. updateKeys). */
  flush(): void;
  /** The TLS error that ended the session, if any. */
  error(): TlsError | undefined;
  /** Every engine event so far (handshake, keyUpdate, alert, peerClosed, ...), oldest first. */
  events(): readonly TlsEvent[];
}

/** Attaches `conn` to an already-connected socket. */
export function runOverSocket(conn: TlsConnection, socket: Socket): EngineSession {
  const chunks: Buffer[] = [];
  let receivedBytes = 0;
  let pendingWrite: Uint8Array[] = [];
  let endRequested = false;
  let err: TlsError | undefined;
  let resolveHs!: () => void, rejectHs!: (e: unknown) => void;
  let resolveClosed!: () => void, rejectClosed!: (e: unknown) => void;
  const handshake = new Promise<void>((a, b) => { resolveHs = a; rejectHs = b; });
  const closed = new Promise<void>((a, b) => { resolveClosed = a; rejectClosed = b; });
  handshake.catch(() => undefined);
  closed.catch(() => undefined);
  const waiters: { n: number; resolve: () => void }[] = [];
  const events: TlsEvent[] = [];

  const flush = (): void => {
    for (let c = conn.takeOutput(); c; c = conn.takeOutput()) if (!socket.destroyed) socket.write(c);
  };
  const pumpWrites = (): void => {
    while (pendingWrite.length > 0 && !conn.failure) {
      const head = pendingWrite[0]!;
      const n = conn.write(head);
      if (n === head.length) pendingWrite.shift();
      else pendingWrite[0] = head.subarray(n);
      flush();
      // Stop when the engine holds everything it may (before the handshake completes) or the
      // socket wants a 'drain'; both resume the pump. Otherwise the flush made room: go on.
      if (n === 0 || socket.writableNeedDrain) break;
    }
    if (endRequested && pendingWrite.length === 0 && !conn.writeClosed && !conn.failure) conn.closeWrite();
    flush();
    // close_notify is out: send FIN too (TLS 1.3 half-close; the read side stays open).
    if (conn.writeClosed && !socket.writableEnded && !socket.destroyed) socket.end();
  };
  const drainPlaintext = (): void => {
    for (let p = conn.read(); p; p = conn.read()) {
      chunks.push(Buffer.from(p));
      receivedBytes += p.length;
    }
    for (const w of [...waiters]) if (receivedBytes >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  };
  const onError = (e: unknown): void => {
    err = e as TlsError;
    flush();
    rejectHs(e);
    rejectClosed(e);
    socket.end();
  };
  const afterInput = (): void => {
    for (const ev of conn.takeEvents()) {
      events.push(ev);
      if (ev.type === 'handshake') resolveHs();
      if (ev.type === 'peerClosed') resolveClosed();
    }
    drainPlaintext();
    pumpWrites();
  };

  socket.on('data', (data: Buffer) => {
    try {
      let off = 0;
      while (off < data.length) {
        off += conn.feed(data.subarray(off));
        afterInput();
      }
    } catch (e) {
      onError(e);
    }
  });
  socket.on('end', () => {
    try {
      conn.feedEnd();
      resolveClosed();
    } catch (e) {
      onError(e);
    }
  });
  socket.on('error', (e) => { rejectHs(e); rejectClosed(e); });
  socket.on('drain', pumpWrites);
  flush();

  return {
    conn, socket, handshake, closed, flush,
    received: () => Buffer.concat(chunks),
    send(data) { pendingWrite.push(data); pumpWrites(); },
    end() { endRequested = true; pumpWrites(); },
    error: () => err,
    events: () => events,
    waitFor(n, timeoutMs = 20000) {
      if (receivedBytes >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`waitFor(${n}): only ${receivedBytes} bytes after ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ n, resolve: () => { clearTimeout(t); resolve(); } });
      });
    },
  };
}

/** Connects to 127.0.0.1:port and runs `conn` over the socket. */
export function connectEngine(conn: TlsConnection, port: number, host = '127.0.0.1'): Promise<EngineSession> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host, allowHalfOpen: true }, () => resolve(runOverSocket(conn, s)));
    s.once('error', reject);
  });
}
