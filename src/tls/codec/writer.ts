/**
 * A growable byte writer for building TLS structures, with length-prefixed vectors written by
 * reserving the prefix and patching it when the body is done.
 */
import { TlsMisuseError } from '../errors.js';

/** Builds big-endian TLS structures into one buffer. */
export class Writer {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** One byte. */
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  /** A 16-bit big-endian integer. */
  u16(v: number): this {
    this.ensure(2);
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  /** A 24-bit big-endian integer. */
  u24(v: number): this {
    this.ensure(3);
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  /** A 32-bit big-endian integer. */
  u32(v: number): this {
    this.ensure(4);
    this.buf[this.pos++] = (v >>> 24) & 0xff;
    this.buf[this.pos++] = (v >>> 16) & 0xff;
    this.buf[this.pos++] = (v >>> 8) & 0xff;
    this.buf[this.pos++] = v & 0xff;
    return this;
  }

  /** Raw bytes. */
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** A vector with a `lenBytes`-byte length prefix holding `b`. */
  vec(lenBytes: 1 | 2 | 3, b: Uint8Array): this {
    return this.nested(lenBytes, (w) => w.bytes(b));
  }

  /** A vector with a `lenBytes`-byte length prefix whose body `body` writes. */
  nested(lenBytes: 1 | 2 | 3, body: (w: this) => void): this {
    this.ensure(lenBytes);
    const at = this.pos;
    this.pos += lenBytes;
    body(this);
    const n = this.pos - at - lenBytes;
    if (n >= 1 << (8 * lenBytes)) throw new TlsMisuseError(`tls: vector of ${n} bytes does not fit a ${lenBytes}-byte length`);
    for (let i = lenBytes - 1, v = n; i >= 0; i--, v >>>= 8) this.buf[at + i] = v & 0xff;
    return this;
  }

  /** The bytes written, as a view of the internal buffer. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}
