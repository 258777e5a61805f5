/**
 * RSA signatures through node:crypto (noble has no RSA, and rxtls does no big-integer RSA of its
 * own): RSASSA-PSS for the TLS 1.3 rsa_pss_rsae_* schemes and, for verification only,
 * RSASSA-PKCS1-v1_5 for the rsa_pkcs1_* schemes certificates are signed with (RFC 8446
 * section 4.2.3, RFC 8017 sections 8.1 and 8.2). Isolated here so that a runtime without
 * node:crypto can swap this file out.
 */
import { constants, createHash, createPrivateKey, createPublicKey, privateDecrypt, randomBytes, verify, type KeyObject } from 'node:crypto';
import { SignatureScheme, nameOf } from '../constants.js';
import { TlsCertificateError, TlsMisuseError } from '../errors.js';
import type { SigningKey, VerifyingKey } from './provider.js';

/** The hash and padding of each RSA scheme rxtls knows. */
const SCHEMES = new Map<SignatureScheme, { hash: string; hashLength: number; pss: boolean }>([
  [SignatureScheme.rsa_pss_rsae_sha256, { hash: 'sha256', hashLength: 32, pss: true }],
  [SignatureScheme.rsa_pss_rsae_sha384, { hash: 'sha384', hashLength: 48, pss: true }],
  [SignatureScheme.rsa_pss_rsae_sha512, { hash: 'sha512', hashLength: 64, pss: true }],
  [SignatureScheme.rsa_pkcs1_sha256, { hash: 'sha256', hashLength: 32, pss: false }],
  [SignatureScheme.rsa_pkcs1_sha384, { hash: 'sha384', hashLength: 48, pss: false }],
  [SignatureScheme.rsa_pkcs1_sha512, { hash: 'sha512', hashLength: 64, pss: false }],
]);

/** The PSS schemes a key may sign with, most preferred first. */
const PSS_SIGNING_ORDER = [
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
] as const;

/** The modulus length in bits of an RSA key object. */
function modulusBits(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits === undefined) throw new TlsMisuseError('tls: RSA key without a modulus length');
  return bits;
}

/**
 * True when PSS with this hash fits the modulus: emLen >= hLen + sLen + 2 with the salt as long
 * as the hash (RFC 8017 section 9.1.1 step 3; RFC 8446 section 4.2.3 fixes sLen = hLen).
 * A 1024-bit key, for one, cannot do rsa_pss_rsae_sha512.
 */
function pssFits(bits: number, hashLength: number): boolean {
  return Math.ceil((bits - 1) / 8) >= 2 * hashLength + 2;
}

/** The padding options node:crypto needs for a scheme. */
function padding(pss: boolean, hashLength: number): { padding: number; saltLength?: number } {
  return pss
    ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: hashLength }
    : { padding: constants.RSA_PKCS1_PADDING };
}

/** MGF1 (RFC 8017 appendix B.2.1) with the named hash. */
function mgf1(hash: string, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const counter = new Uint8Array(4);
  for (let at = 0, i = 0; at < length; i++) {
    counter[0] = i >>> 24;
    counter[1] = (i >>> 16) & 0xff;
    counter[2] = (i >>> 8) & 0xff;
    counter[3] = i & 0xff;
    const block = createHash(hash).update(seed).update(counter).digest();
    out.set(block.subarray(0, Math.min(block.length, length - at)), at);
    at += block.length;
  }
  return out;
}

/**
 * EMSA-PSS-ENCODE (RFC 8017 section 9.1.1) with the salt drawn from `random`, left-padded to
 * the modulus length `k`. Doing the encoding here, and only the raw private-key operation in
 * OpenSSL, is what lets an injected `random` make RSA-PSS signatures reproducible.
 */
function pssEncode(hash: string, hashLength: number, message: Uint8Array, bits: number, random: (n: number) => Uint8Array): Uint8Array {
  const emBits = bits - 1;
  const emLen = Math.ceil(emBits / 8);
  const k = Math.ceil(bits / 8);
  const mHash = createHash(hash).update(message).digest();
  const salt = random(hashLength);
  const h = createHash(hash).update(new Uint8Array(8)).update(mHash).update(salt).digest();
  const dbLen = emLen - hashLength - 1;
  const db = new Uint8Array(dbLen);
  db[dbLen - hashLength - 1] = 0x01;
  db.set(salt, dbLen - hashLength);
  const mask = mgf1(hash, h, dbLen);
  for (let i = 0; i < dbLen; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >>> (8 * emLen - emBits);
  const em = new Uint8Array(k);
  const off = k - emLen;
  em.set(db, off);
  em.set(h, off + dbLen);
  em[k - 1] = 0xbc;
  return em;
}

/**
 * A signing key from a DER PKCS#1 RSAPrivateKey (RFC 8017 appendix A.1.2). It signs with the
 * rsa_pss_rsae_* schemes its modulus allows. Throws TlsMisuseError when the DER is not an RSA key
 * or the modulus is too small for any of them.
 */
export function rsaSigningKeyFromPkcs1(der: Uint8Array): SigningKey {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs1' });
  } catch (e) {
    throw new TlsMisuseError(`tls: malformed RSA private key: ${e instanceof Error ? e.message : String(e)}`);
  }
  const bits = modulusBits(key);
  const schemes: SignatureScheme[] = PSS_SIGNING_ORDER.filter((s) => pssFits(bits, SCHEMES.get(s)!.hashLength));
  if (schemes.length === 0) throw new TlsMisuseError(`tls: unsupported private key: ${bits}-bit RSA is too small for RSA-PSS`);
  const spki = new Uint8Array(createPublicKey(key).export({ type: 'spki', format: 'der' }));
  return {
    type: 'rsa',
    schemes,
    spki,
    sign(scheme, message, random = (n) => new Uint8Array(randomBytes(n))) {
      const s = SCHEMES.get(scheme);
      if (s === undefined || !schemes.includes(scheme)) {
        throw new TlsMisuseError(`tls: ${bits}-bit RSA key cannot sign with ${nameOf(SignatureScheme, scheme)}`);
      }
      // The raw RSA private-key operation (RSASP1, RFC 8017 section 5.2.1) on the PSS encoding.
      const em = pssEncode(s.hash, s.hashLength, message, bits, random);
      return new Uint8Array(privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, em));
    },
  };
}

/**
 * A verifying key from a DER SubjectPublicKeyInfo with algorithm rsaEncryption (RFC 8017
 * appendix A.1). It verifies rsa_pss_rsae_* and rsa_pkcs1_* (SHA-256/384/512) signatures, and
 * certificate signatures in RSASSA-PKCS1-v1_5 or RSASSA-PSS with any salt length.
 * Throws TlsCertificateError (INVALID_PUBLIC_KEY, bad_certificate) when the key does not decode.
 */
export function rsaVerifyingKeyFromSpki(spki: Uint8Array): VerifyingKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch (e) {
    throw new TlsCertificateError('INVALID_PUBLIC_KEY', `tls: malformed RSA public key: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new TlsCertificateError('INVALID_PUBLIC_KEY', `tls: expected an RSA public key, got ${String(key.asymmetricKeyType)}`);
  }
  const bits = modulusBits(key);
  const modulusLength = Math.ceil(bits / 8);
  return {
    type: 'rsa',
    spki: spki.slice(),
    bits,
    verify(scheme, message, signature) {
      const s = SCHEMES.get(scheme);
      // RFC 8017 sections 8.1.2 and 8.2.2 step 1: the signature is exactly k bytes long.
      if (s === undefined || signature.length !== modulusLength) return false;
      try {
        return verify(s.hash, message, { key, ...padding(s.pss, s.hashLength) }, signature);
      } catch {
        return false;
      }
    },
    verifyCertificateSignature(algorithm, message, signature) {
      if ((algorithm.kind !== 'rsa-pkcs1' && algorithm.kind !== 'rsa-pss') || signature.length !== modulusLength) return false;
      // RFC 4055 section 3.1: PSS with the certificate's own salt length (MGF1 hash = hash, checked by the caller).
      const pad = algorithm.kind === 'rsa-pss' ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.saltLength } : { padding: constants.RSA_PKCS1_PADDING };
      try {
        return verify(algorithm.hash, message, { key, ...pad }, signature);
      } catch {
        return false;
      }
    },
  };
}
