/**
 * record_size_limit (RFC 8449 section 4): `uint16 RecordSizeLimit;`, at least 64. It counts
 * the whole TLSInnerPlaintext in TLS 1.3 (so the protocol maximum there is 2^14+1).
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { illegalParameter, TlsMisuseError } from '../errors.js';

/** The smallest legal record_size_limit (RFC 8449 section 4). */
export const MIN_RECORD_SIZE_LIMIT = 64;

/** The extension_data of record_size_limit (64..65535, else TlsMisuseError). */
export function encodeRecordSizeLimit(limit: number): Uint8Array {
  if (!Number.isInteger(limit) || limit < MIN_RECORD_SIZE_LIMIT || limit > 0xffff) {
    throw new TlsMisuseError(`tls: record_size_limit ${limit} outside 64..65535`);
  }
  return new Writer(2).u16(limit).finish();
}

/**
 * Decodes record_size_limit extension_data. Not exactly 2 bytes is decode_error; a value
 * below 64 is illegal_parameter ("An endpoint MUST treat receipt of a smaller value as a
 * fatal error and generate an illegal_parameter alert", RFC 8449 section 4). Values above
 * the protocol maximum are returned as sent; the engine clamps them.
 */
export function decodeRecordSizeLimit(data: Uint8Array): number {
  const r = new Reader(data, 'record_size_limit');
  const v = r.u16();
  r.end();
  if (v < MIN_RECORD_SIZE_LIMIT) throw illegalParameter(`record_size_limit ${v} is below the minimum of 64`);
  return v;
}
