/**
 * Thin, error-safe wrappers over @peculiar/asn1-schema for the DER structures rxtls reads and
 * writes (keys and SubjectPublicKeyInfo), and the object identifiers it knows by name.
 */
import { AsnConvert, AsnParser } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';

/** Object identifiers of key algorithms and named curves (RFC 8017, RFC 5480, RFC 8410). */
export const Oid = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  x25519: '1.3.101.110',
  x448: '1.3.101.111',
  dsa: '1.2.840.10040.4.1',
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
  secp256k1: '1.3.132.0.10',
  secp224r1: '1.3.132.0.33',
  secp192r1: '1.2.840.10045.3.1.1',
} as const;

/** The name of a known OID (`'secp521r1'`), or the dotted OID itself. */
export function oidName(oid: string): string {
  for (const [name, value] of Object.entries(Oid)) if (value === oid) return name;
  return oid;
}

/** A class @peculiar/asn1-schema can decode into. */
type AsnType<T> = new () => T;

/**
 * Decodes one DER value of `type` from exactly all of `der`. Any failure, including trailing
 * bytes after the value, becomes the error `fail(detail)` returns; nothing else is thrown.
 */
export function parseDer<T>(der: Uint8Array, type: AsnType<T>, fail: (detail: string) => Error): T {
  let value: T;
  let length: number;
  try {
    value = AsnParser.parse(der, type);
    // The parser ignores bytes after the value; re-encoding tells how long the value was.
    length = AsnConvert.serialize(value).byteLength;
  } catch (e) {
    throw fail(e instanceof Error ? e.message : String(e));
  }
  if (length !== der.length) throw fail(`${der.length - length} bytes of trailing data or non-DER encoding`);
  return value;
}

/** DER encoding of a value of an @peculiar/asn1-schema class. */
export function encodeDer(value: object): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(value));
}

/** A fresh ArrayBuffer holding a copy of `bytes` (the form @peculiar fields use). */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

/**
 * DER SubjectPublicKeyInfo (RFC 5280 section 4.1.2.7) for `algorithm` with DER-encoded
 * `parameters` (absent when undefined) and the raw public key bits.
 */
export function encodeSpki(algorithm: string, parameters: Uint8Array | undefined, publicKey: Uint8Array): Uint8Array {
  const alg = new AlgorithmIdentifier({ algorithm });
  if (parameters !== undefined) alg.parameters = toArrayBuffer(parameters);
  return encodeDer(new SubjectPublicKeyInfo({ algorithm: alg, subjectPublicKey: toArrayBuffer(publicKey) }));
}
