/**
 * Ed25519 (RFC 8032 section 5.1, pure variant) on node:crypto for the TLS 1.3 scheme ed25519
 * (RFC 8446 section 4.2.3). Signing is deterministic, so no `random` is needed.
 */
import { b64url, der, u8 } from './node-bytes.js';
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { SignatureScheme, nameOf } from '../constants.js';
import { TlsCertificateError, TlsMisuseError } from '../errors.js';
import { isValidEd25519PublicKey } from './ed25519.js';
import type { SigningKey, VerifyingKey } from './provider.js';

/** Length of an Ed25519 private key (seed) and public key, in bytes (RFC 8032 section 5.1.5). */
const KEY_LENGTH = 32;
/** DER PKCS#8 for Ed25519 (RFC 8410 section 7) up to the 32 key bytes. */
const PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20);
/** DER SubjectPublicKeyInfo for Ed25519 (RFC 8410 section 4) up to the 32 key bytes. */
const SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00);


/** A signing key from a 32-byte Ed25519 private key. Throws TlsMisuseError for another length. */
export function nodeEd25519SigningKey(seed: Uint8Array): SigningKey {
  if (seed.length !== KEY_LENGTH) {
    throw new TlsMisuseError(`tls: invalid Ed25519 private key: must be ${KEY_LENGTH} bytes, got ${seed.length}`);
  }
  const key = createPrivateKey({ key: der(PKCS8_PREFIX, seed), format: 'der', type: 'pkcs8' });
  return {
    type: 'ed25519',
    schemes: [SignatureScheme.ed25519],
    spki: u8(createPublicKey(key).export({ format: 'der', type: 'spki' })),
    sign(scheme, message) {
      if (scheme !== SignatureScheme.ed25519) {
        throw new TlsMisuseError(`tls: ed25519 key cannot sign with ${nameOf(SignatureScheme, scheme)}`);
      }
      return u8(nodeSign(null, message, key));
    },
  };
}

/**
 * A verifying key from a 32-byte Ed25519 public key; `spki` is the SubjectPublicKeyInfo it came
 * from. Throws TlsCertificateError (INVALID_PUBLIC_KEY, bad_certificate) for a bad encoding
 * (checked as the noble provider checks it: OpenSSL would only fail later, at verification).
 */
export function nodeEd25519VerifyingKey(publicKey: Uint8Array, spki?: Uint8Array): VerifyingKey {
  if (!isValidEd25519PublicKey(publicKey)) {
    throw new TlsCertificateError('INVALID_PUBLIC_KEY', 'tls: Ed25519 public key is not a valid point encoding');
  }
  const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(publicKey) }, format: 'jwk' });
  const verify = (message: Uint8Array, signature: Uint8Array): boolean => {
    if (signature.length !== 64) return false;
    try {
      return nodeVerify(null, message, key, signature);
    } catch {
      return false;
    }
  };
  return {
    type: 'ed25519',
    spki: spki !== undefined ? spki.slice() : new Uint8Array(der(SPKI_PREFIX, publicKey)),
    bits: 256,
    verify: (scheme, message, signature) => scheme === SignatureScheme.ed25519 && verify(message, signature),
    verifyCertificateSignature: (algorithm, message, signature) => algorithm.kind === 'ed25519' && verify(message, signature),
  };
}
