import { finalize, map, NEVER, of, Subject, tap, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { consume } from '../../src/operators/consume.js';
import { duplexPair } from '../../src/sources/duplex-pair.js';
import type { Duplex } from '../../src/sources/duplex.js';
import { TlsMisuseError } from '../../src/tls/errors.js';

type Bytes = Uint8Array;
const te = new TextEncoder();
const td = new TextDecoder();

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** The read side of `d`, recording each credit with `now()`. */
function spied<R>(d: Duplex<R, unknown>, log: [number, number][], now: () => number): Pick<Duplex<R>, 'read'> {
  return { read: (demand) => d.read(demand.pipe(tap((n) => log.push([now(), n])))) };
}

describe('consume', () => {
  it('runs at most `concurrency` slow handlers; the transport sees credit only when a slot frees (marbles)', () => {
    const ts = scheduler();
    const credits: [number, number][] = [];
    let running = 0;
    let maxRunning = 0;
    ts.run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      a.write(cold('(abcde|)', { a: te.encode('a'), b: te.encode('b'), c: te.encode('c'), d: te.encode('d'), e: te.encode('e') })).subscribe();
      const handler = (m: Bytes) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        return cold('-----(x|)', { x: td.decode(m).toUpperCase() }).pipe(finalize(() => running--));
      };
      const results = consume(spied(b, credits, () => ts.now()), handler, { concurrency: 2 });
      expectObservable(results).toBe('-----(AB)-(CD)-(E|)');
    });
    expect(maxRunning).toBe(2);
    // two credits at subscription, then one per finished handler (the last one finds the read ended)
    expect(credits).toEqual([[0, 2], [5, 1], [5, 1], [10, 1]]);
  });

  it('with messages arriving over time, reads only into free slots (marbles)', () => {
    const ts = scheduler();
    const credits: [number, number][] = [];
    ts.run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      a.write(cold('a-b-c-d-|', { a: te.encode('a'), b: te.encode('b'), c: te.encode('c'), d: te.encode('d') })).subscribe();
      const handler = (m: Bytes) => cold('---(x|)', { x: td.decode(m) });
      expectObservable(consume(spied(b, credits, () => ts.now()), handler, { concurrency: 1 })).toBe('---a--b--c--(d|)');
    });
    // one slot: a runs 0-3; b (written at 2) waits for the credit at 3; c (written at 4) for 6; d for 9
    expect(credits).toEqual([[0, 1], [3, 1], [6, 1], [9, 1]]);
  });

  it('a stuck handler backs pressure up to the writer at the far end', () => {
    const [a, b] = duplexPair({ highWaterMark: 4, lowWaterMark: 2 });
    const writable: boolean[] = [];
    a.writable$.subscribe((w) => writable.push(w));
    const src = new Subject<Bytes>();
    a.write(src).subscribe();
    let calls = 0;
    consume(b, () => { calls++; return NEVER; }, { concurrency: 1 }).subscribe();
    for (let i = 0; i < 6; i++) src.next(new Uint8Array([i]));
    expect(calls).toBe(1);
    expect(b.stats().readBuffered).toBe(5);
    expect(writable).toEqual([true, false]);
  });

  it('completes when the read side has completed and every handler has finished', () => {
    const [a, b] = duplexPair();
    a.write(of(te.encode('x'), te.encode('y'))).subscribe();
    const handlerDone = new Subject<void>();
    const out: string[] = [];
    let done = false;
    consume(b, (m) => handlerDone.pipe(map(() => td.decode(m))), { concurrency: Infinity })
      .subscribe({ next: (s) => out.push(s), complete: () => { done = true; } });
    expect(done).toBe(false); // read ended, handlers still running
    handlerDone.next();
    handlerDone.complete();
    expect(out).toEqual(['x', 'y']);
    expect(done).toBe(true);
  });

  it('a handler error errors the result and cancels the read and the other handlers', () => {
    const [a, b] = duplexPair();
    a.write(of(te.encode('ok'), te.encode('bad'), te.encode('later'))).subscribe();
    const boom = new Error('handler failed');
    let cancelled = 0;
    let error: unknown;
    consume(b, (m) => (td.decode(m) === 'bad' ? throwError(() => boom) : NEVER.pipe(finalize(() => cancelled++))), { concurrency: 2 })
      .subscribe({ error: (e) => { error = e; } });
    expect(error).toBe(boom);
    expect(cancelled).toBe(1);
    const rest: string[] = [];
    b.read(of(Infinity)).subscribe((c) => rest.push(td.decode(c))); // the read was released: no misuse error
    expect(rest).toEqual(['later']);
  });

  it('a read error errors the result', () => {
    const [a, b] = duplexPair();
    const boom = new Error('reset');
    a.write(throwError(() => boom)).subscribe({ error: () => undefined });
    let error: unknown;
    consume(b, () => of(1), { concurrency: 1 }).subscribe({ error: (e) => { error = e; } });
    expect(error).toBe(boom);
  });

  it('synchronous handlers over many messages: bounded stack, every message once, in order', () => {
    const [a, b] = duplexPair();
    const n = 20_000;
    const src = new Subject<Bytes>();
    a.write(src).subscribe();
    for (let i = 0; i < n; i++) src.next(new Uint8Array([i & 0xff]));
    src.complete();
    let count = 0;
    let ordered = true;
    let done = false;
    consume(b, (m, i) => of(m[0] === (i & 0xff)), { concurrency: 3 })
      .subscribe({ next: (ok) => { count++; ordered &&= ok; }, complete: () => { done = true; } });
    expect(count).toBe(n);
    expect(ordered).toBe(true);
    expect(done).toBe(true);
  });

  it('refuses a bad concurrency', () => {
    const [, b] = duplexPair();
    expect(() => consume(b, () => of(1), { concurrency: 0 })).toThrow(TlsMisuseError);
    expect(() => consume(b, () => of(1), { concurrency: 1.5 })).toThrow(TlsMisuseError);
  });
});
