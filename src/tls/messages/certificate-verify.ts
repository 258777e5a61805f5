/**
 * CertificateVerify (RFC 8446 section 4.4.3):
 * `struct { SignatureScheme algorithm; opaque signature<0..2^16-1>; } CertificateVerify;`
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { checkLength, checkU16 } from './ext-util.js';
import type { CertificateVerify } from './types.js';

/** The CertificateVerify body (without the handshake header). */
export function encodeCertificateVerify(msg: CertificateVerify): Uint8Array {
  const w = new Writer(msg.signature.length + 4);
  w.u16(checkU16(msg.scheme, 'CertificateVerify algorithm'));
  w.vec(2, checkLength(msg.signature, 0, 0xffff, 'CertificateVerify signature'));
  return w.finish();
}

/** Decodes a CertificateVerify body; `signature` is a view. Bad lengths or trailing bytes are decode_error. */
export function decodeCertificateVerify(body: Uint8Array): CertificateVerify {
  const r = new Reader(body, 'CertificateVerify');
  const scheme = r.u16();
  const signature = r.vec(2);
  r.end();
  return { scheme, signature };
}
