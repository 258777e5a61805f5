/**
 * A bounds-checked reader over a byte view. Every read that would run past the end, and every
 * vector whose declared length overruns its enclosing structure, is a decode_error
 * (RFC 8446 section 6.2): a malformed message can never read outside its own bytes.
 */
import { decodeError } from '../errors.js';

/** Reads big-endian integers and length-prefixed vectors from a byte view, strictly. */
export class Reader {
  private pos = 0;
  /** @param what names the structure being read, for error messages. */
  constructor(
    private readonly buf: Uint8Array,
    private readonly what = 'message',
  ) {}

  /** Bytes not yet read. */
  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** The offset of the next byte to read. */
  get offset(): number {
    return this.pos;
  }

  private need(n: number): void {
    if (n > this.buf.length - this.pos) throw decodeError(`${this.what} truncated: need ${n} more bytes, have ${this.remaining}`);
  }

  /** One byte. */
  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  /** A 16-bit big-endian integer. */
  u16(): number {
    this.need(2);
    const v = (this.buf[this.pos]! << 8) | this.buf[this.pos + 1]!;
    this.pos += 2;
    return v;
  }

  /** A 24-bit big-endian integer. */
  u24(): number {
    this.need(3);
    const b = this.buf;
    const v = (b[this.pos]! << 16) | (b[this.pos + 1]! << 8) | b[this.pos + 2]!;
    this.pos += 3;
    return v;
  }

  /** A 32-bit big-endian integer. */
  u32(): number {
    this.need(4);
    const b = this.buf;
    const v = (b[this.pos]! * 0x1000000) + ((b[this.pos + 1]! << 16) | (b[this.pos + 2]! << 8) | b[this.pos + 3]!);
    this.pos += 4;
    return v;
  }

  /** `n` raw bytes, as a view (no copy). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** The rest of the bytes, as a view. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /**
   * A vector with a `lenBytes`-byte length prefix (1, 2 or 3), as a view. `min`/`max` bound the
   * length as the RFC's `<min..max>` notation does.
   */
  vec(lenBytes: 1 | 2 | 3, min = 0, max = Infinity): Uint8Array {
    const n = lenBytes === 1 ? this.u8() : lenBytes === 2 ? this.u16() : this.u24();
    if (n < min || n > max) throw decodeError(`${this.what}: vector length ${n} outside <${min}..${max}>`);
    return this.bytes(n);
  }

  /** A sub-reader over a length-prefixed vector. */
  sub(lenBytes: 1 | 2 | 3, what = this.what, min = 0, max = Infinity): Reader {
    return new Reader(this.vec(lenBytes, min, max), what);
  }

  /** Throws decode_error unless every byte was read. */
  end(): void {
    if (this.remaining !== 0) throw decodeError(`${this.what}: ${this.remaining} unexpected trailing bytes`);
  }
}
