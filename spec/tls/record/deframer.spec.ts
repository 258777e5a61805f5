import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AlertDescription, MAX_CIPHERTEXT } from '../../../src/tls/constants.js';
import { TlsMisuseError, TlsProtocolError } from '../../../src/tls/errors.js';
import { RecordDeframer, type RawRecord } from '../../../src/tls/record/deframer.js';

interface Item { label: string; hex: string | null }
interface Step { index: number; party: string; action: string; items: Item[] }
const here = dirname(fileURLToPath(import.meta.url));
const vectors = JSON.parse(readFileSync(resolve(here, '../../../../shared/vectors/rfc8448.json'), 'utf8')) as {
  scenarios: { id: string; steps: Step[] }[];
};
const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
/** Hex strings compare much faster in jest than 16 KiB typed arrays. */
const hexes = (list: Uint8Array[]): string[] => list.map((b) => Buffer.from(b).toString('hex'));

/** Every record the server sends in RFC 8448 section 3, plus an empty and a maximum-size record. */
const serverRecords: Uint8Array[] = vectors.scenarios
  .find((s) => s.id === 'simple_1rtt')!
  .steps.filter((st) => st.party === 'server' && /^send .* record$/.test(st.action) && st.items.length > 0)
  .map((st) => hex(st.items.find((i) => i.label === 'complete record')!.hex!));
const maxRecord = new Uint8Array(5 + MAX_CIPHERTEXT).fill(0xab);
maxRecord.set([23, 3, 3, MAX_CIPHERTEXT >> 8, MAX_CIPHERTEXT & 0xff]);
const records = [...serverRecords, Uint8Array.of(23, 3, 3, 0, 0), maxRecord, Uint8Array.of(21, 3, 1, 0, 2, 1, 0)];
const stream = new Uint8Array(Buffer.concat(records));

/** Feeds `chunks` through a deframer; returns copies of the records, checking invariants on the way. */
function deframe(chunks: Uint8Array[], d = new RecordDeframer()): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const chunk of chunks) {
    for (let at = 0; at < chunk.length; ) {
      const n = d.push(chunk.subarray(at));
      expect(n).toBeGreaterThan(0);
      at += n;
      expect(d.buffered).toBeLessThanOrEqual(5 + d.maxFragmentLength);
      const rec = d.take();
      if (rec) out.push(wire(rec));
      expect(d.take()).toBeNull();
    }
  }
  return out;
}
/** The record's wire bytes, rebuilt from its parts (a copy). */
function wire(r: RawRecord): Uint8Array {
  expect(r.header).toHaveLength(5);
  expect(r.type).toBe(r.header[0]);
  expect(r.version).toBe((r.header[1]! << 8) | r.header[2]!);
  expect(r.fragment.length).toBe((r.header[3]! << 8) | r.header[4]!);
  return new Uint8Array(Buffer.concat([r.header, r.fragment]));
}

test('the stream holds the RFC 8448 server records', () => {
  expect(serverRecords.length).toBe(5); // ServerHello, encrypted flight, NewSessionTicket, data, alert
  expect(records.length).toBe(8);
});

describe('RecordDeframer framing', () => {
  test('one byte at a time', () => {
    const d = new RecordDeframer();
    const out: Uint8Array[] = [];
    const held: number[] = [];
    let taken = 0;
    for (let i = 0; i < stream.length; i++) {
      taken += d.push(stream.subarray(i, i + 1));
      held.push(d.buffered);
      const r = d.take();
      if (r) out.push(wire(r));
    }
    expect(taken).toBe(stream.length);
    expect(hexes(out)).toEqual(hexes(records));
    expect(d.buffered).toBe(0);
    expect(Math.max(...held)).toBe(5 + MAX_CIPHERTEXT - 1); // one partial record, never more
  });

  test('in one chunk: each push stops at the end of one record, which is a view of the input (zero copy)', () => {
    const input = stream.slice();
    const d = new RecordDeframer();
    let at = 0;
    for (const expected of records) {
      expect(d.push(input.subarray(at))).toBe(expected.length);
      const r = d.take()!;
      expect(r.fragment.buffer).toBe(input.buffer);
      expect(r.header.buffer).toBe(input.buffer);
      expect(r.header.byteOffset).toBe(at);
      expect(hexes([wire(r)])).toEqual(hexes([expected]));
      expect(d.buffered).toBe(0);
      at += expected.length;
    }
    expect(at).toBe(input.length);
    expect(d.push(input.subarray(at))).toBe(0);
    expect(d.take()).toBeNull();
  });

  test('a record completed from held bytes is a view of the internal buffer, not of the input', () => {
    const rec = serverRecords[3]!;
    const d = new RecordDeframer();
    expect(d.push(rec.subarray(0, 10))).toBe(10);
    expect(d.take()).toBeNull();
    expect(d.buffered).toBe(10);
    const rest = rec.slice(10);
    expect(d.push(rest)).toBe(rec.length - 10);
    const r = d.take()!;
    expect(r.fragment.buffer).not.toBe(rest.buffer);
    expect(wire(r)).toEqual(rec);
    expect(d.buffered).toBe(0);
  });

  test('any split of the stream yields the same records (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 40 }), (cuts) => {
        const points = [0, ...[...new Set(cuts)].sort((a, b) => a - b), stream.length];
        const chunks = points.slice(1).map((end, i) => stream.subarray(points[i], end));
        expect(hexes(deframe(chunks))).toEqual(hexes(records));
      }),
      { numRuns: 200 },
    );
  });

  test('push before take is a caller error', () => {
    const d = new RecordDeframer();
    d.push(stream);
    expect(() => d.push(stream.subarray(1))).toThrow(TlsMisuseError);
    expect(d.take()).not.toBeNull();
  });

  test('legacy_record_version minor byte is ignored (RFC 8446 section 5.1)', () => {
    for (const minor of [0, 1, 3, 4, 0xff]) {
      const d = new RecordDeframer();
      d.push(Uint8Array.of(22, 3, minor, 0, 1, 7));
      expect(d.take()!.version).toBe(0x0300 | minor);
    }
  });
});

describe('RecordDeframer header checks, before any body is buffered', () => {
  function alertOf(f: () => unknown): number | undefined {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(TlsProtocolError);
      return (e as TlsProtocolError).alert;
    }
    return undefined;
  }

  test.each([0, 19, 24, 0x47, 0xff])('content type %i → unexpected_message at the first byte', (type) => {
    const d = new RecordDeframer();
    expect(alertOf(() => d.push(Uint8Array.of(type)))).toBe(AlertDescription.unexpected_message);
    // Also in a whole record (fast path).
    expect(alertOf(() => new RecordDeframer().push(Uint8Array.of(type, 3, 3, 0, 1, 0)))).toBe(AlertDescription.unexpected_message);
  });

  test.each([20, 21, 22, 23])('content type %i is accepted', (type) => {
    const d = new RecordDeframer();
    d.push(Uint8Array.of(type, 3, 3, 0, 1, 1));
    expect(d.take()!.type).toBe(type);
  });

  test.each([0, 2, 4, 0x16])('major version %i → protocol_version', (major) => {
    const d = new RecordDeframer();
    d.push(Uint8Array.of(22));
    expect(alertOf(() => d.push(Uint8Array.of(major)))).toBe(AlertDescription.protocol_version);
    expect(alertOf(() => new RecordDeframer().push(Uint8Array.of(22, major, 3, 0, 1, 0)))).toBe(AlertDescription.protocol_version);
  });

  test('length over 2^14 + 256 → record_overflow as soon as the header is complete', () => {
    const d = new RecordDeframer();
    const len = MAX_CIPHERTEXT + 1;
    d.push(Uint8Array.of(23, 3, 3, len >> 8));
    expect(d.buffered).toBe(4);
    expect(alertOf(() => d.push(Uint8Array.of(len & 0xff)))).toBe(AlertDescription.record_overflow);
    expect(d.buffered).toBe(0);
    // The same header with its body in one chunk is refused too.
    const whole = new Uint8Array(5 + len);
    whole.set([23, 3, 3, len >> 8, len & 0xff]);
    expect(alertOf(() => new RecordDeframer().push(whole))).toBe(AlertDescription.record_overflow);
    expect(alertOf(() => new RecordDeframer().push(Uint8Array.of(23, 3, 3, 0xff, 0xff)))).toBe(AlertDescription.record_overflow);
  });

  test('a configured limit (here 2^14, for TLSPlaintext) is enforced and may change between records', () => {
    const d = new RecordDeframer({ maxFragmentLength: 1 << 14 });
    expect(d.maxFragmentLength).toBe(1 << 14);
    const at = new Uint8Array(5 + (1 << 14));
    at.set([22, 3, 3, 0x40, 0x00]);
    d.push(at);
    expect(d.take()!.fragment).toHaveLength(1 << 14);
    expect(alertOf(() => d.push(Uint8Array.of(22, 3, 3, 0x40, 0x01)))).toBe(AlertDescription.record_overflow);
    const e = new RecordDeframer({ maxFragmentLength: 16 });
    e.push(Uint8Array.of(23, 3, 3, 300 >> 8)); // partial header held, then the limit grows
    e.maxFragmentLength = 300;
    const body = new Uint8Array(300).fill(5);
    expect(e.push(Uint8Array.of(300 & 0xff, ...body))).toBe(301);
    expect(e.take()!.fragment).toEqual(body);
    expect(() => new RecordDeframer({ maxFragmentLength: 70000 })).toThrow(TlsMisuseError);
  });

  test('after an error every later push throws the same error', () => {
    const d = new RecordDeframer();
    let first: unknown;
    try {
      d.push(Uint8Array.of(99));
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(TlsProtocolError);
    expect(() => d.push(serverRecords[0]!)).toThrow(first as Error);
  });

  test('a zero-length record of any type is framed (its legality is the engine\'s concern)', () => {
    const d = new RecordDeframer();
    expect(d.push(Uint8Array.of(22, 3, 3, 0, 0, 22))).toBe(5);
    expect(d.take()!.fragment).toHaveLength(0);
  });
});
