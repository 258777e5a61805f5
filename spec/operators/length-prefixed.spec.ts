import fc from 'fast-check';
import { map, of, Subject, take, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { FrameTooLargeError, FrameTruncatedError, lengthPrefixed } from '../../src/operators/length-prefixed.js';
import { duplexPair } from '../../src/sources/duplex-pair.js';
import { makeDuplex, type Duplex, type DuplexOperator } from '../../src/sources/duplex.js';
import { TlsMisuseError } from '../../src/tls/errors.js';

type Bytes = Uint8Array;
const te = new TextEncoder();
const td = new TextDecoder();

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

function frame(msg: Bytes | string, lengthBytes: 1 | 2 | 4 = 4): Bytes {
  const body = typeof msg === 'string' ? te.encode(msg) : msg;
  const out = new Uint8Array(lengthBytes + body.length);
  for (let i = lengthBytes - 1, v = body.length; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v & 0xff;
  out.set(body, lengthBytes);
  return out;
}

function concat(...parts: Bytes[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

/** Records the credits a layer asks of the layer below, and the chunks it gets. */
interface PullLog { credits: number[]; chunks: number }
function spy(log: PullLog): DuplexOperator<Bytes, Bytes, Bytes, Bytes> {
  return (d) => makeDuplex({
    read: (demand) => d.read(demand.pipe(tap((n) => log.credits.push(n)))).pipe(tap(() => log.chunks++)),
    writable$: d.writable$,
    write: (s) => d.write(s),
    stats: () => d.stats(),
  });
}

/** Reads synchronously everything available with the given demand. */
function readNow(d: Duplex<Bytes, Bytes>, credit = Infinity): { msgs: Bytes[]; done: boolean; error: unknown } {
  const r = { msgs: [] as Bytes[], done: false, error: undefined as unknown };
  d.read(of(credit)).subscribe({ next: (m) => r.msgs.push(m), complete: () => { r.done = true; }, error: (e) => { r.error = e; } });
  return r;
}

describe('lengthPrefixed: read side', () => {
  it('reassembles frames across chunks, in time (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const x = concat(frame('hi'), frame('x'));
      a.write(cold('-a-b-c|', { a: x.subarray(0, 5), b: x.subarray(5, 8), c: x.subarray(8) })).subscribe();
      const msgs = b.pipe(lengthPrefixed({ maxFrame: 100 })).read(cold('n', { n: 2 })).pipe(map((m) => td.decode(m)));
      expectObservable(msgs).toBe('---H-X|', { H: 'hi', X: 'x' });
    });
  });

  it('gives N messages for N credits, exactly, and pulls nothing more than it needs', () => {
    const log: PullLog = { credits: [], chunks: 0 };
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      // five messages coalesced in one chunk, then one more chunk with two
      a.write(cold('(xy|)', { x: concat(...'abcde'.split('').map((s) => frame(s))), y: concat(frame('f'), frame('g')) })).subscribe();
      const framed = b.pipe(spy(log), lengthPrefixed({ maxFrame: 10 }));
      const msgs = framed.read(cold('1--2---3----1', { 1: 1, 2: 2, 3: 3 })).pipe(map((m) => td.decode(m)));
      expectObservable(msgs).toBe('a--(bc)(def)(g|)');
    });
    expect(log).toEqual({ credits: [1, 1], chunks: 2 }); // two chunks below, each asked for once
  });

  it('asks below for one chunk at a time and only while a message is wanted', () => {
    const [a, b] = duplexPair({ maxChunk: 1 }); // byte-at-a-time below
    const log: PullLog = { credits: [], chunks: 0 };
    a.write(of(frame('hello'), frame('world'))).subscribe();
    const demand = new Subject<number>();
    const got: string[] = [];
    b.pipe(spy(log), lengthPrefixed({ maxFrame: 10 })).read(demand).subscribe((m) => got.push(td.decode(m)));
    expect(log.chunks).toBe(0);
    demand.next(1);
    expect(got).toEqual(['hello']);
    expect(log.chunks).toBe(9); // 4 length bytes + 5 payload bytes, not one more
    expect(log.credits).toEqual(new Array(9).fill(1));
    expect(b.stats().readBuffered).toBe(9); // the second frame stays below
    demand.next(1);
    expect(got).toEqual(['hello', 'world']);
    expect(log.chunks).toBe(18);
  });

  it('zero copy: a message inside one chunk is a view of that chunk', () => {
    const [a, b] = duplexPair();
    const input = concat(frame('one'), frame(''), frame('three'));
    a.write(of(input)).subscribe();
    const { msgs, done } = readNow(b.pipe(lengthPrefixed({ maxFrame: 10 })));
    expect(msgs.map((m) => td.decode(m))).toEqual(['one', '', 'three']);
    for (const m of msgs) expect(m.buffer).toBe(input.buffer);
    expect(msgs.map((m) => m.byteOffset)).toEqual([4, 11, 15]);
    expect(done).toBe(true);
  });

  it('zero copy: a length field split from its payload still gives a view of the payload chunk', () => {
    const [a, b] = duplexPair();
    const x = frame('payload');
    const [head1, rest] = [x.slice(0, 2), x.slice(2)];
    a.write(of(head1, rest)).subscribe();
    const { msgs } = readNow(b.pipe(lengthPrefixed({ maxFrame: 10 })));
    expect(td.decode(msgs[0])).toBe('payload');
    expect(msgs[0]!.buffer).toBe(rest.buffer);
  });

  it('copies a payload split across chunks into a buffer of exactly its size', () => {
    const [a, b] = duplexPair();
    const x = frame('split!');
    a.write(of(x.slice(0, 6), x.slice(6))).subscribe();
    const { msgs } = readNow(b.pipe(lengthPrefixed({ maxFrame: 10 })));
    expect(td.decode(msgs[0])).toBe('split!');
    expect(msgs[0]!.buffer.byteLength).toBe(6);
  });

  it.each([1, 2, 4] as const)('frames split at every boundary come out whole and in order (%i-byte length)', (lengthBytes) => {
    const messages = ['', 'a', 'hello', 'x'.repeat(200), '', 'end'].map((s) => te.encode(s));
    const stream = concat(...messages.map((m) => frame(m, lengthBytes)));
    const expected = messages.map((m) => td.decode(m));
    const cases: Bytes[][] = [[stream]]; // all coalesced in one chunk
    for (let i = 1; i < stream.length; i++) cases.push([stream.slice(0, i), stream.slice(i)]); // every single cut
    for (let i = 1; i < 30; i++) { // every pair of cuts near the start, where the short frames are
      for (let j = i + 1; j < 45; j++) cases.push([stream.slice(0, i), stream.slice(i, j), stream.slice(j)]);
    }
    for (const chunks of cases) {
      const [a, b] = duplexPair();
      a.write(of(...chunks)).subscribe();
      const { msgs, done, error } = readNow(b.pipe(lengthPrefixed({ maxFrame: 300, lengthBytes })));
      expect(error).toBeUndefined();
      expect(done).toBe(true);
      expect(msgs.map((m) => td.decode(m))).toEqual(expected);
    }
    const [a, b] = duplexPair({ maxChunk: 1 }); // and byte at a time
    a.write(of(stream)).subscribe();
    expect(readNow(b.pipe(lengthPrefixed({ maxFrame: 300, lengthBytes }))).msgs.map((m) => td.decode(m))).toEqual(expected);
  });

  it('errors on a declared length above maxFrame as soon as the length field is complete (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      // 2^31 declared, 1 MiB allowed: three bytes of the length field at frame 0, the last at frame 2
      a.write(cold('x-y', { x: bytes(0x80, 0, 0), y: bytes(0) })).subscribe();
      const framed = b.pipe(lengthPrefixed({ maxFrame: 1 << 20 }));
      expectObservable(framed.read(cold('n', { n: 1 }))).toBe('--#', undefined, new FrameTooLargeError(2 ** 31, 1 << 20, 'read'));
    });
  });

  it('reports the oversize length and limit, and does not grow memory', () => {
    const [a, b] = duplexPair();
    const framed = b.pipe(lengthPrefixed({ maxFrame: 1 << 20 }));
    let error: unknown;
    let seen = 0;
    framed.read(of(Infinity)).subscribe({ next: () => seen++, error: (e) => { error = e; } });
    const before = process.memoryUsage().arrayBuffers;
    const src = new Subject<Bytes>();
    a.write(src).subscribe();
    src.next(bytes(0x80, 0, 0));
    expect(error).toBeUndefined(); // three bytes: not yet a length
    src.next(bytes(0));
    expect(error).toBeInstanceOf(FrameTooLargeError);
    expect((error as FrameTooLargeError).length).toBe(2 ** 31);
    expect((error as FrameTooLargeError).limit).toBe(1 << 20);
    expect((error as Error).message).toBe('lengthPrefixed: incoming frame declares 2147483648 bytes, above the limit of 1048576');
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
    expect(seen).toBe(0);
    expect(framed.stats().readBuffered).toBe(0);
    let again: unknown;
    framed.read(of(1)).subscribe({ error: (e) => { again = e; } });
    expect(again).toBe(error); // a framing error is final
  });

  it('accepts exactly maxFrame and refuses maxFrame + 1', () => {
    const [a, b] = duplexPair();
    a.write(of(frame(new Uint8Array(8)), frame(new Uint8Array(9)))).subscribe();
    const r = readNow(b.pipe(lengthPrefixed({ maxFrame: 8 })));
    expect(r.msgs.map((m) => m.length)).toEqual([8]);
    expect(r.error).toBeInstanceOf(FrameTooLargeError);
  });

  it('delivers whole messages, then errors on an end of stream inside a payload (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const cut = frame('cut short').subarray(0, 7);
      a.write(cold('-a|', { a: concat(frame('ok'), cut) })).subscribe();
      const msgs = b.pipe(lengthPrefixed({ maxFrame: 100 })).read(cold('--n', { n: 1 })).pipe(map((m) => td.decode(m)));
      expectObservable(msgs).toBe('--(o#)', { o: 'ok' }, new FrameTruncatedError('payload', 3, 9));
    });
  });

  it('errors on an end of stream inside a length field, and completes at a frame boundary', () => {
    const [a, b] = duplexPair();
    a.write(of(concat(frame('x'), bytes(0, 0)))).subscribe();
    const r = readNow(b.pipe(lengthPrefixed({ maxFrame: 100 })));
    expect(r.msgs.map((m) => td.decode(m))).toEqual(['x']);
    expect(r.error).toBeInstanceOf(FrameTruncatedError);
    expect((r.error as Error).message).toBe('lengthPrefixed: stream ended inside a frame: got 2 of 4 length field bytes');

    const [c, d] = duplexPair();
    c.write(of(frame('x'))).subscribe();
    expect(readNow(d.pipe(lengthPrefixed({ maxFrame: 100 })))).toEqual({ msgs: [te.encode('x')], done: true, error: undefined });
  });

  it('passes an error from below after the whole messages before it', () => {
    const [a, b] = duplexPair();
    const boom = new Error('reset');
    const src = new Subject<Bytes>();
    a.write(src).subscribe({ error: () => undefined });
    src.next(concat(frame('a'), frame('b')));
    src.error(boom);
    const got: string[] = [];
    let error: unknown;
    const demand = new Subject<number>();
    b.pipe(lengthPrefixed({ maxFrame: 100 })).read(demand).subscribe({ next: (m) => got.push(td.decode(m)), error: (e) => { error = e; } });
    demand.next(1);
    expect(got).toEqual(['a']);
    expect(error).toBeUndefined();
    demand.next(1);
    expect(got).toEqual(['a', 'b']);
    expect(error).toBe(boom);
  });

  it('one reader at a time; a new reader continues where the last stopped', () => {
    const [a, b] = duplexPair();
    const framed = b.pipe(lengthPrefixed({ maxFrame: 100 }));
    const x = concat(frame('one'), frame('two'), frame('three'));
    a.write(of(x.subarray(0, 12), x.subarray(12))).subscribe(); // 'two' is split
    const got: string[] = [];
    const demand = new Subject<number>();
    const first = framed.read(demand).subscribe((m) => got.push(td.decode(m)));
    let misuse: unknown;
    framed.read(of(1)).subscribe({ error: (e) => { misuse = e; } });
    expect(misuse).toBeInstanceOf(TlsMisuseError);
    demand.next(1);
    expect(got).toEqual(['one']);
    expect(framed.stats().readBuffered).toBe(1); // the first payload byte of the split 'two' frame
    first.unsubscribe();
    const r = readNow(framed);
    expect(r.msgs.map((m) => td.decode(m))).toEqual(['two', 'three']);
  });

  it('a reader that stops inside its callback (take) loses nothing', () => {
    const [a, b] = duplexPair();
    a.write(of(concat(frame('1'), frame('2'), frame('3')), frame('4'))).subscribe();
    const framed = b.pipe(lengthPrefixed({ maxFrame: 10 }));
    const got: string[] = [];
    framed.read(of(Infinity)).pipe(take(1)).subscribe((m) => got.push(td.decode(m)));
    framed.read(of(Infinity)).pipe(take(2)).subscribe((m) => got.push(td.decode(m)));
    framed.read(of(Infinity)).subscribe((m) => got.push(td.decode(m)));
    expect(got).toEqual(['1', '2', '3', '4']);
  });

  it('refuses invalid credit with TlsMisuseError', () => {
    const [, b] = duplexPair();
    let error: unknown;
    b.pipe(lengthPrefixed({ maxFrame: 10 })).read(of(-1)).subscribe({ error: (e) => { error = e; } });
    expect(error).toBeInstanceOf(TlsMisuseError);
  });

  it('refuses invalid options', () => {
    expect(() => lengthPrefixed({ maxFrame: -1 })).toThrow(TlsMisuseError);
    expect(() => lengthPrefixed({ maxFrame: 10, lengthBytes: 3 as 4 })).toThrow(TlsMisuseError);
  });
});

describe('lengthPrefixed: write side', () => {
  it('writes each message as a length field chunk and the message itself, uncopied (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const m1 = te.encode('hey');
      const m2 = new Uint8Array(0);
      const written = a.pipe(lengthPrefixed({ maxFrame: 10, lengthBytes: 2 })).write(cold('-x---y|', { x: m1, y: m2 }));
      expectObservable(written).toBe('------|');
      const raw = b.read(cold('n', { n: Infinity }));
      expectObservable(raw).toBe('-(hx)z|', { h: bytes(0, 3), x: m1, z: bytes(0, 0) });
    });
  });

  it('passes the message object itself down (no copy)', () => {
    const [a, b] = duplexPair();
    const m = te.encode('same');
    a.pipe(lengthPrefixed({ maxFrame: 10 })).write(of(m)).subscribe();
    const chunks: Bytes[] = [];
    b.read(of(Infinity)).subscribe((c) => chunks.push(c));
    expect(chunks[1]).toBe(m);
  });

  it('errors on a message above maxFrame or above what the length field can say', () => {
    const [a] = duplexPair();
    let error: unknown;
    a.pipe(lengthPrefixed({ maxFrame: 4 })).write(of(new Uint8Array(5))).subscribe({ error: (e) => { error = e; } });
    expect(error).toBeInstanceOf(FrameTooLargeError);
    expect((error as Error).message).toBe('lengthPrefixed: message of 5 bytes is above the limit of 4');

    const [c] = duplexPair();
    c.pipe(lengthPrefixed({ maxFrame: 1000, lengthBytes: 1 })).write(of(new Uint8Array(256))).subscribe({ error: (e) => { error = e; } });
    expect((error as FrameTooLargeError).limit).toBe(255);
  });

  it('round-trips messages, half-closes, and passes writable$ through', () => {
    const [a, b] = duplexPair({ highWaterMark: 8, lowWaterMark: 4 });
    const fa = a.pipe(lengthPrefixed({ maxFrame: 100 }));
    const fb = b.pipe(lengthPrefixed({ maxFrame: 100 }));
    const writable: boolean[] = [];
    fa.writable$.subscribe((w) => writable.push(w));
    let writeDone = false;
    fa.write(of(te.encode('ping'), te.encode('pong'))).subscribe({ complete: () => { writeDone = true; } });
    expect(writable).toEqual([true, false]); // 16 bytes queued, high mark 8
    expect(writeDone).toBe(true);
    const r = readNow(fb);
    expect(r.msgs.map((m) => td.decode(m))).toEqual(['ping', 'pong']);
    expect(r.done).toBe(true); // the half-close reached the other end
    expect(writable).toEqual([true, false, true]);
  });
});

describe('lengthPrefixed: property', () => {
  /** Counts the whole frames in the first `n` bytes of the stream. */
  function wholeFrames(sizes: number[], lengthBytes: number, n: number): number {
    let off = 0;
    let count = 0;
    for (const s of sizes) {
      off += lengthBytes + s;
      if (off > n) break;
      count++;
    }
    return count;
  }

  it('random messages, chunking and credit schedules never lose, duplicate or reorder a message', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), upTo: fc.nat(1_000) }),
      fc.record({ kind: fc.constant('credit' as const), n: fc.nat(3) }),
    );
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 20 }),
      fc.constantFrom(1 as const, 2 as const, 4 as const),
      fc.array(op, { maxLength: 60 }),
      fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }),
      (messages, lengthBytes, ops, maxChunk) => {
        const stream = concat(...messages.map((m) => frame(m, lengthBytes)));
        const sizes = messages.map((m) => m.length);
        const [a, b] = duplexPair(maxChunk === undefined ? {} : { maxChunk });
        const log: PullLog = { credits: [], chunks: 0 };
        const src = new Subject<Bytes>();
        a.write(src).subscribe();
        const demand = new Subject<number>();
        const got: Bytes[] = [];
        let done = false;
        let error: unknown;
        b.pipe(spy(log), lengthPrefixed({ maxFrame: 40, lengthBytes })).read(demand).subscribe({
          next: (m) => got.push(m), complete: () => { done = true; }, error: (e) => { error = e; },
        });
        let written = 0;
        let credits = 0;
        for (const o of ops) { // bounded: at most 60 steps
          if (o.kind === 'write') {
            const to = Math.min(stream.length, written + (o.upTo % 50));
            if (to > written) src.next(stream.slice(written, to));
            written = to;
          } else {
            credits += o.n;
            demand.next(o.n);
          }
          // exactly min(credits, whole messages written) delivered; at most one chunk asked ahead
          expect(got.length).toBe(Math.min(credits, wholeFrames(sizes, lengthBytes, written)));
          expect(log.credits.reduce((s, n) => s + n, 0) - log.chunks).toBeLessThanOrEqual(1);
        }
        if (written < stream.length) src.next(stream.slice(written));
        src.complete();
        demand.next(Infinity);
        expect(error).toBeUndefined();
        expect(done).toBe(true);
        expect(got).toEqual(messages);
      },
    ), { numRuns: 300 });
  });
});

function bytes(...xs: number[]): Bytes {
  return new Uint8Array(xs);
}
