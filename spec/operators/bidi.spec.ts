import { bufferCount, filter, map, mergeMap, of, Subject, take, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { bidi } from '../../src/operators/bidi.js';
import { lengthPrefixed } from '../../src/operators/length-prefixed.js';
import { duplexPair } from '../../src/sources/duplex-pair.js';
import { makeDuplex, type DuplexOperator } from '../../src/sources/duplex.js';
import { TlsMisuseError } from '../../src/tls/errors.js';

type Bytes = Uint8Array;
const te = new TextEncoder();
const td = new TextDecoder();

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Records the credits a layer asks of the layer below. */
function spy(credits: number[]): DuplexOperator<Bytes, Bytes, Bytes, Bytes> {
  return (d) => makeDuplex({
    read: (demand) => d.read(demand.pipe(tap((n) => credits.push(n)))),
    writable$: d.writable$,
    write: (s) => d.write(s),
    stats: () => d.stats(),
  });
}

const json = () => bidi(
  map((b: Bytes) => JSON.parse(td.decode(b)) as unknown),
  map((v: unknown) => te.encode(JSON.stringify(v))),
);
const text = () => bidi(map((b: Bytes) => td.decode(b)), map((s: string) => te.encode(s)));

describe('bidi', () => {
  it('maps JSON both ways over length-prefixed frames (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [x, y] = duplexPair();
      const jx = x.pipe(lengthPrefixed({ maxFrame: 1000 }), json());
      const jy = y.pipe(lengthPrefixed({ maxFrame: 1000 }), json());
      const v = { a: { n: 1 }, b: ['two', 2], c: 'reply', d: null };
      expectObservable(jx.write(cold('-a-b|', v))).toBe('----|');
      expectObservable(jy.read(cold('n', { n: Infinity }))).toBe('-a-b|', v);
      expectObservable(jy.write(cold('--c-d|', v))).toBe('-----|');
      expectObservable(jx.read(cold('n', { n: Infinity }))).toBe('--c-d|', v);
    });
  });

  it('1:1 decoder: one chunk below per credit, nothing held (marbles)', () => {
    const credits: number[] = [];
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      a.write(cold('(wxyz|)', { w: te.encode('w'), x: te.encode('x'), y: te.encode('y'), z: te.encode('z') })).subscribe();
      const reader = b.pipe(spy(credits), text());
      expectObservable(reader.read(cold('1--1---2', { 1: 1, 2: 2 }))).toBe('w--x---(yz|)');
    });
    expect(credits).toEqual([1, 1, 2]);
  });

  it('a decoder that drops items makes the layer pull one more chunk per dropped item', () => {
    const [a, b] = duplexPair();
    const credits: number[] = [];
    a.write(of(...['aa', 'bb', 'c', 'dd', 'e'].map((s) => te.encode(s)))).subscribe();
    const odd = b.pipe(spy(credits), bidi(filter((c: Bytes) => c.length % 2 === 1), map((c: Bytes) => c)));
    const demand = new Subject<number>();
    const got: string[] = [];
    let done = false;
    odd.read(demand).subscribe({ next: (c) => got.push(td.decode(c)), complete: () => { done = true; } });
    demand.next(1);
    expect(got).toEqual(['c']);
    expect(credits).toEqual([1, 1, 1]); // 'aa' and 'bb' dropped, each replaced by one more chunk
    expect(b.stats().readBuffered).toBe(3); // 'dd' and 'e' still below: no read-ahead
    demand.next(1);
    expect(got).toEqual(['c', 'e']);
    expect(done).toBe(true);
  });

  it('a decoder that emits k items per chunk holds the surplus and pulls nothing while it covers the credit', () => {
    const [a, b] = duplexPair();
    const credits: number[] = [];
    a.write(of(new Uint8Array([1, 2, 3]), new Uint8Array([4]))).subscribe();
    const bytesOf = b.pipe(spy(credits), bidi(mergeMap((c: Bytes) => Array.from(c)), map((n: number) => new Uint8Array([n]))));
    const demand = new Subject<number>();
    const got: number[] = [];
    bytesOf.read(demand).subscribe((n) => got.push(n));
    demand.next(1);
    expect(got).toEqual([1]);
    expect(bytesOf.stats().readBuffered).toBe(2); // 2 and 3 held: (k - 1) items for one credit
    demand.next(2);
    expect(got).toEqual([1, 2, 3]);
    expect(credits).toEqual([1]); // served from the held items
    demand.next(1);
    expect(got).toEqual([1, 2, 3, 4]);
    expect(credits).toEqual([1, 1]);
  });

  it('a grouping decoder flushes at end of stream, before completing', () => {
    const [a, b] = duplexPair();
    a.write(of(te.encode('a'), te.encode('b'), te.encode('c'))).subscribe();
    const pairs = b.pipe(bidi(bufferCount<Bytes>(2), mergeMap((x: Bytes[]) => x)));
    const got: string[][] = [];
    let done = false;
    pairs.read(of(Infinity)).subscribe({ next: (g) => got.push(g.map((c) => td.decode(c))), complete: () => { done = true; } });
    expect(got).toEqual([['a', 'b'], ['c']]);
    expect(done).toBe(true);
  });

  it('a decode error reaches the reader after the items before it (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      a.write(cold('-(xy)', { x: te.encode('1'), y: te.encode('{') })).subscribe();
      const values = b.pipe(json()).read(cold('n', { n: 5 }));
      expectObservable(values).toBe('-(1#)', { 1: 1 }, expect.any(SyntaxError));
    });
  });

  it('passes writable$ and the half-close through; the write side encodes', () => {
    const [a, b] = duplexPair({ highWaterMark: 4, lowWaterMark: 1 });
    const ta = a.pipe(text());
    expect(ta.writable$).toBe(a.writable$);
    const writable: boolean[] = [];
    ta.writable$.subscribe((w) => writable.push(w));
    let writeDone = false;
    ta.write(of('hello', 'bye')).subscribe({ complete: () => { writeDone = true; } });
    expect(writeDone).toBe(true);
    expect(writable).toEqual([true, false]);
    const got: string[] = [];
    let done = false;
    b.pipe(text()).read(of(Infinity)).subscribe({ next: (s) => got.push(s), complete: () => { done = true; } });
    expect(got).toEqual(['hello', 'bye']);
    expect(done).toBe(true);
    expect(writable).toEqual([true, false, true]);
  });

  it('one reader at a time; held items wait for the next reader', () => {
    const [a, b] = duplexPair();
    a.write(of(new Uint8Array([1, 2, 3]))).subscribe();
    const items = b.pipe(bidi(mergeMap((c: Bytes) => Array.from(c)), map((n: number) => new Uint8Array([n]))));
    const got: number[] = [];
    const first = items.read(of(1)).subscribe((n) => got.push(n));
    let misuse: unknown;
    items.read(of(1)).subscribe({ error: (e) => { misuse = e; } });
    expect(misuse).toBeInstanceOf(TlsMisuseError);
    first.unsubscribe();
    let done = false;
    items.read(of(Infinity)).subscribe({ next: (n) => got.push(n), complete: () => { done = true; } });
    expect(got).toEqual([1, 2, 3]);
    expect(done).toBe(true);
  });

  it('a reader that stops inside its callback (take) loses nothing', () => {
    const [a, b] = duplexPair();
    a.write(of(new Uint8Array([1, 2, 3]), new Uint8Array([4]))).subscribe();
    const items = b.pipe(bidi(mergeMap((c: Bytes) => Array.from(c)), map((n: number) => new Uint8Array([n]))));
    const got: number[] = [];
    items.read(of(Infinity)).pipe(take(1)).subscribe((n) => got.push(n));
    items.read(of(Infinity)).pipe(take(2)).subscribe((n) => got.push(n));
    items.read(of(Infinity)).subscribe((n) => got.push(n));
    expect(got).toEqual([1, 2, 3, 4]);
  });

  it('refuses invalid credit with TlsMisuseError', () => {
    const [, b] = duplexPair();
    let error: unknown;
    b.pipe(text()).read(of(1.5)).subscribe({ error: (e) => { error = e; } });
    expect(error).toBeInstanceOf(TlsMisuseError);
  });
});
