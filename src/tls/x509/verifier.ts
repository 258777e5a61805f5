/**
 * How the engine asks whether to trust a peer's certificate chain. Path validation against
 * trust anchors plugs in here; until then, and for peer-to-peer use, pinning does.
 */
import type { CryptoProvider } from '../crypto/provider.js';

/** What a verifier knows about the connection. */
export interface VerifyContext {
  /** The name the client expects (SNI), when verifying a server. */
  readonly serverName: string | undefined;
  /** The current time, milliseconds since the epoch (the engine's injected clock). */
  readonly now: number;
  /** Which peer is being verified. */
  readonly peer: 'server' | 'client';
  /** The connection's crypto provider (hashes, signature checks). */
  readonly provider: CryptoProvider;
}

/**
 * Decides whether a chain (DER, leaf first, as the peer sent it) is acceptable. Throws a
 * TlsCertificateError to refuse; its `alert` goes to the peer. The engine itself checks that
 * the peer holds the leaf's private key (CertificateVerify).
 */
export interface CertificateVerifier {
  verify(chain: readonly Uint8Array[], ctx: VerifyContext): void;
  /**
   * Decides whether an RFC 7250 raw public key (DER SubjectPublicKeyInfo) is acceptable;
   * throws a TlsCertificateError to refuse. A verifier without it never accepts raw keys.
   */
  verifyRawPublicKey?(spki: Uint8Array, ctx: VerifyContext): void;
}
