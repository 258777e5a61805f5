/**
 * Client options and their checks.
 */
import type { CommonConfig } from '../config.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { TlsMisuseError } from '../errors.js';
import { pskModeValues, type PskMode } from '../handshake/psk-modes.js';
import { loadIdentity, type CertificateOption, type Identity, type PrivateKeyOption } from '../identity.js';
import { MemorySessionStore, type SessionStore } from '../resumption/index.js';
import { ipVersion } from '../x509/hostname.js';
import type { CertificateVerifier } from '../x509/verifier.js';
import { caVerifier, type CaOption } from '../x509/ca-verifier.js';
import type { PeerCertificate } from '../x509/peer-certificate.js';
import { pinningVerifier, type PinOptions } from '../x509/pinning.js';

/** Options of a TLS client. */
export interface ClientConfig extends CommonConfig {
  /**
   * The server's name: sent as SNI (RFC 6066 section 3; never an IP address) and handed to the
   * verifier as the name to check.
   */
  servername?: string;
  /**
   * Decides whether the server's certificate chain is acceptable, replacing the default
   * validation (then `ca` and `checkServerIdentity` do not apply).
   */
  verifier?: CertificateVerifier;
  /**
   * Accept the server only if its leaf certificate or public key matches a pin. Alone, pins
   * replace CA validation (peer-to-peer use with self-signed certificates); with `ca`, the chain
   * must validate and some certificate of it must match an SPKI pin (`spkiSha256` only).
   */
  pins?: PinOptions;
  /**
   * Trusted CA certificates (PEM text, DER or PEM bytes, or a list), replacing the default
   * roots (Node's `tls.rootCertificates`), as Node's `ca` option does. Without `verifier` and
   * `pins`, the server's chain is always validated, against these or the default roots, and
   * its name checked against `servername` (see src/tls/x509/ca-verifier.ts).
   */
  ca?: CaOption;
  /**
   * Default true: a certificate that fails verification ends the handshake with the error's
   * alert. When false, as in Node, the handshake completes anyway and the refusal is reported
   * as `authorizationError` in the session.
   */
  rejectUnauthorized?: boolean;
  /** Replaces the host name check (Node's `checkServerIdentity`; `tls.checkServerIdentity` works as is). */
  checkServerIdentity?(hostname: string, cert: PeerCertificate): Error | undefined;
  /** How many of `groups` (from the front) get a key share in the first ClientHello; default 1. */
  keyShareCount?: number;
  /** Send a session id and change_cipher_spec for middleboxes (RFC 8446 appendix D.4); default true. */
  middleboxCompat?: boolean;
  /** Our certificate chain, for servers that ask for one (PEM text or DER certificates, leaf first). */
  cert?: CertificateOption;
  /** The private key of `cert`'s leaf (or, with `rawPublicKey`, alone). */
  key?: PrivateKeyOption;
  /**
   * Chooses the identity to answer a CertificateRequest with, instead of `cert`/`key`; return
   * undefined or null to send no certificate.
   */
  selectCertificate?(request: CertificateRequestInfo): { cert?: CertificateOption; key: PrivateKeyOption } | null | undefined;
  /** Offer post-handshake authentication (RFC 8446 section 4.2.6); default true when we have an identity to present. */
  postHandshakeAuth?: boolean;
  /**
   * Where tickets are kept for resumption; default one in-memory store per options object, so
   * connections made from the same options resume each other's sessions. `false` turns
   * resumption off.
   */
  sessionStore?: SessionStore | false;
  /** The store key naming this server; default `servername` (or `''`). */
  sessionKey?: string;
  /**
   * Send plaintext written before the handshake completes as 0-RTT early data, when resuming
   * with a ticket that allows it (RFC 8446 section 2.3). If the server refuses it, it is sent
   * again after the handshake, so the server's application sees it once either way; only the
   * session's `earlyData` tells the two apart. Early data can be replayed by an attacker: use
   * it only for idempotent requests. Default false.
   */
  earlyData?: boolean;
  /** An external PSK (RFC 8446 section 2.2) to authenticate with instead of certificates. */
  psk?: ExternalPsk;
  /** PSK key exchange modes offered; default ['psk_dhe_ke']. 'psk_ke' gives no forward secrecy. */
  pskModes?: readonly PskMode[];
  /**
   * Ask for the server's RFC 7250 raw public key (checked against `pins.spkiSha256`), and
   * present ours as one when the server accepts it.
   */
  rawPublicKey?: boolean;
}

/** An external pre-shared key and its identity. */
export interface ExternalPsk {
  /** The identity the server looks the key up by (text is sent as UTF-8). */
  identity: string | Uint8Array;
  /** The key; at least 16 bytes. */
  key: Uint8Array;
  /** The hash it is used with; default 'sha256', so only SHA-256 cipher suites. */
  hash?: 'sha256' | 'sha384';
}

/** What a server's CertificateRequest asks for, as handed to `selectCertificate`. */
export interface CertificateRequestInfo {
  /** DER distinguished names of the CAs the server accepts (certificate_authorities), maybe empty. */
  readonly authorities: readonly Uint8Array[];
  /** Signature schemes the server accepts, by name. */
  readonly signatureSchemes: readonly string[];
  /** True for a request after the handshake (RFC 8446 section 4.6.2). */
  readonly postHandshake: boolean;
}

/** Client options resolved once per options object. */
export interface ResolvedClient {
  /** Undefined only for a client that authenticates the server by external PSK alone. */
  readonly verifier: CertificateVerifier | undefined;
  readonly store: SessionStore | undefined;
  readonly sessionKey: string;
  readonly earlyData: boolean;
  readonly psk: { identity: Uint8Array; key: Uint8Array; hash: 'sha256' | 'sha384' } | undefined;
  readonly pskModes: readonly number[];
  readonly rawPublicKey: boolean;
  readonly postHandshakeAuth: boolean;
  readonly hasIdentity: boolean;
}

const resolvedClients = new WeakMap<ClientConfig, ResolvedClient>();

/** Checks the client options and fills in defaults, once per options object (the store is shared by its connections). */
export function resolveClient(c: ClientConfig): ResolvedClient {
  const hit = resolvedClients.get(c);
  if (hit) return hit;
  let psk: ResolvedClient['psk'];
  if (c.psk) {
    const identity = typeof c.psk.identity === 'string' ? new TextEncoder().encode(c.psk.identity) : c.psk.identity.slice();
    if (identity.length === 0 || identity.length > 0xffff) throw new TlsMisuseError('tls: psk.identity must be 1 to 65535 bytes');
    if (!(c.psk.key instanceof Uint8Array) || c.psk.key.length < 16) throw new TlsMisuseError('tls: psk.key must be at least 16 bytes');
    const hash = c.psk.hash ?? 'sha256';
    if (hash !== 'sha256' && hash !== 'sha384') throw new TlsMisuseError(`tls: psk.hash must be 'sha256' or 'sha384'`);
    psk = { identity, key: c.psk.key.slice(), hash };
  }
  const pskOnly = psk !== undefined && !c.verifier && !c.pins && c.ca === undefined && !c.servername && !c.checkServerIdentity;
  if (c.cert !== undefined && c.key === undefined) throw new TlsMisuseError('tls: cert given without its key');
  if (c.key !== undefined && c.cert === undefined && !c.rawPublicKey) throw new TlsMisuseError('tls: key given without cert (key alone only with rawPublicKey)');
  if (c.selectCertificate && c.key !== undefined) throw new TlsMisuseError('tls: give either cert/key or selectCertificate');
  const hasIdentity = c.key !== undefined || c.selectCertificate !== undefined;
  const verifier = pskOnly ? undefined : clientVerifier(c);
  if (c.rawPublicKey && !c.verifier && !c.pins?.spkiSha256?.length) throw new TlsMisuseError('tls: rawPublicKey needs pins.spkiSha256 to check the server\'s raw key with');
  if (c.rawPublicKey && !verifier?.verifyRawPublicKey) throw new TlsMisuseError('tls: rawPublicKey needs pins.spkiSha256 (or a verifier with verifyRawPublicKey)');
  const r: ResolvedClient = {
    verifier,
    store: c.sessionStore === false ? undefined : (c.sessionStore ?? new MemorySessionStore()),
    sessionKey: c.sessionKey ?? c.servername ?? '',
    earlyData: c.earlyData ?? false,
    psk,
    pskModes: pskModeValues(c.pskModes),
    rawPublicKey: c.rawPublicKey ?? false,
    postHandshakeAuth: c.postHandshakeAuth ?? hasIdentity,
    hasIdentity,
  };
  resolvedClients.set(c, r);
  return r;
}

/**
 * The identity to answer a CertificateRequest with (from `selectCertificate`, else
 * `cert`/`key`), or undefined to send an empty Certificate.
 */
export function clientIdentity(c: ClientConfig, request: CertificateRequestInfo, provider: CryptoProvider): Identity | undefined {
  if (c.selectCertificate) {
    const chosen = c.selectCertificate(request);
    if (!chosen) return undefined;
    if (chosen.cert === undefined && !c.rawPublicKey) throw new TlsMisuseError('tls: selectCertificate returned a key without cert');
    return loadIdentity(chosen.cert, chosen.key, provider);
  }
  if (c.key === undefined) return undefined;
  return loadIdentity(c.cert, c.key, provider);
}

/**
 * Chooses the verifier: an explicit one; else pins alone; else CA validation (against `ca` or
 * the default roots) with the host name check, which needs `servername`. There is no
 * accept-anything default: `rejectUnauthorized: false` still verifies, and reports.
 */
export function clientVerifier(c: ClientConfig): CertificateVerifier {
  if (c.verifier && c.pins) throw new TlsMisuseError('tls: give either verifier or pins, not both');
  if (c.verifier && (c.ca !== undefined || c.checkServerIdentity)) {
    throw new TlsMisuseError('tls: a custom verifier replaces ca and checkServerIdentity; give either');
  }
  if (c.verifier) return c.verifier;
  if (c.pins && c.ca === undefined) return pinningVerifier(c.pins);
  if (c.pins?.certSha256?.length) throw new TlsMisuseError('tls: with ca, only pins.spkiSha256 can be combined (certificate pins replace CA validation)');
  if (!c.servername && !c.checkServerIdentity) {
    throw new TlsMisuseError("tls: validating the server's certificate needs its name: set servername (or checkServerIdentity, pins or a verifier)");
  }
  return caVerifier({ ca: c.ca, checkServerIdentity: c.checkServerIdentity?.bind(c), spkiPins: c.pins?.spkiSha256, purpose: 'server' });
}

/**
 * True when `name` is an IPv4 or IPv6 literal, which SNI must not carry (RFC 6066 section 3);
 * the same test the hostname check uses, so the two agree on names like `1.2.3.04`.
 */
export function isIpAddress(name: string): boolean {
  return ipVersion(name) !== 0;
}
