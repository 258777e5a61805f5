/**
 * TicketKeys: the ticket format (checked against node:crypto directly), authentication of
 * every byte, rotation, and the size limit, on both crypto providers.
 */
import { createDecipheriv } from 'node:crypto';
import { TlsMisuseError } from '../../../src/tls/errors.js';
import {
  DEFAULT_TICKET_ROTATE_AFTER, MAX_TICKET_LENGTH, MAX_TICKET_PLAINTEXT, TICKET_OVERHEAD, TicketKeys,
} from '../../../src/tls/resumption/index.js';
import { PROVIDERS } from '../crypto/providers.js';
import { countingRandom, manualClock, patternBytes } from './support.js';

const HOUR = 60 * 60 * 1000;

describe.each(PROVIDERS)('TicketKeys (%s provider)', (_name, provider) => {
  /** A TicketKeys with deterministic randomness and a manual clock. */
  function make(rotateAfter = HOUR) {
    const clock = manualClock();
    const rng = countingRandom();
    const keys = new TicketKeys({ provider, random: rng.random, now: clock.now, rotateAfter });
    return { keys, clock, rng };
  }

  it('round-trips plaintexts of several sizes, the empty one included', () => {
    const { keys } = make();
    for (const n of [0, 1, 15, 16, 17, 200, 4096]) {
      const pt = patternBytes(n, n);
      const ticket = keys.seal(pt);
      expect(ticket.length).toBe(n + TICKET_OVERHEAD);
      expect(keys.open(ticket)).toEqual(pt);
    }
  });

  it('writes key name || nonce || AES-256-GCM(plaintext) with the key name as AAD (checked with node:crypto)', () => {
    const { keys, rng } = make();
    const pt = patternBytes(100);
    const ticket = keys.seal(pt);
    // draws: key name (16), key (32), nonce (12)
    const [name, key, nonce] = rng.draws;
    expect(name!.length).toBe(16);
    expect(key!.length).toBe(32);
    expect(nonce!.length).toBe(12);
    expect(ticket.subarray(0, 16)).toEqual(name);
    expect(ticket.subarray(16, 28)).toEqual(nonce);
    const d = createDecipheriv('aes-256-gcm', key!, nonce!);
    d.setAAD(name!);
    d.setAuthTag(ticket.subarray(ticket.length - 16));
    const out = new Uint8Array(Buffer.concat([d.update(ticket.subarray(28, ticket.length - 16)), d.final()]));
    expect(out).toEqual(pt);
  });

  it('uses a fresh nonce per ticket under the same key', () => {
    const { keys } = make();
    const pt = patternBytes(32);
    const a = keys.seal(pt);
    const b = keys.seal(pt);
    expect(a.subarray(0, 16)).toEqual(b.subarray(0, 16));
    expect(a.subarray(16, 28)).not.toEqual(b.subarray(16, 28));
    expect(a).not.toEqual(b);
    expect(keys.open(a)).toEqual(pt);
    expect(keys.open(b)).toEqual(pt);
  });

  it('makes its first key lazily, on the first seal', () => {
    let draws = 0;
    let reads = 0;
    const rng = countingRandom();
    const keys = new TicketKeys({
      provider,
      random: (n) => { draws++; return rng.random(n); },
      now: () => { reads++; return 0; },
    });
    expect(draws).toBe(0);
    expect(reads).toBe(0);
    expect(keys.open(new Uint8Array(TICKET_OVERHEAD + 10))).toBeUndefined();
    expect(draws).toBe(0);
    keys.seal(new Uint8Array(1));
    expect(draws).toBe(3); // name, key, nonce
  });

  it('rejects a change to any byte of a ticket', () => {
    const { keys } = make();
    const pt = patternBytes(40);
    const ticket = keys.seal(pt);
    for (let i = 0; i < ticket.length; i++) {
      for (const flip of [0x01, 0x80]) {
        const bad = ticket.slice();
        bad[i]! ^= flip;
        expect(keys.open(bad)).toBeUndefined();
      }
    }
    expect(keys.open(ticket)).toEqual(pt); // the original still opens
  });

  it('returns undefined, without throwing, for a ticket cut at every length or extended by a byte', () => {
    const { keys } = make();
    const ticket = keys.seal(patternBytes(30));
    for (let n = 0; n < ticket.length; n++) {
      expect(() => keys.open(ticket.subarray(0, n))).not.toThrow();
      expect(keys.open(ticket.subarray(0, n))).toBeUndefined();
    }
    const longer = new Uint8Array(ticket.length + 1);
    longer.set(ticket);
    expect(keys.open(longer)).toBeUndefined();
    expect(keys.open(ticket)).toBeDefined();
  });

  it('returns undefined for a ticket sealed by other keys (unknown key name)', () => {
    const a = make();
    const b = new TicketKeys({ provider, random: countingRandom(5).random, now: a.clock.now });
    const ticket = b.seal(patternBytes(20));
    expect(b.open(ticket)).toEqual(patternBytes(20));
    a.keys.seal(new Uint8Array(1)); // a has a key now, just not that one
    expect(a.keys.open(ticket)).toBeUndefined();
  });

  it('returns undefined for a valid body under an unknown key name', () => {
    const { keys } = make();
    const ticket = keys.seal(patternBytes(20));
    const renamed = ticket.slice();
    renamed.set(patternBytes(16, 9), 0);
    expect(keys.open(renamed)).toBeUndefined();
  });

  it('keeps the key until rotateAfter, then rotates', () => {
    const { keys, clock } = make(HOUR);
    const t0 = keys.seal(new Uint8Array(1));
    clock.advance(HOUR - 1);
    const t1 = keys.seal(new Uint8Array(1));
    expect(t1.subarray(0, 16)).toEqual(t0.subarray(0, 16));
    clock.advance(1);
    const t2 = keys.seal(new Uint8Array(1));
    expect(t2.subarray(0, 16)).not.toEqual(t0.subarray(0, 16));
  });

  it('opens tickets of the previous key after one rotation, not after two', () => {
    const { keys, clock } = make(HOUR);
    const first = keys.seal(patternBytes(10, 1));
    clock.advance(HOUR); // rotation 1
    const second = keys.seal(patternBytes(10, 2));
    expect(keys.open(first)).toEqual(patternBytes(10, 1));
    expect(keys.open(second)).toEqual(patternBytes(10, 2));
    clock.advance(HOUR / 2); // first key is 1.5 h old: still opens
    expect(keys.open(first)).toEqual(patternBytes(10, 1));
    clock.advance(HOUR / 2); // rotation 2 on the next seal
    const third = keys.seal(patternBytes(10, 3));
    expect(keys.open(first)).toBeUndefined();
    expect(keys.open(second)).toEqual(patternBytes(10, 2));
    expect(keys.open(third)).toEqual(patternBytes(10, 3));
  });

  it('never opens with a key 2 * rotateAfter old, even without a seal to rotate it', () => {
    const { keys, clock } = make(HOUR);
    const ticket = keys.seal(patternBytes(10));
    clock.advance(2 * HOUR - 1);
    expect(keys.open(ticket)).toEqual(patternBytes(10));
    clock.advance(1);
    expect(keys.open(ticket)).toBeUndefined();
  });

  it('never opens with a previous key 2 * rotateAfter old', () => {
    const { keys, clock } = make(HOUR);
    const old = keys.seal(patternBytes(10));
    clock.advance(HOUR + HOUR / 2);
    keys.seal(new Uint8Array(1)); // rotation: old becomes the previous key
    clock.advance(HOUR / 2 - 1);
    expect(keys.open(old)).toEqual(patternBytes(10));
    clock.advance(1);
    expect(keys.open(old)).toBeUndefined();
  });

  it('drops a replaced key already too old to open anything', () => {
    const { keys, clock } = make(HOUR);
    const ancient = keys.seal(patternBytes(10, 1));
    clock.advance(5 * HOUR);
    const fresh = keys.seal(patternBytes(10, 2));
    expect(keys.open(ancient)).toBeUndefined();
    expect(keys.open(fresh)).toEqual(patternBytes(10, 2));
  });

  it('seals the largest plaintext into a ticket of at most 65535 bytes and refuses one byte more', () => {
    const { keys } = make();
    const max = patternBytes(MAX_TICKET_PLAINTEXT);
    const ticket = keys.seal(max);
    expect(ticket.length).toBe(MAX_TICKET_LENGTH);
    expect(MAX_TICKET_LENGTH).toBe(65535);
    expect(keys.open(ticket)).toEqual(max);
    expect(() => keys.seal(new Uint8Array(MAX_TICKET_PLAINTEXT + 1))).toThrow(TlsMisuseError);
  });

  it('gives the same bytes as the other provider for the same random and clock, and opens its tickets', () => {
    const other = PROVIDERS.find(([, p]) => p !== provider)![1];
    const clock = manualClock();
    const a = new TicketKeys({ provider, random: countingRandom(3).random, now: clock.now });
    const b = new TicketKeys({ provider: other, random: countingRandom(3).random, now: clock.now });
    const pt = patternBytes(77);
    const ta = a.seal(pt);
    const tb = b.seal(pt);
    expect(ta).toEqual(tb);
    expect(b.open(ta)).toEqual(pt);
    expect(a.open(tb)).toEqual(pt);
  });
});

describe('TicketKeys options', () => {
  it('defaults rotateAfter to 12 hours', () => {
    expect(DEFAULT_TICKET_ROTATE_AFTER).toBe(12 * HOUR);
    expect(new TicketKeys().rotateAfter).toBe(12 * HOUR);
    expect(new TicketKeys({ rotateAfter: 5000 }).rotateAfter).toBe(5000);
  });

  it('works with the default provider, randomness and clock', () => {
    const keys = new TicketKeys();
    const a = keys.seal(patternBytes(50));
    const b = keys.seal(patternBytes(50));
    expect(a).not.toEqual(b);
    expect(keys.open(a)).toEqual(patternBytes(50));
    expect(new TicketKeys().open(a)).toBeUndefined();
  });

  it.each([0, -1, NaN, Infinity])('refuses rotateAfter %p', (rotateAfter) => {
    expect(() => new TicketKeys({ rotateAfter })).toThrow(TlsMisuseError);
  });

  it('refuses a random that returns the wrong number of bytes', () => {
    const keys = new TicketKeys({ random: (n) => new Uint8Array(n - 1) });
    expect(() => keys.seal(new Uint8Array(1))).toThrow(TlsMisuseError);
  });
});
