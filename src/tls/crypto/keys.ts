/**
 * Key loading: private keys from PEM or DER (PKCS#8, SEC1, PKCS#1) and public keys from DER
 * SubjectPublicKeyInfo, dispatched to the ECDSA, Ed25519 and RSA implementations.
 */
import { ECParameters, ECPrivateKey } from '@peculiar/asn1-ecc';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { OctetString } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { fromHex } from '../codec/bytes.js';
import { AlertDescription } from '../constants.js';
import { TlsCertificateError, TlsError, TlsMisuseError } from '../errors.js';
import { Oid, oidName, parseDer } from './der.js';
import { type EcdsaCurve, ecdsaCurveOfOid, ecdsaScalarLength, ecdsaSigningKey, ecdsaVerifyingKey } from './ecdsa.js';
import { ed25519SigningKey, ed25519VerifyingKey } from './ed25519.js';
import { pemDecode } from './pem.js';
import type { SigningKey, VerifyingKey } from './provider.js';
import { rsaSigningKeyFromPkcs1, rsaVerifyingKeyFromSpki } from './rsa-node.js';

/**
 * The key constructors a provider plugs into the shared parsing below: everything about
 * PEM, PKCS#8, SEC1 and SPKI (and every error message) is common, only the primitives differ.
 */
export interface KeyFactories {
  /** An ECDSA signing key from a scalar of the curve's length; `publicKey` must match when given. */
  ecdsaSigningKey(curve: EcdsaCurve, secret: Uint8Array, publicKey?: Uint8Array): SigningKey;
  /** An ECDSA verifying key from an encoded point; `spki` is the SubjectPublicKeyInfo it came from. */
  ecdsaVerifyingKey(curve: EcdsaCurve, publicKey: Uint8Array, spki?: Uint8Array): VerifyingKey;
  /** An Ed25519 signing key from its 32-byte private key. */
  ed25519SigningKey(seed: Uint8Array): SigningKey;
  /** An Ed25519 verifying key from its 32-byte public key. */
  ed25519VerifyingKey(publicKey: Uint8Array, spki?: Uint8Array): VerifyingKey;
  /** An RSA signing key from DER PKCS#1 RSAPrivateKey. */
  rsaSigningKeyFromPkcs1(der: Uint8Array): SigningKey;
  /** An RSA verifying key from DER SubjectPublicKeyInfo. */
  rsaVerifyingKeyFromSpki(spki: Uint8Array): VerifyingKey;
}

/** The noble provider's keys: ECDSA and Ed25519 on @noble/curves, RSA on node:crypto. */
export const nobleKeyFactories: KeyFactories = {
  ecdsaSigningKey,
  ecdsaVerifyingKey,
  ed25519SigningKey,
  ed25519VerifyingKey,
  rsaSigningKeyFromPkcs1,
  rsaVerifyingKeyFromSpki,
};

/** A provider's key loading functions (see {@link loadPrivateKey} and {@link publicKeyFromSpki}). */
export interface KeyLoader {
  loadPrivateKey(key: string | Uint8Array): SigningKey;
  publicKeyFromSpki(spki: Uint8Array): VerifyingKey;
}

/** A TlsMisuseError for a private key that does not parse. */
const malformed = (what: string) => (detail: string) => new TlsMisuseError(`tls: malformed ${what}: ${detail}`);

/** A TlsMisuseError for a private key rxtls cannot use. */
const unsupportedPrivate = (what: string) => new TlsMisuseError(`tls: unsupported private key: ${what}`);

/** A TlsCertificateError for a public key rxtls cannot use. */
const unsupportedPublic = (what: string) =>
  new TlsCertificateError('UNSUPPORTED_PUBLIC_KEY', `tls: unsupported public key: ${what}`, AlertDescription.unsupported_certificate);

/** The named curve OID in DER ECParameters (RFC 5480 section 2.1.1), or undefined if absent. */
function namedCurve(params: ArrayBuffer | null | undefined, fail: (detail: string) => Error): string | undefined {
  if (params === undefined || params === null) return undefined;
  const p = parseDer(new Uint8Array(params), ECParameters, fail);
  if (p.namedCurve === undefined) throw fail('explicit curve parameters are not supported, only named curves');
  return p.namedCurve;
}

/**
 * The DER SubjectPublicKeyInfo forms nearly every certificate carries, byte for byte up to the
 * key: P-256 and P-384 with an uncompressed point (RFC 5480), Ed25519 (RFC 8410). DER is
 * canonical, so an SPKI that is exactly one of these prefixes followed by a key of the stated
 * length decodes to that algorithm and key, as the general parser would find; anything else
 * goes to the general parser.
 */
const KNOWN_SPKI: readonly { prefix: Uint8Array; keyLength: number; curve: EcdsaCurve | 'ed25519' }[] = [
  { prefix: fromHex('3059301306072a8648ce3d020106082a8648ce3d030107034200'), keyLength: 65, curve: 'p256' },
  { prefix: fromHex('3076301006072a8648ce3d020106052b81040022036200'), keyLength: 97, curve: 'p384' },
  { prefix: fromHex('302a300506032b6570032100'), keyLength: 32, curve: 'ed25519' },
];

/** The algorithm and key of an SPKI in one of the {@link KNOWN_SPKI} forms, else undefined. */
function knownSpki(spki: Uint8Array): { curve: EcdsaCurve | 'ed25519'; key: Uint8Array } | undefined {
  for (const k of KNOWN_SPKI) {
    if (spki.length !== k.prefix.length + k.keyLength) continue;
    let i = 0;
    while (i < k.prefix.length && spki[i] === k.prefix[i]) i++;
    if (i === k.prefix.length) return { curve: k.curve, key: spki.slice(i) };
  }
  return undefined;
}

/** Runs `f`, turning anything thrown that is not a TlsError into `wrap(message)`. */
function guarded<T>(f: () => T, wrap: (message: string) => TlsError): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TlsError) throw e;
    throw wrap(e instanceof Error ? e.message : String(e));
  }
}

/**
 * The key loading functions of a provider whose keys `f` constructs.
 *
 * @example
 * const { loadPrivateKey, publicKeyFromSpki } = keyLoader(nobleKeyFactories);
 */
export function keyLoader(f: KeyFactories): KeyLoader {
  /**
   * An ECDSA key from a SEC1 ECPrivateKey (RFC 5915 section 3). `outerCurve` is the curve named by
   * an enclosing PKCS#8 AlgorithmIdentifier, if any; the two must agree when both are present.
   */
  function fromSec1(der: Uint8Array, outerCurve?: string): SigningKey {
    const fail = malformed('EC private key');
    const ec = parseDer(der, ECPrivateKey, fail);
    if (ec.version !== 1) throw fail(`version ${ec.version}, expected 1`);
    const inner = ec.parameters?.namedCurve;
    if (ec.parameters !== undefined && inner === undefined) throw fail('explicit curve parameters are not supported');
    if (inner !== undefined && outerCurve !== undefined && inner !== outerCurve) {
      throw fail(`curve ${oidName(inner)} inside, ${oidName(outerCurve)} outside`);
    }
    const oid = inner ?? outerCurve;
    if (oid === undefined) throw fail('no curve named');
    const curve = ecdsaCurveOfOid(oid);
    if (curve === undefined) throw unsupportedPrivate(`curve ${oidName(oid)}`);
    // RFC 5915 section 3: privateKey is ceiling(log2(n)/8) octets; restore stripped leading zeros.
    const raw = new Uint8Array(ec.privateKey.buffer);
    const size = ecdsaScalarLength(curve);
    if (raw.length > size) throw fail(`private key is ${raw.length} bytes, expected ${size}`);
    const scalar = new Uint8Array(size);
    scalar.set(raw, size - raw.length);
    return f.ecdsaSigningKey(curve, scalar, ec.publicKey ? new Uint8Array(ec.publicKey) : undefined);
  }

  /** A key from DER PKCS#8 PrivateKeyInfo (RFC 5208 section 5, RFC 5958 section 2 version 1). */
  function fromPkcs8(der: Uint8Array): SigningKey {
    const fail = malformed('PKCS#8 private key');
    const info = parseDer(der, PrivateKeyInfo, fail);
    if (info.version !== 0 && (info.version as number) !== 1) throw fail(`version ${info.version}`);
    const alg = info.privateKeyAlgorithm;
    const inner = new Uint8Array(info.privateKey.buffer);
    switch (alg.algorithm) {
      case Oid.rsaEncryption:
        return f.rsaSigningKeyFromPkcs1(inner);
      case Oid.ecPublicKey:
        return fromSec1(inner, namedCurve(alg.parameters, fail));
      case Oid.ed25519:
        // RFC 8410 section 7: the key is CurvePrivateKey, an OCTET STRING inside the OCTET STRING.
        return f.ed25519SigningKey(new Uint8Array(parseDer(inner, OctetString, fail).buffer));
      case Oid.rsassaPss:
        throw unsupportedPrivate('RSASSA-PSS (id-RSASSA-PSS) keys; use an rsaEncryption key');
      default:
        throw unsupportedPrivate(`algorithm ${oidName(alg.algorithm)}`);
    }
  }

  /** The key labels rxtls reads, and how. */
  const LABELS: Record<string, (der: Uint8Array) => SigningKey> = {
    'PRIVATE KEY': fromPkcs8,
    'EC PRIVATE KEY': (der) => fromSec1(der),
    'RSA PRIVATE KEY': (der) => f.rsaSigningKeyFromPkcs1(der),
  };

  /** The first private key block in PEM text (other blocks, such as EC PARAMETERS, are skipped). */
  function fromPem(text: string): SigningKey {
    const blocks = pemDecode(text);
    const block = blocks.find((b) => LABELS[b.label] !== undefined);
    if (block !== undefined) return LABELS[block.label]!(block.der);
    if (blocks.some((b) => b.label === 'ENCRYPTED PRIVATE KEY')) {
      throw new TlsMisuseError('tls: encrypted private keys are not supported; decrypt it first (openssl pkey -in key.pem)');
    }
    const found = blocks.length === 0 ? 'no PEM blocks' : `only ${blocks.map((b) => b.label).join(', ')}`;
    throw new TlsMisuseError(`tls: no private key found in PEM text (${found})`);
  }

  /**
   * A signing key from PEM text (`PRIVATE KEY` PKCS#8 with RSA, EC P-256/P-384 or Ed25519;
   * `EC PRIVATE KEY` SEC1; `RSA PRIVATE KEY` PKCS#1) or from DER PKCS#8 bytes (bytes that are
   * PEM text are read as PEM). Throws TlsMisuseError saying what was wrong, for example
   * `tls: unsupported private key: curve secp521r1`.
   */
  function loadPrivateKey(key: string | Uint8Array): SigningKey {
    return guarded(
      () => {
        if (typeof key === 'string') return fromPem(key);
        const head = new TextDecoder().decode(key.subarray(0, 64));
        if (/^\s*-----BEGIN /.test(head)) return fromPem(new TextDecoder().decode(key));
        return fromPkcs8(key);
      },
      (m) => new TlsMisuseError(`tls: cannot load private key: ${m}`),
    );
  }

  /**
   * A verifying key from DER SubjectPublicKeyInfo (RFC 5280 section 4.1.2.7): rsaEncryption
   * (RFC 8017), id-ecPublicKey on P-256 or P-384 (RFC 5480), or Ed25519 (RFC 8410). Throws
   * TlsCertificateError: UNSUPPORTED_PUBLIC_KEY (alert unsupported_certificate) for another
   * algorithm or curve, INVALID_PUBLIC_KEY (alert bad_certificate) for one that does not decode.
   */
  function publicKeyFromSpki(spki: Uint8Array): VerifyingKey {
    const fail = (detail: string) => new TlsCertificateError('INVALID_PUBLIC_KEY', `tls: malformed public key: ${detail}`);
    return guarded(() => {
      const known = knownSpki(spki);
      if (known !== undefined) {
        return known.curve === 'ed25519' ? f.ed25519VerifyingKey(known.key, spki) : f.ecdsaVerifyingKey(known.curve, known.key, spki);
      }
      const info = parseDer(spki, SubjectPublicKeyInfo, fail);
      const alg = info.algorithm;
      const key = new Uint8Array(info.subjectPublicKey);
      switch (alg.algorithm) {
        case Oid.rsaEncryption:
          return f.rsaVerifyingKeyFromSpki(spki);
        case Oid.ecPublicKey: {
          const oid = namedCurve(alg.parameters, fail);
          if (oid === undefined) throw fail('id-ecPublicKey without a named curve');
          const curve = ecdsaCurveOfOid(oid);
          if (curve === undefined) throw unsupportedPublic(`curve ${oidName(oid)}`);
          return f.ecdsaVerifyingKey(curve, key, spki);
        }
        case Oid.ed25519:
          // RFC 8410 section 3: the parameters MUST be absent.
          if (alg.parameters !== undefined && alg.parameters !== null) throw fail('Ed25519 with parameters');
          return f.ed25519VerifyingKey(key, spki);
        default:
          throw unsupportedPublic(`algorithm ${oidName(alg.algorithm)}`);
      }
    }, fail);
  }

  return { loadPrivateKey, publicKeyFromSpki };
}

/**
 * The noble provider's key loading (RSA through node:crypto).
 *
 * `loadPrivateKey(key)`: a signing key from PEM text (`PRIVATE KEY` PKCS#8 with RSA, EC
 * P-256/P-384 or Ed25519; `EC PRIVATE KEY` SEC1; `RSA PRIVATE KEY` PKCS#1) or from DER PKCS#8
 * bytes (bytes that are PEM text are read as PEM). Throws TlsMisuseError saying what was wrong,
 * for example `tls: unsupported private key: curve secp521r1`.
 *
 * `publicKeyFromSpki(spki)`: a verifying key from DER SubjectPublicKeyInfo (RFC 5280 section
 * 4.1.2.7): rsaEncryption (RFC 8017), id-ecPublicKey on P-256 or P-384 (RFC 5480), or Ed25519
 * (RFC 8410). Throws TlsCertificateError: UNSUPPORTED_PUBLIC_KEY (alert
 * unsupported_certificate) for another algorithm or curve, INVALID_PUBLIC_KEY (alert
 * bad_certificate) for one that does not decode.
 */
export const { loadPrivateKey, publicKeyFromSpki }: KeyLoader = keyLoader(nobleKeyFactories);
