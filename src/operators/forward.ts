/**
 * Pumps what one Duplex reads into another's write side, under backpressure.
 */
import { merge, Observable, Subject } from 'rxjs';
import type { Duplex } from '../sources/duplex.js';
import { TlsMisuseError } from '../tls/errors.js';

/** Options of {@link forward}. */
export interface ForwardOptions {
  /** Chunks asked of `from` at once while `to` is writable (default 1). */
  readonly batch?: number;
}

/**
 * Writes everything `from` reads into `to`, reading only while `to` is writable.
 *
 * ```
 * to.writable$:  t-----f----t------
 * credit to from: 1-1-1------1-1-1--
 * from.read:     -a-b-c|
 * to.write:      -a-b-c----------|     (c was asked before writable$ fell: at most `batch` over)
 * ```
 *
 * Holds at most `batch` chunks asked of `from` and not yet received, and asks for more only
 * while `to.writable$` is true, so a slow `to` stops the reads on `from` (whose own queue
 * then fills to its high-water mark and stops reading below). Each chunk is handed to `to`
 * as it arrives; nothing is buffered here. When `from`'s read side completes, `to`'s write
 * side half-closes and the result completes once `to.write` completes (the bytes are
 * flushed). An error on either side errors the result; unsubscribing stops both the read
 * and the write (without closing `to`).
 *
 * @example
 * ```ts
 * // A TCP proxy for one direction: client → upstream.
 * forward(clientSide, upstreamSide).subscribe({ error: (e) => console.error(e) });
 * ```
 */
export function forward<T>(
  from: Pick<Duplex<T, unknown>, 'read'>,
  to: Pick<Duplex<unknown, T>, 'write' | 'writable$'>,
  options: ForwardOptions = {},
): Observable<never> {
  const { batch = 1 } = options;
  if (!Number.isSafeInteger(batch) || batch < 1) {
    throw new TlsMisuseError(`forward: batch must be a positive integer, got ${String(batch)}`);
  }
  return new Observable<never>((subscriber) => {
    const credit = new Subject<number>();
    let writable = false;
    let asked = 0;
    let pumping = false;
    let again = false;
    const pump = (): void => {
      if (pumping) { again = true; return; }
      pumping = true;
      try {
        do {
          again = false;
          if (writable && asked < batch && !subscriber.closed) {
            const n = batch - asked;
            asked = batch;
            credit.next(n); // may deliver synchronously: handled on the next pass
          }
        } while (again);
      } finally {
        pumping = false;
      }
    };
    const chunks = new Observable<T>((sink) => from.read(credit).subscribe({
      next: (chunk) => {
        asked = Math.max(0, asked - 1);
        sink.next(chunk); // `to` may turn unwritable here, before the next credit
        pump();
      },
      error: (e) => { sink.error(e); subscriber.error(e); },
      complete: () => sink.complete(),
    }));
    subscriber.add(to.write(chunks).subscribe({ error: (e) => subscriber.error(e), complete: () => subscriber.complete() }));
    subscriber.add(to.writable$.subscribe({
      next: (w) => { writable = w; pump(); },
      error: (e) => subscriber.error(e),
    }));
  });
}

/**
 * Proxies both directions between `a` and `b`: `forward(a, b)` and `forward(b, a)` at once.
 * Completes when both directions have completed (each half-closes its target on its own);
 * an error in either direction errors the result and stops both.
 *
 * ```
 * a.read:  -x---|         b.read:  --y-----|
 * b.write: -x---|         a.write: --y-----|
 * result:  --------|
 * ```
 *
 * @example
 * ```ts
 * pipeBoth(clientSocket, upstreamSocket).subscribe({ complete: () => console.log('proxy done') });
 * ```
 */
export function pipeBoth<A, B>(a: Duplex<A, B>, b: Duplex<B, A>, options?: ForwardOptions): Observable<never> {
  return merge(forward(a, b, options), forward(b, a, options));
}
