/**
 * The ticket contents codec: round trips of every field shape, strict decoding (undefined,
 * never an exception), and range checks when encoding.
 */
import fc from 'fast-check';
import { utf8 } from '../../../src/tls/codec/bytes.js';
import { TlsMisuseError } from '../../../src/tls/errors.js';
import {
  decodeTicketState, encodeTicketState, TICKET_STATE_VERSION, type TicketState,
} from '../../../src/tls/resumption/index.js';
import { patternBytes } from './support.js';

/** A state with every optional field present. */
function fullState(): TicketState {
  return {
    suite: 0x1302,
    psk: patternBytes(48, 1),
    issuedAt: 1_700_000_123_456,
    lifetime: 7200,
    ageAdd: 0xdeadbeef,
    maxEarlyData: 16384,
    alpn: 'h2',
    serverName: 'example.com',
    peerCertificates: [patternBytes(700, 2), patternBytes(500, 3)],
    certificateType: 'x509',
  };
}

/** A state with nothing optional. */
function bareState(): TicketState {
  return {
    suite: 0x1301,
    psk: patternBytes(32, 4),
    issuedAt: 0,
    lifetime: 0,
    ageAdd: 0,
    maxEarlyData: 0,
    alpn: undefined,
    serverName: undefined,
    peerCertificates: [],
    certificateType: 'x509',
  };
}

describe('encodeTicketState / decodeTicketState', () => {
  it('round-trips a state with certificates, ALPN and SNI', () => {
    const s = fullState();
    const b = encodeTicketState(s);
    expect(b[0]).toBe(TICKET_STATE_VERSION);
    expect(decodeTicketState(b)).toEqual(s);
  });

  it('round-trips undefined alpn and serverName, no certificates, zeros', () => {
    const s = bareState();
    const d = decodeTicketState(encodeTicketState(s));
    expect(d).toEqual(s);
    expect(d).toHaveProperty('alpn', undefined);
    expect(d).toHaveProperty('serverName', undefined);
  });

  it('keeps alpn and serverName apart (one present, the other not)', () => {
    const a = { ...bareState(), alpn: 'http/1.1' };
    const b = { ...bareState(), serverName: 'http/1.1' };
    expect(decodeTicketState(encodeTicketState(a))).toEqual(a);
    expect(decodeTicketState(encodeTicketState(b))).toEqual(b);
    expect(encodeTicketState(a)).not.toEqual(encodeTicketState(b));
  });

  it('round-trips a raw public key', () => {
    const s: TicketState = { ...fullState(), certificateType: 'raw', peerCertificates: [patternBytes(44, 5)] };
    expect(decodeTicketState(encodeTicketState(s))).toEqual(s);
  });

  it('round-trips the extremes: issuedAt 2^53 - 1, u32 maxima, 255-byte ALPN and psk, non-ASCII and BOM-led names', () => {
    const s: TicketState = {
      ...fullState(),
      issuedAt: Number.MAX_SAFE_INTEGER,
      lifetime: 0xffffffff,
      ageAdd: 0xffffffff,
      maxEarlyData: 0xffffffff,
      suite: 0xffff,
      psk: patternBytes(255),
      alpn: 'a'.repeat(255),
      serverName: '\ufeffbücher.example',
    };
    expect(decodeTicketState(encodeTicketState(s))).toEqual(s);
  });

  it('splits issuedAt over two 32-bit halves', () => {
    const a = encodeTicketState({ ...bareState(), issuedAt: 0x100000000 });
    const b = encodeTicketState({ ...bareState(), issuedAt: 1 });
    expect(decodeTicketState(a)!.issuedAt).toBe(0x100000000);
    expect(decodeTicketState(b)!.issuedAt).toBe(1);
  });

  it('returns copies that do not share memory with the input', () => {
    const b = encodeTicketState(fullState());
    const d = decodeTicketState(b)!;
    b.fill(0);
    expect(d).toEqual(fullState());
  });

  it('returns undefined for every truncation and for a trailing byte', () => {
    for (const s of [fullState(), bareState()]) {
      const b = encodeTicketState(s);
      for (let n = 0; n < b.length; n++) expect(decodeTicketState(b.subarray(0, n))).toBeUndefined();
      const longer = new Uint8Array(b.length + 1);
      longer.set(b);
      expect(decodeTicketState(longer)).toBeUndefined();
      expect(decodeTicketState(b)).toEqual(s);
    }
  });

  it('returns undefined for an unknown version', () => {
    const b = encodeTicketState(fullState());
    for (const v of [0, 2, 0xff]) {
      const bad = b.slice();
      bad[0] = v;
      expect(decodeTicketState(bad)).toBeUndefined();
    }
  });

  /** Offsets in the encoding of bareState(). */
  const AT = { version: 0, suite: 1, psk: 3, issuedAt: 36, lifetime: 44, alpnPresent: 56, snPresent: 57, certType: 58, certs: 59 };

  it('has the documented layout', () => {
    const b = encodeTicketState({ ...bareState(), issuedAt: 0x0102_0304_0506, lifetime: 0x0a0b0c0d });
    expect(b.length).toBe(62);
    expect(b[AT.psk]).toBe(32);
    expect([...b.subarray(AT.issuedAt, AT.issuedAt + 8)]).toEqual([0, 0, 1, 2, 3, 4, 5, 6]);
    expect([...b.subarray(AT.lifetime, AT.lifetime + 4)]).toEqual([0x0a, 0x0b, 0x0c, 0x0d]);
    expect([b[AT.alpnPresent], b[AT.snPresent], b[AT.certType]]).toEqual([0, 0, 0]);
    expect([...b.subarray(AT.certs)]).toEqual([0, 0, 0]);
    expect(encodeTicketState({ ...bareState(), certificateType: 'raw' })[AT.certType]).toBe(2);
  });

  it('returns undefined for an issuedAt of 2^53 or more', () => {
    const b = encodeTicketState({ ...bareState(), issuedAt: Number.MAX_SAFE_INTEGER });
    expect(decodeTicketState(b)).toBeDefined();
    const bad = b.slice();
    bad[AT.issuedAt + 1] = 0x20; // high word 0x00200000
    expect(decodeTicketState(bad)).toBeUndefined();
  });

  it('returns undefined for a presence byte other than 0 or 1', () => {
    const b = encodeTicketState(bareState());
    for (const at of [AT.alpnPresent, AT.snPresent]) {
      const bad = b.slice();
      bad[at] = 2;
      expect(decodeTicketState(bad)).toBeUndefined();
    }
  });

  it('returns undefined for an unknown certificate type', () => {
    const b = encodeTicketState(bareState());
    for (const t of [1, 3, 0xff]) {
      const bad = b.slice();
      bad[AT.certType] = t;
      expect(decodeTicketState(bad)).toBeUndefined();
    }
  });

  it('returns undefined for an empty psk, an empty string, an empty certificate', () => {
    const b = encodeTicketState(bareState());
    // psk<1..255> of length 0
    const noPsk = new Uint8Array([...b.subarray(0, AT.psk), 0, ...b.subarray(AT.psk + 33)]);
    expect(decodeTicketState(noPsk)).toBeUndefined();
    const onePsk = new Uint8Array([...b.subarray(0, AT.psk), 1, 9, ...b.subarray(AT.psk + 33)]);
    expect(decodeTicketState(onePsk)).toEqual({ ...bareState(), psk: new Uint8Array([9]) });
    const emptyAlpn = new Uint8Array([...b.subarray(0, AT.alpnPresent), 1, 0, ...b.subarray(AT.alpnPresent + 1)]);
    expect(decodeTicketState(emptyAlpn)).toBeUndefined();
    const emptyCert = new Uint8Array([...b.subarray(0, AT.certs), 0, 0, 3, 0, 0, 0]);
    expect(decodeTicketState(emptyCert)).toBeUndefined();
    const oneByteCert = new Uint8Array([...b.subarray(0, AT.certs), 0, 0, 4, 0, 0, 1, 0x30]);
    expect(decodeTicketState(oneByteCert)).toEqual({ ...bareState(), peerCertificates: [new Uint8Array([0x30])] });
  });

  it('returns undefined for ALPN bytes that are not UTF-8', () => {
    const b = encodeTicketState({ ...bareState(), alpn: 'ab' });
    const at = b.indexOf(0x61);
    expect(at).toBeGreaterThan(0);
    const bad = b.slice();
    bad[at] = 0xff;
    expect(decodeTicketState(bad)).toBeUndefined();
  });

  it('never throws on arbitrary input or on mutations of a valid encoding', () => {
    const valid = encodeTicketState(fullState());
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
        decodeTicketState(b);
        decodeTicketState(new Uint8Array([TICKET_STATE_VERSION, ...b]));
      }),
      { seed: 42, numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bad = valid.slice();
        bad[at]! ^= x;
        const d = decodeTicketState(bad); // either rejected or a different, well-formed state
        if (d !== undefined) expect(encodeTicketState(d)).toEqual(bad);
      }),
      { seed: 42, numRuns: 1000 },
    );
  });

  it.each<[string, Partial<TicketState>]>([
    ['suite beyond 16 bits', { suite: 0x10000 }],
    ['a negative suite', { suite: -1 }],
    ['an empty psk', { psk: new Uint8Array(0) }],
    ['a 256-byte psk', { psk: new Uint8Array(256) }],
    ['a negative issuedAt', { issuedAt: -1 }],
    ['a fractional issuedAt', { issuedAt: 1.5 }],
    ['an unsafe issuedAt', { issuedAt: 2 ** 53 }],
    ['lifetime beyond 32 bits', { lifetime: 2 ** 32 }],
    ['a NaN ageAdd', { ageAdd: NaN }],
    ['a negative maxEarlyData', { maxEarlyData: -1 }],
    ['an empty alpn', { alpn: '' }],
    ['a 256-byte alpn', { alpn: 'x'.repeat(256) }],
    ['an empty serverName', { serverName: '' }],
    ['an empty certificate', { peerCertificates: [new Uint8Array(0)] }],
    ['an unknown certificateType', { certificateType: 'pgp' as 'x509' }],
  ])('refuses to encode %s', (_what, patch) => {
    expect(() => encodeTicketState({ ...fullState(), ...patch })).toThrow(TlsMisuseError);
  });

  it('encodes a UTF-8 serverName as its bytes', () => {
    const b = encodeTicketState({ ...bareState(), serverName: 'é' });
    expect([...b.subarray(AT.snPresent, AT.snPresent + 5)]).toEqual([1, 0, 2, ...utf8('é')]);
  });
});
