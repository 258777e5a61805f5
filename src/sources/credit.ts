/** Read credits: validation, and the single-reader slot the sources share (not part of the public API). */
import { Observable, type Subscriber } from 'rxjs';
import { TlsMisuseError } from '../tls/errors.js';

/**
 * True for a valid read credit: a non-negative integer, or `Infinity` for "flowing".
 *
 * @example
 * ```ts
 * isValidCredit(3);        // true
 * isValidCredit(Infinity); // true
 * isValidCredit(-1);       // false
 * ```
 */
export function isValidCredit(n: unknown): n is number {
  return typeof n === 'number' && (n === Infinity || (Number.isInteger(n) && n >= 0));
}

/** The error for a credit that is not a non-negative integer or Infinity. */
export function invalidCredit(name: string, n: unknown): TlsMisuseError {
  return new TlsMisuseError(`${name}: read credit must be a non-negative integer or Infinity, got ${String(n)}`);
}

/**
 * `demand` with every credit checked: the first invalid one errors the result with
 * {@link invalidCredit} instead of being passed on.
 */
export function checkedCredits(demand: Observable<number>, name: string): Observable<number> {
  return new Observable<number>((subscriber) =>
    demand.subscribe({
      next: (n) => (isValidCredit(n) ? subscriber.next(n) : subscriber.error(invalidCredit(name, n))),
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    }),
  );
}

/** A subscribed reader and the credit it has given and not yet used. */
export interface CreditReader<T> {
  readonly subscriber: Subscriber<T>;
  credits: number;
}

/**
 * The read side of a single-reader source: refuses a second concurrent reader, checks and
 * adds up credits, and calls `pump` whenever credit arrives (and once on subscription, since
 * end of stream needs no credit). The source's `pump` takes the reader from {@link current}
 * and hands it chunks while `credits > 0`.
 */
export class ReaderSlot<T> {
  private reader: CreditReader<T> | null = null;

  /** @param name prefixes error messages, e.g. `'fromSocket'`. */
  constructor(private readonly name: string, private readonly pump: () => void) {}

  /**
   * The live reader, or null. A reader that unsubscribed from inside a callback, before its
   * teardown ran (take(n) on a synchronous demand), is dropped here so nothing goes to it.
   */
  get current(): CreditReader<T> | null {
    if (this.reader?.subscriber.closed) this.reader = null;
    return this.reader;
  }

  /** Detaches the current reader (to complete or error it) and returns it. */
  release(): CreditReader<T> | null {
    const r = this.reader;
    this.reader = null;
    return r;
  }

  /** The `read(demand)` of the Duplex contract. */
  read(demand: Observable<number>): Observable<T> {
    return new Observable<T>((subscriber) => {
      if (this.reader) {
        subscriber.error(new TlsMisuseError(`${this.name}: read() while another reader is subscribed; one reader at a time`));
        return undefined;
      }
      const reader: CreditReader<T> = { subscriber, credits: 0 };
      this.reader = reader;
      const detach = () => {
        if (this.reader === reader) this.reader = null;
      };
      const demandSubscription = checkedCredits(demand, this.name).subscribe({
        next: (n) => {
          if (this.reader !== reader) return;
          reader.credits += n;
          this.pump();
        },
        error: (e: unknown) => {
          detach();
          subscriber.error(e);
        },
      });
      this.pump(); // end of stream needs no credit
      return () => {
        demandSubscription.unsubscribe();
        detach();
      };
    });
  }
}
