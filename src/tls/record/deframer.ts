/**
 * Record framing: splits a byte stream into TLS records (RFC 8446 section 5.1) without
 * decrypting them. The header is checked as soon as its bytes arrive, before any of the body is
 * buffered, so a hostile length never makes memory grow. At most one partial record is held.
 */
import { AlertDescription, ContentType, MAX_CIPHERTEXT, RECORD_HEADER_LENGTH, nameOf } from '../constants.js';
import { TlsMisuseError, TlsProtocolError, unexpectedMessage } from '../errors.js';

/** One record as framed on the wire, not yet decrypted. */
export interface RawRecord {
  /** The (outer) content type: 20..23. */
  readonly type: number;
  /** legacy_record_version, for diagnostics only (RFC 8446 section 5.1 says to ignore it). */
  readonly version: number;
  /** The 5 header bytes: the additional data of record protection (RFC 8446 section 5.2). */
  readonly header: Uint8Array;
  /** The record body: TLSPlaintext.fragment or TLSCiphertext.encrypted_record. */
  readonly fragment: Uint8Array;
}

/** Options of a {@link RecordDeframer}. */
export interface RecordDeframerOptions {
  /**
   * The largest record body accepted, in bytes; a larger length in a header is a
   * record_overflow (RFC 8446 section 5.2). Default 2^14 + 256, the TLSCiphertext maximum.
   */
  maxFragmentLength?: number;
}

/**
 * Splits a stream of bytes into records, one at a time.
 *
 * ```ts
 * for (let at = 0; at < chunk.length; ) {
 *   at += deframer.push(chunk.subarray(at));
 *   const rec = deframer.take();
 *   if (rec) handle(rec); // null: the chunk ended inside a record, which is now held
 * }
 * ```
 *
 * Each record is valid until the next push.
 *
 * `push` stops at the end of the first record it completes, so a caller that stops calling
 * it (a paused reader) stops framing: nothing beyond one partial record is ever buffered. A
 * record lying wholly inside the pushed chunk is returned as a view of that chunk (no copy).
 *
 * Header checks, made as each header byte arrives: content type not 20..23 →
 * unexpected_message (RFC 8446 section 5); first version byte not 0x03 → protocol_version
 * (the minor version byte is ignored, per 5.1's "MUST be ignored for all purposes"); length above
 * the limit → record_overflow (5.1, 5.2). After an error every later `push` throws it again.
 */
export class RecordDeframer {
  private limit: number;
  private buf: Uint8Array | null = null;
  private held = 0;
  private needed = 0; // total record length once the header is complete, else 0
  private ready: RawRecord | null = null;
  private failed: TlsProtocolError | null = null;

  /** A deframer accepting record bodies up to `options.maxFragmentLength` bytes. */
  constructor(options: RecordDeframerOptions = {}) {
    this.limit = checkLimit(options.maxFragmentLength ?? MAX_CIPHERTEXT);
  }

  /**
   * The largest record body accepted. It may be changed between records (for example when
   * moving from plaintext to protected records); a record whose header already passed keeps
   * the limit it was checked against.
   */
  get maxFragmentLength(): number {
    return this.limit;
  }
  set maxFragmentLength(n: number) {
    this.limit = checkLimit(n);
  }

  /** Bytes of a partial record held between pushes (0 when none). */
  get buffered(): number {
    return this.held;
  }

  /**
   * Consumes bytes of `data` up to the end of the first record they complete (all of `data`
   * when none completes) and returns how many it took. Call {@link take} after each push. Throws
   * TlsMisuseError when the record completed by the previous push was not taken, and
   * TlsProtocolError (with the alert to send) for a bad header.
   */
  push(data: Uint8Array): number {
    if (this.failed) throw this.failed;
    if (this.ready) throw new TlsMisuseError('tls: RecordDeframer.push called before take() collected the completed record');
    try {
      return this.consume(data);
    } catch (e) {
      if (e instanceof TlsProtocolError) {
        this.failed = e;
        this.held = 0;
        this.needed = 0;
      }
      throw e;
    }
  }

  /**
   * The record completed by the last push, or null. The record's arrays are views (of the
   * pushed data, or of the internal buffer when it arrived in pieces) and stay valid only until
   * the next push.
   */
  take(): RawRecord | null {
    const r = this.ready;
    this.ready = null;
    return r;
  }

  private consume(data: Uint8Array): number {
    // Fast path: nothing held and a whole record inside data: a view, no copy.
    if (this.held === 0 && data.length >= RECORD_HEADER_LENGTH) {
      const len = this.checkHeader(data, RECORD_HEADER_LENGTH);
      const total = RECORD_HEADER_LENGTH + len;
      if (data.length >= total) {
        this.ready = makeRecord(data, total);
        return total;
      }
    }
    let at = 0;
    while (at < data.length) {
      if (this.needed === 0) {
        // Header bytes: copy and check what we have before taking more.
        const buf = this.buffer(RECORD_HEADER_LENGTH);
        const n = Math.min(RECORD_HEADER_LENGTH - this.held, data.length - at);
        buf.set(data.subarray(at, at + n), this.held);
        this.held += n;
        at += n;
        const len = this.checkHeader(buf, this.held);
        if (this.held < RECORD_HEADER_LENGTH) continue;
        this.needed = RECORD_HEADER_LENGTH + len;
        this.buffer(this.needed); // grow now if the limit was raised after allocation
      } else {
        const n = Math.min(this.needed - this.held, data.length - at);
        this.buf!.set(data.subarray(at, at + n), this.held);
        this.held += n;
        at += n;
      }
      if (this.needed !== 0 && this.held === this.needed) {
        this.ready = makeRecord(this.buf!, this.needed);
        this.held = 0;
        this.needed = 0;
        return at;
      }
    }
    return at;
  }

  /** The internal buffer, of at least `n` bytes (and normally 5 + limit), keeping held bytes. */
  private buffer(n: number): Uint8Array {
    const want = Math.max(n, RECORD_HEADER_LENGTH + this.limit);
    if (this.buf && this.buf.length >= n) return this.buf;
    const next = new Uint8Array(want);
    if (this.buf && this.held > 0) next.set(this.buf.subarray(0, this.held));
    this.buf = next;
    return next;
  }

  /** Checks the first `n` (≤ 5) header bytes of `b`; returns the length field when n is 5. */
  private checkHeader(b: Uint8Array, n: number): number {
    if (n >= 1) {
      const type = b[0]!;
      if (type < ContentType.change_cipher_spec || type > ContentType.application_data) {
        throw unexpectedMessage(`record of unknown content type ${type} (${nameOf(ContentType, type)})`);
      }
    }
    if (n >= 2 && b[1] !== 0x03) {
      throw new TlsProtocolError(
        `tls: record version 0x${b[1]!.toString(16).padStart(2, '0')}${n >= 3 ? b[2]!.toString(16).padStart(2, '0') : '..'} is not TLS (major version must be 3)`,
        AlertDescription.protocol_version,
      );
    }
    if (n < RECORD_HEADER_LENGTH) return 0;
    const len = (b[3]! << 8) | b[4]!;
    if (len > this.limit) {
      throw new TlsProtocolError(`tls: record length ${len} exceeds the limit of ${this.limit}`, AlertDescription.record_overflow);
    }
    return len;
  }
}

function makeRecord(b: Uint8Array, total: number): RawRecord {
  return {
    type: b[0]!,
    version: (b[1]! << 8) | b[2]!,
    header: b.subarray(0, RECORD_HEADER_LENGTH),
    fragment: b.subarray(RECORD_HEADER_LENGTH, total),
  };
}

function checkLimit(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new TlsMisuseError(`tls: record length limit ${n} outside 0..65535`);
  return n;
}
