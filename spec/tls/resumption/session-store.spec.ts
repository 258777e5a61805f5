/**
 * MemorySessionStore (single use, newest first, expiry, bounds) and the persistence codec of
 * stored sessions.
 */
import { TlsMisuseError } from '../../../src/tls/errors.js';
import {
  decodeStoredSession, encodeStoredSession, MemorySessionStore, STORED_SESSION_VERSION, type StoredSession,
} from '../../../src/tls/resumption/index.js';
import { patternBytes } from './support.js';

const T0 = 1_700_000_000_000;

/** A 64-byte ticket starting with `tag` as a u16. */
function ticketTagged(tag: number): Uint8Array {
  const t = patternBytes(64, tag);
  t[0] = tag >>> 8;
  t[1] = tag & 0xff;
  return t;
}

/** A session received at `receivedAt` whose ticket is tagged by `tag`. */
function session(tag: number, receivedAt = T0, lifetime = 3600): StoredSession {
  return {
    ticket: ticketTagged(tag),
    suite: 0x1301,
    psk: patternBytes(32, tag + 100),
    receivedAt,
    lifetime,
    ageAdd: 0x01020304,
    maxEarlyData: 0,
    alpn: undefined,
    serverName: 'example.com',
    peerCertificates: [patternBytes(300, 7)],
    certificateType: 'x509',
  };
}

/** The ticket tag of what take() returned (or undefined). */
function tagOf(s: StoredSession | undefined): number | undefined {
  if (s === undefined) return undefined;
  const tag = (s.ticket[0]! << 8) | s.ticket[1]!;
  expect(s.ticket).toEqual(ticketTagged(tag));
  return tag;
}

describe('MemorySessionStore', () => {
  it('returns nothing for an unknown key', () => {
    const store = new MemorySessionStore();
    store.put('a', session(1));
    expect(store.take('b', T0)).toBeUndefined();
  });

  it('hands each session out once', () => {
    const store = new MemorySessionStore();
    const s = session(1);
    store.put('a', s);
    expect(store.take('a', T0 + 1)).toBe(s);
    expect(store.take('a', T0 + 1)).toBeUndefined();
    expect(store.size).toBe(0);
  });

  it('takes the newest first, whatever the order of put', () => {
    const store = new MemorySessionStore();
    store.put('a', session(2, T0 + 2000));
    store.put('a', session(1, T0 + 1000));
    store.put('a', session(3, T0 + 3000));
    const now = T0 + 5000;
    expect([1, 2, 3, 4].map(() => tagOf(store.take('a', now)))).toEqual([3, 2, 1, undefined]);
  });

  it('takes the later put first among sessions received at the same time', () => {
    const store = new MemorySessionStore();
    store.put('a', session(1, T0));
    store.put('a', session(2, T0));
    expect(tagOf(store.take('a', T0))).toBe(2);
    expect(tagOf(store.take('a', T0))).toBe(1);
  });

  it('keeps keys apart', () => {
    const store = new MemorySessionStore();
    store.put('a', session(1));
    store.put('b', session(2));
    expect(tagOf(store.take('b', T0))).toBe(2);
    expect(tagOf(store.take('a', T0))).toBe(1);
    expect(store.take('a', T0)).toBeUndefined();
  });

  it('expires a session at receivedAt + lifetime * 1000, exactly', () => {
    const a = new MemorySessionStore();
    a.put('k', session(1, T0, 10));
    expect(tagOf(a.take('k', T0 + 9999))).toBe(1);
    const b = new MemorySessionStore();
    b.put('k', session(1, T0, 10));
    expect(b.take('k', T0 + 10000)).toBeUndefined();
    expect(b.size).toBe(0); // and dropped
  });

  it('skips and drops expired newer sessions to give an older live one', () => {
    const store = new MemorySessionStore();
    store.put('k', session(1, T0, 3600));
    store.put('k', session(2, T0 + 1000, 5));
    store.put('k', session(3, T0 + 2000, 5));
    expect(store.size).toBe(3);
    expect(tagOf(store.take('k', T0 + 10_000))).toBe(1);
    expect(store.size).toBe(0);
  });

  it('keeps no session for more than 7 days, whatever its lifetime', () => {
    const week = 604800;
    const a = new MemorySessionStore();
    a.put('k', session(1, T0, 10 * week));
    expect(tagOf(a.take('k', T0 + week * 1000 - 1))).toBe(1);
    const b = new MemorySessionStore();
    b.put('k', session(1, T0, 10 * week));
    expect(b.take('k', T0 + week * 1000)).toBeUndefined();
  });

  it('does not keep a session with lifetime 0', () => {
    const store = new MemorySessionStore();
    store.put('k', session(1, T0, 0));
    expect(store.size).toBe(0);
    expect(store.take('k', T0 - 1)).toBeUndefined();
  });

  it('drops sessions of the key already expired when a newer one is put', () => {
    const store = new MemorySessionStore();
    store.put('k', session(1, T0, 1));
    store.put('k', session(2, T0 + 5000, 60));
    expect(store.size).toBe(1);
    expect(tagOf(store.take('k', T0 + 5000))).toBe(2);
  });

  it('keeps at most perKey sessions per key, dropping the oldest', () => {
    const store = new MemorySessionStore({ perKey: 2 });
    store.put('k', session(1, T0 + 1));
    store.put('k', session(2, T0 + 2));
    store.put('k', session(3, T0 + 3));
    expect(store.size).toBe(2);
    const now = T0 + 10;
    expect([tagOf(store.take('k', now)), tagOf(store.take('k', now)), store.take('k', now)]).toEqual([3, 2, undefined]);
  });

  it('drops the oldest even when it is the one being put', () => {
    const store = new MemorySessionStore({ perKey: 2 });
    store.put('k', session(2, T0 + 2));
    store.put('k', session(3, T0 + 3));
    store.put('k', session(1, T0 + 1));
    const now = T0 + 10;
    expect([tagOf(store.take('k', now)), tagOf(store.take('k', now)), store.take('k', now)]).toEqual([3, 2, undefined]);
  });

  it('keeps perKey 4 by default', () => {
    const store = new MemorySessionStore();
    for (let i = 1; i <= 6; i++) store.put('k', session(i, T0 + i));
    expect(store.perKey).toBe(4);
    expect(store.size).toBe(4);
    const taken = [1, 2, 3, 4, 5].map(() => tagOf(store.take('k', T0 + 10)));
    expect(taken).toEqual([6, 5, 4, 3, undefined]);
  });

  it('evicts the key least recently put to past maxKeys', () => {
    const store = new MemorySessionStore({ maxKeys: 2 });
    store.put('a', session(1));
    store.put('b', session(2));
    store.put('a', session(3, T0 + 1)); // a is now the most recent
    store.put('c', session(4)); // evicts b
    expect(store.take('b', T0)).toBeUndefined();
    expect(tagOf(store.take('a', T0 + 1))).toBe(3);
    expect(tagOf(store.take('a', T0 + 1))).toBe(1);
    expect(tagOf(store.take('c', T0))).toBe(4);
  });

  it('does not count a take as a use for eviction', () => {
    const store = new MemorySessionStore({ maxKeys: 2 });
    store.put('a', session(1));
    store.put('a', session(2));
    store.put('b', session(3));
    store.take('a', T0); // a keeps one session, still the oldest put
    store.put('c', session(4));
    expect(store.take('a', T0)).toBeUndefined();
    expect(tagOf(store.take('b', T0))).toBe(3);
  });

  it('keeps 256 keys by default', () => {
    const store = new MemorySessionStore();
    expect(store.maxKeys).toBe(256);
    for (let i = 0; i <= 256; i++) store.put(`k${i}`, session(i));
    expect(store.size).toBe(256);
    expect(store.take('k0', T0)).toBeUndefined();
    expect(tagOf(store.take('k1', T0))).toBe(1);
    expect(tagOf(store.take('k256', T0))).toBe(256);
  });

  it('stays bounded under many keys and sessions', () => {
    const store = new MemorySessionStore({ maxKeys: 10, perKey: 3 });
    for (let i = 0; i < 2000; i++) store.put(`k${i % 37}`, session(i % 50, T0 + i));
    expect(store.size).toBeLessThanOrEqual(30);
  });

  it.each([0, -1, 1.5, NaN])('refuses maxKeys or perKey %p', (n) => {
    expect(() => new MemorySessionStore({ maxKeys: n })).toThrow(TlsMisuseError);
    expect(() => new MemorySessionStore({ perKey: n })).toThrow(TlsMisuseError);
  });
});

describe('encodeStoredSession / decodeStoredSession', () => {
  it('round-trips a session with certificates and SNI', () => {
    const s = session(5);
    const b = encodeStoredSession(s);
    expect(b[0]).toBe(STORED_SESSION_VERSION);
    expect(decodeStoredSession(b)).toEqual(s);
  });

  it('round-trips undefined alpn and serverName, a raw key, 0-RTT data and large values', () => {
    const s: StoredSession = {
      ...session(6, Number.MAX_SAFE_INTEGER, 604800),
      alpn: 'h2',
      serverName: undefined,
      certificateType: 'raw',
      peerCertificates: [patternBytes(44)],
      maxEarlyData: 0xffffffff,
      ageAdd: 0xffffffff,
      ticket: patternBytes(0xffff),
    };
    expect(decodeStoredSession(encodeStoredSession(s))).toEqual(s);
    const bare: StoredSession = { ...session(7), alpn: undefined, serverName: undefined, peerCertificates: [] };
    expect(decodeStoredSession(encodeStoredSession(bare))).toEqual(bare);
  });

  it('returns copies that do not share memory with the input', () => {
    const b = encodeStoredSession(session(5));
    const d = decodeStoredSession(b);
    b.fill(0);
    expect(d).toEqual(session(5));
  });

  it('throws TlsMisuseError, naming the problem, for every truncation', () => {
    const b = encodeStoredSession(session(5));
    for (let n = 0; n < b.length; n++) {
      expect(() => decodeStoredSession(b.subarray(0, n))).toThrow(TlsMisuseError);
    }
    expect(() => decodeStoredSession(b.subarray(0, 10))).toThrow(/stored session.*truncated/);
  });

  it('throws TlsMisuseError for trailing bytes and for an unknown version', () => {
    const b = encodeStoredSession(session(5));
    const longer = new Uint8Array([...b, 0]);
    expect(() => decodeStoredSession(longer)).toThrow(TlsMisuseError);
    expect(() => decodeStoredSession(longer)).toThrow(/trailing/);
    const bad = b.slice();
    bad[0] = 2;
    expect(() => decodeStoredSession(bad)).toThrow(/stored session: unknown version 2/);
  });

  it('throws TlsMisuseError for an empty ticket', () => {
    const b = encodeStoredSession(session(5));
    const empty = new Uint8Array([b[0]!, 0, 0, ...b.subarray(3 + 64)]);
    expect(() => decodeStoredSession(empty)).toThrow(TlsMisuseError);
  });

  it('only throws TlsMisuseError on mutated input', () => {
    const b = encodeStoredSession(session(5));
    for (let i = 0; i < b.length; i++) {
      const bad = b.slice();
      bad[i]! ^= 0xff;
      try {
        decodeStoredSession(bad);
      } catch (e) {
        expect(e).toBeInstanceOf(TlsMisuseError);
      }
    }
  });

  it('refuses to encode an empty or oversized ticket, or a bad field', () => {
    expect(() => encodeStoredSession({ ...session(1), ticket: new Uint8Array(0) })).toThrow(TlsMisuseError);
    expect(() => encodeStoredSession({ ...session(1), ticket: new Uint8Array(0x10000) })).toThrow(TlsMisuseError);
    expect(() => encodeStoredSession({ ...session(1), receivedAt: -5 })).toThrow(TlsMisuseError);
    expect(() => encodeStoredSession({ ...session(1), lifetime: 2 ** 32 })).toThrow(TlsMisuseError);
  });
});
