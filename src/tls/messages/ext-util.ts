/**
 * Helpers shared by the extension_data codecs: lists of 16-bit values and empty bodies.
 * Internal to the messages folder (not re-exported from index.ts).
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { decodeError, TlsMisuseError } from '../errors.js';

/**
 * Decodes `uint16 list<2..max>` whose length prefix is `lenBytes` wide, checking that the
 * length is even and the list not empty, and that nothing follows it. Violations are
 * decode_error.
 */
export function decodeU16List(data: Uint8Array, what: string, lenBytes: 1 | 2 = 2, max = 0xfffe): number[] {
  const r = new Reader(data, what);
  const list = r.sub(lenBytes, what, 2, max);
  r.end();
  if (list.remaining % 2 !== 0) throw decodeError(`${what}: odd list length ${list.remaining}`);
  const out: number[] = [];
  while (list.remaining > 0) out.push(list.u16());
  return out;
}

/** Encodes a non-empty `uint16 list<2..max>` with a `lenBytes`-wide length prefix. */
export function encodeU16List(values: readonly number[], what: string, lenBytes: 1 | 2 = 2, max = 0xfffe): Uint8Array {
  if (values.length === 0 || values.length * 2 > max) {
    throw new TlsMisuseError(`tls: ${what} needs 1 to ${max >> 1} values, got ${values.length}`);
  }
  const w = new Writer(lenBytes + values.length * 2);
  w.nested(lenBytes, (b) => {
    for (const v of values) b.u16(checkU16(v, what));
  });
  return w.finish();
}

/** Throws decode_error unless the extension_data is empty (`struct {}`). */
export function decodeEmpty(data: Uint8Array, what: string): void {
  if (data.length !== 0) throw decodeError(`${what}: expected empty extension_data, got ${data.length} bytes`);
}

/** `v` if it is an integer in 0..0xffff, else a TlsMisuseError naming `what`. */
export function checkU16(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new TlsMisuseError(`tls: ${what}: ${v} is not a 16-bit value`);
  return v;
}

/** `v` if it is an integer in 0..0xffffffff, else a TlsMisuseError naming `what`. */
export function checkU32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new TlsMisuseError(`tls: ${what}: ${v} is not a 32-bit value`);
  return v;
}

/** `b` if its length is within `min..max`, else a TlsMisuseError naming `what`. */
export function checkLength(b: Uint8Array, min: number, max: number, what: string): Uint8Array {
  if (b.length < min || b.length > max) throw new TlsMisuseError(`tls: ${what}: length ${b.length} outside <${min}..${max}>`);
  return b;
}
