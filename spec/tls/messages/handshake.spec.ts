/**
 * Handshake framing and the reassembler (RFC 8446 sections 4 and 5.1).
 */
import fc from 'fast-check';
import { AlertDescription, HandshakeType } from '../../../src/tls/constants.js';
import { concat, toHex } from '../../../src/tls/codec/bytes.js';
import { TlsMisuseError } from '../../../src/tls/errors.js';
import { DEFAULT_MAX_HANDSHAKE_MESSAGE_SIZE, HandshakeReassembler, encodeHandshake } from '../../../src/tls/messages/index.js';
import type { HandshakeMessage } from '../../../src/tls/messages/index.js';
import { SCENARIOS, expectAlert, handshakePayloads } from './rfc8448.js';

/** Pushes each fragment and drains next() after each push; returns [type, raw hex] pairs. */
function feed(fragments: Uint8Array[], r = new HandshakeReassembler()): { type: number; raw: string; body: string }[] {
  const out: { type: number; raw: string; body: string }[] = [];
  for (const f of fragments) {
    r.push(f);
    for (let m = r.next(); m; m = r.next()) out.push({ type: m.type, raw: toHex(m.raw), body: toHex(m.body) });
  }
  expect(r.hasPartial).toBe(false);
  expect(r.hasMessage).toBe(false);
  return out;
}

/** `b` cut into pieces of the given sizes (cycled), the last one taking the rest. */
function split(b: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let i = 0;
  for (let k = 0; i < b.length; k++) {
    const n = Math.max(1, sizes.length ? sizes[k % sizes.length]! : b.length);
    out.push(b.subarray(i, i + n));
    i += n;
  }
  return out;
}

describe('encodeHandshake', () => {
  test('writes type and uint24 length before the body', () => {
    const body = new Uint8Array(0x10203).fill(7);
    const m = encodeHandshake(HandshakeType.certificate, body);
    expect(toHex(m.subarray(0, 5))).toBe('0b01020307');
    expect(m.length).toBe(body.length + 4);
    expect(toHex(encodeHandshake(HandshakeType.end_of_early_data, new Uint8Array(0)))).toBe('05000000');
  });

  test('refuses a type that is not a byte', () => {
    expect(() => encodeHandshake(256, new Uint8Array(0))).toThrow(TlsMisuseError);
  });
});

describe('HandshakeReassembler', () => {
  for (const id of SCENARIOS) {
    test(`${id}: whole records, one byte at a time, one big fragment and random splits agree`, () => {
      const payloads = handshakePayloads(id);
      const stream = concat(...payloads);
      const byRecord = feed(payloads);
      expect(byRecord.length).toBeGreaterThanOrEqual(6);
      expect(byRecord.map((m) => m.raw).join('')).toBe(toHex(stream));
      expect(feed(split(stream, [1]))).toEqual(byRecord);
      expect(feed([stream])).toEqual(byRecord);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }), (sizes) => {
          expect(feed(split(stream, sizes))).toEqual(byRecord);
        }),
        { numRuns: 50 },
      );
    });
  }

  test('a message within one fragment is a view into it; one that spans fragments is an exactly sized copy', () => {
    const a = encodeHandshake(HandshakeType.finished, new Uint8Array(32).fill(1));
    const b = encodeHandshake(HandshakeType.finished, new Uint8Array(32).fill(2));
    const frag = concat(a, b.subarray(0, 10));
    const r = new HandshakeReassembler();
    r.push(frag);
    const first = r.next()!;
    expect(first.raw.buffer).toBe(frag.buffer);
    expect(first.raw.byteOffset).toBe(frag.byteOffset);
    expect(first.body.byteOffset).toBe(frag.byteOffset + 4);
    expect(r.next()).toBeNull();
    expect(r.hasPartial).toBe(true);
    const tail = b.slice(10);
    r.push(tail);
    const second = r.next()!;
    expect(toHex(second.raw)).toBe(toHex(b));
    expect(second.raw.buffer).not.toBe(frag.buffer);
    expect(second.raw.buffer).not.toBe(tail.buffer);
    expect(second.raw.buffer.byteLength).toBe(b.length);
    expect(r.hasPartial).toBe(false);
  });

  test('hasPartial is true exactly while an incomplete message is held; hasMessage while one waits', () => {
    const m = encodeHandshake(HandshakeType.key_update, Uint8Array.of(1));
    const r = new HandshakeReassembler();
    expect(r.hasPartial).toBe(false);
    for (let i = 0; i < m.length - 1; i++) {
      r.push(m.subarray(i, i + 1));
      expect(r.hasPartial).toBe(true);
      expect(r.hasMessage).toBe(false);
      expect(r.next()).toBeNull();
    }
    r.push(m.subarray(m.length - 1));
    expect(r.hasPartial).toBe(false);
    expect(r.hasMessage).toBe(true);
    const got: HandshakeMessage = r.next()!;
    expect(got.type).toBe(HandshakeType.key_update);
    expect(Array.from(got.body)).toEqual([1]);
    expect(r.hasMessage).toBe(false);
    expect(r.next()).toBeNull();
  });

  test('an empty-body message (EndOfEarlyData) completes on its header, even split', () => {
    const r = new HandshakeReassembler();
    r.push(Uint8Array.of(5, 0));
    expect(r.next()).toBeNull();
    r.push(Uint8Array.of(0, 0, 5, 0, 0, 0));
    expect(r.next()!.raw.length).toBe(4);
    expect(r.next()!.type).toBe(HandshakeType.end_of_early_data);
    expect(r.next()).toBeNull();
    expect(r.hasPartial).toBe(false);
  });

  test('a zero-length fragment is unexpected_message (RFC 8446 section 5.1)', () => {
    const r = new HandshakeReassembler();
    expectAlert(() => r.push(new Uint8Array(0)), AlertDescription.unexpected_message);
    // Also in the middle of a message.
    r.push(Uint8Array.of(20, 0));
    expectAlert(() => r.push(new Uint8Array(0)), AlertDescription.unexpected_message);
  });

  test('a declared length above maxMessageSize is illegal_parameter as soon as the header is seen', () => {
    const r = new HandshakeReassembler({ maxMessageSize: 100 });
    // Exactly the limit is fine, and waits for its body.
    r.push(Uint8Array.of(11, 0, 0, 100, 1, 2));
    expect(r.hasPartial).toBe(true);
    r.push(new Uint8Array(98));
    expect(r.next()!.body.length).toBe(100);

    // One more: refused on the header alone, before any body byte arrives; nothing is held.
    const err = expectAlert(() => r.push(Uint8Array.of(11, 0, 0, 101)), AlertDescription.illegal_parameter);
    expect(err.message).toContain('101');
    expect(err.message).toContain('100');
    expect(r.hasPartial).toBe(false);
    expect(r.hasMessage).toBe(false);
  });

  test('the oversize check also fires for a header split across fragments and after whole messages', () => {
    const r = new HandshakeReassembler({ maxMessageSize: 1000 });
    r.push(Uint8Array.of(11, 0));
    expect(r.hasPartial).toBe(true);
    expectAlert(() => r.push(Uint8Array.of(0x03, 0xe9)), AlertDescription.illegal_parameter); // 1001
    expect(r.hasPartial).toBe(false);

    const ok = encodeHandshake(HandshakeType.finished, new Uint8Array(32));
    expectAlert(() => r.push(concat(ok, Uint8Array.of(11, 0xff, 0xff, 0xff))), AlertDescription.illegal_parameter);
    expect(r.hasMessage).toBe(false);
  });

  test('the default limit is 65536 bytes: a huge declared length is refused without buffering it', () => {
    expect(DEFAULT_MAX_HANDSHAKE_MESSAGE_SIZE).toBe(65536);
    const r = new HandshakeReassembler();
    r.push(Uint8Array.of(11, 0x01, 0x00, 0x00)); // exactly 65536: accepted, waiting
    expect(r.hasPartial).toBe(true);
    const r2 = new HandshakeReassembler();
    const err = expectAlert(() => r2.push(Uint8Array.of(11, 0x01, 0x00, 0x01, 0xaa)), AlertDescription.illegal_parameter);
    expect(err.message).toContain('65537');
    expectAlert(() => new HandshakeReassembler().push(Uint8Array.of(1, 0xff, 0xff, 0xff)), AlertDescription.illegal_parameter);
  });

  test('an oversize message allocates nothing for its body', () => {
    const before = process.memoryUsage().arrayBuffers;
    const r = new HandshakeReassembler();
    // Declares 2^24-1 bytes: allocating for it first would show as ~16 MiB of array buffers.
    expectAlert(() => r.push(Uint8Array.of(11, 0xff, 0xff, 0xff, 0)), AlertDescription.illegal_parameter);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(1 << 20);
  });

  test('a bad maxMessageSize option is a TlsMisuseError', () => {
    expect(() => new HandshakeReassembler({ maxMessageSize: -1 })).toThrow(TlsMisuseError);
    expect(() => new HandshakeReassembler({ maxMessageSize: 1 << 24 })).toThrow(TlsMisuseError);
  });
});
