/**
 * Lifts two ordinary RxJS operators, one per direction, into a Duplex layer.
 */
import { Observable, Subject, type OperatorFunction } from 'rxjs';
import { makeDuplex, type Duplex, type DuplexOperator } from '../sources/duplex.js';
import { checkedCredits } from '../sources/credit.js';
import { TlsMisuseError } from '../tls/errors.js';

/**
 * Makes a Duplex layer from an RxJS operator for the read side (`decode`, applied to what
 * comes from below) and one for the write side (`encode`, applied to what the writer writes).
 *
 * ```
 * written below:   a-b-c-------|
 * read(demand):     --1----2-----
 * asks below:       --1----2-----      (credits − queued − in flight)
 * decode = map(f):  --A----(BC)-|
 * ```
 *
 * Demand. The layer holds a queue of decoded items and keeps
 * `asked = credits − queued − inFlight` chunks requested from below, where `credits` is the
 * reader's unmet credit and `inFlight` the chunks asked for and not yet received (`Infinity`
 * credit is passed down as `Infinity`, i.e. flowing). So:
 * - a 1:1 decoder (`map`) pulls exactly one chunk per credit and never queues anything;
 * - a decoder that drops or groups items (`filter`, `bufferCount`) makes the layer pull one
 *   more chunk for each that produced nothing, and never has more chunks in flight than
 *   unmet credits;
 * - a decoder that emits up to `k` items per chunk (`mergeMap` over an array) queues the
 *   surplus and pulls nothing while the queue covers the credit: at most `(k − 1)` items per
 *   credit are queued.
 * A chunk counts as answered once its delivery to `decode` returns. Decoders are expected to
 * react synchronously, as every rxtls operator does; with an asynchronous one (`delay`) a
 * chunk looks dropped, so the layer keeps pulling while credit is unmet and the bound above
 * does not hold.
 *
 * End of stream and errors from below or from `decode` reach the reader after the queued
 * items. Items queued when a reader unsubscribes are kept for the next reader; `decode` is
 * subscribed afresh per reader, so stateful decoders (`scan`) restart. The write side is
 * `below.write(encode(source))`: `writable$`, write errors and half-close pass through.
 *
 * @example
 * ```ts
 * const json = framed.pipe(bidi(
 *   map((bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes))),
 *   map((value: unknown) => new TextEncoder().encode(JSON.stringify(value))),
 * ));
 * json.read(of(10)).subscribe((value) => console.log(value)); // at most 10 values
 * ```
 */
export function bidi<RIn, WIn, ROut, WOut>(
  decode: OperatorFunction<RIn, ROut>,
  encode: OperatorFunction<WOut, WIn>,
): DuplexOperator<RIn, WIn, ROut, WOut> {
  return (below) => {
    const held = new Held<ROut>();
    return makeDuplex({
      read: (demand) => readDecoded(below, decode, held, demand),
      writable$: below.writable$,
      write: (source) => below.write(encode(source)),
      stats: () => ({ readBuffered: held.size(), writeBuffered: 0 }),
    });
  };
}

/** Items decoded and not yet delivered; outlives readers. */
class Held<T> {
  items: T[] = [];
  reading = false;
  /** Bytes for byte views, length for strings, 1 for any other item. */
  size(): number {
    let n = 0;
    for (const v of this.items) n += ArrayBuffer.isView(v) ? v.byteLength : typeof v === 'string' ? v.length : 1;
    return n;
  }
}

function readDecoded<RIn, ROut>(
  below: Duplex<RIn, unknown>, decode: OperatorFunction<RIn, ROut>, held: Held<ROut>, demand: Observable<number>,
): Observable<ROut> {
  return new Observable<ROut>((subscriber) => {
    if (held.reading) return subscriber.error(new TlsMisuseError('bidi: read() already has a reader'));
    held.reading = true;
    const pull = new Subject<number>();
    let credits = 0;
    let inFlight = 0;
    let end: { failed: boolean; error?: unknown } | null = null;
    let draining = false;
    let again = false;
    const drain = (): void => {
      if (draining) { again = true; return; }
      draining = true;
      try {
        do {
          again = false;
          while (credits > 0 && held.items.length > 0 && !subscriber.closed) {
            credits--;
            subscriber.next(held.items.shift()!);
          }
          if (subscriber.closed) return;
          if (held.items.length === 0 && end) {
            if (end.failed) subscriber.error(end.error);
            else subscriber.complete();
            return;
          }
          if (end) continue;
          const want = credits === Infinity ? Infinity : credits - held.items.length - inFlight;
          if (want > 0 && inFlight !== Infinity) {
            inFlight += want;
            pull.next(want); // may deliver synchronously: handled on the next pass
          }
        } while (again);
      } finally {
        draining = false;
      }
    };
    const chunks = new Observable<RIn>((sink) => below.read(pull).subscribe({
      next: (chunk) => {
        inFlight = Math.max(0, inFlight - 1);
        sink.next(chunk);
        drain(); // a chunk that produced nothing is replaced
      },
      error: (e) => sink.error(e),
      complete: () => sink.complete(),
    }));
    const up = decode(chunks).subscribe({
      next: (item) => {
        if (credits > 0 && held.items.length === 0 && !subscriber.closed) {
          credits--;
          subscriber.next(item);
        } else {
          held.items.push(item);
        }
      },
      error: (e) => { end = { failed: true, error: e }; drain(); },
      complete: () => { end = { failed: false }; drain(); },
    });
    const down = checkedCredits(demand, 'bidi').subscribe({
      next: (n) => {
        credits += n;
        drain();
      },
      error: (e) => subscriber.error(e),
    });
    return () => {
      held.reading = false;
      up.unsubscribe();
      down.unsubscribe();
    };
  });
}
