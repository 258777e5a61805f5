/**
 * The crypto provider interface: every primitive the engine uses comes through here, so the
 * engine stays synchronous and portable and a faster provider (node:crypto) can replace the
 * default (noble) without touching protocol code.
 */
import type { NamedGroup, SignatureScheme } from '../constants.js';

/** Hash functions TLS 1.3 suites and signature schemes use. */
export type HashName = 'sha256' | 'sha384' | 'sha512';

/** AEAD algorithms of the TLS 1.3 cipher suites. */
export type AeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/** An incremental hash computation. */
export interface HashContext {
  /** Adds bytes. */
  update(data: Uint8Array): void;
  /** The digest of everything added so far; the context must not be used afterwards. */
  digest(): Uint8Array;
  /** An independent copy of the current state (for transcript hashes taken mid-handshake). */
  clone(): HashContext;
}

/** A hash function. */
export interface Hash {
  readonly name: HashName;
  /** Digest length in bytes (32 for sha256, 48 for sha384, 64 for sha512). */
  readonly outputLength: number;
  /** A fresh incremental context. */
  create(): HashContext;
  /** One-shot digest. */
  digest(data: Uint8Array): Uint8Array;
}

/**
 * An AEAD bound to one key. Nonces are always 12 bytes, tags 16 bytes. Arguments are read only
 * during the call (the record layer reuses its nonce buffer) and never modified; results are
 * fresh memory the caller owns.
 */
export interface AeadKey {
  /** Encrypts; returns ciphertext followed by the 16-byte tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Decrypts and authenticates `ciphertext || tag`; returns null when authentication fails. */
  open(nonce: Uint8Array, aad: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array | null;
  /**
   * Optional fast path for the record layer: the same bytes as
   * `seal(nonce, aad, plaintext || trailer)`, written into `out` (exactly
   * `plaintext.length + trailer.length + 16` bytes, not overlapping the inputs) instead of a
   * new array, and without building the concatenation. TLS 1.3 seals each record's content
   * followed by its content type byte and padding (RFC 8446 section 5.2) this way, straight
   * into the record it sends. Record protection falls back to `seal` when this is absent.
   */
  sealInto?(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, trailer: Uint8Array, out: Uint8Array): void;
}

/** An AEAD algorithm. */
export interface Aead {
  readonly name: AeadName;
  /** Key length in bytes (16 or 32). */
  readonly keyLength: number;
  /** Binds a key. */
  importKey(key: Uint8Array): AeadKey;
}

/** One side's ephemeral key exchange state for one group. */
export interface KeyShare {
  readonly group: NamedGroup;
  /** The public value as sent in a KeyShareEntry (RFC 8446 section 4.2.8.2). */
  readonly publicKey: Uint8Array;
  /**
   * The shared secret with the peer's public value. Throws a TlsProtocolError with
   * illegal_parameter when the peer's value is malformed, off the curve, or yields an all-zero
   * X25519 secret (RFC 8446 section 7.4.2).
   */
  agree(peerPublicKey: Uint8Array): Uint8Array;
}

/** A key exchange group. */
export interface KeyExchange {
  readonly group: NamedGroup;
  /** A new key pair whose private key is derived from bytes drawn from `random`. */
  generate(random: (n: number) => Uint8Array): KeyShare;
}

/** The key algorithms rxtls signs and verifies with. */
export type KeyType = 'rsa' | 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519';

/** A private key able to produce TLS signatures. */
export interface SigningKey {
  readonly type: KeyType;
  /** The TLS 1.3 CertificateVerify schemes this key can sign with, most preferred first. */
  readonly schemes: readonly SignatureScheme[];
  /** The DER SubjectPublicKeyInfo of the matching public key. */
  readonly spki: Uint8Array;
  /**
   * Signs `message` (the scheme's hash is applied inside). When `random` is given the
   * signature must be a pure function of the key, the message and the bytes `random` returns,
   * so that an engine with injected randomness stays reproducible: RSA-PSS draws its salt from
   * it, ECDSA uses RFC 6979 nonces, Ed25519 is deterministic anyway. Without `random` a
   * provider may use its own randomness (the node provider signs ECDSA with OpenSSL's random
   * nonces then). Throws TlsMisuseError for a scheme not in `schemes`.
   */
  sign(scheme: SignatureScheme, message: Uint8Array, random?: (n: number) => Uint8Array): Uint8Array;
}

/**
 * A certificate signature algorithm with its parameters, as an X.509 AlgorithmIdentifier names
 * it (RFC 5280 section 4.1.1.2; RFC 4055 section 3.1 for RSASSA-PSS; RFC 5758 section 3.2 for
 * ECDSA; RFC 8410 section 3 for Ed25519). Unlike a TLS 1.3 SignatureScheme, it does not tie an
 * ECDSA hash to a curve: a P-256 CA may sign with ecdsa-with-SHA384.
 */
export type CertificateSignatureAlgorithm =
  | { readonly kind: 'rsa-pkcs1'; readonly hash: HashName }
  /** RSASSA-PSS with MGF1 over the same hash and trailer field 1 (the only form rxtls accepts). */
  | { readonly kind: 'rsa-pss'; readonly hash: HashName; readonly saltLength: number }
  | { readonly kind: 'ecdsa'; readonly hash: HashName }
  | { readonly kind: 'ed25519' };

/** A public key able to verify TLS signatures. */
export interface VerifyingKey {
  readonly type: KeyType;
  /** The DER SubjectPublicKeyInfo. */
  readonly spki: Uint8Array;
  /** RSA modulus size, or curve size, in bits. */
  readonly bits: number;
  /** True when `signature` is valid for `message` under `scheme`; false for a bad signature or a scheme this key cannot use. */
  verify(scheme: SignatureScheme, message: Uint8Array, signature: Uint8Array): boolean;
  /**
   * True when `signature` over `message` (a tbsCertificate) is valid under the certificate
   * signature `algorithm`; false for a bad signature or an algorithm this key cannot use.
   * Optional so that other providers keep compiling; the x509 code falls back to the noble
   * provider's keys when a key lacks it.
   */
  verifyCertificateSignature?(algorithm: CertificateSignatureAlgorithm, message: Uint8Array, signature: Uint8Array): boolean;
}

/** Everything cryptographic the engine needs. */
export interface CryptoProvider {
  /** A short name for logs and benchmarks: `'noble'`, `'node'`. */
  readonly name: string;
  /** Cryptographically secure random bytes (engines may be given their own `random` instead). */
  random(n: number): Uint8Array;
  /** A hash function. */
  hash(name: HashName): Hash;
  /** HMAC of `data` under `key` with the named hash. */
  hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** An AEAD algorithm. */
  aead(name: AeadName): Aead;
  /** A key exchange group, or undefined when the provider does not implement it. */
  keyExchange(group: NamedGroup): KeyExchange | undefined;
  /**
   * A private key from PEM text (PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, PKCS#1
   * `RSA PRIVATE KEY`) or DER PKCS#8 bytes. Throws TlsMisuseError naming what was wrong.
   */
  loadPrivateKey(key: string | Uint8Array): SigningKey;
  /** A public key from DER SubjectPublicKeyInfo. Throws TlsCertificateError for an unsupported or malformed key. */
  publicKeyFromSpki(spki: Uint8Array): VerifyingKey;
}
