/**
 * Certificate (RFC 8446 section 4.4.2):
 *
 *     struct {
 *         select (certificate_type) {
 *             case RawPublicKey: opaque ASN1_subjectPublicKeyInfo<1..2^24-1>;
 *             case X509:         opaque cert_data<1..2^24-1>;
 *         };
 *         Extension extensions<0..2^16-1>;
 *     } CertificateEntry;
 *
 *     struct {
 *         opaque certificate_request_context<0..2^8-1>;
 *         CertificateEntry certificate_list<0..2^24-1>;
 *     } Certificate;
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { decodeExtensions, writeExtensions } from './extensions.js';
import { checkLength } from './ext-util.js';
import type { CertificateEntry, CertificateMessage } from './types.js';

/** The Certificate body (without the handshake header); fields out of bounds are a TlsMisuseError. */
export function encodeCertificate(msg: CertificateMessage): Uint8Array {
  const w = new Writer(1024);
  w.vec(1, checkLength(msg.context, 0, 255, 'Certificate certificate_request_context'));
  w.nested(3, (l) => {
    for (const e of msg.entries) {
      l.vec(3, checkLength(e.data, 1, 0xffffff, 'Certificate cert_data'));
      writeExtensions(l, e.extensions);
    }
  });
  return w.finish();
}

/**
 * Decodes a Certificate body; certificates and extension data are views into `body`. An
 * empty cert_data, bad lengths and trailing bytes are decode_error; a duplicate extension in
 * one entry is illegal_parameter (RFC 8446 section 4.2). An empty list is returned as such:
 * whether it is acceptable is the engine's decision (section 4.4.2.4).
 */
export function decodeCertificate(body: Uint8Array): CertificateMessage {
  const r = new Reader(body, 'Certificate');
  const context = r.vec(1, 0, 255);
  const list = r.sub(3, 'Certificate certificate_list');
  r.end();
  const entries: CertificateEntry[] = [];
  while (list.remaining > 0) {
    const data = list.vec(3, 1, 0xffffff);
    const extensions = decodeExtensions(list, 0, 0xffff, 'CertificateEntry extensions');
    entries.push({ data, extensions });
  }
  return { context, entries };
}
