/**
 * Certificate identities: a chain (leaf first) and the private key matching its leaf, as a
 * server presents one and as a client answers a CertificateRequest with one. With raw public
 * keys (RFC 7250) the key alone is the identity.
 */
import { equalBytes } from './codec/bytes.js';
import type { CryptoProvider, SigningKey } from './crypto/provider.js';
import { pemDecode } from './crypto/pem.js';
import { TlsMisuseError } from './errors.js';
import { certificateSpki } from './x509/spki.js';

/** A certificate chain as given in options: PEM text (one or more CERTIFICATE blocks) or DER certificates, leaf first. */
export type CertificateOption = string | readonly Uint8Array[];

/** A private key as given in options: PEM text, DER PKCS#8, or a loaded key (`provider.loadPrivateKey`). */
export type PrivateKeyOption = string | Uint8Array | SigningKey;

/** A chain and the key matching its leaf; `chain` is empty for a raw-public-key-only identity. */
export interface Identity {
  readonly chain: readonly Uint8Array[];
  readonly key: SigningKey;
}

/** A decoded certificate chain and its leaf's SubjectPublicKeyInfo. */
interface Chain {
  readonly chain: readonly Uint8Array[];
  readonly leafSpki: Uint8Array;
}

/**
 * Chains already decoded, by the `cert` value they came from: a new config is commonly built
 * per connection from the same `cert`, and parsing the leaf certificate to check the key
 * against it costs more than the rest of a handshake. DER arrays are remembered by identity
 * (weakly); PEM text by value, a few of them.
 */
const chainsByArray = new WeakMap<readonly Uint8Array[], Chain>();
const chainsByPem = new Map<string, Chain>();
const PEM_CHAINS_KEPT = 16;

/** The decoded chain of `cert`, from the cache when this `cert` was seen before. */
function chainOf(cert: CertificateOption): Chain {
  const hit = typeof cert === 'string' ? chainsByPem.get(cert) : chainsByArray.get(cert);
  if (hit !== undefined) return hit;
  const chain =
    typeof cert === 'string'
      ? pemDecode(cert)
          .filter((b) => b.label === 'CERTIFICATE')
          .map((b) => b.der)
      : cert.map((der) => der.slice());
  if (chain.length === 0) throw new TlsMisuseError('tls: cert holds no CERTIFICATE');
  const decoded: Chain = { chain: Object.freeze(chain), leafSpki: certificateSpki(chain[0]!) };
  if (typeof cert === 'string') {
    if (chainsByPem.size >= PEM_CHAINS_KEPT) chainsByPem.delete(chainsByPem.keys().next().value!);
    chainsByPem.set(cert, decoded);
  } else {
    chainsByArray.set(cert, decoded);
  }
  return decoded;
}

/** The key of `key`, loaded unless it already is. */
export function loadKey(key: PrivateKeyOption, provider: CryptoProvider): SigningKey {
  return typeof key === 'string' || key instanceof Uint8Array ? provider.loadPrivateKey(key) : key;
}

/**
 * Loads and cross-checks a chain and key; throws TlsMisuseError naming what is wrong. `cert`
 * may be omitted only for a raw public key identity. The decoded chain is cached per `cert`
 * value; a key given as PEM or DER is parsed each time, so an application making many
 * connections should pass a loaded key (`provider.loadPrivateKey(pem)`).
 */
export function loadIdentity(cert: CertificateOption | undefined, key: PrivateKeyOption, provider: CryptoProvider): Identity {
  const k = loadKey(key, provider);
  if (cert === undefined) return { chain: [], key: k };
  const { chain, leafSpki } = chainOf(cert);
  if (!equalBytes(leafSpki, k.spki)) throw new TlsMisuseError('tls: key does not match the leaf certificate of cert');
  return { chain, key: k };
}
