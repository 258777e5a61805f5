/**
 * What a server seals inside a session ticket (RFC 8446 section 4.6.1): everything it needs to
 * resume the session from the ticket alone, without server-side state.
 *
 *     uint8  version = 1;
 *     uint16 suite;
 *     opaque psk<1..255>;
 *     uint32 issued_at_high; uint32 issued_at_low;  // ms since the epoch, < 2^53
 *     uint32 lifetime;                               // seconds
 *     uint32 age_add;
 *     uint32 max_early_data;
 *     OptionalString alpn;          // uint8 present (0 or 1), then opaque<1..255> when 1
 *     OptionalString server_name;   // uint8 present (0 or 1), then opaque<1..2^16-1> when 1
 *     uint8  certificate_type;      // RFC 7250 CertificateType: X509(0), RawPublicKey(2)
 *     opaque peer_certificates<0..2^24-1>;  // each opaque cert<1..2^24-1>, leaf first
 *
 * Strings are UTF-8. Decoding is strict: anything malformed, out of range or trailing is
 * rejected. The session parameter helpers here are shared with the client's persistence
 * format (session-store.ts); they are internal to this folder and not re-exported.
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { decodeError, TlsMisuseError } from '../errors.js';

/** The version byte {@link encodeTicketState} writes first. */
export const TICKET_STATE_VERSION = 1;

/** What a resumable session is, as both the server's ticket and the client's store keep it. */
export interface SessionParameters {
  /** The CipherSuite of the original connection; resumption needs the same hash (RFC 8446 section 4.6.1). */
  suite: number;
  /** The PSK derived from the resumption master secret and the ticket nonce (RFC 8446 section 4.6.1). */
  psk: Uint8Array;
  /** ticket_lifetime in seconds (at most 604800, RFC 8446 section 4.6.1). */
  lifetime: number;
  /** ticket_age_add, a 32-bit unsigned value (RFC 8446 section 4.6.1). */
  ageAdd: number;
  /** max_early_data_size of the ticket's early_data extension, 0 when 0-RTT is not allowed (RFC 8446 section 4.2.10). */
  maxEarlyData: number;
  /** The ALPN protocol of the original connection, if any (RFC 8446 section 4.2.10 requires the same for 0-RTT). */
  alpn: string | undefined;
  /** The SNI of the original connection, if any. */
  serverName: string | undefined;
  /** The peer's certificate chain (DER, leaf first), or its raw public key as one SPKI; empty when none. */
  peerCertificates: readonly Uint8Array[];
  /** Whether `peerCertificates` holds X.509 certificates or an RFC 7250 raw public key. */
  certificateType: 'x509' | 'raw';
}

/** The session parameters the server keeps in a ticket. */
export interface TicketState extends SessionParameters {
  /** When the ticket was issued, in milliseconds since the epoch. */
  issuedAt: number;
}

/** RFC 7250 section 3 CertificateType codes. */
const CERTIFICATE_TYPE_CODES = { x509: 0, raw: 2 } as const;

/** A strict UTF-8 decoder that keeps a leading byte order mark (so that every string round-trips). */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `v` if it is an integer in 0..`max`, else a TlsMisuseError naming `what`. */
function checkInt(v: number, max: number, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw new TlsMisuseError(`tls: ${what}: ${String(v)} is not an integer in 0..${max}`);
  }
  return v;
}

/**
 * Writes a time in milliseconds since the epoch as two u32 (high, low). Throws TlsMisuseError
 * unless it is a non-negative safe integer.
 */
function writeTime(w: Writer, ms: number, what: string): void {
  checkInt(ms, Number.MAX_SAFE_INTEGER, what);
  w.u32(Math.floor(ms / 0x100000000)).u32(ms % 0x100000000);
}

/** Reads what {@link writeTime} wrote; a value of 2^53 or more is decode_error. */
function readTime(r: Reader, what: string): number {
  const high = r.u32();
  const low = r.u32();
  if (high > 0x1fffff) throw decodeError(`${what}: time does not fit 53 bits`);
  return high * 0x100000000 + low;
}

/** Writes an optional UTF-8 string: a presence byte, then the bytes with a `lenBytes` prefix (1..2^(8*lenBytes)-1). */
function writeOptionalString(w: Writer, s: string | undefined, lenBytes: 1 | 2, what: string): void {
  if (s === undefined) {
    w.u8(0);
    return;
  }
  if (typeof s !== 'string') throw new TlsMisuseError(`tls: ${what}: not a string`);
  const b = new TextEncoder().encode(s);
  const max = lenBytes === 1 ? 0xff : 0xffff;
  if (b.length < 1 || b.length > max) throw new TlsMisuseError(`tls: ${what}: ${b.length} bytes, must be 1 to ${max}`);
  w.u8(1).vec(lenBytes, b);
}

/** Reads what {@link writeOptionalString} wrote; invalid UTF-8 or a presence byte other than 0 or 1 is decode_error. */
function readOptionalString(r: Reader, lenBytes: 1 | 2, what: string): string | undefined {
  const present = r.u8();
  if (present === 0) return undefined;
  if (present !== 1) throw decodeError(`${what}: presence byte ${present}`);
  const b = r.vec(lenBytes, 1);
  try {
    return UTF8.decode(b);
  } catch {
    throw decodeError(`${what}: not UTF-8`);
  }
}

/**
 * Writes the session parameters and `time` (ms since the epoch) in the order of the header
 * comment, from `suite` to `peer_certificates`. Throws TlsMisuseError for an out-of-range field.
 */
export function writeSessionParameters(w: Writer, p: SessionParameters, time: number, what: string): void {
  w.u16(checkInt(p.suite, 0xffff, `${what} suite`));
  if (!(p.psk instanceof Uint8Array) || p.psk.length < 1 || p.psk.length > 0xff) {
    throw new TlsMisuseError(`tls: ${what} psk: must be 1 to 255 bytes`);
  }
  w.vec(1, p.psk);
  writeTime(w, time, `${what} time`);
  w.u32(checkInt(p.lifetime, 0xffffffff, `${what} lifetime`));
  w.u32(checkInt(p.ageAdd, 0xffffffff, `${what} ageAdd`));
  w.u32(checkInt(p.maxEarlyData, 0xffffffff, `${what} maxEarlyData`));
  writeOptionalString(w, p.alpn, 1, `${what} alpn`);
  writeOptionalString(w, p.serverName, 2, `${what} serverName`);
  const type = Object.hasOwn(CERTIFICATE_TYPE_CODES, p.certificateType) ? CERTIFICATE_TYPE_CODES[p.certificateType] : undefined;
  if (type === undefined) throw new TlsMisuseError(`tls: ${what} certificateType: ${String(p.certificateType)}`);
  w.u8(type);
  if (!Array.isArray(p.peerCertificates)) throw new TlsMisuseError(`tls: ${what} peerCertificates: not an array`);
  w.nested(3, (list) => {
    for (const c of p.peerCertificates) {
      if (!(c instanceof Uint8Array) || c.length < 1) throw new TlsMisuseError(`tls: ${what} peerCertificates: an empty or non-byte entry`);
      list.vec(3, c);
    }
  });
}

/**
 * Reads what {@link writeSessionParameters} wrote. Returns copies, never views of the input.
 * Throws decode_error (a TlsProtocolError) on malformed input; the caller checks that nothing
 * trails.
 */
export function readSessionParameters(r: Reader, what: string): { params: SessionParameters; time: number } {
  const suite = r.u16();
  const psk = r.vec(1, 1).slice();
  const time = readTime(r, `${what} time`);
  const lifetime = r.u32();
  const ageAdd = r.u32();
  const maxEarlyData = r.u32();
  const alpn = readOptionalString(r, 1, `${what} alpn`);
  const serverName = readOptionalString(r, 2, `${what} serverName`);
  const typeCode = r.u8();
  const certificateType = typeCode === CERTIFICATE_TYPE_CODES.x509 ? 'x509' : typeCode === CERTIFICATE_TYPE_CODES.raw ? 'raw' : undefined;
  if (certificateType === undefined) throw decodeError(`${what}: unknown certificate type ${typeCode}`);
  const list = r.sub(3, `${what} peerCertificates`);
  const peerCertificates: Uint8Array[] = [];
  while (list.remaining > 0) peerCertificates.push(list.vec(3, 1).slice());
  return { params: { suite, psk, lifetime, ageAdd, maxEarlyData, alpn, serverName, peerCertificates, certificateType }, time };
}

/**
 * Encodes the ticket contents, version byte first. Throws TlsMisuseError for a field out of
 * range: a suite beyond 16 bits, a psk not 1 to 255 bytes, an `issuedAt` that is not a
 * non-negative safe integer, a lifetime / ageAdd / maxEarlyData beyond 32 bits, an empty or
 * over-long alpn (255 bytes) or serverName (65535), an empty certificate.
 */
export function encodeTicketState(s: TicketState): Uint8Array {
  const w = new Writer(128);
  w.u8(TICKET_STATE_VERSION);
  writeSessionParameters(w, s, s.issuedAt, 'ticket state');
  return w.finish().slice();
}

/**
 * Decodes what {@link encodeTicketState} produced; undefined (never an exception) for an
 * unknown version, a truncated or malformed field, or trailing bytes. The result never shares
 * memory with `b`.
 */
export function decodeTicketState(b: Uint8Array): TicketState | undefined {
  try {
    const r = new Reader(b, 'ticket state');
    if (r.u8() !== TICKET_STATE_VERSION) return undefined;
    const { params, time } = readSessionParameters(r, 'ticket state');
    r.end();
    return { ...params, issuedAt: time };
  } catch {
    return undefined;
  }
}
