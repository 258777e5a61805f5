/**
 * client_certificate_type and server_certificate_type (RFC 7250 section 3):
 *
 *     enum { X509(0), RawPublicKey(2), (255) } CertificateType;
 *     struct {
 *         select (ClientOrServerExtension) {
 *             case client: CertificateType client_certificate_types<1..2^8-1>;
 *             case server: CertificateType client_certificate_type;
 *         };
 *     } ClientCertTypeExtension;   (ServerCertTypeExtension is the same)
 *
 * In TLS 1.3 the server's answer goes in EncryptedExtensions (RFC 8446 section 4.2).
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { TlsMisuseError } from '../errors.js';

/** Certificate types of RFC 7250 (IANA "TLS Certificate Types"). */
export const CertificateType = { X509: 0, RawPublicKey: 2 } as const;

/** The ClientHello form: the types the client supports, most preferred first (1 to 255). */
export function encodeCertificateTypes(types: readonly number[]): Uint8Array {
  if (types.length < 1 || types.length > 255) throw new TlsMisuseError(`tls: certificate type list needs 1 to 255 types, got ${types.length}`);
  const w = new Writer(types.length + 1);
  w.nested(1, (l) => {
    for (const t of types) {
      if (!Number.isInteger(t) || t < 0 || t > 255) throw new TlsMisuseError(`tls: certificate type ${t} is not a byte`);
      l.u8(t);
    }
  });
  return w.finish();
}

/** Decodes the ClientHello form (an empty list, bad length or trailing bytes is decode_error). */
export function decodeCertificateTypes(data: Uint8Array): number[] {
  const r = new Reader(data, 'certificate type list');
  const list = r.vec(1, 1, 255);
  r.end();
  return Array.from(list);
}

/** The EncryptedExtensions form: the one type chosen. */
export function encodeSelectedCertificateType(type: number): Uint8Array {
  if (!Number.isInteger(type) || type < 0 || type > 255) throw new TlsMisuseError(`tls: certificate type ${type} is not a byte`);
  return Uint8Array.of(type);
}

/** Decodes the EncryptedExtensions form (exactly one byte, else decode_error). */
export function decodeSelectedCertificateType(data: Uint8Array): number {
  const r = new Reader(data, 'certificate type');
  const t = r.u8();
  r.end();
  return t;
}
