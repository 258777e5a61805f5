/**
 * The one piece of certificate parsing the crypto layer needs today: the subject's public key.
 * Full path validation lives beside this file later.
 */
import { Certificate } from '@peculiar/asn1-x509';
import { AlertDescription } from '../constants.js';
import { encodeDer, parseDer } from '../crypto/der.js';
import { TlsCertificateError } from '../errors.js';

/**
 * The DER SubjectPublicKeyInfo (RFC 5280 section 4.1.2.7) of a DER X.509 certificate. Throws
 * TlsCertificateError CERT_MALFORMED (alert bad_certificate) when the certificate does not parse.
 */
export function certificateSpki(der: Uint8Array): Uint8Array {
  const cert = parseDer(
    der,
    Certificate,
    (detail) => new TlsCertificateError('CERT_MALFORMED', `tls: malformed certificate: ${detail}`, AlertDescription.bad_certificate),
  );
  return encodeDer(cert.tbsCertificate.subjectPublicKeyInfo);
}
