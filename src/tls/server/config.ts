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
  /** The leaf's private key: PEM text, DER PKCS#8, or a loaded key. */
  key: string | Uint8Array | SigningKey;
}

/** A server identity: a chain and the key matching its leaf. */
export interface ServerIdentity {
  readonly chain: readonly Uint8Array[];
  readonly key: SigningKey;
}

/** Loads and cross-checks the chain and key; throws TlsMisuseError naming what is wrong. */
export function loadServerIdentity(c: ServerConfig, provider: CryptoProvider): ServerIdentity {
  if (c.cert === undefined || c.key === undefined) throw new TlsMisuseError('tls: a server needs both cert and key');
  const chain =
    typeof c.cert === 'string'
      ? pemDecode(c.cert)
          .filter((b) => b.label === 'CERTIFICATE')
          .map((b) => b.der)
      : [...c.cert];
  if (chain.length === 0) throw new TlsMisuseError('tls: cert holds no CERTIFICATE');
  const key = typeof c.key === 'string' || c.key instanceof Uint8Array ? provider.loadPrivateKey(c.key) : c.key;
  if (!equalBytes(certificateSpki(chain[0]!), key.spki)) throw new TlsMisuseError('tls: key does not match the leaf certificate of cert');
  return { chain, key };
}
