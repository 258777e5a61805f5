/**
 * TLS 1.3 record protection (RFC 8446 sections 5.2 to 5.4): TLSInnerPlaintext framing with
 * padding, AEAD with the record header as additional data, per-record nonces from a 64-bit
 * sequence number, and the size limits of RFC 8446 5.2 and RFC 8449 section 4.
 *
 * One {@link RecordEncrypter} or {@link RecordDecrypter} exists per traffic secret; a key change
 * (handshake → application, KeyUpdate) makes a new one, which restarts the sequence at 0 (5.3).
 */
import { AlertDescription, ContentType, MAX_PLAINTEXT, RECORD_HEADER_LENGTH, nameOf } from '../constants.js';
import type { AeadKey, CryptoProvider } from '../crypto/provider.js';
import { TlsMisuseError, TlsProtocolError, unexpectedMessage } from '../errors.js';
import { trafficKeys } from '../keys/traffic.js';
import type { CipherSuiteInfo } from '../suites.js';
import type { RawRecord } from './deframer.js';

/** The AEAD tag length of every TLS 1.3 suite (AES-GCM and ChaCha20-Poly1305: 16 bytes). */
export const AEAD_TAG_LENGTH = 16;

/** The largest TLSInnerPlaintext: 2^14 content bytes + 1 type byte (RFC 8446 section 5.4, RFC 8449 section 4). */
export const MAX_INNER_PLAINTEXT = MAX_PLAINTEXT + 1;

/**
 * The number of records one key may protect before rxtls refuses to go on: 2^48. RFC 8446
 * section 5.3 forbids wrapping the 64-bit sequence number; 2^48 keeps counters exact in a
 * JavaScript number and lies far beyond the AEAD usage limits of section 5.5, so an engine
 * that key-updates as 5.5 asks never meets it.
 */
export const SEQUENCE_LIMIT = 2 ** 48;

/**
 * The per-record nonce (RFC 8446 section 5.3): the 64-bit sequence number, big-endian and
 * left-padded with zeros to the IV length, XORed with the static IV. `seq` must be an integer
 * in 0..2^53-1; `iv` at least 8 bytes.
 */
export function recordNonce(iv: Uint8Array, seq: number): Uint8Array {
  return nonceInto(new Uint8Array(iv.length), iv, seq);
}

/** {@link recordNonce} written into `n` (as long as `iv`), which is returned. */
function nonceInto(n: Uint8Array, iv: Uint8Array, seq: number): Uint8Array {
  n.set(iv);
  const hi = Math.floor(seq / 0x1_0000_0000);
  const lo = seq >>> 0;
  const end = n.length;
  n[end - 8]! ^= hi >>> 24;
  n[end - 7]! ^= (hi >>> 16) & 0xff;
  n[end - 6]! ^= (hi >>> 8) & 0xff;
  n[end - 5]! ^= hi & 0xff;
  n[end - 4]! ^= lo >>> 24;
  n[end - 3]! ^= (lo >>> 16) & 0xff;
  n[end - 2]! ^= (lo >>> 8) & 0xff;
  n[end - 1]! ^= lo & 0xff;
  return n;
}

/** TLSInnerPlaintext trailers without padding: the content type byte alone, per type (read-only). */
const TRAILERS: Partial<Record<ContentType, Uint8Array>> = {
  [ContentType.alert]: Uint8Array.of(ContentType.alert),
  [ContentType.handshake]: Uint8Array.of(ContentType.handshake),
  [ContentType.application_data]: Uint8Array.of(ContentType.application_data),
};

/** The type byte followed by `padding` zeros (RFC 8446 section 5.4). */
function trailerOf(type: ContentType, padding: number): Uint8Array {
  const t = new Uint8Array(1 + padding);
  t[0] = type;
  return t;
}

/** Throws TlsMisuseError unless `type` may be protected: alert, handshake or application_data. */
function checkSealType(type: ContentType): void {
  if (type !== ContentType.alert && type !== ContentType.handshake && type !== ContentType.application_data) {
    // A protected change_cipher_spec is forbidden (RFC 8446 section 5).
    throw new TlsMisuseError(`tls: cannot seal a record of content type ${nameOf(ContentType, type)} (${type})`);
  }
}

function checkInnerLimit(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 0xffff - AEAD_TAG_LENGTH) {
    throw new TlsMisuseError(`tls: TLSInnerPlaintext limit ${n} outside 1..${0xffff - AEAD_TAG_LENGTH}`);
  }
  return n;
}

function checkSequenceLimit(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > SEQUENCE_LIMIT) throw new TlsMisuseError(`tls: sequence limit ${n} outside 0..2^48`);
  return n;
}

function exhausted(what: string, seq: number): TlsProtocolError {
  return new TlsProtocolError(
    `tls: ${what} refused: ${seq} records already used this key (limit reached; the key must be updated, RFC 8446 section 5.3)`,
    AlertDescription.internal_error,
  );
}

/**
 * What both directions share: the AEAD key and static IV derived from one traffic secret
 * (RFC 8446 section 7.3), the sequence number (5.3), and the limits.
 */
abstract class RecordCipher {
  protected readonly key: AeadKey;
  protected readonly iv: Uint8Array;
  protected seq = 0;
  /** The current record's nonce, rewritten for each record (AEADs only read it during the call). */
  private readonly nonceBuffer: Uint8Array;

  constructor(
    p: CryptoProvider,
    suite: CipherSuiteInfo,
    secret: Uint8Array,
    protected readonly maxInnerPlaintext: number,
    protected readonly sequenceLimit: number,
  ) {
    checkInnerLimit(maxInnerPlaintext);
    checkSequenceLimit(sequenceLimit);
    const { key, iv } = trafficKeys(p, suite, secret);
    this.key = p.aead(suite.aead).importKey(key);
    key.fill(0);
    this.iv = iv;
    this.nonceBuffer = new Uint8Array(iv.length);
  }

  /** The nonce of the record with the current sequence number (RFC 8446 section 5.3). */
  protected nonce(): Uint8Array {
    return nonceInto(this.nonceBuffer, this.iv, this.seq);
  }

  /** The sequence number of the next record, which is also the number of records processed. */
  get sequence(): number {
    return this.seq;
  }
}

/**
 * Protects outgoing records under one traffic secret (RFC 8446 section 5.2).
 *
 * ```ts
 * const enc = new RecordEncrypter(provider, suite, serverHandshakeTrafficSecret);
 * out.push(enc.seal(ContentType.handshake, encryptedExtensionsEtc));
 * ```
 */
export class RecordEncrypter extends RecordCipher {
  /**
   * Derives the write key and IV from `secret` (RFC 8446 section 7.3).
   * @param maxInnerPlaintext the largest TLSInnerPlaintext to produce: 2^14 + 1, or the
   *   peer's record_size_limit (RFC 8449 section 4). Sealing more is a TlsMisuseError.
   * @param sequenceLimit records after which `seal` refuses (default and maximum 2^48); an
   *   engine may set the AEAD usage limit of RFC 8446 section 5.5 here.
   */
  constructor(p: CryptoProvider, suite: CipherSuiteInfo, secret: Uint8Array, maxInnerPlaintext = MAX_INNER_PLAINTEXT, sequenceLimit = SEQUENCE_LIMIT) {
    super(p, suite, secret, maxInnerPlaintext, sequenceLimit);
  }

  /**
   * One complete protected record: header 0x17 0x0303 length, then
   * AEAD(TLSInnerPlaintext = content || type || zeros(padding)) with the header as additional
   * data (RFC 8446 sections 5.2 and 5.4). `type` is alert, handshake or application_data;
   * only application_data may be empty (5.4). Throws TlsMisuseError for a bad type, empty
   * alert/handshake content or content + 1 + padding over the inner plaintext limit, and
   * TlsProtocolError when the key's records are used up.
   */
  seal(type: ContentType, content: Uint8Array, padding = 0): Uint8Array {
    if (this.seq >= this.sequenceLimit) throw exhausted('seal', this.seq);
    if (!Number.isInteger(padding) || padding < 0) throw new TlsMisuseError(`tls: record padding ${padding} is not a non-negative integer`);
    checkSealType(type);
    if (content.length === 0 && type !== ContentType.application_data) {
      throw new TlsMisuseError(`tls: cannot seal an empty ${nameOf(ContentType, type)} record (RFC 8446 section 5.4)`);
    }
    const innerLength = content.length + 1 + padding;
    if (innerLength > this.maxInnerPlaintext) {
      throw new TlsMisuseError(
        `tls: TLSInnerPlaintext of ${innerLength} bytes (content ${content.length} + type + padding ${padding}) exceeds the limit of ${this.maxInnerPlaintext}`,
      );
    }
    // The record is the one allocation: header, then the AEAD output written in place.
    const record = new Uint8Array(RECORD_HEADER_LENGTH + innerLength + AEAD_TAG_LENGTH);
    this.sealAt(record, 0, type, content, padding);
    return record;
  }

  /**
   * `data` cut into records of at most `maxContent` bytes each (no padding), all sealed into
   * one array, back to back: the wire bytes of {@link seal} applied to each piece in turn, with
   * one allocation and no copy of the plaintext. A transport then takes several records in one
   * write. Empty `data` gives one empty record (application_data only). Throws as `seal` does;
   * when the key has fewer records left than needed, nothing is sealed.
   */
  sealRecords(type: ContentType, data: Uint8Array, maxContent: number): Uint8Array {
    checkSealType(type);
    if (!Number.isInteger(maxContent) || maxContent < 1 || maxContent + 1 > this.maxInnerPlaintext) {
      throw new TlsMisuseError(`tls: record content limit ${maxContent} outside 1..${this.maxInnerPlaintext - 1}`);
    }
    if (data.length === 0) return this.seal(type, data);
    const count = Math.ceil(data.length / maxContent);
    if (this.seq + count > this.sequenceLimit) throw exhausted('seal', this.seq);
    const overhead = RECORD_HEADER_LENGTH + 1 + AEAD_TAG_LENGTH;
    // Zeroed, not uninitialized: an AEAD that wrote short would otherwise send stale memory.
    const out = new Uint8Array(data.length + count * overhead);
    let at = 0;
    for (let i = 0; i < data.length; i += maxContent) {
      const content = data.subarray(i, Math.min(data.length, i + maxContent));
      this.sealAt(out, at, type, content, 0);
      at += content.length + overhead;
    }
    return out;
  }

  /** Seals one record (checked by the caller) into `out` at `at`, and advances the sequence number. */
  private sealAt(out: Uint8Array, at: number, type: ContentType, content: Uint8Array, padding: number): void {
    const innerLength = content.length + 1 + padding;
    const length = innerLength + AEAD_TAG_LENGTH;
    out[at] = ContentType.application_data;
    out[at + 1] = 0x03;
    out[at + 2] = 0x03;
    out[at + 3] = length >>> 8;
    out[at + 4] = length & 0xff;
    const header = out.subarray(at, at + RECORD_HEADER_LENGTH);
    const body = out.subarray(at + RECORD_HEADER_LENGTH, at + RECORD_HEADER_LENGTH + length);
    if (this.key.sealInto) {
      // content, then type and zero padding (5.4), sealed without joining them first.
      const trailer = padding === 0 ? TRAILERS[type]! : trailerOf(type, padding);
      this.key.sealInto(this.nonce(), header, content, trailer, body);
    } else {
      const inner = new Uint8Array(innerLength); // padding bytes are already zero (5.4)
      inner.set(content);
      inner[content.length] = type;
      const sealed = this.key.seal(this.nonce(), header, inner);
      if (sealed.length !== length) throw new TlsMisuseError(`tls: AEAD produced ${sealed.length} bytes, expected ${length}`);
      body.set(sealed);
    }
    this.seq++;
  }
}

/**
 * Removes the protection of incoming records under one traffic secret (RFC 8446 sections 5.2
 * and 5.4).
 *
 * ```ts
 * const dec = new RecordDecrypter(provider, suite, serverHandshakeTrafficSecret);
 * const { type, content } = dec.open(deframer.take()!);
 * ```
 */
export class RecordDecrypter extends RecordCipher {
  /**
   * Derives the peer's write key and IV from `secret` (RFC 8446 section 7.3).
   * @param maxInnerPlaintext the largest TLSInnerPlaintext accepted: 2^14 + 1, or our own
   *   advertised record_size_limit (RFC 8449 section 4, which in TLS 1.3 counts content, type
   *   byte and padding). A larger record is a record_overflow.
   * @param sequenceLimit records after which `open` refuses (default and maximum 2^48).
   */
  constructor(p: CryptoProvider, suite: CipherSuiteInfo, secret: Uint8Array, maxInnerPlaintext = MAX_INNER_PLAINTEXT, sequenceLimit = SEQUENCE_LIMIT) {
    super(p, suite, secret, maxInnerPlaintext, sequenceLimit);
  }

  /**
   * Decrypts one record and strips its padding. `content` is a view of the decrypted bytes.
   * Failures, each a TlsProtocolError with the alert RFC 8446 names:
   * - outer type not application_data → unexpected_message (5.2: protected records always
   *   carry opaque_type 23);
   * - TLSInnerPlaintext over the limit → record_overflow (5.2; RFC 8449 section 4);
   * - too short for a tag and a type byte, or authentication fails → bad_record_mac (5.2);
   * - no non-zero byte (no content type) → unexpected_message (5.4);
   * - inner type change_cipher_spec or unknown → unexpected_message (5: a protected
   *   change_cipher_spec must be refused);
   * - empty handshake or alert content → unexpected_message (5.4).
   *
   * The sequence number advances only when a record authenticates, so a server skipping
   * undecryptable 0-RTT records (RFC 8446 section 4.2.10) may call `open` and catch
   * bad_record_mac without disturbing it.
   */
  open(rec: RawRecord): { type: ContentType; content: Uint8Array } {
    if (rec.type !== ContentType.application_data) {
      throw unexpectedMessage(`protected record has outer content type ${nameOf(ContentType, rec.type)} (${rec.type}), expected application_data`);
    }
    if (this.seq >= this.sequenceLimit) throw exhausted('open', this.seq);
    const ct = rec.fragment;
    if (ct.length < AEAD_TAG_LENGTH + 1) {
      throw new TlsProtocolError(`tls: protected record of ${ct.length} bytes is too short`, AlertDescription.bad_record_mac);
    }
    // The AEADs of TLS 1.3 add exactly the tag, so the inner length is known before decrypting.
    const innerLength = ct.length - AEAD_TAG_LENGTH;
    if (innerLength > this.maxInnerPlaintext) {
      throw new TlsProtocolError(
        `tls: TLSInnerPlaintext of ${innerLength} bytes exceeds the limit of ${this.maxInnerPlaintext}`,
        AlertDescription.record_overflow,
      );
    }
    const inner = this.key.open(this.nonce(), rec.header, ct);
    if (inner === null) throw new TlsProtocolError('tls: record failed authentication', AlertDescription.bad_record_mac);
    this.seq++;
    // Strip the zero padding (5.4): the last non-zero byte is the content type.
    let i = inner.length - 1;
    while (i >= 0 && inner[i] === 0) i--;
    if (i < 0) throw unexpectedMessage('protected record has no non-zero byte (no content type)');
    const type = inner[i]!;
    if (type !== ContentType.alert && type !== ContentType.handshake && type !== ContentType.application_data) {
      throw unexpectedMessage(`protected record has inner content type ${nameOf(ContentType, type)} (${type})`);
    }
    if (i === 0 && type !== ContentType.application_data) {
      throw unexpectedMessage(`protected ${nameOf(ContentType, type)} record has no content`);
    }
    return { type, content: inner.subarray(0, i) };
  }
}
