/**
 * Runs a handler for each message a Duplex reads, with bounded concurrency and backpressure.
 */
import { defer, finalize, from, merge, mergeMap, of, Subject, type Observable, type ObservableInput } from 'rxjs';
import type { Duplex } from '../sources/duplex.js';
import { TlsMisuseError } from '../tls/errors.js';

/** Options of {@link consume}. */
export interface ConsumeOptions {
  /** Most handlers running at once: a positive integer, or `Infinity` to read flowing. */
  readonly concurrency: number;
}

/**
 * Reads `duplex` and runs `handler` on each message, at most `concurrency` at a time; emits
 * what the handlers emit.
 *
 * ```
 * concurrency 2; handler: m => cold('-----(M|)'), i.e. m upper-cased five frames later
 * messages below:   (abcde|)
 * credit to duplex: 2----(11)-1        (2 at subscription, then 1 each time a handler ends)
 * results:          -----(AB)-(CD)-(E|)
 * ```
 *
 * Demand equals free handler slots: `concurrency` credits on subscription, then one credit
 * each time a handler completes, and none otherwise. So the duplex never emits a message
 * without a free slot, a slow handler stops the reads, and the backpressure reaches the
 * transport below. Completes when the read side has completed and every handler has
 * finished; an error from the read side or from a handler errors the result and cancels the
 * rest (read and running handlers), like `mergeMap`.
 *
 * @example
 * ```ts
 * consume(framed, (msg) => saveToDisk(msg), { concurrency: 4 }).subscribe({
 *   error: (e) => console.error('connection failed', e),
 * });
 * ```
 */
export function consume<R, T>(
  duplex: Pick<Duplex<R, unknown>, 'read'>,
  handler: (message: R, index: number) => ObservableInput<T>,
  options: ConsumeOptions,
): Observable<T> {
  const { concurrency } = options;
  if (!(concurrency === Infinity || (Number.isSafeInteger(concurrency) && concurrency >= 1))) {
    throw new TlsMisuseError(`consume: concurrency must be a positive integer or Infinity, got ${String(concurrency)}`);
  }
  return defer(() => {
    const freed = new Subject<number>();
    // `freed` is subscribed before the initial credit, so slots freed synchronously count.
    return duplex.read(merge(freed, of(concurrency))).pipe(
      mergeMap((message, i) => from(handler(message, i)).pipe(finalize(() => freed.next(1))), concurrency),
    );
  });
}
