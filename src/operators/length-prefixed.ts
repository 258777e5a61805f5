/**
 * Length-prefixed message framing over a byte Duplex: each message travels as a big-endian
 * length field followed by that many bytes.
 */
import { mergeMap, Observable, of, Subject, throwError } from 'rxjs';
import { makeDuplex, type Duplex, type DuplexOperator } from '../sources/duplex.js';
import { checkedCredits } from '../sources/credit.js';
import { TlsMisuseError } from '../tls/errors.js';

/** Options of {@link lengthPrefixed}. */
export interface LengthPrefixedOptions {
  /** The largest message, in bytes, accepted in either direction. */
  readonly maxFrame: number;
  /** Size of the big-endian length field in bytes: 1, 2 or 4 (default 4). */
  readonly lengthBytes?: 1 | 2 | 4;
}

/**
 * A frame is larger than allowed: on read, the peer declared `length` above `limit` (raised
 * as soon as the length field is read, before anything is allocated); on write, the message
 * is longer than `maxFrame` or than the length field can express.
 */
export class FrameTooLargeError extends Error {
  /** The offending length in bytes. */
  readonly length: number;
  /** The largest length accepted, in bytes. */
  readonly limit: number;
  constructor(length: number, limit: number, direction: 'read' | 'write') {
    super(direction === 'read'
      ? `lengthPrefixed: incoming frame declares ${length} bytes, above the limit of ${limit}`
      : `lengthPrefixed: message of ${length} bytes is above the limit of ${limit}`);
    this.name = 'FrameTooLargeError';
    this.length = length;
    this.limit = limit;
  }
}

/** The stream ended inside a frame: `received` of `expected` bytes of its length field or payload arrived. */
export class FrameTruncatedError extends Error {
  /** Bytes of the unfinished part (length field or payload) that arrived. */
  readonly received: number;
  /** Bytes that part needed. */
  readonly expected: number;
  constructor(part: 'length field' | 'payload', received: number, expected: number) {
    super(`lengthPrefixed: stream ended inside a frame: got ${received} of ${expected} ${part} bytes`);
    this.name = 'FrameTruncatedError';
    this.received = received;
    this.expected = expected;
  }
}

const EMPTY_BYTES: Uint8Array = new Uint8Array(0);

/**
 * Splits a byte stream into messages, each prefixed with its length; the write side adds
 * the prefix.
 *
 * ```
 * chunks from below:  -a-b-c|     a = [0 0 0 2 'h']   b = ['i' 0 0]   c = [0 1 'x']
 * read(demand):       2------     (two credits: two messages)
 * messages:           ---H-X|     H = "hi" (copied: it spans a and b), X = "x" (a view of c)
 * ```
 *
 * Read side. One credit is one whole message. While the reader has unmet credit and no whole
 * message is held, the layer asks below for one chunk at a time (never more), so it holds at
 * most one partial frame plus the current chunk. A message that lies inside one incoming
 * chunk is emitted as a view of that chunk (no copy); only a payload split across chunks is
 * copied, into a buffer of exactly its declared size. A declared length above `maxFrame`
 * errors with {@link FrameTooLargeError} as soon as the length field is read, before any
 * allocation; an end of stream inside a frame errors with {@link FrameTruncatedError}. Whole
 * messages already received are delivered before either end signal (completion or error).
 * Credits must be non-negative integers or `Infinity` (else TlsMisuseError). A framing
 * error is final: later readers get the same error. A reader that unsubscribes leaves the
 * held bytes for the next reader, which continues where it stopped.
 *
 * Write side. Each message is written as two chunks, the length field and then the message
 * itself (not copied; an empty message is the length field alone). A message longer than
 * the limit errors the write with {@link FrameTooLargeError}. `writable$` and half-close pass
 * through unchanged.
 *
 * @example
 * ```ts
 * const framed = socket.pipe(lengthPrefixed({ maxFrame: 1 << 20 }));
 * framed.read(of(Infinity)).subscribe((msg) => console.log('message of', msg.length, 'bytes'));
 * framed.write(of(new TextEncoder().encode('hello'))).subscribe();
 * ```
 */
export function lengthPrefixed(
  options: LengthPrefixedOptions,
): DuplexOperator<Uint8Array, Uint8Array, Uint8Array, Uint8Array> {
  const { maxFrame, lengthBytes = 4 } = options;
  if (lengthBytes !== 1 && lengthBytes !== 2 && lengthBytes !== 4) {
    throw new TlsMisuseError(`lengthPrefixed: lengthBytes must be 1, 2 or 4, got ${String(lengthBytes)}`);
  }
  if (!Number.isSafeInteger(maxFrame) || maxFrame < 0) {
    throw new TlsMisuseError(`lengthPrefixed: maxFrame must be a non-negative integer, got ${String(maxFrame)}`);
  }
  const limit = Math.min(maxFrame, 2 ** (8 * lengthBytes) - 1);
  return (below) => {
    const decoder = new FrameDecoder(lengthBytes, limit);
    return makeDuplex({
      read: (demand) => readMessages(below, decoder, demand),
      writable$: below.writable$,
      write: (messages) => below.write(messages.pipe(mergeMap((m) => m.length > limit
        ? throwError(() => new FrameTooLargeError(m.length, limit, 'write'))
        : m.length === 0 ? of(lengthField(0, lengthBytes)) : of(lengthField(m.length, lengthBytes), m)))),
      stats: () => ({ readBuffered: decoder.buffered(), writeBuffered: 0 }),
    });
  };
}

function lengthField(n: number, size: 1 | 2 | 4): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = size - 1, v = n; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v & 0xff;
  return out;
}

/** The frame decoder of one layer; it outlives readers, so a new reader continues where the last stopped. */
class FrameDecoder {
  /** A whole message waiting for credit. */
  ready: Uint8Array | null = null;
  /** Set once a framing error happened; every later read fails with it. */
  failed: Error | null = null;
  /** One reader at a time. */
  reading = false;
  private readonly queue: Uint8Array[] = []; // chunks below handed over unasked (normally empty)
  private cur: Uint8Array = EMPTY_BYTES; // the unread rest of the current chunk
  private readonly header: Uint8Array;
  private headerFilled = 0;
  private frame: Uint8Array | null = null; // a payload split across chunks, being assembled
  private frameFilled = 0;

  constructor(private readonly lengthBytes: number, private readonly limit: number) {
    this.header = new Uint8Array(lengthBytes);
  }

  push(chunk: Uint8Array): void {
    if (this.cur.length === 0) this.cur = chunk;
    else this.queue.push(chunk);
  }

  /** Parses from the held bytes until a whole message is `ready` or the bytes run out. */
  advance(): void {
    while (this.ready === null) {
      if (this.cur.length === 0) {
        const next = this.queue.shift();
        if (next === undefined) return;
        this.cur = next;
        continue;
      }
      if (this.frame !== null) {
        const n = Math.min(this.frame.length - this.frameFilled, this.cur.length);
        this.frame.set(this.cur.subarray(0, n), this.frameFilled);
        this.frameFilled += n;
        this.cur = this.cur.subarray(n);
        if (this.frameFilled === this.frame.length) [this.ready, this.frame] = [this.frame, null];
        continue;
      }
      let length: number;
      if (this.headerFilled === 0 && this.cur.length >= this.lengthBytes) {
        length = readLength(this.cur, this.lengthBytes);
        this.cur = this.cur.subarray(this.lengthBytes);
      } else {
        const n = Math.min(this.lengthBytes - this.headerFilled, this.cur.length);
        this.header.set(this.cur.subarray(0, n), this.headerFilled);
        this.headerFilled += n;
        this.cur = this.cur.subarray(n);
        if (this.headerFilled < this.lengthBytes) continue;
        length = readLength(this.header, this.lengthBytes);
        this.headerFilled = 0;
      }
      if (length > this.limit) throw new FrameTooLargeError(length, this.limit, 'read');
      if (this.cur.length >= length) {
        this.ready = this.cur.subarray(0, length); // zero copy: a view of the incoming chunk
        this.cur = this.cur.subarray(length);
      } else {
        this.frame = new Uint8Array(length);
        this.frame.set(this.cur);
        this.frameFilled = this.cur.length;
        this.cur = EMPTY_BYTES;
      }
    }
  }

  /** The truncation error if the stream ended now, or null at a frame boundary. */
  truncation(): FrameTruncatedError | null {
    if (this.frame !== null) return new FrameTruncatedError('payload', this.frameFilled, this.frame.length);
    if (this.headerFilled > 0) return new FrameTruncatedError('length field', this.headerFilled, this.lengthBytes);
    return null;
  }

  buffered(): number {
    let n = this.cur.length + this.headerFilled + this.frameFilled + (this.ready?.length ?? 0);
    for (const c of this.queue) n += c.length;
    return n;
  }
}

function readLength(b: Uint8Array, size: number): number {
  let v = 0;
  for (let i = 0; i < size; i++) v = v * 256 + b[i]!;
  return v;
}

/** The demand loop of one reader: message credits in, chunk credits down, one chunk at a time. */
function readMessages(below: Duplex<Uint8Array, Uint8Array>, d: FrameDecoder, demand: Observable<number>): Observable<Uint8Array> {
  return new Observable<Uint8Array>((subscriber) => {
    if (d.failed) return subscriber.error(d.failed);
    if (d.reading) return subscriber.error(new TlsMisuseError('lengthPrefixed: read() already has a reader'));
    d.reading = true;
    const pull = new Subject<number>();
    let credits = 0;
    let asked = false; // one chunk requested from below and not yet received
    let end: { failed: boolean; error?: unknown } | null = null; // what ended the stream below
    let draining = false;
    let again = false;
    const fail = (e: unknown): void => {
      d.failed = e as Error;
      subscriber.error(e);
    };
    const drain = (): void => {
      if (draining) { again = true; return; }
      draining = true;
      try {
        do {
          again = false;
          for (;;) {
            if (subscriber.closed) return;
            try { d.advance(); } catch (e) { return fail(e); }
            if (d.ready === null || credits <= 0) break;
            const msg = d.ready;
            d.ready = null;
            credits--;
            subscriber.next(msg);
          }
          if (d.ready !== null) continue; // a whole message waits for credit
          if (end) {
            const cut = d.truncation();
            if (end.failed) subscriber.error(end.error);
            else if (cut) fail(cut);
            else subscriber.complete();
            return;
          }
          if (credits > 0 && !asked) {
            asked = true;
            pull.next(1); // may deliver the chunk synchronously: handled on the next pass
          }
        } while (again);
      } finally {
        draining = false;
      }
    };
    const up = below.read(pull).subscribe({
      next: (chunk) => { asked = false; d.push(chunk); drain(); },
      error: (e) => { end = { failed: true, error: e }; drain(); },
      complete: () => { end = { failed: false }; drain(); },
    });
    const down = checkedCredits(demand, 'lengthPrefixed').subscribe({
      next: (n) => {
        credits += n;
        drain();
      },
      error: (e) => subscriber.error(e),
    });
    return () => {
      d.reading = false;
      up.unsubscribe();
      down.unsubscribe();
    };
  });
}
