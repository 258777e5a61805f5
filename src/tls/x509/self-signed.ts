/**
 * Self-signed X.509 certificates (RFC 5280) for peers that authenticate each other by
 * pinning rather than by a CA, and for demos and tests that must run without the openssl CLI.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, BasicConstraints, Certificate, Extension, Extensions,
  GeneralName, Name, RelativeDistinguishedName, SubjectAlternativeName, SubjectPublicKeyInfo, TBSCertificate, Validity,
  id_ce_basicConstraints, id_ce_subjectAltName,
} from '@peculiar/asn1-x509';
import { SignatureScheme } from '../constants.js';
import type { SigningKey } from '../crypto/provider.js';
import { TlsMisuseError } from '../errors.js';

/** What to put in a self-signed certificate. */
export interface SelfSignedOptions {
  /** The subject's common name. */
  commonName: string;
  /** subjectAltName entries: DNS names, or IPv4 literals (default: the common name). */
  altNames?: readonly string[];
  /** Start of validity; default one hour ago. */
  notBefore?: Date;
  /** End of validity; default 30 days after notBefore. */
  notAfter?: Date;
  /** Serial number bytes (positive, at most 20 bytes); default 16 random bytes. */
  serial?: Uint8Array;
}

const COMMON_NAME = '2.5.4.3';
/** Certificate signature algorithms by key type (RFC 5758 section 3.2, RFC 8410 section 3). */
const SIGNATURE: Record<string, { oid: string; scheme: SignatureScheme }> = {
  'ecdsa-p256': { oid: '1.2.840.10045.4.3.2', scheme: SignatureScheme.ecdsa_secp256r1_sha256 },
  'ecdsa-p384': { oid: '1.2.840.10045.4.3.3', scheme: SignatureScheme.ecdsa_secp384r1_sha384 },
  ed25519: { oid: '1.3.101.112', scheme: SignatureScheme.ed25519 },
};

function buffer(b: Uint8Array): ArrayBuffer {
  return b.slice().buffer;
}

function generalName(name: string): GeneralName {
  // The schema encodes an iPAddress given in text form as its octets.
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) ? new GeneralName({ iPAddress: name }) : new GeneralName({ dNSName: name });
}

/**
 * A self-signed certificate (DER) for `key`, with the given names. ECDSA P-256/P-384 and
 * Ed25519 keys only.
 *
 * @example
 * const key = generateSigningKey('ecdsa-p256');
 * const cert = selfSignedCertificate(key, { commonName: 'localhost', altNames: ['localhost', '127.0.0.1'] });
 * tlsServer({ cert: [cert], key });
 */
export function selfSignedCertificate(key: SigningKey, options: SelfSignedOptions): Uint8Array {
  const sig = SIGNATURE[key.type];
  if (!sig) throw new TlsMisuseError(`tls: selfSignedCertificate cannot sign with a ${key.type} key`);
  const notBefore = options.notBefore ?? new Date(Date.now() - 3600_000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 30 * 86400_000);
  const serial = options.serial ?? crypto.getRandomValues(new Uint8Array(16));
  if (serial.length === 0 || serial.length > 20) throw new TlsMisuseError('tls: certificate serial must be 1 to 20 bytes');
  serial[0]! &= 0x7f; // positive (RFC 5280 section 4.1.2.2)
  if (serial[0] === 0) serial[0] = 1;
  const name = new Name([
    new RelativeDistinguishedName([new AttributeTypeAndValue({ type: COMMON_NAME, value: new AttributeValue({ utf8String: options.commonName }) })]),
  ]);
  const algorithm = new AlgorithmIdentifier({ algorithm: sig.oid });
  const tbs = new TBSCertificate({
    version: 2,
    serialNumber: buffer(serial),
    signature: algorithm,
    issuer: name,
    validity: new Validity({ notBefore, notAfter }),
    subject: name,
    subjectPublicKeyInfo: AsnConvert.parse(key.spki, SubjectPublicKeyInfo),
    extensions: new Extensions([
      new Extension({
        extnID: id_ce_subjectAltName,
        critical: false,
        extnValue: new OctetString(AsnConvert.serialize(new SubjectAlternativeName((options.altNames ?? [options.commonName]).map(generalName)))),
      }),
      new Extension({ extnID: id_ce_basicConstraints, critical: true, extnValue: new OctetString(AsnConvert.serialize(new BasicConstraints({ cA: false }))) }),
    ]),
  });
  const tbsDer = new Uint8Array(AsnConvert.serialize(tbs));
  const signature = key.sign(sig.scheme, tbsDer);
  return new Uint8Array(AsnConvert.serialize(new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue: buffer(signature) })));
}
