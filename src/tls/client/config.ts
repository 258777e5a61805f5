/**
 * Client options and their checks.
 */
import type { CommonConfig } from '../config.js';
import { TlsMisuseError } from '../errors.js';
import type { CertificateVerifier } from '../x509/verifier.js';
import { pinningVerifier, type PinOptions } from '../x509/pinning.js';

/** Options of a TLS client. */
export interface ClientConfig extends CommonConfig {
  /**
   * The server's name: sent as SNI (RFC 6066 section 3; never an IP address) and handed to the
   * verifier as the name to check.
   */
  servername?: string;
  /** Decides whether the server's certificate chain is acceptable. */
  verifier?: CertificateVerifier;
  /** Accept the server only if its leaf certificate or public key matches a pin. */
  pins?: PinOptions;
  /** How many of `groups` (from the front) get a key share in the first ClientHello; default 1. */
  keyShareCount?: number;
  /** Send a session id and change_cipher_spec for middleboxes (RFC 8446 appendix D.4); default true. */
  middleboxCompat?: boolean;
}

/** Chooses the verifier: an explicit one, else pins. There is no accept-anything default. */
export function clientVerifier(c: ClientConfig): CertificateVerifier {
  if (c.verifier && c.pins) throw new TlsMisuseError('tls: give either verifier or pins, not both');
  if (c.verifier) return c.verifier;
  if (c.pins) return pinningVerifier(c.pins);
  throw new TlsMisuseError('tls: no way to authenticate the server: set `pins` (certificate or SPKI SHA-256) or a `verifier`');
}

/** True when `name` is an IPv4 or IPv6 literal, which SNI must not carry (RFC 6066 section 3). */
export function isIpAddress(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}
