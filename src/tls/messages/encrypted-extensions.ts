/**
 * EncryptedExtensions (RFC 8446 section 4.3.1):
 * `struct { Extension extensions<0..2^16-1>; } EncryptedExtensions;`
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { decodeExtensions, writeExtensions } from './extensions.js';
import type { EncryptedExtensions } from './types.js';

/** The EncryptedExtensions body (without the handshake header). */
export function encodeEncryptedExtensions(msg: EncryptedExtensions): Uint8Array {
  const w = new Writer(64);
  writeExtensions(w, msg.extensions);
  return w.finish();
}

/**
 * Decodes an EncryptedExtensions body; extension data are views. Bad lengths and trailing
 * bytes are decode_error; a duplicate extension is illegal_parameter (RFC 8446 section 4.2).
 */
export function decodeEncryptedExtensions(body: Uint8Array): EncryptedExtensions {
  const r = new Reader(body, 'EncryptedExtensions');
  const extensions = decodeExtensions(r, 0, 0xffff, 'EncryptedExtensions extensions');
  r.end();
  return { extensions };
}
