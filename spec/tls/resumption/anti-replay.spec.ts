/**
 * SingleUseTickets: a ticket's first unexpired claim wins, expiry frees the entry, a full
 * table refuses, and memory stays bounded.
 */
import { TlsMisuseError } from '../../../src/tls/errors.js';
import { SingleUseTickets } from '../../../src/tls/resumption/index.js';
import { PROVIDERS } from '../crypto/providers.js';
import { patternBytes } from './support.js';

/** A distinct id per number. */
function id(n: number, length = 32): Uint8Array {
  const b = patternBytes(length, 1);
  b[0] = n >>> 24;
  b[1] = (n >>> 16) & 0xff;
  b[2] = (n >>> 8) & 0xff;
  b[3] = n & 0xff;
  return b;
}

describe('SingleUseTickets', () => {
  it('accepts the first claim of an id only', () => {
    const t = new SingleUseTickets();
    expect(t.claim(id(1), 1000, 0)).toBe(true);
    expect(t.claim(id(1), 1000, 1)).toBe(false);
    expect(t.claim(id(1).slice(), 1000, 999)).toBe(false); // equal bytes, another array
    expect(t.claim(id(2), 1000, 2)).toBe(true);
    expect(t.size).toBe(2);
  });

  it('tells apart ids that differ in one byte, or in length', () => {
    const t = new SingleUseTickets();
    const a = patternBytes(300);
    const b = a.slice();
    b[299]! ^= 1;
    expect(t.claim(a, 1000, 0)).toBe(true);
    expect(t.claim(b, 1000, 0)).toBe(true);
    expect(t.claim(a.subarray(0, 299), 1000, 0)).toBe(true);
    expect(t.claim(new Uint8Array(0), 1000, 0)).toBe(true);
    expect(t.claim(new Uint8Array(0), 1000, 0)).toBe(false);
  });

  it('refuses a claim that is already expired, and does not remember it', () => {
    const t = new SingleUseTickets();
    expect(t.claim(id(1), 1000, 1000)).toBe(false);
    expect(t.claim(id(1), 1000, 2000)).toBe(false);
    expect(t.claim(id(1), NaN, 0)).toBe(false);
    expect(t.size).toBe(0);
    expect(t.claim(id(1), 1001, 1000)).toBe(true);
  });

  it('frees an entry once its claim has expired', () => {
    const t = new SingleUseTickets();
    expect(t.claim(id(1), 1000, 0)).toBe(true);
    expect(t.claim(id(1), 5000, 999)).toBe(false);
    expect(t.claim(id(1), 5000, 1000)).toBe(true); // the first claim expired at 1000
    expect(t.claim(id(1), 5000, 1001)).toBe(false);
  });

  it('refuses new ids when full of unexpired claims, and accepts again once some expire', () => {
    const t = new SingleUseTickets({ maxEntries: 2 });
    expect(t.claim(id(1), 100, 0)).toBe(true);
    expect(t.claim(id(2), 200, 0)).toBe(true);
    expect(t.claim(id(3), 300, 50)).toBe(false); // full
    expect(t.claim(id(3), 300, 99)).toBe(false); // still full
    expect(t.size).toBe(2);
    expect(t.claim(id(3), 300, 100)).toBe(true); // id 1 expired and was swept
    expect(t.size).toBe(2);
    expect(t.claim(id(2), 200, 100)).toBe(false); // still single use
    expect(t.claim(id(4), 400, 150)).toBe(false); // full again
    expect(t.claim(id(4), 400, 200)).toBe(true); // id 2 expired
    expect(t.claim(id(3), 300, 250)).toBe(false);
  });

  it('remembers a claim refused for lack of room as unclaimed', () => {
    const t = new SingleUseTickets({ maxEntries: 1 });
    expect(t.claim(id(1), 100, 0)).toBe(true);
    expect(t.claim(id(2), 1000, 10)).toBe(false);
    expect(t.claim(id(2), 1000, 100)).toBe(true); // first successful claim of id 2
    expect(t.claim(id(2), 1000, 101)).toBe(false);
  });

  it('sweeps correctly after expiries out of insertion order', () => {
    const t = new SingleUseTickets({ maxEntries: 3 });
    expect(t.claim(id(1), 300, 0)).toBe(true);
    expect(t.claim(id(2), 100, 0)).toBe(true);
    expect(t.claim(id(3), 200, 0)).toBe(true);
    expect(t.claim(id(4), 1000, 100)).toBe(true); // sweeps id 2 only
    expect(t.size).toBe(3);
    expect(t.claim(id(1), 300, 150)).toBe(false);
    expect(t.claim(id(3), 200, 150)).toBe(false);
    expect(t.claim(id(5), 1000, 199)).toBe(false);
    expect(t.claim(id(5), 1000, 200)).toBe(true); // sweeps id 3
    expect(t.claim(id(6), 1000, 299)).toBe(false);
    expect(t.claim(id(6), 1000, 300)).toBe(true); // sweeps id 1
    expect(t.size).toBe(3);
  });

  it('stays bounded by maxEntries under a flood of distinct ids', () => {
    const t = new SingleUseTickets({ maxEntries: 50 });
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      if (t.claim(id(i, 200), i + 100 + (i % 97) * 10, i)) accepted++;
      expect(t.size).toBeLessThanOrEqual(50);
    }
    expect(accepted).toBeGreaterThan(50);
  });

  it('defaults to 100000 entries', () => {
    const t = new SingleUseTickets();
    expect(t.maxEntries).toBe(100000);
  });

  it.each(PROVIDERS)('works with the %s provider', (_name, provider) => {
    const t = new SingleUseTickets({ provider, maxEntries: 10 });
    expect(t.claim(id(1), 10, 0)).toBe(true);
    expect(t.claim(id(1), 10, 0)).toBe(false);
  });

  it.each([0, -1, 2.5, NaN, Infinity])('refuses maxEntries %p', (maxEntries) => {
    expect(() => new SingleUseTickets({ maxEntries })).toThrow(TlsMisuseError);
  });
});
