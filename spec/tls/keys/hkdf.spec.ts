import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nobleProvider as p } from '../../../src/tls/crypto/noble.js';
import type { HashName } from '../../../src/tls/crypto/provider.js';
import { TlsMisuseError } from '../../../src/tls/errors.js';
import { deriveSecret, hkdfExpand, hkdfExpandLabel, hkdfExtract } from '../../../src/tls/keys/hkdf.js';

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const range = (from: number, to: number): Uint8Array => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** HKDF-Expand-Label written independently on node:crypto, from RFC 8446 section 7.1 and RFC 5869 section 2.3. */
function nodeExpandLabel(hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([context.length]), context]);
  let t = Buffer.alloc(0);
  const out: Buffer[] = [];
  for (let i = 1; Buffer.concat(out).length < length; i++) {
    t = createHmac(hash, secret).update(Buffer.concat([t, info, Buffer.from([i])])).digest();
    out.push(t);
  }
  return new Uint8Array(Buffer.concat(out).subarray(0, length));
}

describe('HKDF (RFC 5869 appendix A, SHA-256 test cases)', () => {
  const cases = [
    {
      name: 'A.1 basic',
      ikm: hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'),
      salt: range(0x00, 0x0c),
      info: range(0xf0, 0xf9),
      length: 42,
      prk: '077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5',
      okm: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    },
    {
      name: 'A.2 longer inputs and outputs',
      ikm: range(0x00, 0x4f),
      salt: range(0x60, 0xaf),
      info: range(0xb0, 0xff),
      length: 82,
      prk: '06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244',
      okm:
        'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09' +
        'da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
    },
    {
      name: 'A.3 zero-length salt and info',
      ikm: hex('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'),
      salt: new Uint8Array(0),
      info: new Uint8Array(0),
      length: 42,
      prk: '19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04',
      okm: '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    },
  ];

  test.each(cases)('$name', ({ ikm, salt, info, length, prk, okm }) => {
    const gotPrk = hkdfExtract(p, 'sha256', salt, ikm);
    expect(toHex(gotPrk)).toBe(prk);
    expect(toHex(hkdfExpand(p, 'sha256', gotPrk, info, length))).toBe(okm);
  });

  test('an empty salt is HashLen zeros (RFC 5869 section 2.2)', () => {
    const ikm = hex('0b0b0b0b');
    expect(hkdfExtract(p, 'sha384', new Uint8Array(0), ikm)).toEqual(hkdfExtract(p, 'sha384', new Uint8Array(48), ikm));
  });

  test.each<[HashName, number]>([
    ['sha256', 32],
    ['sha384', 48],
    ['sha512', 64],
  ])('%s agrees with node:crypto hkdfSync, lengths 0..3*HashLen+1', (hash, hashLen) => {
    for (const length of [0, 1, hashLen - 1, hashLen, hashLen + 1, 3 * hashLen + 1]) {
      const ikm = randomBytes(40);
      const salt = randomBytes(17);
      const info = randomBytes(9);
      const ours = hkdfExpand(p, hash, hkdfExtract(p, hash, salt, ikm), info, length);
      const theirs = length === 0 ? new Uint8Array(0) : new Uint8Array(hkdfSync(hash, ikm, salt, info, length));
      expect(toHex(ours)).toBe(toHex(theirs));
    }
  });

  test('HKDF-Expand refuses more than 255 * HashLen bytes, a fractional length and a short PRK', () => {
    const prk = new Uint8Array(32).fill(7);
    expect(hkdfExpand(p, 'sha256', prk, new Uint8Array(0), 255 * 32)).toHaveLength(255 * 32);
    expect(() => hkdfExpand(p, 'sha256', prk, new Uint8Array(0), 255 * 32 + 1)).toThrow(TlsMisuseError);
    expect(() => hkdfExpand(p, 'sha256', prk, new Uint8Array(0), 1.5)).toThrow(TlsMisuseError);
    expect(() => hkdfExpand(p, 'sha256', prk, new Uint8Array(0), -1)).toThrow(TlsMisuseError);
    expect(() => hkdfExpand(p, 'sha256', prk.subarray(0, 31), new Uint8Array(0), 32)).toThrow(TlsMisuseError);
  });
});

describe('HKDF-Expand-Label and Derive-Secret (RFC 8446 section 7.1)', () => {
  const here = dirname(fileURLToPath(import.meta.url));
  interface Item { label: string; hex: string | null }
  interface Step { action: string; items: Item[] }
  const vectors = JSON.parse(readFileSync(resolve(here, '../../../../shared/vectors/rfc8448.json'), 'utf8')) as {
    scenarios: { id: string; steps: Step[] }[];
  };
  // Every "derive secret" step of every RFC 8448 trace, with the HkdfLabel ("info") the RFC prints.
  const derives = vectors.scenarios.flatMap((s) =>
    s.steps
      .filter((st) => /^derive secret (for \w+ )?"tls13 [^"]+"$/.test(st.action) && st.items.length > 0)
      .map((st) => {
        const get = (l: string) => hex(st.items.find((i) => i.label === l)!.hex!);
        return {
          name: `${s.id}: ${st.action}`,
          label: /"tls13 ([^"]+)"/.exec(st.action)![1]!,
          prk: get('PRK'),
          hash: get('hash'),
          info: get('info'),
          expanded: get('expanded'),
        };
      }),
  );

  test('the traces have derive steps to check', () => {
    expect(derives.length).toBeGreaterThanOrEqual(40);
  });

  test.each(derives)('$name: HkdfLabel encoding and output', ({ label, prk, hash, info, expanded }) => {
    // Same output as HKDF-Expand with the RFC's own printed info: our HkdfLabel is byte-identical.
    expect(hkdfExpand(p, 'sha256', prk, info, 32)).toEqual(expanded);
    expect(hkdfExpandLabel(p, 'sha256', prk, label, hash, 32)).toEqual(expanded);
    expect(deriveSecret(p, 'sha256', prk, label, hash)).toEqual(expanded);
  });

  test.each<HashName>(['sha256', 'sha384'])('%s agrees with an independent node:crypto HKDF-Expand-Label', (hash) => {
    const secret = randomBytes(hash === 'sha256' ? 32 : 48);
    for (const [label, ctx, len] of [
      ['key', new Uint8Array(0), 16],
      ['iv', new Uint8Array(0), 12],
      ['a label of exactly 249 bytes'.padEnd(249, '.'), randomBytes(255), 100],
      ['c hs traffic', randomBytes(48), 48],
    ] as const) {
      expect(toHex(hkdfExpandLabel(p, hash, secret, label, ctx, len))).toBe(toHex(nodeExpandLabel(hash, secret, label, ctx, len)));
    }
  });

  test('the Length field makes outputs of different lengths unrelated (not prefixes)', () => {
    const secret = new Uint8Array(32).fill(1);
    const a = hkdfExpandLabel(p, 'sha256', secret, 'key', new Uint8Array(0), 16);
    const b = hkdfExpandLabel(p, 'sha256', secret, 'key', new Uint8Array(0), 32);
    expect(b.subarray(0, 16)).not.toEqual(a);
  });

  test('fields outside their HkdfLabel bounds are refused', () => {
    const s = new Uint8Array(32);
    const empty = new Uint8Array(0);
    expect(() => hkdfExpandLabel(p, 'sha256', s, '', empty, 32)).toThrow(TlsMisuseError); // "tls13 " is 6 < 7
    expect(() => hkdfExpandLabel(p, 'sha256', s, 'x'.repeat(250), empty, 32)).toThrow(TlsMisuseError); // 256 > 255
    expect(hkdfExpandLabel(p, 'sha256', s, 'x'.repeat(249), empty, 32)).toHaveLength(32);
    expect(() => hkdfExpandLabel(p, 'sha256', s, 'key', new Uint8Array(256), 32)).toThrow(TlsMisuseError);
    expect(() => hkdfExpandLabel(p, 'sha256', s, 'key', empty, 0x10000)).toThrow(TlsMisuseError);
  });

  test('Derive-Secret takes a transcript hash of Hash.length bytes only', () => {
    const s = new Uint8Array(48);
    expect(deriveSecret(p, 'sha384', s, 'derived', new Uint8Array(48))).toHaveLength(48);
    expect(() => deriveSecret(p, 'sha384', s, 'derived', new Uint8Array(32))).toThrow(TlsMisuseError);
    expect(() => deriveSecret(p, 'sha256', s.subarray(0, 32), 'derived', new Uint8Array(0))).toThrow(TlsMisuseError);
  });
});
