/**
 * `duplexPair`: two connected in-memory Duplex ends, fully synchronous, for tests and for
 * wiring layers together without a network.
 */
import { Observable, defer, finalize, ignoreElements, tap, throwError } from 'rxjs';
import { TlsMisuseError } from '../tls/errors.js';
import { ReaderSlot } from './credit.js';
import { makeDuplex } from './duplex.js';
import type { Duplex } from './duplex.js';
import { WriteBufferOverflowError } from './errors.js';
import { ReadySignal } from './ready-signal.js';

/**
 * Options of {@link duplexPair}; the same for both directions.
 *
 * @example
 * ```ts
 * const [a, b] = duplexPair({ highWaterMark: 4, lowWaterMark: 2, maxBuffer: 16, maxChunk: 1 });
 * ```
 */
export interface DuplexPairOptions {
  /**
   * Bytes queued between the ends (written, not yet taken by the other end's reader) at or above
   * which the writer's `writable$` turns false. Default 64 KiB.
   */
  highWaterMark?: number;
  /** `writable$` turns true again once the queue is at or below this. Default `highWaterMark / 2`. */
  lowWaterMark?: number;
  /**
   * Hard limit on queued bytes: if, once a chunk is queued and the reader has taken what its
   * credit allows, more than this stays queued, the write errors with
   * {@link WriteBufferOverflowError} (the chunk itself is still delivered, before the error).
   * Default `8 * highWaterMark`, and at least `highWaterMark` + 64 KiB so that a TLS record and
   * its control records always fit above a small high mark.
   */
  maxBuffer?: number;
  /** Split every written chunk into views of at most this many bytes (1 for byte-at-a-time tests). Default: no split. */
  maxChunk?: number;
}

interface PairOptions {
  readonly high: number;
  readonly low: number;
  readonly max: number;
  readonly maxChunk: number;
}


/**
 * Creates two connected in-memory ends: what one writes, the other reads.
 *
 * Everything is synchronous (no timers, promises or microtasks): a write reaches a reader with
 * credit before `next` returns, so a pair runs inside `TestScheduler.run` and time advances only
 * through the observables the test supplies.
 *
 * - **Read**: each credit releases one chunk. Chunks are the written `Uint8Array`s themselves (or
 *   `subarray` views of them when `maxChunk` splits), never copies, so a writer must not reuse a
 *   buffer it has written. Empty chunks are dropped. Credits must be non-negative integers or
 *   `Infinity`; anything else errors the read with `TlsMisuseError`. Credits belong to one
 *   subscription: unsubscribing drops them but keeps the queued data for the next reader, which
 *   continues exactly where the previous one stopped. One reader at a time (`TlsMisuseError`).
 * - **Write backpressure**: the queued bytes count in the writer's `stats().writeBuffered` (and
 *   in the reader's `readBuffered`) until the reader takes them. `writable$` is false from the
 *   moment they reach `highWaterMark` until they drop to `lowWaterMark`. Nobody reading means
 *   nobody takes them, so backpressure holds with no reader at all. A writer that ignores
 *   `writable$` and leaves more than `maxBuffer` bytes queued gets {@link WriteBufferOverflowError}
 *   (a chunk the reader takes at once never counts, however large). `writable$` changes are
 *   emitted synchronously even from inside a callback: a writer that writes in reaction to `true`
 *   sees `false` before its `next` returns (see `ReadySignal`).
 * - **Half-close**: when a write's source completes, the returned observable completes at once
 *   (the data is handed over, as a socket write finishes once the kernel has it) and the other
 *   end's read completes after it has delivered everything queued before. Completion needs no
 *   credit. Reads after that complete immediately; writes after that error with `TlsMisuseError`.
 * - **Errors**: if a write's source errors (or overflows), the write errors and the other end's
 *   read errors with the same error, in order: after the chunks queued before it, like a
 *   completion. So a final message written just before an error (a TLS alert) still arrives.
 * - Unsubscribing a write before its source completes stops writing without closing; a new
 *   `write` continues the stream. One writer at a time (`TlsMisuseError`).
 *
 * @example
 * ```ts
 * const [client, server] = duplexPair({ highWaterMark: 1024 });
 * server.read(of(Infinity)).subscribe((chunk) => console.log('server got', chunk));
 * client.write(of(new Uint8Array([1, 2, 3]))).subscribe();   // logs at once, synchronously
 * ```
 *
 * @example A marble test
 * Demand `--a--b|` with `{ a: 1, b: 2 }` releases one chunk at frame 2 and two more at frame 5:
 * ```ts
 * testScheduler.run(({ cold, expectObservable }) => {
 *   const [a, b] = duplexPair();
 *   a.write(cold('(xyz)', { x, y, z })).subscribe();
 *   expectObservable(b.read(cold('--a--b|', { a: 1, b: 2 }))).toBe('--x--(yz)', { x, y, z });
 * });
 * ```
 */
export function duplexPair(options: DuplexPairOptions = {}): [Duplex<Uint8Array, Uint8Array>, Duplex<Uint8Array, Uint8Array>] {
  const o = resolveOptions(options);
  const aToB = new Channel(o, 'duplexPair end A');
  const bToA = new Channel(o, 'duplexPair end B');
  return [pairEnd(bToA, aToB), pairEnd(aToB, bToA)];
}

function pairEnd(inbound: Channel, outbound: Channel): Duplex<Uint8Array, Uint8Array> {
  return makeDuplex<Uint8Array, Uint8Array>({
    read: (demand) => inbound.read(demand),
    writable$: outbound.writable$,
    write: (source) => outbound.write(source),
    stats: () => ({ readBuffered: inbound.buffered, writeBuffered: outbound.buffered }),
  });
}

function resolveOptions(options: DuplexPairOptions): PairOptions {
  const high = options.highWaterMark ?? 64 * 1024;
  const low = options.lowWaterMark ?? Math.floor(high / 2);
  const max = options.maxBuffer ?? Math.max(8 * high, high + 65536);
  const maxChunk = options.maxChunk ?? Infinity;
  if (!(Number.isInteger(high) && high > 0)) throw new TlsMisuseError(`duplexPair: highWaterMark must be a positive integer, got ${high}`);
  if (!(Number.isInteger(low) && low >= 0 && low < high)) {
    throw new TlsMisuseError(`duplexPair: lowWaterMark must be an integer in [0, highWaterMark), got ${low}`);
  }
  if (!(Number.isInteger(max) && max >= high)) throw new TlsMisuseError(`duplexPair: maxBuffer must be an integer >= highWaterMark, got ${max}`);
  if (!((Number.isInteger(maxChunk) && maxChunk > 0) || maxChunk === Infinity)) {
    throw new TlsMisuseError(`duplexPair: maxChunk must be a positive integer, got ${maxChunk}`);
  }
  return { high, low, max, maxChunk };
}

/** One direction of a pair: a chunk queue with one writer slot and one reader slot. */
class Channel {
  /** Bytes queued and not yet taken by a reader. */
  buffered = 0;
  readonly writable$: Observable<boolean>;
  private readonly queue: Uint8Array[] = [];
  private head = 0;
  private ended = false;
  private failure: { readonly error: unknown } | null = null;
  private readonly readers: ReaderSlot<Uint8Array>;
  private writer = false;
  private draining = false;
  private readonly writable = new ReadySignal(true);

  constructor(private readonly o: PairOptions, private readonly name: string) {
    this.writable$ = this.writable.observable;
    this.readers = new ReaderSlot<Uint8Array>(name, () => this.drain());
  }

  read(demand: Observable<number>): Observable<Uint8Array> {
    return this.readers.read(demand);
  }

  write(source: Observable<Uint8Array>): Observable<never> {
    return defer(() => {
      if (this.ended || this.failure) {
        return throwError(() => new TlsMisuseError(`${this.name}: write() after the write side was closed`));
      }
      if (this.writer) {
        return throwError(() => new TlsMisuseError(`${this.name}: write() while another write is subscribed; one writer at a time`));
      }
      this.writer = true;
      let active = true;
      return source.pipe(
        tap((chunk) => this.push(chunk)), // throws on overflow: tap unsubscribes the source
        ignoreElements(),
        tap({
          error: (e: unknown) => {
            active = false;
            this.writer = false;
            this.fail(e);
          },
          complete: () => {
            active = false;
            this.writer = false;
            this.end();
          },
        }),
        finalize(() => {
          if (active) this.writer = false;
        }),
      );
    });
  }

  private push(chunk: Uint8Array): void {
    if (!(chunk instanceof Uint8Array)) {
      throw new TlsMisuseError(`${this.name}: write() expects Uint8Array chunks, got ${chunk === null ? 'null' : typeof chunk}`);
    }
    const n = chunk.length;
    if (n === 0) return;
    const step = this.o.maxChunk;
    if (n <= step) this.queue.push(chunk);
    else for (let off = 0; off < n; off += step) this.queue.push(chunk.subarray(off, Math.min(n, off + step)));
    this.buffered += n;
    this.drain(); // a reader with credit takes it before backpressure is judged: no false blip
    this.updateWritable();
    if (this.buffered > this.o.max) throw new WriteBufferOverflowError(this.name, this.o.max, this.buffered);
  }

  private end(): void {
    this.ended = true;
    this.drain();
  }

  private fail(error: unknown): void {
    this.failure = { error };
    this.drain();
  }

  /**
   * Delivers queued chunks while the reader has credit, then end of stream. Re-entrant calls
   * (from inside a reader's or writer's callback) return at once: every state change they make
   * is seen by this loop's next check.
   */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        const r = this.readers.current;
        if (!r) return;
        if (this.head < this.queue.length) {
          if (r.credits <= 0) return;
          r.credits -= 1;
          const chunk = this.take();
          this.updateWritable();
          r.subscriber.next(chunk);
          continue;
        }
        if (this.failure) {
          this.readers.release();
          r.subscriber.error(this.failure.error);
        } else if (this.ended) {
          this.readers.release();
          r.subscriber.complete();
        }
        return;
      }
    } finally {
      this.draining = false;
    }
  }

  private take(): Uint8Array {
    const chunk = this.queue[this.head]!;
    this.queue[this.head] = undefined as unknown as Uint8Array;
    this.head += 1;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    this.buffered -= chunk.length;
    return chunk;
  }

  /** Applies the hysteresis: false at or above the high mark, true again at or below the low mark. */
  private updateWritable(): void {
    if (this.writable.value && this.buffered >= this.o.high) this.writable.set(false);
    else if (!this.writable.value && this.buffered <= this.o.low) this.writable.set(true);
  }
}
