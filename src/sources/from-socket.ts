/**
 * `fromSocket`: a `node:net` socket as a Duplex, with read credits mapped onto Node's paused
 * mode (no credit, no `socket.read()`, so Node stops reading the kernel socket) and write
 * readiness mapped onto the socket's buffered length.
 */
import type { Socket } from 'node:net';
import { Observable, tap } from 'rxjs';
import type { Subscriber } from 'rxjs';
import { TlsMisuseError } from '../tls/errors.js';
import { ReaderSlot } from './credit.js';
import { makeDuplex } from './duplex.js';
import type { Duplex } from './duplex.js';
import { SocketClosedError, WriteBufferOverflowError } from './errors.js';
import { ReadySignal } from './ready-signal.js';

/**
 * Options of {@link fromSocket}. The read high-water mark is the socket's own
 * (`readableHighWaterMark`, set when the socket is created: see `connect` and `listen`).
 *
 * @example
 * ```ts
 * fromSocket(socket, { writeHighWaterMark: 64 * 1024, writeLowWaterMark: 16 * 1024, maxWriteBuffer: 1 << 20 });
 * ```
 */
export interface FromSocketOptions {
  /**
   * `writable$` turns false when the socket's `writableLength` (bytes accepted by Node and not yet
   * handed to the kernel) reaches this. Default: the socket's `writableHighWaterMark`.
   */
  writeHighWaterMark?: number;
  /**
   * `writable$` turns true again once `writableLength` is at or below this. It is checked each time
   * Node hands a written chunk to the kernel (the write callback) and on `'drain'`; `0` means
   * "only once Node's buffer is empty", the point where Node emits `'drain'`. Default: half the high mark.
   */
  writeLowWaterMark?: number;
  /**
   * Hard limit on `writableLength`: if a write leaves more than this buffered, the write errors
   * with {@link WriteBufferOverflowError} and the connection is torn down. Default `8 *` the high mark,
   * and at least the high mark + 64 KiB so that a TLS record always fits.
   */
  maxWriteBuffer?: number;
  /**
   * After a write error (the source errored or overflowed), how long to wait for the bytes already
   * written to flush before destroying the socket anyway, in ms. Default 2000.
   */
  abortLingerMs?: number;
}

/**
 * A Duplex over a socket, with the socket's addresses and a way to abort it. `pipe` returns a
 * plain Duplex: keep this object to call `close()`.
 *
 * @example
 * ```ts
 * listen({ port: 0 }).subscribe((conn) => {
 *   console.log('from', conn.remoteAddress, conn.remotePort);
 *   setTimeout(() => conn.close(), 30_000); // an idle limit, say
 * });
 * ```
 */
export interface SocketDuplex extends Duplex<Uint8Array, Uint8Array> {
  /** The peer's address, as the socket reported it when the Duplex was made. */
  readonly remoteAddress: string | undefined;
  /** The peer's port. */
  readonly remotePort: number | undefined;
  /** Our address on this connection. */
  readonly localAddress: string | undefined;
  /** Our port on this connection. */
  readonly localPort: number | undefined;
  /**
   * Destroys the socket now (no FIN wait, unflushed writes are dropped). A read that has not
   * reached end of stream and a write that has not finished error with {@link SocketClosedError}.
   * Idempotent.
   */
  close(): void;
}

type ReadState = { readonly kind: 'open' } | { readonly kind: 'ended' } | { readonly kind: 'failed'; readonly error: unknown };
type WriteState =
  | { readonly kind: 'open' }
  | { readonly kind: 'ending' }
  | { readonly kind: 'finished' }
  | { readonly kind: 'failed'; readonly error: unknown };


/**
 * Wraps a connected (or connecting) `net.Socket` as a {@link SocketDuplex}.
 *
 * The socket must allow half-open connections (`allowHalfOpen: true` when it was created, as
 * `connect` and `listen` do); otherwise Node would end our write side as soon as the peer ends
 * its own, and `fromSocket` throws `TlsMisuseError`. `fromSocket` takes the socket over: do not
 * add `'data'` listeners, `pause`/`resume` it or write to it yourself.
 *
 * **Read.** The socket stays in paused mode; `socket.read()` is called only while the reader
 * holds credit, one call per credit. A chunk is what Node has buffered at that moment: normally
 * one kernel read, emitted as the Buffer Node allocated (no copy); when several reads piled up
 * while there was no credit, Node joins them into one Buffer (one copy, at most about
 * `readableHighWaterMark` plus one read). With no credit Node's buffer fills to
 * `readableHighWaterMark`, Node stops reading the socket (`readStop`) and the peer's TCP window
 * closes. The peer's FIN completes the read after all data was emitted (completion needs no
 * credit); a socket error errors it. Unsubscribing keeps buffered data for the next reader.
 *
 * **Write.** Chunks go to `socket.write()` at once; `writable$` is false while `writableLength`
 * is at or above the high mark and true again at the low mark (see {@link FromSocketOptions});
 * the `false` is emitted synchronously inside the `write` that crossed the mark.
 * Source completion calls `socket.end()` (FIN after the buffered bytes: a half-close, reading
 * goes on) and the write completes on `'finish'`, when Node has handed everything to the kernel.
 * Unsubscribing before that stops writing without closing.
 *
 * **Stats.** `readBuffered` is `socket.readableLength`, `writeBuffered` is `socket.writableLength`
 * (bytes in the kernel's buffers are not counted: Node cannot see them).
 *
 * **Lifetime.**
 * - The socket is destroyed once both directions are done: the read ended (FIN received and
 *   everything emitted) and the write finished. Whether anyone reads or writes does not matter
 *   otherwise: a Duplex nobody reads keeps its socket open (with the window closed) until
 *   `close()`.
 * - A socket error (ECONNRESET, EPIPE, ...) errors the pending read and write with it; Node has
 *   destroyed the socket.
 * - A write source error, or a write overflow: the write errors with it, the read errors with it
 *   too (the connection is being aborted), then the socket is ended so that the bytes already
 *   written (a final TLS alert) still leave, and destroyed on `'finish'` or after
 *   `abortLingerMs`.
 * - A socket destroyed without an error before a direction finished (`close()`, or someone
 *   else's `destroy()`) errors that direction with {@link SocketClosedError}.
 * - After any of these, `writable$` is false, new reads replay the read side's end (complete or
 *   error) and new writes error.
 *
 * @example
 * ```ts
 * const socket = net.connect({ host: 'example.com', port: 7, allowHalfOpen: true });
 * socket.once('connect', () => {
 *   const d = fromSocket(socket);
 *   d.read(of(Infinity)).subscribe((chunk) => console.log('echo', chunk));
 *   d.write(of(Buffer.from('hello'))).subscribe(); // then FIN
 * });
 * ```
 */
export function fromSocket(socket: Socket, options: FromSocketOptions = {}): SocketDuplex {
  if (!socket.allowHalfOpen) {
    throw new TlsMisuseError(
      'fromSocket: the socket must allow half-open connections; create it with allowHalfOpen: true ' +
        '(net.connect / net.createServer option) or set socket.allowHalfOpen = true before the peer ends',
    );
  }
  return new SocketAdapter(socket, options).duplex;
}

class SocketAdapter {
  readonly duplex: SocketDuplex;
  private readonly high: number;
  private readonly low: number;
  private readonly max: number;
  private readonly lingerMs: number;
  private readonly writable: ReadySignal;
  private readState: ReadState = { kind: 'open' };
  private writeState: WriteState = { kind: 'open' };
  private readonly readers = new ReaderSlot<Uint8Array>('fromSocket', () => this.pump());
  private writer: Subscriber<never> | null = null;
  private pumping = false;
  private lingerTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly socket: Socket, options: FromSocketOptions) {
    this.high = options.writeHighWaterMark ?? socket.writableHighWaterMark;
    this.low = options.writeLowWaterMark ?? Math.floor(this.high / 2);
    this.max = options.maxWriteBuffer ?? Math.max(8 * this.high, this.high + 65536);
    this.lingerMs = options.abortLingerMs ?? 2000;
    if (!(Number.isInteger(this.high) && this.high > 0)) throw new TlsMisuseError(`fromSocket: writeHighWaterMark must be a positive integer, got ${this.high}`);
    if (!(Number.isInteger(this.low) && this.low >= 0 && this.low < this.high)) {
      throw new TlsMisuseError(`fromSocket: writeLowWaterMark must be an integer in [0, writeHighWaterMark), got ${this.low}`);
    }
    if (!(Number.isInteger(this.max) && this.max >= this.high)) {
      throw new TlsMisuseError(`fromSocket: maxWriteBuffer must be an integer >= writeHighWaterMark, got ${this.max}`);
    }
    this.writable = new ReadySignal(!socket.destroyed && socket.writableLength < this.high);

    socket.on('readable', () => this.pump());
    socket.on('end', () => this.onEnd());
    socket.on('error', (err) => this.onError(err));
    socket.on('close', () => this.onClose());
    socket.on('drain', () => this.checkLowMark());
    if (socket.destroyed) this.onClose();
    else this.pump(); // starts Node reading (up to its high-water mark) and notices an early end

    const parts = {
      read: (demand: Observable<number>) => this.read(demand),
      writable$: this.writable.observable,
      write: (source: Observable<Uint8Array>) => this.write(source),
      stats: () => ({ readBuffered: socket.readableLength, writeBuffered: socket.writableLength }),
    };
    this.duplex = Object.assign(makeDuplex(parts), {
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
      localAddress: socket.localAddress,
      localPort: socket.localPort,
      close: () => this.close(),
    });
  }

  // --- read side ---------------------------------------------------------------------------

  private read(demand: Observable<number>): Observable<Uint8Array> {
    return this.readers.read(demand);
  }

  /** Emits buffered data while the reader has credit; settles the reader at end of stream. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const r = this.readers.current;
        const state = this.readState;
        if (state.kind !== 'open') {
          if (!r) return;
          this.readers.release();
          if (state.kind === 'ended') r.subscriber.complete();
          else r.subscriber.error(state.error);
          return;
        }
        if (!r || r.credits <= 0) {
          // Never consume without credit. With nothing buffered, read(0) is safe and lets Node
          // emit 'end' for a FIN that arrived while nobody asked (and reads ahead up to its mark).
          if (this.socket.readableLength === 0 && !this.socket.destroyed) this.socket.read(0);
          return;
        }
        const chunk = this.socket.read() as Buffer | null;
        if (chunk === null) return; // 'readable' or 'end' will call again
        r.credits -= 1;
        r.subscriber.next(chunk);
      }
    } finally {
      this.pumping = false;
    }
  }

  private onEnd(): void {
    if (this.readState.kind === 'open') this.readState = { kind: 'ended' };
    this.pump();
    this.destroyIfDone();
  }

  // --- write side --------------------------------------------------------------------------

  private write(source: Observable<Uint8Array>): Observable<never> {
    return new Observable<never>((subscriber) => {
      const state = this.writeState;
      if (state.kind === 'failed') {
        subscriber.error(state.error);
        return undefined;
      }
      if (state.kind !== 'open') {
        subscriber.error(new TlsMisuseError('fromSocket: write() after the write side was closed'));
        return undefined;
      }
      if (this.writer) {
        subscriber.error(new TlsMisuseError('fromSocket: write() while another write is subscribed; one writer at a time'));
        return undefined;
      }
      this.writer = subscriber;
      const inner = source.pipe(tap((chunk) => this.push(chunk))).subscribe({
        error: (e: unknown) => this.abort(e),
        complete: () => this.endWrite(),
      });
      return () => {
        inner.unsubscribe();
        if (this.writer === subscriber) this.writer = null;
      };
    });
  }

  /** Hands one chunk to Node; throws (ending the source) on overflow. */
  private push(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) {
      throw new TlsMisuseError(`fromSocket: write() expects Uint8Array chunks, got ${chunk === null ? 'null' : typeof chunk}`);
    }
    if (chunk.length === 0 || this.writeState.kind !== 'open') return;
    this.socket.write(chunk, () => this.checkLowMark());
    const buffered = this.socket.writableLength;
    if (buffered >= this.high) this.writable.set(false);
    if (buffered > this.max) throw new WriteBufferOverflowError('fromSocket', this.max, buffered);
  }

  private checkLowMark(): void {
    if (!this.writable.value && this.writeState.kind === 'open' && !this.socket.destroyed && this.socket.writableLength <= this.low) {
      this.writable.set(true);
    }
  }

  /** Source completed: FIN after the buffered bytes; the write completes on 'finish'. */
  private endWrite(): void {
    if (this.writeState.kind !== 'open') return;
    this.writeState = { kind: 'ending' };
    this.socket.end((err?: Error | null) => {
      if (err || this.writeState.kind !== 'ending') return; // 'error' / 'close' settle failures
      this.writeState = { kind: 'finished' };
      const w = this.writer;
      this.writer = null;
      w?.complete();
      this.destroyIfDone();
    });
  }

  /** The write source errored or overflowed: abort the connection, flushing what was written. */
  private abort(error: unknown): void {
    this.failBoth(error);
    if (this.socket.destroyed) return;
    this.writable.set(false);
    if (this.socket.writableFinished) {
      this.socket.destroy();
      return;
    }
    this.socket.once('finish', () => this.socket.destroy());
    if (!this.socket.writableEnded) this.socket.end();
    this.lingerTimer = setTimeout(() => this.socket.destroy(), this.lingerMs);
    this.lingerTimer.unref?.();
  }

  // --- lifetime ----------------------------------------------------------------------------

  private onError(error: Error): void {
    this.failBoth(error);
  }

  private onClose(): void {
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.writable.set(false);
    if (this.readState.kind === 'open') this.readState = { kind: 'failed', error: new SocketClosedError('fromSocket: socket closed before the end of stream') };
    if (this.writeState.kind === 'open' || this.writeState.kind === 'ending') {
      this.failWrite(new SocketClosedError('fromSocket: socket closed before the write finished'));
    }
    this.pump();
  }

  private close(): void {
    this.onClose(); // settle now, synchronously, rather than on Node's 'close' a tick later
    this.socket.destroy();
  }

  /** Both directions fail with `error` (the first failure wins). */
  private failBoth(error: unknown): void {
    if (this.readState.kind === 'open') this.readState = { kind: 'failed', error };
    this.failWrite(error);
    this.pump();
  }

  private failWrite(error: unknown): void {
    if (this.writeState.kind === 'finished' || this.writeState.kind === 'failed') return;
    this.writeState = { kind: 'failed', error };
    this.writable.set(false);
    const w = this.writer;
    this.writer = null;
    w?.error(error);
  }

  private destroyIfDone(): void {
    if (this.readState.kind !== 'open' && this.writeState.kind === 'finished' && !this.socket.destroyed) this.socket.destroy();
  }
}
