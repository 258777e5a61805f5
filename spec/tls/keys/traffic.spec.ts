/**
 * Suites, traffic key derivation for every suite, key update and exporters. RFC 8448 has no
 * KeyUpdate or exporter values; these are checked against an independent node:crypto
 * implementation of the RFC 8446 formulas here, and against OpenSSL's own exporter (through
 * node:tls and its key log) in spec/tls/record/node-interop.spec.ts.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { CipherSuite } from '../../../src/tls/constants.js';
import { nobleProvider as p } from '../../../src/tls/crypto/noble.js';
import type { HashName } from '../../../src/tls/crypto/provider.js';
import { TlsMisuseError } from '../../../src/tls/errors.js';
import { exportKeyingMaterial, finishedVerifyData, nextTrafficSecret, resumptionPsk, trafficKeys } from '../../../src/tls/keys/traffic.js';
import * as viaSchedule from '../../../src/tls/keys/schedule.js';
import { CIPHER_SUITES, cipherSuiteInfo } from '../../../src/tls/suites.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** HKDF-Expand-Label on node:crypto, written from RFC 8446 section 7.1 and RFC 5869 section 2.3. */
function nodeExpandLabel(hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const full = Buffer.from(`tls13 ${label}`, 'utf8');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([context.length]), context]);
  const blocks: Buffer[] = [];
  let t = Buffer.alloc(0);
  for (let i = 1; blocks.length * t.length < length || t.length === 0; i++) {
    t = createHmac(hash, secret).update(Buffer.concat([t, info, Buffer.from([i])])).digest();
    blocks.push(t);
  }
  return new Uint8Array(Buffer.concat(blocks).subarray(0, length));
}
const nodeHash = (hash: HashName, data: Uint8Array): Uint8Array => new Uint8Array(createHash(hash).update(data).digest());

describe('cipher suites (RFC 8446 appendix B.4)', () => {
  test('the three TLS 1.3 suites with their AEAD, hash and key sizes', () => {
    expect(CIPHER_SUITES.map((s) => [s.id, s.name, s.aead, s.hash, s.keyLength, s.ivLength])).toEqual([
      [0x1301, 'TLS_AES_128_GCM_SHA256', 'aes-128-gcm', 'sha256', 16, 12],
      [0x1302, 'TLS_AES_256_GCM_SHA384', 'aes-256-gcm', 'sha384', 32, 12],
      [0x1303, 'TLS_CHACHA20_POLY1305_SHA256', 'chacha20-poly1305', 'sha256', 32, 12],
    ]);
    for (const s of CIPHER_SUITES) {
      expect(cipherSuiteInfo(s.id)).toBe(s);
      expect(CipherSuite[s.name as keyof typeof CipherSuite]).toBe(s.id);
      expect(p.aead(s.aead).keyLength).toBe(s.keyLength);
    }
  });

  test('unknown and TLS 1.2 suites are undefined', () => {
    expect(cipherSuiteInfo(0x1304)).toBeUndefined(); // TLS_AES_128_CCM_SHA256: not implemented
    expect(cipherSuiteInfo(0xc02f)).toBeUndefined();
    expect(cipherSuiteInfo(0)).toBeUndefined();
  });
});

describe('trafficKeys (RFC 8446 section 7.3)', () => {
  test.each(CIPHER_SUITES.map((s) => [s.name, s] as const))('%s: key and iv as HKDF-Expand-Label(Secret, "key"/"iv", "", len)', (_, suite) => {
    const secret = randomBytes(suite.hash === 'sha384' ? 48 : 32);
    const { key, iv } = trafficKeys(p, suite, secret);
    expect(key).toHaveLength(suite.keyLength);
    expect(iv).toHaveLength(12);
    expect(toHex(key)).toBe(toHex(nodeExpandLabel(suite.hash, secret, 'key', new Uint8Array(0), suite.keyLength)));
    expect(toHex(iv)).toBe(toHex(nodeExpandLabel(suite.hash, secret, 'iv', new Uint8Array(0), 12)));
  });
});

describe('nextTrafficSecret (RFC 8446 section 7.2)', () => {
  test.each<HashName>(['sha256', 'sha384'])('%s: HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length), chained', (hash) => {
    let secret: Uint8Array = randomBytes(hash === 'sha256' ? 32 : 48);
    const seen = new Set<string>([toHex(secret)]);
    for (let n = 0; n < 3; n++) {
      const next = nextTrafficSecret(p, hash, secret);
      expect(toHex(next)).toBe(toHex(nodeExpandLabel(hash, secret, 'traffic upd', new Uint8Array(0), secret.length)));
      expect(seen.has(toHex(next))).toBe(false);
      seen.add(toHex(next));
      secret = next;
    }
  });
});

describe('finishedVerifyData and resumptionPsk', () => {
  test('Finished = HMAC(HKDF-Expand-Label(BaseKey, "finished", "", Hash.length), transcript hash) (4.4.4)', () => {
    const base = randomBytes(48);
    const th = randomBytes(48);
    const fk = nodeExpandLabel('sha384', base, 'finished', new Uint8Array(0), 48);
    expect(toHex(finishedVerifyData(p, 'sha384', base, th))).toBe(createHmac('sha384', fk).update(th).digest('hex'));
  });

  test('resumption PSK = HKDF-Expand-Label(rms, "resumption", ticket_nonce, Hash.length) (4.6.1)', () => {
    const rms = randomBytes(32);
    const nonce = randomBytes(8);
    expect(toHex(resumptionPsk(p, 'sha256', rms, nonce))).toBe(toHex(nodeExpandLabel('sha256', rms, 'resumption', nonce, 32)));
    expect(resumptionPsk(p, 'sha256', rms, Uint8Array.of(0))).not.toEqual(resumptionPsk(p, 'sha256', rms, Uint8Array.of(1)));
  });

  test('the schedule module re-exports the same functions', () => {
    expect(viaSchedule.finishedVerifyData).toBe(finishedVerifyData);
    expect(viaSchedule.exportKeyingMaterial).toBe(exportKeyingMaterial);
    expect(viaSchedule.nextTrafficSecret).toBe(nextTrafficSecret);
    expect(viaSchedule.trafficKeys).toBe(trafficKeys);
    expect(viaSchedule.resumptionPsk).toBe(resumptionPsk);
  });
});

describe('exportKeyingMaterial (RFC 8446 section 7.5)', () => {
  const secret = Uint8Array.from({ length: 32 }, (_, i) => i);
  const ctx = new TextEncoder().encode('some context');

  test('matches HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context), L)', () => {
    for (const hash of ['sha256', 'sha384'] as const) {
      const s = hash === 'sha256' ? secret : randomBytes(48);
      const hl = hash === 'sha256' ? 32 : 48;
      const derived = nodeExpandLabel(hash, s, 'EXPERIMENTAL my label', nodeHash(hash, new Uint8Array(0)), hl);
      const expected = nodeExpandLabel(hash, derived, 'exporter', nodeHash(hash, ctx), 42);
      expect(toHex(exportKeyingMaterial(p, hash, s, 'EXPERIMENTAL my label', ctx, 42))).toBe(toHex(expected));
    }
  });

  test('is deterministic', () => {
    expect(exportKeyingMaterial(p, 'sha256', secret, 'EXPERIMENTAL a', ctx, 32)).toEqual(exportKeyingMaterial(p, 'sha256', secret, 'EXPERIMENTAL a', ctx, 32));
  });

  test('differs with the label, the context, the length and the secret', () => {
    const base = toHex(exportKeyingMaterial(p, 'sha256', secret, 'EXPERIMENTAL a', ctx, 32));
    const other = secret.slice();
    other[31]! ^= 1;
    const variants = [
      exportKeyingMaterial(p, 'sha256', secret, 'EXPERIMENTAL b', ctx, 32),
      exportKeyingMaterial(p, 'sha256', secret, 'EXPERIMENTAL a', new TextEncoder().encode('some contexT'), 32),
      exportKeyingMaterial(p, 'sha256', secret, 'EXPERIMENTAL a', new Uint8Array(0), 32),
      exportKeyingMaterial(p, 'sha256', secret, 'EXPERIMENTAL a', ctx, 33).subarray(0, 32), // L is in the HkdfLabel
      exportKeyingMaterial(p, 'sha256', other, 'EXPERIMENTAL a', ctx, 32),
    ].map(toHex);
    for (const v of variants) expect(v).not.toBe(base);
    expect(new Set(variants).size).toBe(variants.length);
  });

  test('no context computes the same value as an empty context', () => {
    expect(exportKeyingMaterial(p, 'sha256', secret, 'EXPERIMENTAL a', undefined, 20)).toEqual(
      exportKeyingMaterial(p, 'sha256', secret, 'EXPERIMENTAL a', new Uint8Array(0), 20),
    );
  });

  test('refuses an empty label, a label over 249 bytes and a length over 255 * Hash.length', () => {
    expect(() => exportKeyingMaterial(p, 'sha256', secret, '', ctx, 32)).toThrow(TlsMisuseError);
    expect(() => exportKeyingMaterial(p, 'sha256', secret, 'x'.repeat(250), ctx, 32)).toThrow(TlsMisuseError);
    expect(exportKeyingMaterial(p, 'sha256', secret, 'x'.repeat(249), ctx, 32)).toHaveLength(32);
    expect(exportKeyingMaterial(p, 'sha256', secret, 'x', ctx, 255 * 32)).toHaveLength(255 * 32);
    expect(() => exportKeyingMaterial(p, 'sha256', secret, 'x', ctx, 255 * 32 + 1)).toThrow(TlsMisuseError);
    expect(exportKeyingMaterial(p, 'sha256', secret, 'x', ctx, 0)).toHaveLength(0);
  });
});
