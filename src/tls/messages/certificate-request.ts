/**
 * CertificateRequest (RFC 8446 section 4.3.2):
 *
 *     struct {
 *         opaque certificate_request_context<0..2^8-1>;
 *         Extension extensions<2..2^16-1>;
 *     } CertificateRequest;
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { TlsMisuseError } from '../errors.js';
import { decodeExtensions, writeExtensions } from './extensions.js';
import { checkLength } from './ext-util.js';
import type { CertificateRequest } from './types.js';

/**
 * The CertificateRequest body (without the handshake header). An empty extension list (the
 * RFC requires signature_algorithms) or a context over 255 bytes is a TlsMisuseError.
 */
export function encodeCertificateRequest(msg: CertificateRequest): Uint8Array {
  if (msg.extensions.length === 0) throw new TlsMisuseError('tls: CertificateRequest needs extensions (signature_algorithms)');
  const w = new Writer(128);
  w.vec(1, checkLength(msg.context, 0, 255, 'CertificateRequest certificate_request_context'));
  writeExtensions(w, msg.extensions);
  return w.finish();
}

/**
 * Decodes a CertificateRequest body; byte fields are views. Bad lengths (including an
 * extension block under 2 bytes) and trailing bytes are decode_error; a duplicate extension
 * is illegal_parameter. The engine checks that signature_algorithms is present
 * (missing_extension, RFC 8446 section 4.3.2).
 */
export function decodeCertificateRequest(body: Uint8Array): CertificateRequest {
  const r = new Reader(body, 'CertificateRequest');
  const context = r.vec(1, 0, 255);
  const extensions = decodeExtensions(r, 2, 0xffff, 'CertificateRequest extensions');
  r.end();
  return { context, extensions };
}
