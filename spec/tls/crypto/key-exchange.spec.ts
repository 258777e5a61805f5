import { concat, fromHex, toHex } from '../../../src/tls/codec/bytes.js';
import { AlertDescription, NamedGroup } from '../../../src/tls/constants.js';
import { TlsMisuseError, TlsProtocolError } from '../../../src/tls/errors.js';
import type { CryptoProvider, KeyExchange } from '../../../src/tls/crypto/provider.js';
import { vector } from './fixtures.js';
import { PROVIDERS } from './providers.js';

/** The provider's group, asserting that it exists. */
function group(provider: CryptoProvider, g: NamedGroup): KeyExchange {
  const kx = provider.keyExchange(g);
  if (kx === undefined) throw new Error(`no group ${g}`);
  return kx;
}

/** A `random` that hands out the given byte strings in order, and records each request. */
function scripted(...chunks: Uint8Array[]): ((n: number) => Uint8Array) & { requests: number[] } {
  const requests: number[] = [];
  const f = (n: number) => {
    requests.push(n);
    const next = chunks.shift();
    if (next === undefined) throw new Error('scripted random exhausted');
    return next;
  };
  return Object.assign(f, { requests });
}

/** Expects `f` to throw a TlsProtocolError carrying illegal_parameter. */
function expectIllegalParameter(f: () => unknown): void {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TlsProtocolError);
  expect((caught as TlsProtocolError).alert).toBe(AlertDescription.illegal_parameter);
  expect((caught as Error).message).toMatch(/^tls: /);
}

describe.each(PROVIDERS)('%s provider', (name, provider) => {
  describe('x25519', () => {
    const x25519 = group(provider, NamedGroup.x25519);

    test('RFC 7748 section 6.1: both public keys and the shared secret', () => {
      const alice = x25519.generate(scripted(fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')));
      const bob = x25519.generate(scripted(fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')));
      expect(alice.group).toBe(NamedGroup.x25519);
      expect(toHex(alice.publicKey)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
      expect(toHex(bob.publicKey)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
      const k = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
      expect(toHex(alice.agree(bob.publicKey))).toBe(k);
      expect(toHex(bob.agree(alice.publicKey))).toBe(k);
    });

    test('RFC 8448 section 3: injected private keys reproduce both key shares and the (EC)DHE secret', () => {
      const random = scripted(vector('simple_1rtt', 0, 'private key'));
      const client = x25519.generate(random);
      expect(random.requests).toEqual([32]);
      const server = x25519.generate(scripted(vector('simple_1rtt', 4, 'private key')));
      expect(client.publicKey).toEqual(vector('simple_1rtt', 0, 'public key'));
      expect(server.publicKey).toEqual(vector('simple_1rtt', 4, 'public key'));
      // The IKM of the handshake secret extraction is the (EC)DHE shared secret.
      const ikm = vector('simple_1rtt', 7, 'IKM');
      expect(client.agree(server.publicKey)).toEqual(ikm);
      expect(server.agree(client.publicKey)).toEqual(ikm);
    });

    test('fresh key pairs from the provider random agree', () => {
      const a = x25519.generate((n) => provider.random(n));
      const b = x25519.generate((n) => provider.random(n));
      expect(a.publicKey).not.toEqual(b.publicKey);
      expect(a.agree(b.publicKey)).toEqual(b.agree(a.publicKey));
    });

    test('public values of the wrong length are illegal_parameter', () => {
      const share = x25519.generate(() => new Uint8Array(32).fill(7));
      expectIllegalParameter(() => share.agree(new Uint8Array(31).fill(9)));
      expectIllegalParameter(() => share.agree(new Uint8Array(33).fill(9)));
      expectIllegalParameter(() => share.agree(new Uint8Array(0)));
    });

    test('low-order points giving an all-zero secret are illegal_parameter (RFC 8446 section 7.4.2)', () => {
      const share = x25519.generate(() => new Uint8Array(32).fill(7));
      const zero = new Uint8Array(32);
      const one = concat(Uint8Array.of(1), new Uint8Array(31));
      // p - 1 and a point of order 8, from the RFC 7748 section 7 list used by libsodium.
      const pMinus1 = fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
      const order8 = fromHex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800');
      for (const p of [zero, one, pMinus1, order8]) expectIllegalParameter(() => share.agree(p));
    });

    test('a random source returning the wrong length is a misuse', () => {
      expect(() => x25519.generate(() => new Uint8Array(31))).toThrow(TlsMisuseError);
    });
  });

  describe('secp256r1 and secp384r1', () => {
    const p256 = group(provider, NamedGroup.secp256r1);
    const p384 = group(provider, NamedGroup.secp384r1);

    test('RFC 8448 section 5: the injected P-256 keys reproduce both key shares and the secret', () => {
      const random = scripted(vector('hello_retry_request', 5, 'private key'));
      const client = p256.generate(random);
      expect(random.requests).toEqual([32]);
      expect(client.group).toBe(NamedGroup.secp256r1);
      expect(client.publicKey).toEqual(vector('hello_retry_request', 5, 'public key'));
      const server = p256.generate(scripted(vector('hello_retry_request', 9, 'private key')));
      expect(server.publicKey).toEqual(vector('hello_retry_request', 9, 'public key'));
      // The (EC)DHE secret is the X coordinate alone: 32 bytes, the IKM of the handshake secret.
      const ikm = vector('hello_retry_request', 12, 'IKM');
      expect(ikm.length).toBe(32);
      expect(client.agree(server.publicKey)).toEqual(ikm);
      expect(server.agree(client.publicKey)).toEqual(ikm);
    });

    test.each([
      ['P-256', NamedGroup.secp256r1, 32],
      ['P-384', NamedGroup.secp384r1, 48],
    ] as const)('%s: fresh pairs agree on an X coordinate; public values are 0x04 || X || Y', (_, g, size) => {
      const kx = group(provider, g);
      const a = kx.generate((n) => provider.random(n));
      const b = kx.generate((n) => provider.random(n));
      expect(a.publicKey.length).toBe(1 + 2 * size);
      expect(a.publicKey[0]).toBe(4);
      const s = a.agree(b.publicKey);
      expect(s.length).toBe(size);
      expect(s).toEqual(b.agree(a.publicKey));
    });

    test('invalid scalars from random are redrawn: zero, then n or above, then a valid one', () => {
      const good = vector('hello_retry_request', 5, 'private key');
      const random = scripted(new Uint8Array(32), new Uint8Array(32).fill(0xff), good);
      const share = p256.generate(random);
      expect(random.requests).toEqual([32, 32, 32]);
      expect(share.publicKey).toEqual(vector('hello_retry_request', 5, 'public key'));
      const random384 = scripted(new Uint8Array(48), new Uint8Array(48).fill(0x11));
      p384.generate(random384);
      expect(random384.requests).toEqual([48, 48]);
    });

    test('a random source that never yields a valid scalar fails instead of looping forever', () => {
      let calls = 0;
      expect(() =>
        p256.generate((n) => {
          calls++;
          return new Uint8Array(n);
        }),
      ).toThrow(TlsMisuseError);
      expect(calls).toBe(64);
    });

    test('only uncompressed on-curve points of the right size are accepted (RFC 8446 section 4.2.8.2)', () => {
      const share = p256.generate(scripted(vector('hello_retry_request', 5, 'private key')));
      const peer = vector('hello_retry_request', 9, 'public key');
      const x = peer.subarray(1, 33);
      const yOdd = (peer[64]! & 1) === 1;
      // The same point, compressed: valid SEC1 but forbidden in TLS 1.3.
      expectIllegalParameter(() => share.agree(concat(Uint8Array.of(yOdd ? 3 : 2), x)));
      // Wrong prefix on a 65-byte value (hybrid form 0x06/0x07, or garbage).
      for (const prefix of [0x00, 0x02, 0x06, 0x07]) {
        const bad = peer.slice();
        bad[0] = prefix;
        expectIllegalParameter(() => share.agree(bad));
      }
      // Off the curve: Y changed.
      const offCurve = peer.slice();
      offCurve[64]! ^= 1;
      expectIllegalParameter(() => share.agree(offCurve));
      // X and Y zero, the point at infinity's single byte, truncated and overlong values.
      expectIllegalParameter(() => share.agree(concat(Uint8Array.of(4), new Uint8Array(64))));
      expectIllegalParameter(() => share.agree(Uint8Array.of(0)));
      expectIllegalParameter(() => share.agree(peer.subarray(0, 64)));
      expectIllegalParameter(() => share.agree(concat(peer, Uint8Array.of(0))));
      // A valid P-384 point offered to P-256, and the reverse.
      const other384 = p384.generate((n) => provider.random(n)).publicKey;
      expectIllegalParameter(() => share.agree(other384));
      const share384 = p384.generate((n) => provider.random(n));
      expectIllegalParameter(() => share384.agree(peer));
      // The untouched point still works after all those refusals.
      expect(share.agree(peer)).toEqual(vector('hello_retry_request', 12, 'IKM'));
    });
  });

  describe('provider basics', () => {
    test('groups the provider lacks are undefined', () => {
      expect(provider.keyExchange(NamedGroup.secp521r1)).toBeUndefined();
      expect(provider.keyExchange(NamedGroup.x448)).toBeUndefined();
      expect(provider.name).toBe(name);
    });

    test('random(n) returns n fresh bytes, beyond one getRandomValues quota too', () => {
      expect(provider.random(0).length).toBe(0);
      const a = provider.random(32);
      expect(a.length).toBe(32);
      expect(a).not.toEqual(provider.random(32));
      const big = provider.random(100_000);
      expect(big.length).toBe(100_000);
      // The tail past the first 65536-byte chunk is filled too (all zero has odds 2^-8000).
      expect(big.subarray(70_000, 71_000).some((b) => b !== 0)).toBe(true);
      expect(() => provider.random(-1)).toThrow(TlsMisuseError);
    });
  });
});

describe('the providers agree with each other', () => {
  const [[, a], [, b]] = PROVIDERS as [readonly [string, CryptoProvider], readonly [string, CryptoProvider]];

  test.each([
    ['x25519', NamedGroup.x25519],
    ['secp256r1', NamedGroup.secp256r1],
    ['secp384r1', NamedGroup.secp384r1],
  ] as const)('%s: the same random gives the same share, and each agrees with the other', (_, g) => {
    const seedA = a.random(64);
    const seedB = b.random(64);
    const replay = (seed: Uint8Array) => (n: number) => seed.slice(0, n);
    const mineA = group(a, g).generate(replay(seedA));
    const theirsA = group(b, g).generate(replay(seedA));
    expect(theirsA.publicKey).toEqual(mineA.publicKey);
    const peerB = group(b, g).generate(replay(seedB));
    expect(mineA.agree(peerB.publicKey)).toEqual(peerB.agree(mineA.publicKey));
    expect(theirsA.agree(peerB.publicKey)).toEqual(mineA.agree(peerB.publicKey));
  });
});
