/**
 * certificate_authorities (RFC 8446 section 4.2.4):
 *
 *     opaque DistinguishedName<1..2^16-1>;
 *     struct { DistinguishedName authorities<3..2^16-1>; } CertificateAuthoritiesExtension;
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { TlsMisuseError } from '../errors.js';
import { checkLength } from './ext-util.js';

/** The extension_data of certificate_authorities: DER-encoded distinguished names (non-empty list). */
export function encodeCertificateAuthorities(names: readonly Uint8Array[]): Uint8Array {
  if (names.length === 0) throw new TlsMisuseError('tls: certificate_authorities needs at least one name');
  const w = new Writer(256);
  w.nested(2, (l) => {
    for (const n of names) l.vec(2, checkLength(n, 1, 0xffff, 'certificate_authorities name'));
  });
  return w.finish();
}

/**
 * Decodes certificate_authorities extension_data to the DER distinguished names (views).
 * A list shorter than 3 bytes, an empty name, a bad length or trailing bytes is decode_error.
 */
export function decodeCertificateAuthorities(data: Uint8Array): Uint8Array[] {
  const r = new Reader(data, 'certificate_authorities');
  const list = r.sub(2, 'certificate_authorities list', 3, 0xffff);
  r.end();
  const out: Uint8Array[] = [];
  while (list.remaining > 0) out.push(list.vec(2, 1, 0xffff));
  return out;
}
