/**
 * The AEADs of the TLS 1.3 cipher suites on @noble/ciphers: AES-GCM (RFC 5116 section 5.1 and
 * 5.2, RFC 8446 appendix B.4) and ChaCha20-Poly1305 (RFC 8439 section 2.8).
 */
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { TlsMisuseError } from '../errors.js';
import type { Aead, AeadKey, AeadName } from './provider.js';

/** Nonce length of every TLS 1.3 AEAD (RFC 8446 section 5.3: iv_length is 12). */
const NONCE_LENGTH = 12;
/** Tag length of every TLS 1.3 AEAD (RFC 5116 section 5.1, RFC 8439 section 2.8). */
const TAG_LENGTH = 16;

/** A noble AEAD constructor: key, nonce, associated data. */
type NobleAead = (key: Uint8Array, nonce: Uint8Array, aad?: Uint8Array) => {
  encrypt(plaintext: Uint8Array): Uint8Array;
  decrypt(ciphertext: Uint8Array): Uint8Array;
};

/** Key length and noble constructor per AEAD name. */
const ALGORITHMS: Record<AeadName, { keyLength: number; cipher: NobleAead }> = {
  'aes-128-gcm': { keyLength: 16, cipher: gcm },
  'aes-256-gcm': { keyLength: 32, cipher: gcm },
  'chacha20-poly1305': { keyLength: 32, cipher: chacha20poly1305 },
};

/** Throws TlsMisuseError unless `nonce` is 12 bytes. */
function checkNonce(name: AeadName, nonce: Uint8Array): void {
  if (nonce.length !== NONCE_LENGTH) {
    throw new TlsMisuseError(`tls: ${name} nonce must be ${NONCE_LENGTH} bytes, got ${nonce.length}`);
  }
}

/** Binds `key` (already length-checked) to the noble cipher. */
function bind(name: AeadName, cipher: NobleAead, key: Uint8Array): AeadKey {
  const k = key.slice();
  return {
    seal(nonce, aad, plaintext) {
      checkNonce(name, nonce);
      return cipher(k, nonce, aad).encrypt(plaintext);
    },
    open(nonce, aad, ciphertextAndTag) {
      checkNonce(name, nonce);
      if (ciphertextAndTag.length < TAG_LENGTH) return null;
      try {
        return cipher(k, nonce, aad).decrypt(ciphertextAndTag);
      } catch {
        // noble throws only for a tag mismatch here: nonce and lengths were checked above.
        return null;
      }
    },
  };
}

/** The named AEAD on noble. Throws TlsMisuseError for an unknown name. */
export function nobleAeadOf(name: AeadName): Aead {
  const alg = ALGORITHMS[name];
  if (alg === undefined) throw new TlsMisuseError(`tls: unsupported AEAD: ${String(name)}`);
  return {
    name,
    keyLength: alg.keyLength,
    importKey(key) {
      if (key.length !== alg.keyLength) {
        throw new TlsMisuseError(`tls: ${name} key must be ${alg.keyLength} bytes, got ${key.length}`);
      }
      return bind(name, alg.cipher, key);
    },
  };
}
