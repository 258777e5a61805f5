/**
 * The TLS 1.3 cipher suites (RFC 8446 appendix B.4) and what each one fixes: the AEAD
 * protecting records, the hash of the key schedule and transcript, and the traffic key sizes
 * (RFC 8446 section 7.3).
 */
import { CipherSuite } from './constants.js';
import type { AeadName, HashName } from './crypto/provider.js';

/** What a TLS 1.3 cipher suite selects (RFC 8446 section 4.1.1 and appendix B.4). */
export interface CipherSuiteInfo {
  /** The code point on the wire. */
  readonly id: CipherSuite;
  /** The IANA name, such as `TLS_AES_128_GCM_SHA256`. */
  readonly name: string;
  /** The record protection AEAD (RFC 8446 section 5.2). */
  readonly aead: AeadName;
  /** The hash of HKDF and the transcript (RFC 8446 section 7.1). */
  readonly hash: HashName;
  /** The AEAD key length in bytes: `key_length` of RFC 8446 section 7.3. */
  readonly keyLength: number;
  /** The per-record nonce length in bytes: `iv_length` of RFC 8446 sections 5.3 and 7.3. */
  readonly ivLength: 12;
}

/** The three TLS 1.3 cipher suites rxtls implements, in its default order of preference. */
export const CIPHER_SUITES: readonly CipherSuiteInfo[] = Object.freeze([
  Object.freeze({
    id: CipherSuite.TLS_AES_128_GCM_SHA256,
    name: 'TLS_AES_128_GCM_SHA256',
    aead: 'aes-128-gcm',
    hash: 'sha256',
    keyLength: 16,
    ivLength: 12,
  }),
  Object.freeze({
    id: CipherSuite.TLS_AES_256_GCM_SHA384,
    name: 'TLS_AES_256_GCM_SHA384',
    aead: 'aes-256-gcm',
    hash: 'sha384',
    keyLength: 32,
    ivLength: 12,
  }),
  Object.freeze({
    id: CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
    name: 'TLS_CHACHA20_POLY1305_SHA256',
    aead: 'chacha20-poly1305',
    hash: 'sha256',
    keyLength: 32,
    ivLength: 12,
  }),
] as const satisfies readonly CipherSuiteInfo[]);

/** The suite with code point `id`, or undefined when it is not a TLS 1.3 suite rxtls knows. */
export function cipherSuiteInfo(id: number): CipherSuiteInfo | undefined {
  for (const s of CIPHER_SUITES) if (s.id === id) return s;
  return undefined;
}
