/**
 * early_data (RFC 8446 section 4.2.10):
 *
 *     struct {} Empty;
 *     struct {
 *         select (Handshake.msg_type) {
 *             case new_session_ticket:   uint32 max_early_data_size;
 *             case client_hello:         Empty;
 *             case encrypted_extensions: Empty;
 *         };
 *     } EarlyDataIndication;
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { checkU32, decodeEmpty } from './ext-util.js';

/** The ClientHello / EncryptedExtensions form of early_data: empty. */
export function encodeEarlyDataIndication(): Uint8Array {
  return new Uint8Array(0);
}

/** Checks the ClientHello / EncryptedExtensions form of early_data: non-empty is decode_error. */
export function decodeEarlyDataIndication(data: Uint8Array): void {
  decodeEmpty(data, 'early_data');
}

/** The NewSessionTicket form of early_data: max_early_data_size in bytes. */
export function encodeMaxEarlyDataSize(maxEarlyDataSize: number): Uint8Array {
  return new Writer(4).u32(checkU32(maxEarlyDataSize, 'max_early_data_size')).finish();
}

/** Decodes the NewSessionTicket form of early_data (exactly 4 bytes, else decode_error). */
export function decodeMaxEarlyDataSize(data: Uint8Array): number {
  const r = new Reader(data, 'early_data');
  const n = r.u32();
  r.end();
  return n;
}
