import { ReadySignal } from '../../src/sources/ready-signal.js';

describe('ReadySignal', () => {
  it('gives the current value on subscription, then changes only', () => {
    const r = new ReadySignal(true);
    const seen: boolean[] = [];
    r.observable.subscribe((v) => seen.push(v));
    r.set(true);
    r.set(false);
    r.set(false);
    r.set(true);
    expect(seen).toEqual([true, false, true]);
    expect(r.value).toBe(true);
  });

  it('delivers a change made inside a callback to everyone at once, never out of order', () => {
    const r = new ReadySignal(false);
    const first: boolean[] = [];
    const second: boolean[] = [];
    // the first subscriber reacts to `true` by filling the buffer: the signal turns false again
    r.observable.subscribe((v) => {
      first.push(v);
      if (v) r.set(false);
    });
    r.observable.subscribe((v) => second.push(v));
    r.set(true);
    expect(first).toEqual([false, true, false]);
    expect(second).toEqual([false]); // it never saw the stale `true`, and no duplicate `false`
    expect(r.value).toBe(false);
    r.set(true);
    expect(second).toEqual([false]);
  });

  it('unsubscribed observers get nothing more', () => {
    const r = new ReadySignal(true);
    const seen: boolean[] = [];
    r.observable.subscribe((v) => seen.push(v)).unsubscribe();
    r.set(false);
    expect(seen).toEqual([true]);
  });
});
