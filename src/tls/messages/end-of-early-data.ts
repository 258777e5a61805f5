/**
 * EndOfEarlyData (RFC 8446 section 4.5): `struct {} EndOfEarlyData;`
 */
import { decodeError } from '../errors.js';
import type { EndOfEarlyData } from './types.js';

/** The EndOfEarlyData body (without the handshake header): empty. */
export function encodeEndOfEarlyData(_msg: EndOfEarlyData = {}): Uint8Array {
  return new Uint8Array(0);
}

/** Decodes an EndOfEarlyData body: any byte in it is decode_error. */
export function decodeEndOfEarlyData(body: Uint8Array): EndOfEarlyData {
  if (body.length !== 0) throw decodeError(`EndOfEarlyData: ${body.length} unexpected trailing bytes`);
  return {};
}
