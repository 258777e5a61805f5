/**
 * ECDSA on node:crypto for ecdsa_secp256r1_sha256 and ecdsa_secp384r1_sha384 (RFC 8446
 * section 4.2.3), with DER-encoded signatures (RFC 8422 section 5.4).
 *
 * Signing: OpenSSL's ECDSA draws a random nonce, so its signatures are not reproducible. When
 * the caller passes `random` (an engine with injected randomness) this key signs with RFC 6979
 * deterministic nonces on @noble/curves instead, exactly as the noble provider does; without
 * it, it signs with node:crypto. Both are valid ECDSA; only speed and reproducibility differ.
 */
import { b64url, u8 } from './node-bytes.js';
import { ECDH, createECDH, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { SignatureScheme, nameOf } from '../constants.js';
import { TlsCertificateError, TlsMisuseError } from '../errors.js';
import { type EcdsaCurve, ecdsaSpki } from './ecdsa.js';
import type { SigningKey, VerifyingKey } from './provider.js';

/** What a curve needs on node:crypto, plus noble for RFC 6979 signing and the scalar range check. */
interface NodeCurve {
  readonly noble: typeof p256;
  readonly type: 'ecdsa-p256' | 'ecdsa-p384';
  readonly name: string;
  readonly opensslName: string;
  readonly jwkCurve: string;
  readonly hash: string;
  readonly bits: number;
  readonly size: number;
  readonly scheme: SignatureScheme;
}

const CURVES: Record<EcdsaCurve, NodeCurve> = {
  p256: {
    noble: p256, type: 'ecdsa-p256', name: 'secp256r1', opensslName: 'prime256v1', jwkCurve: 'P-256',
    hash: 'sha256', bits: 256, size: 32, scheme: SignatureScheme.ecdsa_secp256r1_sha256,
  },
  p384: {
    noble: p384, type: 'ecdsa-p384', name: 'secp384r1', opensslName: 'secp384r1', jwkCurve: 'P-384',
    hash: 'sha384', bits: 384, size: 48, scheme: SignatureScheme.ecdsa_secp384r1_sha384,
  },
};

/**
 * `point` (SEC1 2.3.3, compressed or uncompressed; not hybrid, not infinity) as an
 * uncompressed point, or null when it is malformed or not on the curve.
 */
function uncompressed(spec: NodeCurve, point: Uint8Array): Uint8Array | null {
  const form = point[0];
  const ok = (form === 0x04 && point.length === 1 + 2 * spec.size) || ((form === 0x02 || form === 0x03) && point.length === 1 + spec.size);
  if (!ok) return null;
  try {
    // Decoding (EC_POINT_oct2point) refuses points that are not on the curve.
    return u8(ECDH.convertKey(point, spec.opensslName, undefined, undefined, 'uncompressed') as Buffer);
  } catch {
    return null;
  }
}

/** An ECDSA check of a DER signature; OpenSSL parses the DER strictly (re-encodes and compares) and accepts high-S values. */
function verifyDer(hash: string, key: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    return nodeVerify(hash, message, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}


function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc |= a[i]! ^ b[i]!;
  return acc === 0;
}

/**
 * A signing key from a private scalar of exactly the curve's length. When `publicKey` (an
 * encoded point, as stored in SEC1 and PKCS#8 keys) is given it must match the scalar.
 * Throws TlsMisuseError for an invalid scalar or a mismatched public key.
 */
export function nodeEcdsaSigningKey(curve: EcdsaCurve, secret: Uint8Array, publicKey?: Uint8Array): SigningKey {
  const spec = CURVES[curve];
  if (secret.length !== spec.size || !spec.noble.utils.isValidSecretKey(secret)) {
    throw new TlsMisuseError(`tls: invalid ${spec.name} private key: not a scalar in [1, n-1]`);
  }
  const d = secret.slice();
  const ecdh = createECDH(spec.opensslName);
  ecdh.setPrivateKey(d);
  const point = u8(ecdh.getPublicKey(null, 'uncompressed'));
  if (publicKey !== undefined) {
    const other = uncompressed(spec, publicKey);
    if (other === null || !equalBytes(other, point)) {
      throw new TlsMisuseError(`tls: invalid ${spec.name} private key: embedded public key does not match`);
    }
  }
  const key: KeyObject = createPrivateKey({
    key: { kty: 'EC', crv: spec.jwkCurve, d: b64url(d), x: b64url(point.subarray(1, 1 + spec.size)), y: b64url(point.subarray(1 + spec.size)) },
    format: 'jwk',
  });
  return {
    type: spec.type,
    schemes: [spec.scheme],
    spki: ecdsaSpki(curve, point),
    sign(scheme, message, random) {
      if (scheme !== spec.scheme) {
        throw new TlsMisuseError(`tls: ${spec.type} key cannot sign with ${nameOf(SignatureScheme, scheme)}`);
      }
      // Injected randomness: reproducible RFC 6979 nonces (the noble provider's signature).
      if (random !== undefined) return spec.noble.sign(message, d, { format: 'der', prehash: true });
      return u8(nodeSign(spec.hash, message, { key, dsaEncoding: 'der' }));
    },
  };
}

/**
 * A verifying key from an encoded point on `curve` (SEC1 2.3.3; uncompressed or compressed).
 * `spki` is the SubjectPublicKeyInfo it came from. Throws TlsCertificateError
 * (INVALID_PUBLIC_KEY, bad_certificate) when the point is not on the curve.
 */
export function nodeEcdsaVerifyingKey(curve: EcdsaCurve, publicKey: Uint8Array, spki?: Uint8Array): VerifyingKey {
  const spec = CURVES[curve];
  const invalid = () => new TlsCertificateError('INVALID_PUBLIC_KEY', `tls: ${spec.name} public key is not a valid point on the curve`);
  // An uncompressed point goes straight to the JWK import, which refuses points off the curve;
  // a compressed one is decompressed (and checked) first.
  const point = publicKey[0] === 0x04 && publicKey.length === 1 + 2 * spec.size ? publicKey : uncompressed(spec, publicKey);
  if (point === null) throw invalid();
  let key: KeyObject;
  try {
    key = createPublicKey({
      key: { kty: 'EC', crv: spec.jwkCurve, x: b64url(point.subarray(1, 1 + spec.size)), y: b64url(point.subarray(1 + spec.size)) },
      format: 'jwk',
    });
  } catch {
    throw invalid();
  }
  return {
    type: spec.type,
    spki: spki !== undefined ? spki.slice() : ecdsaSpki(curve, point),
    bits: spec.bits,
    verify(scheme, message, signature) {
      if (scheme !== spec.scheme) return false;
      return verifyDer(spec.hash, key, message, signature);
    },
    verifyCertificateSignature(algorithm, message, signature) {
      // Any SHA-2 on any curve: OpenSSL truncates the digest to the order's length (SEC 1 section 4.1.4).
      return algorithm.kind === 'ecdsa' && verifyDer(algorithm.hash, key, message, signature);
    },
  };
}
