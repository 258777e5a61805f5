/**
 * Handshake message framing (RFC 8446 section 4):
 *
 *     struct { HandshakeType msg_type; uint24 length; opaque body[length]; } Handshake;
 *
 * and reassembly of messages from handshake records: a record may hold several messages and
 * a message may span records (RFC 8446 section 5.1).
 */
import { AlertDescription, HandshakeType, nameOf } from '../constants.js';
import { TlsMisuseError, TlsProtocolError, unexpectedMessage } from '../errors.js';

/** The handshake header length: msg_type (1) and length (3). */
export const HANDSHAKE_HEADER_LENGTH = 4;

/** The default {@link HandshakeReassemblerOptions.maxMessageSize}: 64 KiB. */
export const DEFAULT_MAX_HANDSHAKE_MESSAGE_SIZE = 65536;

/** The largest body a uint24 length can describe. */
const MAX_U24 = 0xffffff;

/**
 * One whole handshake message. `body` and `raw` are views: into the pushed fragment when the
 * message lay within one fragment, into a private copy when it spanned fragments.
 */
export interface HandshakeMessage {
  /** msg_type (see `HandshakeType` in constants.ts). */
  type: number;
  /** The body, without the 4-byte header. */
  body: Uint8Array;
  /** The whole message, header included: what goes into the transcript hash. */
  raw: Uint8Array;
}

/** Options of {@link HandshakeReassembler}. */
export interface HandshakeReassemblerOptions {
  /**
   * The largest body length accepted, in bytes (default 65536). A message declaring more is
   * refused with illegal_parameter as soon as its header is seen, before its body is buffered.
   */
  maxMessageSize?: number;
}

/**
 * A handshake message: the 4-byte header (type, uint24 body length) followed by `body`.
 * A body longer than 2^24-1 bytes is a TlsMisuseError.
 */
export function encodeHandshake(type: number, body: Uint8Array): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 255) throw new TlsMisuseError(`tls: handshake type ${type} is not a byte`);
  if (body.length > MAX_U24) throw new TlsMisuseError(`tls: handshake body of ${body.length} bytes exceeds 2^24-1`);
  const out = new Uint8Array(HANDSHAKE_HEADER_LENGTH + body.length);
  out[0] = type;
  out[1] = (body.length >>> 16) & 0xff;
  out[2] = (body.length >>> 8) & 0xff;
  out[3] = body.length & 0xff;
  out.set(body, HANDSHAKE_HEADER_LENGTH);
  return out;
}

/**
 * Reassembles handshake messages from the contents of handshake records.
 *
 * `push` each record's content, then call `next` until it returns null. Messages that lie
 * within one fragment are returned as views into it, without a copy, so the caller must not
 * overwrite a pushed fragment while its messages are in use; only a message that spans
 * fragments is copied, into a buffer of exactly its size. The reassembler itself therefore
 * holds at most `maxMessageSize + 4` bytes of its own.
 *
 * Errors (TlsProtocolError) are fatal: the reassembler is emptied and the connection must end
 * with the error's alert.
 */
export class HandshakeReassembler {
  private readonly maxMessageSize: number;
  /** Whole messages not yet returned by next(); `head` is the first unreturned one. */
  private ready: HandshakeMessage[] = [];
  private head = 0;
  /** Header bytes of a message whose header itself spans fragments. */
  private readonly header = new Uint8Array(HANDSHAKE_HEADER_LENGTH);
  private headerFilled = 0;
  /** The copy of a message that spans fragments, header included, and how much is filled. */
  private partial: Uint8Array | null = null;
  private partialFilled = 0;

  constructor(options: HandshakeReassemblerOptions = {}) {
    const max = options.maxMessageSize ?? DEFAULT_MAX_HANDSHAKE_MESSAGE_SIZE;
    if (!Number.isInteger(max) || max < 0 || max > MAX_U24) {
      throw new TlsMisuseError(`tls: maxMessageSize ${max} outside 0..${MAX_U24}`);
    }
    this.maxMessageSize = max;
  }

  /**
   * True while bytes of an incomplete message are held. Handshake messages must not span a
   * key change (RFC 8446 section 5.1), so the engine checks this before changing keys.
   */
  get hasPartial(): boolean {
    return this.headerFilled > 0 || this.partial !== null;
  }

  /**
   * True while a whole message waits to be taken with {@link next}. A message that precedes a
   * key change must end its record (RFC 8446 section 5.1), so after taking such a message the
   * engine expects both this and {@link hasPartial} to be false.
   */
  get hasMessage(): boolean {
    return this.head < this.ready.length;
  }

  /**
   * Adds the content of one handshake record. A zero-length fragment is unexpected_message
   * ("Implementations MUST NOT send zero-length fragments of Handshake types", RFC 8446
   * section 5.1); a declared length above `maxMessageSize` is illegal_parameter, raised
   * before any of that message's body is buffered.
   */
  push(fragment: Uint8Array): void {
    if (fragment.length === 0) {
      this.reset();
      throw unexpectedMessage('zero-length handshake record fragment');
    }
    try {
      this.consume(fragment);
    } catch (e) {
      this.reset();
      throw e;
    }
  }

  /** The next whole message, or null when none is complete. */
  next(): HandshakeMessage | null {
    if (this.head >= this.ready.length) return null;
    const m = this.ready[this.head]!;
    this.head++;
    if (this.head === this.ready.length) {
      this.ready = [];
      this.head = 0;
    }
    return m;
  }

  private consume(f: Uint8Array): void {
    let pos = 0;
    // 1. Continue a message that started in an earlier fragment.
    if (this.partial === null && this.headerFilled > 0) {
      const take = Math.min(HANDSHAKE_HEADER_LENGTH - this.headerFilled, f.length);
      this.header.set(f.subarray(0, take), this.headerFilled);
      this.headerFilled += take;
      pos = take;
      if (this.headerFilled < HANDSHAKE_HEADER_LENGTH) return;
      const len = this.checkedLength(this.header, 0);
      this.partial = new Uint8Array(HANDSHAKE_HEADER_LENGTH + len);
      this.partial.set(this.header);
      this.partialFilled = HANDSHAKE_HEADER_LENGTH;
      this.headerFilled = 0;
    }
    if (this.partial !== null) {
      const p = this.partial;
      const take = Math.min(p.length - this.partialFilled, f.length - pos);
      p.set(f.subarray(pos, pos + take), this.partialFilled);
      this.partialFilled += take;
      pos += take;
      if (this.partialFilled < p.length) return;
      this.partial = null;
      this.partialFilled = 0;
      this.emit(p);
    }
    // 2. Whole messages inside this fragment: views, no copy.
    while (f.length - pos >= HANDSHAKE_HEADER_LENGTH) {
      const len = this.checkedLength(f, pos);
      const end = pos + HANDSHAKE_HEADER_LENGTH + len;
      if (end > f.length) break;
      this.emit(f.subarray(pos, end));
      pos = end;
    }
    // 3. The start of a message that continues in a later fragment: copy it.
    const rest = f.length - pos;
    if (rest === 0) return;
    if (rest < HANDSHAKE_HEADER_LENGTH) {
      this.header.set(f.subarray(pos));
      this.headerFilled = rest;
      return;
    }
    const len = this.checkedLength(f, pos); // already checked in the loop; cheap
    this.partial = new Uint8Array(HANDSHAKE_HEADER_LENGTH + len);
    this.partial.set(f.subarray(pos));
    this.partialFilled = rest;
  }

  /** The body length in the header at `at`, refused when above maxMessageSize. */
  private checkedLength(b: Uint8Array, at: number): number {
    const len = (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
    if (len > this.maxMessageSize) {
      throw new TlsProtocolError(
        `tls: handshake message ${nameOf(HandshakeType, b[at]!)} of ${len} bytes exceeds the limit of ${this.maxMessageSize} bytes`,
        AlertDescription.illegal_parameter,
      );
    }
    return len;
  }

  private emit(raw: Uint8Array): void {
    this.ready.push({ type: raw[0]!, body: raw.subarray(HANDSHAKE_HEADER_LENGTH), raw });
  }

  private reset(): void {
    this.ready = [];
    this.head = 0;
    this.headerFilled = 0;
    this.partial = null;
    this.partialFilled = 0;
  }
}
