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
  encrypt(plaintext: Uint8Array, output?: Uint8Array): Uint8Array;
  decrypt(ciphertext: Uint8Array): Uint8Array;
};

/**
 * Key length and noble constructor per AEAD name. `inPlace`: the cipher takes an output buffer
 * and may encrypt where the plaintext lies (noble's ChaCha20-Poly1305 does; its GCM allocates).
 */
const ALGORITHMS: Record<AeadName, { keyLength: number; cipher: NobleAead; inPlace: boolean }> = {
  'aes-128-gcm': { keyLength: 16, cipher: gcm, inPlace: false },
  'aes-256-gcm': { keyLength: 32, cipher: gcm, inPlace: false },
  'chacha20-poly1305': { keyLength: 32, cipher: chacha20poly1305, inPlace: true },
};

/** Throws TlsMisuseError unless `nonce` is 12 bytes. */
function checkNonce(name: AeadName, nonce: Uint8Array): void {
  if (nonce.length !== NONCE_LENGTH) {
    throw new TlsMisuseError(`tls: ${name} nonce must be ${NONCE_LENGTH} bytes, got ${nonce.length}`);
  }
}

/** Binds `key` (already length-checked) to the noble cipher. */
function bind(name: AeadName, cipher: NobleAead, inPlace: boolean, key: Uint8Array): AeadKey {
  const k = key.slice();
  /** Aligned working memory for in-place sealing, grown on demand (see sealInto). */
  let scratch: Uint8Array | undefined;
  return {
    seal(nonce, aad, plaintext) {
      checkNonce(name, nonce);
      return cipher(k, nonce, aad).encrypt(plaintext);
    },
    sealInto(nonce, aad, plaintext, trailer, out) {
      checkNonce(name, nonce);
      const n = plaintext.length + trailer.length;
      if (out.length !== n + TAG_LENGTH) throw new TlsMisuseError(`tls: ${name} sealInto needs ${n + TAG_LENGTH} bytes of output, got ${out.length}`);
      if (!inPlace) {
        const inner = new Uint8Array(n);
        inner.set(plaintext);
        inner.set(trailer, plaintext.length);
        out.set(cipher(k, nonce, aad).encrypt(inner));
        return;
      }
      // The plaintext is gathered where the ciphertext goes and encrypted in place. noble's
      // ChaCha20 XORs a word at a time only on 4-byte aligned arrays (byte by byte otherwise),
      // so an unaligned `out` (a record body after its 5-byte header) goes through an aligned
      // scratch array and one copy.
      const aligned = out.byteOffset % 4 === 0;
      if (!aligned && (scratch === undefined || scratch.length < n + TAG_LENGTH)) scratch = new Uint8Array(Math.max(n + TAG_LENGTH, 16384 + 256));
      const work = aligned ? out : scratch!.subarray(0, n + TAG_LENGTH);
      work.set(plaintext);
      work.set(trailer, plaintext.length);
      cipher(k, nonce, aad).encrypt(work.subarray(0, n), work);
      if (!aligned) out.set(work);
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
      return bind(name, alg.cipher, alg.inPlace, key);
    },
  };
}
