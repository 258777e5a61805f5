/**
 * The subject's public key of a certificate, fast: the engine needs it on every handshake
 * (pinning, then the CertificateVerify key), and parsing the whole certificate for it cost
 * about 1.5 ms. Full parsing, for path validation, is in certificate.ts.
 */
import { AlertDescription } from '../constants.js';
import { TlsCertificateError } from '../errors.js';
import { DerError, encodeTlv, readChildren, readTlv } from './tlv.js';

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const VERSION = 0xa0; // [0] EXPLICIT Version, RFC 5280 section 4.1

function malformed(detail: string): TlsCertificateError {
  return new TlsCertificateError('CERT_MALFORMED', `tls: malformed certificate: ${detail}`, AlertDescription.bad_certificate);
}

/**
 * The DER SubjectPublicKeyInfo (RFC 5280 section 4.1.2.7) of a DER X.509 certificate, found by
 * walking the DER headers of Certificate and TBSCertificate (section 4.1). Throws
 * TlsCertificateError CERT_MALFORMED (alert bad_certificate) when that structure is not there.
 */
export function certificateSpki(der: Uint8Array): Uint8Array {
  try {
    const cert = readTlv(der);
    if (cert.tag !== SEQUENCE) throw malformed('not a SEQUENCE');
    const parts = readChildren(cert.content);
    if (parts.length !== 3 || parts[0]!.tag !== SEQUENCE) throw malformed('Certificate is not tbsCertificate, signatureAlgorithm, signature');
    const fields = readChildren(parts[0]!.content);
    const at = fields[0]?.tag === VERSION ? 1 : 0;
    // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
    const expected = [INTEGER, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE, SEQUENCE];
    expected.forEach((tag, i) => {
      if (fields[at + i]?.tag !== tag) throw malformed(`TBSCertificate field ${i + at} has tag 0x${(fields[at + i]?.tag ?? 0).toString(16)}`);
    });
    return encodeTlv(SEQUENCE, fields[at + 5]!.content);
  } catch (e) {
    if (e instanceof DerError) throw malformed(e.message);
    throw e;
  }
}
