/**
 * rxtls: a reactive TLS transport. Sockets become Duplexes with demand-driven reads and a
 * `writable$` readiness signal (`rxtls/sources`); TLS is a Duplex operator (`tlsClient`,
 * `tlsServer`); framing and composition are operators too. Under it all sits a sans-I/O,
 * synchronous TLS 1.3 engine (`TlsClient`, `TlsServer`).
 */
export * from './tls/index.js';
export * from './sources/index.js';
export * from './operators/index.js';
// Types that the exported provider and PEM functions use in their signatures.
export type {
  Aead, AeadKey, AeadName, CertificateSignatureAlgorithm, Hash, HashContext, HashName, KeyExchange, KeyShare, KeyType,
} from './tls/crypto/provider.js';
export type { PemBlock } from './tls/crypto/pem.js';
