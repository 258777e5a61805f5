/**
 * The AEADs of the TLS 1.3 cipher suites on node:crypto (OpenSSL): AES-128-GCM, AES-256-GCM
 * (RFC 5116 section 5.1 and 5.2) and ChaCha20-Poly1305 (RFC 8439 section 2.8), with 16-byte
 * tags. Each call makes one cipher context: node:crypto cannot rekey an IV on a live one.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type CipherGCMTypes, type KeyObject } from 'node:crypto';
import { TlsMisuseError } from '../errors.js';
import { u8 } from './node-bytes.js';
import type { Aead, AeadKey, AeadName } from './provider.js';

/** Nonce length of every TLS 1.3 AEAD (RFC 8446 section 5.3: iv_length is 12). */
const NONCE_LENGTH = 12;
/** Tag length of every TLS 1.3 AEAD (RFC 5116 section 5.1, RFC 8439 section 2.8). */
const TAG_LENGTH = 16;
/**
 * Below this many bytes of plaintext, `sealInto` joins content and trailer (a small copy) to
 * make one `update` call instead of two: each node:crypto call costs more than copying a
 * kilobyte.
 */
const JOIN_BELOW = 1024;

/** Key length per AEAD name; the OpenSSL cipher names are the provider's names. */
const KEY_LENGTH: Record<AeadName, number> = { 'aes-128-gcm': 16, 'aes-256-gcm': 32, 'chacha20-poly1305': 32 };

/** Throws TlsMisuseError unless `nonce` is 12 bytes. */
function checkNonce(name: AeadName, nonce: Uint8Array): void {
  if (nonce.length !== NONCE_LENGTH) {
    throw new TlsMisuseError(`tls: ${name} nonce must be ${NONCE_LENGTH} bytes, got ${nonce.length}`);
  }
}

/** Throws unless OpenSSL produced exactly as many bytes as it was given (GCM and ChaCha20 are stream modes). */
function checkLength(name: AeadName, got: number, expected: number): void {
  if (got !== expected) throw new TlsMisuseError(`tls: ${name} produced ${got} bytes of ciphertext, expected ${expected}`);
}

/** Copies `part` of a ciphertext into `out` at `at`, never past `n`; returns the new offset. */
function put(name: AeadName, out: Uint8Array, at: number, n: number, part: Uint8Array): number {
  if (part.length === 0) return at;
  if (at + part.length > n) checkLength(name, at + part.length, n);
  out.set(part, at);
  return at + part.length;
}

/** Binds `key` (already length-checked; copied into a KeyObject) to the named cipher. */
function bind(name: AeadName, key: KeyObject): AeadKey {
  // @types/node types the AEAD overloads by name; chacha20-poly1305 has the same API as GCM here.
  const alg = name as CipherGCMTypes;
  return {
    seal(nonce, aad, plaintext) {
      checkNonce(name, nonce);
      // No options: the tag is 16 bytes by default for both GCM and ChaCha20-Poly1305.
      const c = createCipheriv(alg, key, nonce);
      c.setAAD(aad);
      const body = c.update(plaintext);
      const rest = c.final();
      const n = body.length + rest.length;
      checkLength(name, n, plaintext.length);
      const out = new Uint8Array(n + TAG_LENGTH);
      out.set(body);
      if (rest.length > 0) out.set(rest, body.length);
      out.set(c.getAuthTag(), n);
      return out;
    },
    sealInto(nonce, aad, plaintext, trailer, out) {
      checkNonce(name, nonce);
      const n = plaintext.length + trailer.length;
      if (out.length !== n + TAG_LENGTH) throw new TlsMisuseError(`tls: ${name} sealInto needs ${n + TAG_LENGTH} bytes of output, got ${out.length}`);
      const c = createCipheriv(alg, key, nonce);
      c.setAAD(aad);
      let at = 0;
      if (plaintext.length < JOIN_BELOW) {
        // Gathered in `out` itself, then encrypted from there (node:crypto copies its input).
        out.set(plaintext);
        out.set(trailer, plaintext.length);
        at = put(name, out, at, n, c.update(out.subarray(0, n)));
      } else {
        at = put(name, out, at, n, c.update(plaintext));
        at = put(name, out, at, n, c.update(trailer));
      }
      at = put(name, out, at, n, c.final());
      checkLength(name, at, n);
      out.set(c.getAuthTag(), n);
    },
    open(nonce, aad, ciphertextAndTag) {
      checkNonce(name, nonce);
      const n = ciphertextAndTag.length - TAG_LENGTH;
      if (n < 0) return null;
      const d = createDecipheriv(alg, key, nonce);
      d.setAuthTag(ciphertextAndTag.subarray(n));
      d.setAAD(aad);
      const body = d.update(ciphertextAndTag.subarray(0, n));
      let rest: Uint8Array;
      try {
        rest = d.final();
      } catch {
        // OpenSSL refuses the tag in final(): authentication failed. Drop what update() produced.
        body.fill(0);
        return null;
      }
      if (rest.length === 0) return u8(body);
      const out = new Uint8Array(body.length + rest.length);
      out.set(body);
      out.set(rest, body.length);
      return out;
    },
  };
}

/** The named AEAD on node:crypto. Throws TlsMisuseError for an unknown name. */
export function nodeAeadOf(name: AeadName): Aead {
  if (!Object.hasOwn(KEY_LENGTH, name)) throw new TlsMisuseError(`tls: unsupported AEAD: ${String(name)}`);
  const keyLength = KEY_LENGTH[name];
  return {
    name,
    keyLength,
    importKey(key) {
      if (key.length !== keyLength) throw new TlsMisuseError(`tls: ${name} key must be ${keyLength} bytes, got ${key.length}`);
      return bind(name, createSecretKey(key));
    },
  };
}
