/**
 * A minimal DER tag-length-value reader (X.690 section 8.1, DER rules of section 10.1) for the
 * few values whose raw octets @peculiar/asn1-x509 does not keep: the GeneralName choices of
 * subjectAltName and nameConstraints (its iPAddress converter turns octets into text, losing
 * malformed lengths and non-contiguous masks). Whole certificates are parsed with @peculiar.
 */

/** One DER element: its tag byte and its content octets (a view into the input). */
export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number; tag numbers up to 30 only). */
  readonly tag: number;
  /** The content octets. */
  readonly content: Uint8Array;
}

/** Thrown for input that is not DER; callers turn it into their own error. */
export class DerError extends Error {}

/** Reads the element at `offset`; returns it and the offset after it. */
function readOne(bytes: Uint8Array, offset: number): { tlv: Tlv; next: number } {
  if (offset + 2 > bytes.length) throw new DerError('truncated element');
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let length = bytes[offset + 1]!;
  let at = offset + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    // X.690 section 10.1: definite form, minimal number of length octets.
    if (n === 0 || n > 4) throw new DerError('indefinite or oversized length');
    if (at + n > bytes.length) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + bytes[at + i]!;
    if (length < 0x80 || bytes[at] === 0) throw new DerError('non-minimal length');
    at += n;
  }
  if (at + length > bytes.length) throw new DerError('truncated content');
  return { tlv: { tag, content: bytes.subarray(at, at + length) }, next: at + length };
}

/** The single element that makes up all of `bytes` (no trailing bytes). */
export function readTlv(bytes: Uint8Array): Tlv {
  const { tlv, next } = readOne(bytes, 0);
  if (next !== bytes.length) throw new DerError(`${bytes.length - next} bytes after the element`);
  return tlv;
}

/** The elements that make up all of `content` (the content of a SEQUENCE or SET). */
export function readChildren(content: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let at = 0; at < content.length; ) {
    const { tlv, next } = readOne(content, at);
    out.push(tlv);
    at = next;
  }
  return out;
}

/** Re-encodes a tag and content as one DER element. */
export function encodeTlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const head = n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : n < 0x10000 ? [tag, 0x82, n >> 8, n & 0xff] : [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(head.length + n);
  out.set(head);
  out.set(content, head.length);
  return out;
}
