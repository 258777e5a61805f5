/**
 * Unprotected records (RFC 8446 section 5.1): the ClientHello, ServerHello,
 * HelloRetryRequest, change_cipher_spec and alerts sent before keys exist.
 */
import { MAX_PLAINTEXT, RECORD_HEADER_LENGTH, type ContentType } from '../constants.js';
import { TlsMisuseError } from '../errors.js';

/**
 * One TLSPlaintext record: type, legacy_record_version, uint16 length, fragment
 * (RFC 8446 section 5.1). `legacyVersion` is 0x0303, or 0x0301 for an initial ClientHello
 * ("SHOULD have version 0x0301", 5.1). Throws TlsMisuseError for a fragment over 2^14 bytes.
 */
export function encodePlaintextRecord(type: ContentType, fragment: Uint8Array, legacyVersion = 0x0303): Uint8Array {
  if (fragment.length > MAX_PLAINTEXT) {
    throw new TlsMisuseError(`tls: plaintext record fragment of ${fragment.length} bytes exceeds ${MAX_PLAINTEXT}`);
  }
  if (!Number.isInteger(legacyVersion) || legacyVersion < 0 || legacyVersion > 0xffff) {
    throw new TlsMisuseError(`tls: record version ${legacyVersion} is not a uint16`);
  }
  const out = new Uint8Array(RECORD_HEADER_LENGTH + fragment.length);
  out[0] = type;
  out[1] = legacyVersion >>> 8;
  out[2] = legacyVersion & 0xff;
  out[3] = fragment.length >>> 8;
  out[4] = fragment.length & 0xff;
  out.set(fragment, RECORD_HEADER_LENGTH);
  return out;
}

/**
 * Splits `content` into consecutive views of at most `maxFragment` bytes each, in order
 * (fragmentation as RFC 8446 section 5.1 allows for handshake and application data). Empty
 * content yields no fragments. `maxFragment` must be an integer in 1..2^14, else TlsMisuseError.
 */
export function fragmentContent(content: Uint8Array, maxFragment: number): Uint8Array[] {
  if (!Number.isInteger(maxFragment) || maxFragment < 1 || maxFragment > MAX_PLAINTEXT) {
    throw new TlsMisuseError(`tls: fragment size ${maxFragment} outside 1..${MAX_PLAINTEXT}`);
  }
  const out: Uint8Array[] = [];
  for (let at = 0; at < content.length; at += maxFragment) out.push(content.subarray(at, Math.min(at + maxFragment, content.length)));
  return out;
}
