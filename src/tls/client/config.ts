/**
 * Client options and their checks.
 */
import type { CommonConfig } from '../config.js';
import { TlsMisuseError } from '../errors.js';
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
