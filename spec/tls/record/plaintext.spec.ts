import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContentType, MAX_PLAINTEXT } from '../../../src/tls/constants.js';
import { TlsMisuseError } from '../../../src/tls/errors.js';
import { encodePlaintextRecord, fragmentContent } from '../../../src/tls/record/plaintext.js';

interface Item { label: string; hex: string | null }
interface Step { index: number; action: string; items: Item[] }
const here = dirname(fileURLToPath(import.meta.url));
const vectors = JSON.parse(readFileSync(resolve(here, '../../../../shared/vectors/rfc8448.json'), 'utf8')) as {
  scenarios: { id: string; steps: Step[] }[];
};
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const get = (st: Step, label: string): Uint8Array => hex(st.items.find((i) => i.label === label)!.hex!);

describe('encodePlaintextRecord (RFC 8446 section 5.1)', () => {
  // Every unprotected record the traces send: ClientHellos (0x0301 for the first, 0x0303 after a
  // HelloRetryRequest), ServerHellos, HelloRetryRequest, change_cipher_spec.
  const plain = vectors.scenarios.flatMap((s) =>
    s.steps
      .filter((st) => /^send (handshake|change_cipher_spec) record$/.test(st.action) && st.items.length > 0)
      .map((st) => ({ name: `${s.id} step ${st.index}`, payload: get(st, 'payload'), record: get(st, 'complete record') }))
      .filter((r) => r.record[0] !== ContentType.application_data),
  );

  test('the traces hold enough unprotected records', () => {
    expect(plain.length).toBeGreaterThanOrEqual(12);
    expect(plain.some((r) => r.record[2] === 0x01)).toBe(true);
    expect(plain.some((r) => r.record[0] === ContentType.change_cipher_spec)).toBe(true);
  });

  test.each(plain)('$name: byte for byte', ({ payload, record }) => {
    const type = record[0] as ContentType;
    const version = (record[1]! << 8) | record[2]!;
    expect(encodePlaintextRecord(type, payload, version)).toEqual(record);
  });

  test('the default legacy_record_version is 0x0303', () => {
    expect(encodePlaintextRecord(ContentType.alert, Uint8Array.of(2, 40))).toEqual(Uint8Array.of(21, 3, 3, 0, 2, 2, 40));
  });

  test('a fragment of 2^14 bytes is allowed, one more byte is a caller error', () => {
    expect(encodePlaintextRecord(ContentType.handshake, new Uint8Array(MAX_PLAINTEXT))).toHaveLength(MAX_PLAINTEXT + 5);
    expect(() => encodePlaintextRecord(ContentType.handshake, new Uint8Array(MAX_PLAINTEXT + 1))).toThrow(TlsMisuseError);
    expect(() => encodePlaintextRecord(ContentType.handshake, new Uint8Array(1), 0x10000)).toThrow(TlsMisuseError);
  });
});

describe('fragmentContent', () => {
  const content = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);

  test('splits into in-order views of at most maxFragment bytes', () => {
    const parts = fragmentContent(content, 300);
    expect(parts.map((x) => x.length)).toEqual([300, 300, 300, 100]);
    expect(Buffer.concat(parts)).toEqual(Buffer.from(content));
    parts.forEach((x, i) => {
      expect(x.buffer).toBe(content.buffer); // views, not copies
      expect(x.byteOffset).toBe(content.byteOffset + 300 * i);
    });
  });

  test('exact multiples, one fragment, and empty content', () => {
    expect(fragmentContent(content, 500).map((x) => x.length)).toEqual([500, 500]);
    expect(fragmentContent(content, MAX_PLAINTEXT).map((x) => x.length)).toEqual([1000]);
    expect(fragmentContent(new Uint8Array(0), 10)).toEqual([]);
    expect(fragmentContent(content.subarray(10, 13), 1).map((x) => x[0])).toEqual([10, 11, 12]);
  });

  test('maxFragment must be an integer in 1..2^14', () => {
    for (const bad of [0, -1, 1.5, MAX_PLAINTEXT + 1, NaN]) expect(() => fragmentContent(content, bad)).toThrow(TlsMisuseError);
  });
});
