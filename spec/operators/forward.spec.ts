import { of, Subject, tap, throwError, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { forward, pipeBoth } from '../../src/operators/forward.js';
import { duplexPair } from '../../src/sources/duplex-pair.js';
import type { Duplex } from '../../src/sources/duplex.js';
import { TlsMisuseError } from '../../src/tls/errors.js';

type Bytes = Uint8Array;
const te = new TextEncoder();
const td = new TextDecoder();

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Watches `to`: its readiness, and the most bytes it ever held. */
function watch(to: Duplex) {
  const w = { writable: false, maxBuffered: 0, changes: [] as boolean[] };
  to.writable$.subscribe((x) => { w.writable = x; w.changes.push(x); });
  return w;
}

describe('forward', () => {
  it('stops pulling while the target is unwritable and resumes when it turns writable (marbles)', () => {
    const ts = scheduler();
    const credits: [number, boolean][] = [];
    ts.run(({ cold, expectObservable }) => {
      const [s1, s2] = duplexPair();
      const [t1, t2] = duplexPair({ highWaterMark: 4, lowWaterMark: 2 });
      const w = watch(t1);
      const c = (s: string) => te.encode(s);
      s1.write(cold('(abcdef|)', { a: c('aa'), b: c('bb'), c: c('cc'), d: c('dd'), e: c('ee'), f: c('ff') })).subscribe();
      const from = { read: (d: Observable<number>) => s2.read(d.pipe(tap(() => credits.push([ts.now(), w.writable])))) };
      expectObservable(forward(from, t1)).toBe('----------|');
      // the reader at the far end gives no credit until frame 5, then one, then all at frame 10
      const out = t2.read(cold('-----1----n', { 1: 1, n: Infinity }));
      expectObservable(out).toBe('-----a----(bcdef|)', { a: c('aa'), b: c('bb'), c: c('cc'), d: c('dd'), e: c('ee'), f: c('ff') });
    });
    // two chunks fill the target to its high mark at frame 0; one more each time it drains to the low mark
    expect(credits.map(([t]) => t)).toEqual([0, 0, 5, 10, 10, 10]);
    expect(credits.every(([, writable]) => writable)).toBe(true); // never asked while unwritable
  });

  it('a slow target stops the reads at the source, back to the first writer', () => {
    const [s1, s2] = duplexPair({ highWaterMark: 8, lowWaterMark: 4 });
    const [t1, t2] = duplexPair({ highWaterMark: 8, lowWaterMark: 4 });
    const src = watch(s1);
    const src$ = new Subject<Bytes>();
    s1.write(src$).subscribe();
    forward(s2, t1).subscribe();
    for (let i = 0; i < 8; i++) src$.next(new Uint8Array([i, i])); // 16 bytes, nobody reads t2
    expect(t1.stats().writeBuffered).toBe(8); // forwarded up to the target's high mark
    expect(s2.stats().readBuffered).toBe(8); // the rest waits at the source
    expect(src.changes).toEqual([true, false]); // so the first writer is told to stop
    const got: number[] = [];
    t2.read(of(Infinity)).subscribe((chunk) => got.push(...chunk));
    expect(got).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7]);
    expect(src.changes).toEqual([true, false, true]);
  });

  it('keeps every byte in order and the target within its high mark plus one chunk, under any credit schedule', () => {
    for (let seed = 1; seed <= 20; seed++) {
      let x = seed;
      const rand = (n: number) => { x = (x * 1103515245 + 12345) % 2147483648; return x % n; };
      const [s1, s2] = duplexPair({ highWaterMark: 32 });
      const [t1, t2] = duplexPair({ highWaterMark: 16, lowWaterMark: 4, maxBuffer: 23 }); // high mark − 1 + the largest chunk
      const input: number[] = [];
      const chunks: Bytes[] = [];
      for (let i = 0; i < 40; i++) {
        const chunk = Uint8Array.from({ length: 1 + rand(8) }, () => rand(256));
        chunks.push(chunk);
        input.push(...chunk);
      }
      let maxBuffered = 0;
      let error: unknown;
      let done = false;
      s1.write(of(...chunks)).subscribe({ error: () => undefined });
      forward({ read: (d) => s2.read(d).pipe(tap(() => { maxBuffered = Math.max(maxBuffered, t1.stats().writeBuffered); })) }, t1)
        .subscribe({ error: (e) => { error = e; }, complete: () => { done = true; } });
      const demand = new Subject<number>();
      const output: number[] = [];
      let ended = false;
      t2.read(demand).subscribe({ next: (chunk) => output.push(...chunk), complete: () => { ended = true; } });
      for (let step = 0; step < 200 && !ended; step++) demand.next(rand(3));
      demand.next(Infinity);
      expect(error).toBeUndefined(); // never past maxBuffer: asked only below the high mark, one chunk at a time
      expect(maxBuffered).toBeLessThan(16);
      expect(done).toBe(true);
      expect(ended).toBe(true);
      expect(output).toEqual(input);
    }
  });

  it('completion of the source half-closes the target', () => {
    const [s1, s2] = duplexPair();
    const [t1, t2] = duplexPair();
    s1.write(of(te.encode('last words'))).subscribe();
    let done = false;
    forward(s2, t1).subscribe({ complete: () => { done = true; } });
    expect(done).toBe(true);
    const got: string[] = [];
    let ended = false;
    t2.read(of(Infinity)).subscribe({ next: (c) => got.push(td.decode(c)), complete: () => { ended = true; } });
    expect(got).toEqual(['last words']);
    expect(ended).toBe(true);
  });

  it('a read error errors the result (and reaches the target)', () => {
    const [s1, s2] = duplexPair();
    const [t1, t2] = duplexPair();
    const boom = new Error('reset');
    s1.write(throwError(() => boom)).subscribe({ error: () => undefined });
    let error: unknown;
    forward(s2, t1).subscribe({ error: (e) => { error = e; } });
    expect(error).toBe(boom);
    let farError: unknown;
    t2.read(of(1)).subscribe({ error: (e) => { farError = e; } });
    expect(farError).toBe(boom);
  });

  it('a write error errors the result and releases the source', () => {
    const [s1, s2] = duplexPair();
    const [t1] = duplexPair();
    t1.write(of()).subscribe(); // target already half-closed
    s1.write(of(te.encode('x'))).subscribe();
    let error: unknown;
    forward(s2, t1).subscribe({ error: (e) => { error = e; } });
    expect(error).toBeInstanceOf(TlsMisuseError);
    const rest: string[] = [];
    s2.read(of(Infinity)).subscribe((c) => rest.push(td.decode(c)));
    expect(rest).toEqual(['x']);
  });

  it('unsubscribing stops both sides without closing the target', () => {
    const [s1, s2] = duplexPair();
    const [t1, t2] = duplexPair();
    const src$ = new Subject<Bytes>();
    s1.write(src$).subscribe();
    const sub = forward(s2, t1).subscribe();
    src$.next(te.encode('one'));
    sub.unsubscribe();
    src$.next(te.encode('two'));
    const got: string[] = [];
    let ended = false;
    t2.read(of(Infinity)).subscribe({ next: (c) => got.push(td.decode(c)), complete: () => { ended = true; } });
    expect(got).toEqual(['one']);
    expect(ended).toBe(false);
    expect(s2.stats().readBuffered).toBe(3); // 'two' left for whoever reads next
  });

  it('refuses a bad batch', () => {
    const [a, b] = duplexPair();
    expect(() => forward(a, b, { batch: 0 })).toThrow(TlsMisuseError);
  });
});

describe('pipeBoth', () => {
  it('proxies both directions and completes when both have half-closed (marbles)', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const [client, proxyIn] = duplexPair();
      const [proxyOut, server] = duplexPair();
      const v = { h: te.encode('hello'), w: te.encode('world') };
      expectObservable(pipeBoth(proxyIn, proxyOut)).toBe('------|');
      client.write(cold('-h--|', v)).subscribe();
      server.write(cold('--w---|', v)).subscribe();
      expectObservable(server.read(cold('n', { n: Infinity }))).toBe('-h--|', v);
      expectObservable(client.read(cold('n', { n: Infinity }))).toBe('--w---|', v);
    });
  });

  it('an error in one direction stops both', () => {
    const [client, proxyIn] = duplexPair();
    const [proxyOut, server] = duplexPair();
    const boom = new Error('client reset');
    let error: unknown;
    pipeBoth(proxyIn, proxyOut).subscribe({ error: (e) => { error = e; } });
    const serverSays = new Subject<Bytes>();
    server.write(serverSays).subscribe();
    client.write(throwError(() => boom)).subscribe({ error: () => undefined });
    expect(error).toBe(boom);
    serverSays.next(te.encode('late'));
    expect(proxyOut.stats().readBuffered).toBe(4); // no longer forwarded
  });
});
