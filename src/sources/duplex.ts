/**
 * The transport type of rxtls: one interface for ciphertext and plaintext alike. The read side
 * is demand-driven (credits, as Reactive Streams' `request(n)`); the write side signals
 * readiness through `writable$` with high/low water marks. The two never gate each other.
 */
import type { Observable } from 'rxjs';

/** Bytes held in one layer of a Duplex, for monitoring and for asserting memory bounds. */
export interface DuplexStats {
  /** Bytes received from below and not yet emitted to the reader. */
  readonly readBuffered: number;
  /** Bytes accepted from the writer and not yet handed to the layer below (or the kernel). */
  readonly writeBuffered: number;
}

/**
 * A bidirectional stream with independent read and write backpressure.
 *
 * - `read(demand)`: subscribe to read. `demand` emits credits: each credit lets one chunk
 *   through, so the observable emits at most the sum of credits received (`of(Infinity)` means
 *   flowing). With no credit, data queues up to the read high-water mark, then the layer stops
 *   pulling from below (for a socket: the kernel window closes). Completes at end of stream;
 *   errors on failure. One reader at a time: a second concurrent subscription errors with
 *   TlsMisuseError; a new one after the previous unsubscribed continues where it stopped.
 * - `writable$`: the current write readiness on subscription, then each change. It turns false
 *   when buffered writes reach the high mark and true again only at the low mark (hysteresis).
 * - `write(source)`: subscribing starts writing `source`'s chunks. Writers that ignore
 *   `writable$` are still buffered, up to a hard limit past which the write errors clearly.
 *   When `source` completes, the write side half-closes (FIN for a socket, close_notify for
 *   TLS) once the buffer is flushed, and the returned observable completes. Unsubscribing
 *   before `source` completes stops writing without closing. One writer at a time.
 * - `stats()`: bytes buffered in this layer right now.
 */
export interface Duplex<R = Uint8Array, W = Uint8Array> {
  read(demand: Observable<number>): Observable<R>;
  readonly writable$: Observable<boolean>;
  write(source: Observable<W>): Observable<never>;
  stats(): DuplexStats;
  pipe(): Duplex<R, W>;
  pipe<D1 extends AnyDuplex>(op1: (source: Duplex<R, W>) => D1): D1;
  pipe<D1 extends AnyDuplex, D2 extends AnyDuplex>(op1: (source: Duplex<R, W>) => D1, op2: (source: D1) => D2): D2;
  pipe<D1 extends AnyDuplex, D2 extends AnyDuplex, D3 extends AnyDuplex>(
    op1: (source: Duplex<R, W>) => D1, op2: (source: D1) => D2, op3: (source: D2) => D3,
  ): D3;
  pipe<D1 extends AnyDuplex, D2 extends AnyDuplex, D3 extends AnyDuplex, D4 extends AnyDuplex>(
    op1: (source: Duplex<R, W>) => D1, op2: (source: D1) => D2, op3: (source: D2) => D3, op4: (source: D3) => D4,
  ): D4;
  pipe(...ops: DuplexOperator<any, any, any, any>[]): Duplex<any, any>;
}

/** Any Duplex, whatever it carries (for typing `pipe`, which keeps each operator's own result type). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDuplex = Duplex<any, any>;

/** Maps one Duplex to another, as `Observable.pipe` operators map observables. */
export type DuplexOperator<RIn, WIn, ROut, WOut> = (source: Duplex<RIn, WIn>) => Duplex<ROut, WOut>;

/** The parts a Duplex implementation provides; {@link makeDuplex} adds `pipe`. */
export interface DuplexParts<R, W> {
  read(demand: Observable<number>): Observable<R>;
  readonly writable$: Observable<boolean>;
  write(source: Observable<W>): Observable<never>;
  stats(): DuplexStats;
}

/** Builds a Duplex from its parts, adding `pipe`. */
export function makeDuplex<R, W>(parts: DuplexParts<R, W>): Duplex<R, W> {
  const d: Duplex<R, W> = {
    read: (demand) => parts.read(demand),
    writable$: parts.writable$,
    write: (source) => parts.write(source),
    stats: () => parts.stats(),
    pipe: ((...ops: DuplexOperator<any, any, any, any>[]) => ops.reduce((acc: Duplex<any, any>, op) => op(acc), d)) as Duplex<R, W>['pipe'],
  };
  return d;
}
