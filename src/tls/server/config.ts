/**
 * Server options: the certificate chain and key it presents, and what it negotiates.
 */
import type { CommonConfig } from '../config.js';
import { equalBytes } from '../codec/bytes.js';
import type { CryptoProvider, SigningKey } from '../crypto/provider.js';
import { pemDecode } from '../crypto/pem.js';
import { TlsMisuseError } from '../errors.js';
import { certificateSpki } from '../x509/spki.js';

/** Options of a TLS server. */
export interface ServerConfig extends CommonConfig {
  /** The certificate chain, leaf first: PEM text (one or more CERTIFICATE blocks) or DER certificates. */
  cert: string | readonly Uint8Array[];
  /**
   * The leaf's private key: PEM text, DER PKCS#8, or a loaded key (`provider.loadPrivateKey`).
   * Text and DER are parsed for every connection, so a server making many should load it once.
   */
  key: string | Uint8Array | SigningKey;
}

/** A server identity: a chain and the key matching its leaf. */
export interface ServerIdentity {
  readonly chain: readonly Uint8Array[];
  readonly key: SigningKey;
}

/** A decoded certificate chain and its leaf's SubjectPublicKeyInfo. */
interface Chain {
  readonly chain: readonly Uint8Array[];
  readonly leafSpki: Uint8Array;
}

/**
 * Chains already decoded, by the `cert` value they came from: servers commonly build a new
 * config per connection from the same `cert`, and parsing the leaf certificate to check the
 * key against it costs more than the rest of a handshake. DER arrays are remembered by
 * identity (weakly); PEM text by value, a few of them.
 */
const chainsByArray = new WeakMap<readonly Uint8Array[], Chain>();
const chainsByPem = new Map<string, Chain>();
const PEM_CHAINS_KEPT = 16;

/** The decoded chain of `cert`, from the cache when this `cert` was seen before. */
function chainOf(cert: ServerConfig['cert']): Chain {
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

/**
 * Loads and cross-checks the chain and key; throws TlsMisuseError naming what is wrong. The
 * decoded chain is cached per `cert` value (see {@link chainOf}); a key given as PEM or DER is
 * parsed each time, so a server making many connections should pass a loaded key
 * (`provider.loadPrivateKey(pem)`).
 */
export function loadServerIdentity(c: ServerConfig, provider: CryptoProvider): ServerIdentity {
  if (c.cert === undefined || c.key === undefined) throw new TlsMisuseError('tls: a server needs both cert and key');
  const { chain, leafSpki } = chainOf(c.cert);
  const key = typeof c.key === 'string' || c.key instanceof Uint8Array ? provider.loadPrivateKey(c.key) : c.key;
  if (!equalBytes(leafSpki, key.spki)) throw new TlsMisuseError('tls: key does not match the leaf certificate of cert');
  return { chain, key };
}
