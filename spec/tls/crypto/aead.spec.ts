import { createCipheriv } from 'node:crypto';
import { concat, fromHex, utf8 } from '../../../src/tls/codec/bytes.js';
import { TlsMisuseError } from '../../../src/tls/errors.js';
import type { AeadName } from '../../../src/tls/crypto/provider.js';
import { PROVIDERS } from './providers.js';

/** The McGrew-Viega GCM test cases 4 (AES-128) and 16 (AES-256), both with AAD. */
const gcmCases = [
  {
    name: 'aes-128-gcm' as const,
    key: 'feffe9928665731c6d6a8f9467308308',
    ciphertext:
      '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091',
    tag: '5bc94fbc3221a5db94fae95ae7121a47',
  },
  {
    name: 'aes-256-gcm' as const,
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
    ciphertext:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  },
];
const gcmPlaintext = fromHex(
  'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
);
const gcmAad = fromHex('feedfacedeadbeeffeedfacedeadbeefabaddad2');
const gcmNonce = fromHex('cafebabefacedbaddecaf888');

/** `n` bytes of a fixed pattern. */
const testBytes = (n: number) => new Uint8Array(n).map((_, i) => (i * 131 + 7) & 0xff);

/** RFC 8439 section 2.8.2. */
const chacha = {
  key: fromHex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f'),
  nonce: fromHex('070000004041424344454647'),
  aad: fromHex('50515253c0c1c2c3c4c5c6c7'),
  plaintext: utf8(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
  ),
  ciphertext: fromHex(
    'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b' +
      '1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
      '3ff4def08e4b7a9de576d26586cec64b6116',
  ),
  tag: fromHex('1ae10b594f09e26a7e902ecbd0600691'),
};

/** The same AEAD computed by node:crypto (OpenSSL), as an independent check. */
function nodeSeal(name: AeadName, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const c =
    name === 'chacha20-poly1305'
      ? createCipheriv(name, key, nonce, { authTagLength: 16 })
      : createCipheriv(name, key, nonce);
  c.setAAD(aad, { plaintextLength: plaintext.length });
  return concat(c.update(plaintext), c.final(), c.getAuthTag());
}

describe.each(PROVIDERS)('%s AEADs', (_name, provider) => {
  test.each(gcmCases)('$name matches the McGrew-Viega GCM test case', ({ name, key, ciphertext, tag }) => {
    const k = provider.aead(name).importKey(fromHex(key));
    const sealed = k.seal(gcmNonce, gcmAad, gcmPlaintext);
    expect(sealed).toEqual(concat(fromHex(ciphertext), fromHex(tag)));
    expect(k.open(gcmNonce, gcmAad, sealed)).toEqual(gcmPlaintext);
  });

  test('chacha20-poly1305 matches RFC 8439 section 2.8.2', () => {
    const k = provider.aead('chacha20-poly1305').importKey(chacha.key);
    const sealed = k.seal(chacha.nonce, chacha.aad, chacha.plaintext);
    expect(sealed).toEqual(concat(chacha.ciphertext, chacha.tag));
    expect(k.open(chacha.nonce, chacha.aad, sealed)).toEqual(chacha.plaintext);
  });

  const all: { name: AeadName; keyLength: number }[] = [
    { name: 'aes-128-gcm', keyLength: 16 },
    { name: 'aes-256-gcm', keyLength: 32 },
    { name: 'chacha20-poly1305', keyLength: 32 },
  ];

  describe.each(all)('$name', ({ name, keyLength }) => {
    const key = new Uint8Array(keyLength).map((_, i) => i + 1);
    const nonce = new Uint8Array(12).map((_, i) => 0xa0 + i);
    const aad = utf8('header');
    const plaintext = utf8('attack at dawn, bring snacks');
    const aead = provider.aead(name);
    const k = aead.importKey(key);
    const sealed = k.seal(nonce, aad, plaintext);

    test('reports its key length and agrees with node:crypto', () => {
      expect(aead.keyLength).toBe(keyLength);
      expect(sealed).toEqual(nodeSeal(name, key, nonce, aad, plaintext));
    });

    test('open returns null when any byte of ciphertext or tag is flipped', () => {
      for (const at of [0, plaintext.length - 1, plaintext.length, sealed.length - 1]) {
        const bad = sealed.slice();
        bad[at]! ^= 0x01;
        expect(k.open(nonce, aad, bad)).toBeNull();
      }
    });

    test('open returns null for the wrong aad, nonce or key, and for input shorter than a tag', () => {
      expect(k.open(nonce, utf8('headeR'), sealed)).toBeNull();
      const otherNonce = nonce.slice();
      otherNonce[11]! ^= 1;
      expect(k.open(otherNonce, aad, sealed)).toBeNull();
      const otherKey = key.slice();
      otherKey[0]! ^= 1;
      expect(aead.importKey(otherKey).open(nonce, aad, sealed)).toBeNull();
      expect(k.open(nonce, aad, sealed.subarray(0, 15))).toBeNull();
      expect(k.open(nonce, aad, new Uint8Array(0))).toBeNull();
    });

    test('an empty plaintext seals to a bare tag that opens', () => {
      const tagOnly = k.seal(nonce, aad, new Uint8Array(0));
      expect(tagOnly.length).toBe(16);
      expect(k.open(nonce, aad, tagOnly)).toEqual(new Uint8Array(0));
    });

    test('the key is copied at import', () => {
      const mutable = key.slice();
      const bound = aead.importKey(mutable);
      mutable.fill(0);
      expect(bound.open(nonce, aad, sealed)).toEqual(plaintext);
    });

    test('sealInto writes exactly what seal makes of plaintext || trailer, into the given view', () => {
      expect(k.sealInto).toBeDefined();
      for (const [body, trailer] of [
        [plaintext, Uint8Array.of(23)],
        [plaintext, Uint8Array.of(22, 0, 0, 0)],
        [new Uint8Array(0), Uint8Array.of(21)],
        [testBytes(20_000), Uint8Array.of(23)],
      ] as const) {
        const record = new Uint8Array(5 + body.length + trailer.length + 16 + 3).fill(0xee);
        const out = record.subarray(5, record.length - 3);
        k.sealInto!(nonce, aad, body, trailer, out);
        const whole = concat(body, trailer);
        expect(out).toEqual(k.seal(nonce, aad, whole));
        expect(record.subarray(0, 5)).toEqual(new Uint8Array(5).fill(0xee));
        expect(record.subarray(record.length - 3)).toEqual(new Uint8Array(3).fill(0xee));
        expect(k.open(nonce, aad, out)).toEqual(whole);
      }
      expect(() => k.sealInto!(nonce, aad, plaintext, Uint8Array.of(23), new Uint8Array(plaintext.length + 16))).toThrow(TlsMisuseError);
      expect(() => k.sealInto!(new Uint8Array(8), aad, plaintext, Uint8Array.of(23), new Uint8Array(plaintext.length + 17))).toThrow(TlsMisuseError);
    });

    test('inputs are not modified, and results are plain arrays the caller owns', () => {
      const n = nonce.slice();
      const a = aad.slice();
      const p = plaintext.slice();
      const s1 = k.seal(n, a, p);
      const opened = k.open(n, a, s1)!;
      expect([n, a, p]).toEqual([nonce, aad, plaintext]);
      expect(Object.getPrototypeOf(s1)).toBe(Uint8Array.prototype);
      expect(Object.getPrototypeOf(opened)).toBe(Uint8Array.prototype);
      opened.fill(0);
      expect(k.open(n, a, s1)).toEqual(plaintext);
    });

    test('wrong key and nonce lengths are misuse', () => {
      expect(() => aead.importKey(new Uint8Array(keyLength - 1))).toThrow(TlsMisuseError);
      expect(() => aead.importKey(new Uint8Array(keyLength + 1))).toThrow(`${name} key must be ${keyLength} bytes`);
      expect(() => k.seal(new Uint8Array(8), aad, plaintext)).toThrow(TlsMisuseError);
      expect(() => k.open(new Uint8Array(16), aad, sealed)).toThrow(TlsMisuseError);
    });
  });

  test('an unknown AEAD name is a misuse', () => {
    expect(() => provider.aead('aes-128-ccm' as AeadName)).toThrow(TlsMisuseError);
  });
});
