/**
 * Record protection, checked byte for byte against every protected record of the RFC 8448
 * traces (re-encrypted with the trace's traffic secrets and sequence numbers, then decrypted
 * back), plus the failure rules of RFC 8446 sections 5.2 to 5.4 and RFC 8449 section 4.
 */
import { createCipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AlertDescription, ContentType, MAX_PLAINTEXT } from '../../../src/tls/constants.js';
import { nobleProvider as p } from '../../../src/tls/crypto/noble.js';
import type { CryptoProvider } from '../../../src/tls/crypto/provider.js';
import { PROVIDERS } from '../crypto/providers.js';
import { TlsMisuseError, TlsProtocolError } from '../../../src/tls/errors.js';
import { trafficKeys } from '../../../src/tls/keys/traffic.js';
import { RecordDeframer, type RawRecord } from '../../../src/tls/record/deframer.js';
import {
  AEAD_TAG_LENGTH,
  MAX_INNER_PLAINTEXT,
  RecordDecrypter,
  RecordEncrypter,
  SEQUENCE_LIMIT,
  recordNonce,
} from '../../../src/tls/record/protection.js';
import { CIPHER_SUITES, cipherSuiteInfo } from '../../../src/tls/suites.js';

interface Item { label: string; hex: string | null }
interface Step { index: number; party: 'client' | 'server'; action: string; items: Item[] }
interface Scenario { id: string; steps: Step[] }
const here = dirname(fileURLToPath(import.meta.url));
const vectors = JSON.parse(readFileSync(resolve(here, '../../../../shared/vectors/rfc8448.json'), 'utf8')) as { scenarios: Scenario[] };
const scenario = (id: string): Scenario => vectors.scenarios.find((s) => s.id === id)!;
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const item = (st: Step, label: string): Uint8Array => hex(st.items.find((i) => i.label === label)!.hex!);
const secretOf = (s: Scenario, label: string): Uint8Array =>
  item(s.steps.find((st) => st.action === `derive secret "tls13 ${label}"` && st.items.length > 0)!, 'expanded');

const suite = cipherSuiteInfo(0x1301)!;
const INNER_TYPE = { handshake: ContentType.handshake, application_data: ContentType.application_data, alert: ContentType.alert } as const;

/** Handshake message types in a record payload. */
function messageTypes(payload: Uint8Array): number[] {
  const types: number[] = [];
  for (let at = 0; at < payload.length; at += 4 + ((payload[at + 1]! << 16) | (payload[at + 2]! << 8) | payload[at + 3]!)) types.push(payload[at]!);
  return types;
}

interface Protected {
  name: string;
  type: ContentType;
  payload: Uint8Array;
  record: Uint8Array;
  secretLabel: string;
  seq: number;
}

/**
 * The protected records of a trace, each with the traffic secret and sequence number that
 * protect it, following RFC 8446: the client writes 0-RTT data and EndOfEarlyData under
 * client_early_traffic_secret, then its flight under the handshake secret; each side switches
 * to application secrets after its Finished; sequence numbers restart at each key (5.3).
 */
function protectedRecords(s: Scenario): Protected[] {
  const hasEarly = s.steps.some((st) => st.action === 'derive secret "tls13 c e traffic"');
  const epoch = { client: hasEarly ? 'c e traffic' : 'c hs traffic', server: 's hs traffic' };
  const seq = new Map<string, number>();
  const out: Protected[] = [];
  for (const st of s.steps) {
    const m = /^send (handshake|application_data|alert) record$/.exec(st.action);
    if (!m || st.items.length === 0) continue;
    const record = item(st, 'complete record');
    if (record[0] !== ContentType.application_data) continue; // unprotected
    const payload = item(st, 'payload');
    const label = epoch[st.party];
    const n = seq.get(label) ?? 0;
    seq.set(label, n + 1);
    out.push({ name: `${s.id} step ${st.index} ${st.party} ${m[1]} (${label}, seq ${n})`, type: INNER_TYPE[m[1] as keyof typeof INNER_TYPE], payload, record, secretLabel: label, seq: n });
    if (m[1] === 'handshake') {
      const types = messageTypes(payload);
      if (types.includes(5)) epoch.client = 'c hs traffic'; // EndOfEarlyData
      if (types.includes(20)) epoch[st.party] = st.party === 'client' ? 'c ap traffic' : 's ap traffic'; // Finished
    }
  }
  return out;
}

const IDS = ['simple_1rtt', 'resumed_0rtt', 'hello_retry_request', 'client_authentication', 'compatibility_mode'];

/** `base` with AEAD keys that lack the optional `sealInto`: record protection's fallback path. */
function withoutSealInto(base: CryptoProvider): CryptoProvider {
  return {
    ...base,
    name: `${base.name} without sealInto`,
    aead(name) {
      const a = base.aead(name);
      return {
        name: a.name,
        keyLength: a.keyLength,
        importKey(key) {
          const k = a.importKey(key);
          return { seal: (n, ad, pt) => k.seal(n, ad, pt), open: (n, ad, ct) => k.open(n, ad, ct) };
        },
      };
    },
  };
}

/** Every provider, and the noble one without its sealInto fast path. */
const RECORD_PROVIDERS: readonly (readonly [string, CryptoProvider])[] = [...PROVIDERS, ['noble without sealInto', withoutSealInto(p)]];

describe.each(RECORD_PROVIDERS)('%s provider', (_providerName, p) => {
  describe.each(IDS)('RFC 8448 %s: protected records', (id) => {
    const s = scenario(id);
    const recs = protectedRecords(s);

    test('the trace has the expected protected records', () => {
      const labels = new Set(recs.map((r) => r.secretLabel));
      expect(labels).toEqual(new Set(['s hs traffic', 'c hs traffic', 'c ap traffic', 's ap traffic', ...(id === 'resumed_0rtt' ? ['c e traffic'] : [])]));
    });

    test('seal reproduces each record byte for byte; open gives back type and payload', () => {
      const encs = new Map<string, RecordEncrypter>();
      const decs = new Map<string, RecordDecrypter>();
      for (const r of recs) {
        if (!encs.has(r.secretLabel)) {
          encs.set(r.secretLabel, new RecordEncrypter(p, suite, secretOf(s, r.secretLabel)));
          decs.set(r.secretLabel, new RecordDecrypter(p, suite, secretOf(s, r.secretLabel)));
        }
        const enc = encs.get(r.secretLabel)!;
        const dec = decs.get(r.secretLabel)!;
        expect([r.name, enc.sequence]).toEqual([r.name, r.seq]);
        expect([r.name, toHex(enc.seal(r.type, r.payload))]).toEqual([r.name, toHex(r.record)]);
        expect(enc.sequence).toBe(r.seq + 1);

        const d = new RecordDeframer();
        expect(d.push(r.record)).toBe(r.record.length);
        expect(dec.sequence).toBe(r.seq);
        const opened = dec.open(d.take()!);
        expect(opened.type).toBe(r.type);
        expect(toHex(opened.content)).toBe(toHex(r.payload));
        expect(dec.sequence).toBe(r.seq + 1);
      }
    });
  });


  describe('round trips', () => {
    test.each(CIPHER_SUITES.map((x) => [x.name, x] as const))('%s: types, padding, sequence, lengths', (_, st) => {
      const key = Uint8Array.from({ length: st.hash === 'sha384' ? 48 : 32 }, (_, i) => i * 7);
      const enc = new RecordEncrypter(p, st, key);
      const dec = new RecordDecrypter(p, st, key);
      const cases: [ContentType, number, number][] = [
        [ContentType.application_data, 0, 0],
        [ContentType.application_data, 1, 0],
        [ContentType.handshake, 300, 7],
        [ContentType.alert, 2, 0],
        [ContentType.application_data, MAX_PLAINTEXT, 0],
        [ContentType.application_data, 100, MAX_INNER_PLAINTEXT - 101], // padding up to the limit
      ];
      cases.forEach(([type, n, pad], i) => {
        const content = Uint8Array.from({ length: n }, (_, j) => (j * 31 + i) & 0xff);
        const rec = enc.seal(type, content, pad);
        expect(rec.length).toBe(5 + n + 1 + pad + AEAD_TAG_LENGTH);
        expect(Array.from(rec.subarray(0, 5))).toEqual([23, 3, 3, (rec.length - 5) >> 8, (rec.length - 5) & 0xff]);
        expect(enc.sequence).toBe(i + 1);
        const out = dec.open(recordOf(rec));
        expect(out.type).toBe(type);
        expect(toHex(out.content)).toBe(toHex(content));
        expect(dec.sequence).toBe(i + 1);
      });
    });

    test('the same content sealed twice differs (the nonce changes per record)', () => {
      const enc = new RecordEncrypter(p, suite, secret);
      const a = enc.seal(ContentType.application_data, new Uint8Array(20));
      const b = enc.seal(ContentType.application_data, new Uint8Array(20));
      expect(toHex(a)).not.toBe(toHex(b));
    });

    test.each(CIPHER_SUITES.map((x) => [x.name, x] as const))('%s: sealRecords is seal of each piece, back to back, in one array', (_, st) => {
      const key = Uint8Array.from({ length: st.hash === 'sha384' ? 48 : 32 }, (_, i) => i * 3);
      const data = Uint8Array.from({ length: 3 * MAX_PLAINTEXT + 77 }, (_, j) => (j * 13) & 0xff);
      for (const max of [MAX_PLAINTEXT, 1000, 1]) {
        const piece = data.subarray(0, max === 1 ? 5 : data.length);
        const batch = new RecordEncrypter(p, st, key);
        const single = new RecordEncrypter(p, st, key);
        const out = batch.sealRecords(ContentType.application_data, piece, max);
        const expected: Uint8Array[] = [];
        for (let i = 0; i < piece.length; i += max) expected.push(single.seal(ContentType.application_data, piece.subarray(i, i + max)));
        expect(toHex(out)).toBe(toHex(Buffer.concat(expected)));
        expect(batch.sequence).toBe(expected.length);
        // A deframer splits it back into the records, which open in order.
        const dec = new RecordDecrypter(p, st, key);
        const d = new RecordDeframer();
        const got: Uint8Array[] = [];
        for (let at = 0; at < out.length; ) {
          at += d.push(out.subarray(at));
          got.push(dec.open(d.take()!).content.slice());
        }
        expect(toHex(Buffer.concat(got))).toBe(toHex(piece));
      }
    });

    test('sealRecords: empty data is one empty record; a key without enough records left seals nothing', () => {
      const enc = new RecordEncrypter(p, suite, secret, MAX_INNER_PLAINTEXT, 3);
      expect(enc.sealRecords(ContentType.application_data, new Uint8Array(0), 100)).toHaveLength(5 + 1 + 16);
      expect(enc.sequence).toBe(1);
      expect(() => enc.sealRecords(ContentType.application_data, new Uint8Array(201), 100)).toThrow(TlsProtocolError);
      expect(enc.sequence).toBe(1);
      expect(enc.sealRecords(ContentType.application_data, new Uint8Array(200), 100)).toHaveLength(2 * (100 + 5 + 1 + 16));
      expect(() => enc.sealRecords(ContentType.change_cipher_spec, new Uint8Array(10), 100)).toThrow(TlsMisuseError);
      expect(() => enc.sealRecords(ContentType.application_data, new Uint8Array(10), MAX_INNER_PLAINTEXT)).toThrow(TlsMisuseError);
      expect(() => enc.sealRecords(ContentType.application_data, new Uint8Array(10), 0)).toThrow(TlsMisuseError);
    });
  });
});

test('the walk covers the server flight of simple_1rtt (step 19) and its application data', () => {
  const names = protectedRecords(scenario('simple_1rtt')).map((r) => r.name);
  expect(names).toContain('simple_1rtt step 19 server handshake (s hs traffic, seq 0)');
  expect(names).toContain('simple_1rtt step 51 client application_data (c ap traffic, seq 0)');
  expect(names).toContain('simple_1rtt step 52 server application_data (s ap traffic, seq 1)');
  expect(names).toContain('simple_1rtt step 54 server alert (s ap traffic, seq 2)');
});

describe('recordNonce (RFC 8446 section 5.3)', () => {
  const iv = hex('5d313eb2671276ee13000b30');
  const reference = (seq: number): string => {
    const padded = BigInt(seq).toString(16).padStart(24, '0');
    return (BigInt('0x' + toHex(iv)) ^ BigInt('0x' + padded)).toString(16).padStart(24, '0');
  };

  test.each([0, 1, 0xff, 0x100, 0xffff_ffff, 0x1_0000_0000, 0x1_0000_0005, 0x1234_5678_9abc, 2 ** 48 - 1, Number.MAX_SAFE_INTEGER])(
    'seq %i: IV XOR the big-endian 64-bit sequence number',
    (seq) => {
      expect(toHex(recordNonce(iv, seq))).toBe(reference(seq));
    },
  );

  test('does not modify the IV', () => {
    recordNonce(iv, 12345);
    expect(toHex(iv)).toBe('5d313eb2671276ee13000b30');
  });
});

// ---- helpers for crafted records ------------------------------------------------------------

const secret = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i);

/** AES-128-GCM protection written on node:crypto, to craft records our encrypter refuses to make. */
function rawSeal(innerPlaintext: Uint8Array, seq = 0, outerType = 23): RawRecord {
  const { key, iv } = trafficKeys(p, suite, secret);
  const nonce = Buffer.from(iv);
  nonce.writeBigUInt64BE(nonce.readBigUInt64BE(4) ^ BigInt(seq), 4);
  const len = innerPlaintext.length + 16;
  const header = Uint8Array.of(outerType, 3, 3, len >> 8, len & 0xff);
  const c = createCipheriv('aes-128-gcm', key, nonce);
  c.setAAD(header);
  const fragment = new Uint8Array(Buffer.concat([c.update(innerPlaintext), c.final(), c.getAuthTag()]));
  return { type: outerType, version: 0x0303, header, fragment };
}
function recordOf(bytes: Uint8Array): RawRecord {
  const d = new RecordDeframer({ maxFragmentLength: 0xffff });
  d.push(bytes);
  return d.take()!;
}
function alertOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsProtocolError);
    return (e as TlsProtocolError).alert;
  }
  return undefined;
}

describe('RecordDecrypter failures', () => {
  const content = new TextEncoder().encode('attack at dawn');
  const sealed = (n = 1): Uint8Array[] => {
    const enc = new RecordEncrypter(p, suite, secret);
    return Array.from({ length: n }, () => enc.seal(ContentType.application_data, content));
  };

  test('a changed ciphertext, tag or header (the AAD) byte → bad_record_mac', () => {
    const [rec] = sealed();
    for (const at of [5, 5 + content.length - 1, 5 + content.length, rec!.length - 1, 2 /* legacy_record_version */]) {
      const bad = rec!.slice();
      bad[at]! ^= 0x01;
      expect(alertOf(() => new RecordDecrypter(p, suite, secret).open(recordOf(bad)))).toBe(AlertDescription.bad_record_mac);
    }
    expect(new RecordDecrypter(p, suite, secret).open(recordOf(rec!)).content).toEqual(content);
  });

  test('the wrong key, a reordered or a replayed record → bad_record_mac', () => {
    const [r0, r1] = sealed(2);
    const other = secret.slice();
    other[0]! ^= 1;
    expect(alertOf(() => new RecordDecrypter(p, suite, other).open(recordOf(r0!)))).toBe(AlertDescription.bad_record_mac);
    expect(alertOf(() => new RecordDecrypter(p, suite, secret).open(recordOf(r1!)))).toBe(AlertDescription.bad_record_mac);
    const dec = new RecordDecrypter(p, suite, secret);
    dec.open(recordOf(r0!));
    expect(alertOf(() => dec.open(recordOf(r0!)))).toBe(AlertDescription.bad_record_mac);
  });

  test('a failed open does not advance the sequence (0-RTT skipping, RFC 8446 section 4.2.10)', () => {
    const [r0, r1] = sealed(2);
    const dec = new RecordDecrypter(p, suite, secret);
    const bad = r0!.slice();
    bad[7]! ^= 0x80;
    expect(alertOf(() => dec.open(recordOf(bad)))).toBe(AlertDescription.bad_record_mac);
    expect(dec.sequence).toBe(0);
    expect(dec.open(recordOf(r0!)).content).toEqual(content);
    expect(dec.open(recordOf(r1!)).content).toEqual(content);
    expect(dec.sequence).toBe(2);
  });

  test('ciphertext shorter than tag + type byte → bad_record_mac', () => {
    for (const n of [0, 1, 16]) {
      const rec: RawRecord = { type: 23, version: 0x0303, header: Uint8Array.of(23, 3, 3, 0, n), fragment: new Uint8Array(n) };
      expect(alertOf(() => new RecordDecrypter(p, suite, secret).open(rec))).toBe(AlertDescription.bad_record_mac);
    }
    // 17 bytes is the smallest valid record: empty application data.
    const ok = new RecordEncrypter(p, suite, secret).seal(ContentType.application_data, new Uint8Array(0));
    expect(ok.length).toBe(5 + 17);
    expect(new RecordDecrypter(p, suite, secret).open(recordOf(ok))).toEqual({ type: ContentType.application_data, content: new Uint8Array(0) });
  });

  test.each([20, 21, 22])('outer content type %i → unexpected_message', (type) => {
    const rec = rawSeal(Uint8Array.of(1, 23), 0, type);
    expect(alertOf(() => new RecordDecrypter(p, suite, secret).open(rec))).toBe(AlertDescription.unexpected_message);
  });

  test('the crafting helper agrees with RecordEncrypter (so the crafted cases test what they claim)', () => {
    const rec = rawSeal(Uint8Array.of(...content, 23, 0, 0));
    expect(toHex(Buffer.concat([rec.header, rec.fragment]))).toBe(toHex(new RecordEncrypter(p, suite, secret).seal(ContentType.application_data, content, 2)));
    expect(new RecordDecrypter(p, suite, secret).open(rec).content).toEqual(content);
  });

  test('an all-zero TLSInnerPlaintext (no content type) → unexpected_message (5.4)', () => {
    for (const n of [1, 5, 300]) {
      expect(alertOf(() => new RecordDecrypter(p, suite, secret).open(rawSeal(new Uint8Array(n))))).toBe(AlertDescription.unexpected_message);
    }
  });

  test('padding is stripped back to the last non-zero byte; zero bytes inside the content stay', () => {
    const out = new RecordDecrypter(p, suite, secret).open(rawSeal(Uint8Array.of(0, 7, 0, 0, 22, 0, 0, 0)));
    expect(out).toEqual({ type: ContentType.handshake, content: Uint8Array.of(0, 7, 0, 0) });
  });

  test('inner type change_cipher_spec or unknown → unexpected_message (RFC 8446 section 5)', () => {
    for (const t of [20, 24, 0x42, 0xff]) {
      expect(alertOf(() => new RecordDecrypter(p, suite, secret).open(rawSeal(Uint8Array.of(1, t))))).toBe(AlertDescription.unexpected_message);
    }
  });

  test('empty handshake or alert content → unexpected_message; empty application data is fine (5.4)', () => {
    expect(alertOf(() => new RecordDecrypter(p, suite, secret).open(rawSeal(Uint8Array.of(22, 0))))).toBe(AlertDescription.unexpected_message);
    expect(alertOf(() => new RecordDecrypter(p, suite, secret).open(rawSeal(Uint8Array.of(21))))).toBe(AlertDescription.unexpected_message);
    expect(new RecordDecrypter(p, suite, secret).open(rawSeal(Uint8Array.of(23, 0, 0))).content).toHaveLength(0);
  });

  test('TLSInnerPlaintext over 2^14 + 1 → record_overflow (5.2); exactly 2^14 + 1 is accepted', () => {
    const big = new RecordEncrypter(p, suite, secret, MAX_INNER_PLAINTEXT + 1);
    const atLimit = big.seal(ContentType.application_data, new Uint8Array(MAX_PLAINTEXT));
    const over = big.seal(ContentType.application_data, new Uint8Array(MAX_PLAINTEXT + 1));
    const dec = new RecordDecrypter(p, suite, secret);
    expect(dec.open(recordOf(atLimit)).content).toHaveLength(MAX_PLAINTEXT);
    expect(alertOf(() => dec.open(recordOf(over)))).toBe(AlertDescription.record_overflow);
  });

  test('an RFC 8449 record_size_limit counts content + type byte + padding', () => {
    const cases: [contentLength: number, padding: number, ok: boolean][] = [
      [63, 0, true], // 63 + 1 = 64
      [62, 1, true], // 62 + 1 + 1 = 64
      [63, 1, false], // 65
      [0, 64, false], // 65
      [64, 0, false], // 65
    ];
    for (const [n, pad, ok] of cases) {
      const rec = recordOf(new RecordEncrypter(p, suite, secret, 200).seal(ContentType.application_data, new Uint8Array(n).fill(1), pad));
      const dec = new RecordDecrypter(p, suite, secret, 64);
      if (ok) expect(dec.open(rec).content).toHaveLength(n);
      else expect(alertOf(() => dec.open(rec))).toBe(AlertDescription.record_overflow);
    }
  });
});

describe('RecordEncrypter refusals', () => {
  test('caller errors: padding, content over the limit, protected change_cipher_spec, empty handshake/alert', () => {
    const enc = new RecordEncrypter(p, suite, secret);
    expect(() => enc.seal(ContentType.application_data, new Uint8Array(1), -1)).toThrow(TlsMisuseError);
    expect(() => enc.seal(ContentType.application_data, new Uint8Array(1), 0.5)).toThrow(TlsMisuseError);
    expect(() => enc.seal(ContentType.application_data, new Uint8Array(MAX_PLAINTEXT + 1))).toThrow(TlsMisuseError);
    expect(() => enc.seal(ContentType.application_data, new Uint8Array(MAX_PLAINTEXT), 1)).toThrow(TlsMisuseError);
    expect(() => enc.seal(ContentType.change_cipher_spec, Uint8Array.of(1))).toThrow(TlsMisuseError);
    expect(() => enc.seal(99 as ContentType, Uint8Array.of(1))).toThrow(TlsMisuseError);
    expect(() => enc.seal(ContentType.handshake, new Uint8Array(0))).toThrow(TlsMisuseError);
    expect(() => enc.seal(ContentType.alert, new Uint8Array(0))).toThrow(TlsMisuseError);
    expect(enc.sequence).toBe(0); // nothing was sealed
    expect(() => new RecordEncrypter(p, suite, secret, 0)).toThrow(TlsMisuseError);
    expect(() => new RecordDecrypter(p, suite, secret, 0x10000)).toThrow(TlsMisuseError);
  });
});

describe('sequence limits (RFC 8446 section 5.3)', () => {
  test('the default limit is 2^48 records, and no larger limit is accepted', () => {
    expect(SEQUENCE_LIMIT).toBe(2 ** 48);
    expect(() => new RecordEncrypter(p, suite, secret, MAX_INNER_PLAINTEXT, 2 ** 48 + 1)).toThrow(TlsMisuseError);
    expect(() => new RecordDecrypter(p, suite, secret, MAX_INNER_PLAINTEXT, 2 ** 48 + 1)).toThrow(TlsMisuseError);
    expect(() => new RecordDecrypter(p, suite, secret, MAX_INNER_PLAINTEXT, 2 ** 48)).not.toThrow();
  });

  test('seal and open refuse once the limit is reached, with a TlsProtocolError', () => {
    const enc = new RecordEncrypter(p, suite, secret, MAX_INNER_PLAINTEXT, 2);
    const r0 = enc.seal(ContentType.application_data, Uint8Array.of(1));
    const r1 = enc.seal(ContentType.application_data, Uint8Array.of(2));
    expect(() => enc.seal(ContentType.application_data, Uint8Array.of(3))).toThrow(TlsProtocolError);
    expect(enc.sequence).toBe(2);
    const dec = new RecordDecrypter(p, suite, secret, MAX_INNER_PLAINTEXT, 2);
    dec.open(recordOf(r0));
    dec.open(recordOf(r1));
    const third = new RecordEncrypter(p, suite, secret);
    third.seal(ContentType.application_data, Uint8Array.of(1));
    third.seal(ContentType.application_data, Uint8Array.of(1));
    expect(() => dec.open(recordOf(third.seal(ContentType.application_data, Uint8Array.of(3))))).toThrow(TlsProtocolError);
  });
});
