import { EMPTY, NEVER, Subject, from, of, take } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { duplexPair } from '../../src/sources/duplex-pair.js';
import { WriteBufferOverflowError } from '../../src/sources/errors.js';
import { TlsMisuseError } from '../../src/tls/errors.js';

const bytes = (...v: number[]) => new Uint8Array(v);

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Collects a synchronous subscription's notifications. */
function collect<T>(o: { subscribe: (obs: object) => { unsubscribe(): void } }) {
  const r = { values: [] as T[], completed: false, error: undefined as unknown, sub: undefined as unknown as { unsubscribe(): void } };
  r.sub = o.subscribe({ next: (v: T) => r.values.push(v), complete: () => (r.completed = true), error: (e: unknown) => (r.error = e) });
  return r;
}

describe('duplexPair: reading with credits (marbles)', () => {
  it('releases exactly as many chunks as credits: --a--b with a=1, b=2', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const x = bytes(1), y = bytes(2), z = bytes(3), w = bytes(4);
      a.write(cold('(xyzw)', { x, y, z, w })).subscribe();
      expectObservable(b.read(cold('--a--b|', { a: 1, b: 2 }))).toBe('--x--(yz)', { x, y, z });
    });
  });

  it('delivers data written later to credit already granted', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const x = bytes(1), y = bytes(2), z = bytes(3);
      a.write(cold('----x-y--z', { x, y, z })).subscribe();
      expectObservable(b.read(cold('a', { a: 2 }))).toBe('----x-y', { x, y });
    });
  });

  it('with Infinity credit flows as data is written, and both directions are independent', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const x = bytes(1), y = bytes(2);
      a.write(cold('-x-x', { x })).subscribe();
      b.write(cold('--y-y', { y })).subscribe();
      expectObservable(b.read(of(Infinity))).toBe('-x-x', { x });
      expectObservable(a.read(of(Infinity))).toBe('--y-y', { y });
    });
  });

  it('rejects invalid credits with TlsMisuseError', () => {
    const [, b] = duplexPair();
    for (const bad of [-1, 1.5, NaN]) {
      const r = collect(b.read(of(bad)));
      expect(r.error).toBeInstanceOf(TlsMisuseError);
    }
    // and the failed reader left the slot free
    expect(collect(b.read(NEVER)).error).toBeUndefined();
  });

  it('errors the read when demand errors', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [, b] = duplexPair();
      const err = new Error('demand failed');
      expectObservable(b.read(cold('--#', undefined, err))).toBe('--#', undefined, err);
    });
  });
});

describe('duplexPair: write backpressure (marbles)', () => {
  it('writable$ turns false at the high mark and true only at the low mark', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair({ highWaterMark: 4, lowWaterMark: 2 });
      const v = { a: bytes(1), b: bytes(2), c: bytes(3), d: bytes(4), e: bytes(5) };
      a.write(cold('abcde', v)).subscribe();
      // buffered: 1 2 3 4(false) 5 ... reader takes one at 8, 10, 12: 4 3 2(true)
      expectObservable(a.writable$).toBe('t--f--------t', { t: true, f: false });
      expectObservable(b.read(cold('--------1-1-1', { 1: 1 }))).toBe('--------a-b-c', v);
    });
  });

  it('a reader that keeps up never makes writable$ blink, even for chunks above the high mark', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair({ highWaterMark: 4 });
      const big = new Uint8Array(100);
      b.read(of(Infinity)).subscribe();
      a.write(cold('x-x-x', { x: big })).subscribe();
      expectObservable(a.writable$).toBe('t', { t: true });
    });
  });

  it('backpressure holds when nobody reads', () => {
    const [a, b] = duplexPair({ highWaterMark: 10 });
    const w = collect<boolean>(a.writable$);
    a.write(from([new Uint8Array(6), new Uint8Array(6)])).subscribe();
    expect(w.values).toEqual([true, false]);
    expect(a.stats()).toEqual({ readBuffered: 0, writeBuffered: 12 });
    expect(b.stats()).toEqual({ readBuffered: 12, writeBuffered: 0 });
    // a reader that comes and goes without credit changes nothing
    collect(b.read(NEVER)).sub.unsubscribe();
    expect(a.stats().writeBuffered).toBe(12);
    expect(w.values).toEqual([true, false]);
    // taking one chunk: 6 <= low (5)? no. Taking both: 0 <= 5 -> true
    const r = collect<Uint8Array>(b.read(of(1)));
    expect(r.values.length).toBe(1);
    expect(w.values).toEqual([true, false]);
    r.sub.unsubscribe();
    collect(b.read(of(1)));
    expect(w.values).toEqual([true, false, true]);
    expect(a.stats().writeBuffered).toBe(0);
  });

  it('a writer pacing itself on writable$ never overflows', () => {
    const [a, b] = duplexPair({ highWaterMark: 8, lowWaterMark: 0, maxBuffer: 8 });
    const src = new Subject<Uint8Array>();
    collect(a.write(src));
    let sent = 0;
    let writable = true;
    a.writable$.subscribe((w) => (writable = w));
    const pump = () => {
      while (writable && sent < 100) {
        sent += 1;
        src.next(bytes(sent));
      }
    };
    a.writable$.subscribe(() => pump());
    const got: number[] = [];
    const credits = new Subject<number>();
    b.read(credits).subscribe((c) => got.push(c[0]!));
    for (let i = 0; i < 200 && got.length < 100; i++) {
      expect(a.stats().writeBuffered).toBeLessThanOrEqual(8);
      credits.next(3);
    }
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });

  it('errors with WriteBufferOverflowError past maxBuffer, and the reader sees the data then the error', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair({ highWaterMark: 4, maxBuffer: 8 });
      const x = new Uint8Array(3);
      const err = new WriteBufferOverflowError('duplexPair end A', 8, 9);
      expectObservable(a.write(cold('xxxx', { x }))).toBe('--#', undefined, err);
      // the overflowing chunk was accepted: data first, then the error
      expectObservable(b.read(cold('-----a', { a: Infinity }))).toBe('-----(xxx#)', { x }, err);
    });
  });

  it('the overflow error names the limit', () => {
    const [a] = duplexPair({ highWaterMark: 4, maxBuffer: 8 });
    const r = collect(a.write(of(new Uint8Array(9))));
    expect(r.error).toBeInstanceOf(WriteBufferOverflowError);
    expect((r.error as Error).message).toMatch(/limit of 8 bytes/);
    expect((r.error as WriteBufferOverflowError).limit).toBe(8);
  });

  it('validates options', () => {
    expect(() => duplexPair({ highWaterMark: 0 })).toThrow(TlsMisuseError);
    expect(() => duplexPair({ highWaterMark: 4, lowWaterMark: 4 })).toThrow(TlsMisuseError);
    expect(() => duplexPair({ highWaterMark: 4, maxBuffer: 3 })).toThrow(TlsMisuseError);
    expect(() => duplexPair({ maxChunk: 0 })).toThrow(TlsMisuseError);
  });
});

describe('duplexPair: end of stream and errors', () => {
  it('half-close completes the other reader after the queued data', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const x = bytes(1), y = bytes(2);
      expectObservable(a.write(cold('xy|', { x, y }))).toBe('--|');
      expectObservable(b.read(cold('---a---a', { a: 1 }))).toBe('---x---(y|)', { x, y });
    });
  });

  it('completion needs no credit when nothing is queued; later readers complete at once', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      a.write(cold('--|')).subscribe();
      expectObservable(b.read(NEVER)).toBe('--|');
      expectObservable(b.read(NEVER), '----^').toBe('----|');
    });
  });

  it('after half-close the other direction still works', () => {
    const [a, b] = duplexPair();
    const fromB = collect<Uint8Array>(a.read(of(Infinity)));
    const fromA = collect<Uint8Array>(b.read(of(Infinity)));
    a.write(of(bytes(1))).subscribe();
    expect(fromA.completed).toBe(true);
    b.write(of(bytes(2), bytes(3))).subscribe();
    expect(fromB.values).toEqual([bytes(2), bytes(3)]);
    expect(fromB.completed).toBe(true);
  });

  it('a write source error reaches the other reader, in order after the queued data', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const x = bytes(1);
      const err = new Error('boom');
      expectObservable(a.write(cold('x#', { x }, err))).toBe('-#', undefined, err);
      expectObservable(b.read(cold('---a', { a: 1 }))).toBe('---(x#)', { x }, err);
      expectObservable(b.read(NEVER), '-----^').toBe('-----#', undefined, err);
    });
  });

  it('write after half-close and a second concurrent writer error with TlsMisuseError', () => {
    const [a] = duplexPair();
    const first = collect(a.write(NEVER));
    const second = collect(a.write(of(bytes(1))));
    expect(second.error).toBeInstanceOf(TlsMisuseError);
    expect(first.error).toBeUndefined();
    first.sub.unsubscribe();
    collect(a.write(EMPTY));
    const late = collect(a.write(of(bytes(1))));
    expect(late.error).toBeInstanceOf(TlsMisuseError);
    expect((late.error as Error).message).toMatch(/after the write side was closed/);
  });

  it('unsubscribing a writer does not close: a new writer continues the stream', () => {
    const [a, b] = duplexPair();
    const r = collect<Uint8Array>(b.read(of(Infinity)));
    const w = new Subject<Uint8Array>();
    const s = a.write(w).subscribe();
    w.next(bytes(1));
    s.unsubscribe();
    w.next(bytes(99)); // no longer written
    a.write(of(bytes(2))).subscribe();
    expect(r.values).toEqual([bytes(1), bytes(2)]);
    expect(r.completed).toBe(true);
  });
});

describe('duplexPair: readers', () => {
  it('a second concurrent reader errors with TlsMisuseError and the first is unaffected', () => {
    const [a, b] = duplexPair();
    const first = collect<Uint8Array>(b.read(of(Infinity)));
    const second = collect<Uint8Array>(b.read(of(Infinity)));
    expect(second.error).toBeInstanceOf(TlsMisuseError);
    a.write(of(bytes(7))).subscribe();
    expect(first.values).toEqual([bytes(7)]);
    expect(first.completed).toBe(true);
  });

  it('sequential readers see every chunk once, in order', () => {
    const [a, b] = duplexPair();
    a.write(from(Array.from({ length: 10 }, (_, i) => bytes(i)))).subscribe();
    const r1 = collect<Uint8Array>(b.read(of(Infinity)).pipe(take(3)));
    const r2 = collect<Uint8Array>(b.read(of(2)));
    r2.sub.unsubscribe();
    const r3 = collect<Uint8Array>(b.read(of(Infinity)));
    const all = [...r1.values, ...r2.values, ...r3.values].map((c) => c[0]);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r3.completed).toBe(true);
  });

  it('sequential readers in marbles: unsubscribing keeps the rest', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const v = { x: bytes(1), y: bytes(2), z: bytes(3) };
      a.write(cold('(xyz)', v)).subscribe();
      expectObservable(b.read(cold('-a', { a: 1 })), '^--!').toBe('-x', v);
      expectObservable(b.read(cold('-a', { a: 5 })), '----^').toBe('-----(yz)', v);
    });
  });

  it('maxChunk 1 splits into one-byte views without copying', () => {
    const [a, b] = duplexPair({ maxChunk: 1 });
    const data = bytes(10, 20, 30);
    const r = collect<Uint8Array>(b.read(of(2)));
    a.write(of(data)).subscribe();
    expect(r.values).toEqual([bytes(10), bytes(20)]);
    expect(r.values.every((c) => c.buffer === data.buffer)).toBe(true);
    expect(b.stats().readBuffered).toBe(1);
  });

  it('chunks are delivered as the written objects, not copies', () => {
    const [a, b] = duplexPair();
    const data = bytes(1, 2, 3);
    const r = collect<Uint8Array>(b.read(of(1)));
    a.write(of(data)).subscribe();
    expect(r.values[0]).toBe(data);
  });

  it('is re-entrant: an echo written from inside a read callback works synchronously', () => {
    const [a, b] = duplexPair({ maxChunk: 2 });
    b.write(b.read(of(Infinity))).subscribe(); // echo
    const echoed = collect<Uint8Array>(a.read(of(Infinity)));
    a.write(of(bytes(1, 2, 3, 4, 5))).subscribe();
    expect(echoed.values).toEqual([bytes(1, 2), bytes(3, 4), bytes(5)]);
    expect(echoed.completed).toBe(true);
  });
});
