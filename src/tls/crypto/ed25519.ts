/**
 * Ed25519 (RFC 8032 section 5.1, pure variant) on @noble/curves for the TLS 1.3 scheme ed25519
 * (RFC 8446 section 4.2.3), with keys encoded as in RFC 8410.
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { SignatureScheme, nameOf } from '../constants.js';
import { TlsCertificateError, TlsMisuseError } from '../errors.js';
import { Oid, encodeSpki } from './der.js';
import type { SigningKey, VerifyingKey } from './provider.js';

/** Length of an Ed25519 private key (seed) and public key, in bytes (RFC 8032 section 5.1.5). */
const KEY_LENGTH = 32;

/** DER SubjectPublicKeyInfo of an Ed25519 public key (RFC 8410 section 4: no parameters). */
function spkiOf(publicKey: Uint8Array): Uint8Array {
  return encodeSpki(Oid.ed25519, undefined, publicKey);
}

/**
 * True when `publicKey` is a 32-byte encoding of a point on the curve, as RFC 8032 section
 * 5.1.3 decodes it. Both providers refuse other keys up front with this same check.
 */
export function isValidEd25519PublicKey(publicKey: Uint8Array): boolean {
  return publicKey.length === KEY_LENGTH && ed25519.utils.isValidPublicKey(publicKey, false);
}

/** A signing key from a 32-byte Ed25519 private key. Throws TlsMisuseError for another length. */
export function ed25519SigningKey(seed: Uint8Array): SigningKey {
  if (seed.length !== KEY_LENGTH) {
    throw new TlsMisuseError(`tls: invalid Ed25519 private key: must be ${KEY_LENGTH} bytes, got ${seed.length}`);
  }
  const secret = seed.slice();
  return {
    type: 'ed25519',
    schemes: [SignatureScheme.ed25519],
    spki: spkiOf(ed25519.getPublicKey(secret)),
    sign(scheme, message) {
      if (scheme !== SignatureScheme.ed25519) {
        throw new TlsMisuseError(`tls: ed25519 key cannot sign with ${nameOf(SignatureScheme, scheme)}`);
      }
      return ed25519.sign(message, secret);
    },
  };
}

/**
 * A verifying key from a 32-byte Ed25519 public key; `spki` is the SubjectPublicKeyInfo it came
 * from. Throws TlsCertificateError (INVALID_PUBLIC_KEY, bad_certificate) for a bad encoding.
 */
export function ed25519VerifyingKey(publicKey: Uint8Array, spki?: Uint8Array): VerifyingKey {
  if (!isValidEd25519PublicKey(publicKey)) {
    throw new TlsCertificateError('INVALID_PUBLIC_KEY', 'tls: Ed25519 public key is not a valid point encoding');
  }
  const key = publicKey.slice();
  const verify = (message: Uint8Array, signature: Uint8Array): boolean => {
    if (signature.length !== 64) return false;
    try {
      // zip215 false: the strict RFC 8032 section 5.1.7 rules, as OpenSSL applies them.
      return ed25519.verify(signature, message, key, { zip215: false });
    } catch {
      return false;
    }
  };
  return {
    type: 'ed25519',
    spki: spki !== undefined ? spki.slice() : spkiOf(key),
    bits: 256,
    verify: (scheme, message, signature) => scheme === SignatureScheme.ed25519 && verify(message, signature),
    verifyCertificateSignature: (algorithm, message, signature) => algorithm.kind === 'ed25519' && verify(message, signature),
  };
}
