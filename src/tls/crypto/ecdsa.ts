/**
 * ECDSA signing and verification on @noble/curves for the TLS 1.3 schemes
 * ecdsa_secp256r1_sha256 and ecdsa_secp384r1_sha384 (RFC 8446 section 4.2.3), whose signatures
 * are DER-encoded ECDSA-Sig-Value structures (RFC 8422 section 5.4, RFC 3279 section 2.2.3).
 */
import { ECParameters } from '@peculiar/asn1-ecc';
import { p256, p384 } from '@noble/curves/nist.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { SignatureScheme, nameOf } from '../constants.js';
import { TlsCertificateError, TlsMisuseError } from '../errors.js';
import { Oid, encodeDer, encodeSpki } from './der.js';
import type { HashName, SigningKey, VerifyingKey } from './provider.js';

/** The ECDSA curves rxtls supports. */
export type EcdsaCurve = 'p256' | 'p384';

/** What a curve needs: noble operations, sizes, its OID and its one TLS 1.3 scheme. */
interface CurveSpec {
  readonly noble: typeof p256;
  readonly type: 'ecdsa-p256' | 'ecdsa-p384';
  readonly name: string;
  readonly oid: string;
  readonly bits: number;
  readonly scalarLength: number;
  /** The scheme binds curve and hash together (RFC 8446 section 4.2.3). */
  readonly scheme: SignatureScheme;
}

/** The supported curves. The noble curve hashes with the matching SHA-2 (sha256, sha384). */
const CURVES: Record<EcdsaCurve, CurveSpec> = {
  p256: {
    noble: p256,
    type: 'ecdsa-p256',
    name: 'secp256r1',
    oid: Oid.secp256r1,
    bits: 256,
    scalarLength: 32,
    scheme: SignatureScheme.ecdsa_secp256r1_sha256,
  },
  p384: {
    noble: p384,
    type: 'ecdsa-p384',
    name: 'secp384r1',
    oid: Oid.secp384r1,
    bits: 384,
    scalarLength: 48,
    scheme: SignatureScheme.ecdsa_secp384r1_sha384,
  },
};

/** The digests a certificate's ECDSA signature may be computed over (RFC 5758 section 3.2). */
const DIGEST: Record<HashName, (m: Uint8Array) => Uint8Array> = { sha256, sha384, sha512 };

/** The curve named by a namedCurve OID, or undefined when rxtls does not support it. */
export function ecdsaCurveOfOid(oid: string): EcdsaCurve | undefined {
  if (oid === Oid.secp256r1) return 'p256';
  if (oid === Oid.secp384r1) return 'p384';
  return undefined;
}

/** The byte length of a private scalar on `curve`. */
export function ecdsaScalarLength(curve: EcdsaCurve): number {
  return CURVES[curve].scalarLength;
}

/** DER SubjectPublicKeyInfo for an uncompressed point on `curve` (RFC 5480 section 2). */
function spkiOf(spec: CurveSpec, point: Uint8Array): Uint8Array {
  return encodeSpki(Oid.ecPublicKey, encodeDer(new ECParameters({ namedCurve: spec.oid })), point);
}

/** DER SubjectPublicKeyInfo for an encoded `point` on `curve` (RFC 5480 section 2). */
export function ecdsaSpki(curve: EcdsaCurve, point: Uint8Array): Uint8Array {
  return spkiOf(CURVES[curve], point);
}

/**
 * A signing key from a private scalar of exactly the curve's length. When `publicKey` (an
 * encoded point, as stored in SEC1 and PKCS#8 keys) is given it must match the scalar.
 * Throws TlsMisuseError for an invalid scalar or a mismatched public key.
 */
export function ecdsaSigningKey(curve: EcdsaCurve, secret: Uint8Array, publicKey?: Uint8Array): SigningKey {
  const spec = CURVES[curve];
  if (secret.length !== spec.scalarLength || !spec.noble.utils.isValidSecretKey(secret)) {
    throw new TlsMisuseError(`tls: invalid ${spec.name} private key: not a scalar in [1, n-1]`);
  }
  const d = secret.slice();
  const point = spec.noble.getPublicKey(d, false);
  if (publicKey !== undefined && !samePoint(spec, point, publicKey)) {
    throw new TlsMisuseError(`tls: invalid ${spec.name} private key: embedded public key does not match`);
  }
  return {
    type: spec.type,
    schemes: [spec.scheme],
    spki: spkiOf(spec, point),
    sign(scheme, message) {
      if (scheme !== spec.scheme) {
        throw new TlsMisuseError(`tls: ${spec.type} key cannot sign with ${nameOf(SignatureScheme, scheme)}`);
      }
      // Deterministic nonces (RFC 6979); DER output as TLS requires.
      return spec.noble.sign(message, d, { format: 'der', prehash: true });
    },
  };
}

/** True when the encoded point `other` (compressed or not) equals the uncompressed `point`. */
function samePoint(spec: CurveSpec, point: Uint8Array, other: Uint8Array): boolean {
  try {
    return spec.noble.Point.fromBytes(other).equals(spec.noble.Point.fromBytes(point));
  } catch {
    return false;
  }
}

/**
 * A verifying key from an encoded point on `curve` (SEC1 2.3.3; uncompressed or compressed).
 * `spki` is the SubjectPublicKeyInfo it came from. Throws TlsCertificateError
 * (INVALID_PUBLIC_KEY, bad_certificate) when the point is not on the curve.
 */
export function ecdsaVerifyingKey(curve: EcdsaCurve, publicKey: Uint8Array, spki?: Uint8Array): VerifyingKey {
  const spec = CURVES[curve];
  let point: Uint8Array;
  try {
    point = spec.noble.Point.fromBytes(publicKey).toBytes(false);
  } catch {
    throw new TlsCertificateError('INVALID_PUBLIC_KEY', `tls: ${spec.name} public key is not a valid point on the curve`);
  }
  return {
    type: spec.type,
    spki: spki !== undefined ? spki.slice() : spkiOf(spec, point),
    bits: spec.bits,
    verify(scheme, message, signature) {
      if (scheme !== spec.scheme) return false;
      try {
        // High-S signatures are valid ECDSA (OpenSSL makes them), so lowS is not enforced.
        return spec.noble.verify(signature, message, point, { format: 'der', prehash: true, lowS: false });
      } catch {
        return false;
      }
    },
    verifyCertificateSignature(algorithm, message, signature) {
      if (algorithm.kind !== 'ecdsa') return false;
      try {
        // Any SHA-2 on any curve: the digest is truncated to the curve order's length (SEC 1 section 4.1.4 step 5).
        return spec.noble.verify(signature, DIGEST[algorithm.hash](message), point, { format: 'der', prehash: false, lowS: false });
      } catch {
        return false;
      }
    },
  };
}
