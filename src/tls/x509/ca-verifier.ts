/**
 * The certificate verifier a TLS client uses by default: path validation to trusted CAs and a
 * host name check, refusing what node:tls refuses, with Node's error codes.
 *
 * Compared with node:tls (Node 20, OpenSSL 3.0, default options):
 *
 * - `ca` replaces the default roots (Node's `tls.rootCertificates`), as in Node. A certificate
 *   in `ca` is a trust anchor only when self-signed (no partial chains, as in Node 20).
 * - Errors: the same code and message for the same chain (see verify-error.ts for the codes
 *   Node reports as `UNSPECIFIED`); the host name error is Node's, word for word (hostname.ts).
 * - Where several paths exist, every one is tried (path.ts); OpenSSL takes the first it finds,
 *   so rxtls may accept a chain for which OpenSSL built a failing path.
 * - Stricter, on purpose:
 *   - with `strict` (the default; `strict: false` turns it off): the RFC 5280 profile checks
 *     of OpenSSL's X509_V_FLAG_X509_STRICT, as Python 3.13 enables by default (CA
 *     basicConstraints critical, keyUsage on CAs, key identifiers, no v1 CAs, ...), on the
 *     certificates of `ca` and of the peer's chain (not on the built-in roots); plus serial
 *     numbers of at most 20 octets, an authorityKeyIdentifier with a keyIdentifier, and no
 *     critical extKeyUsage on a TLS server certificate (CA/Browser Forum BR 7.1.2.7.6). These
 *     problems are reported only for chains Node accepts: for a chain Node refuses, the error
 *     is Node's.
 *   - always: a TLS 1.3 leaf with keyUsage needs digitalSignature (RFC 8446 section 4.4.2.2;
 *     OpenSSL also takes keyEncipherment or keyAgreement), and a wildcard is honoured only as
 *     the whole left-most label (`*.example.com`, not `f*.example.com`: RFC 6125 section 7.2
 *     and the CA/Browser Forum).
 * - The subject CN is consulted as Node does: when the certificate has no dNSName (even if it
 *   has an iPAddress), and never for an IP address.
 */
import type { CryptoProvider } from '../crypto/provider.js';
import { pemDecode } from '../crypto/pem.js';
import { equalBytes } from '../codec/bytes.js';
import { AlertDescription } from '../constants.js';
import { TlsCertificateError, TlsMisuseError } from '../errors.js';
import { parseCertificate, type ParsedCertificate } from './certificate.js';
import { verifyChain } from './chain.js';
import { checkHostname, formatSubjectAltName, ipAddressFromBytes } from './hostname.js';
import { nodeRootStore } from './node-roots.js';
import { trustStore, type PathLimits, type TrustStore } from './path.js';
import { peerCertificate, type PeerCertificate } from './peer-certificate.js';
import { parsePin, type Pin } from './pinning.js';
import type { CertificateVerifier, VerifyContext } from './verifier.js';

/** Trusted certificates: PEM text (one or more blocks), DER or PEM bytes, or a list of these. */
export type CaOption = string | Uint8Array | readonly (string | Uint8Array)[];

/**
 * Node's `checkServerIdentity`: returns an Error to refuse the server, undefined to accept it.
 * It receives a {@link PeerCertificate}; `tls.checkServerIdentity` from node:tls works as is.
 */
export type CheckServerIdentity = (hostname: string, cert: PeerCertificate) => Error | undefined;

/** Options of {@link caVerifier}. */
export interface CaVerifierOptions {
  /** Trusted CA certificates, replacing the default roots (Node's `tls.rootCertificates`). */
  ca?: CaOption;
  /**
   * Checks the server's identity after its chain validated, instead of the built-in check of
   * the server name (RFC 6125, Node's rules, see hostname.ts). Ignored when verifying a client.
   */
  // Method syntax: its parameters compare bivariantly, so `tls.checkServerIdentity`, typed with
  // Node's fuller PeerCertificate, type-checks here too.
  checkServerIdentity?(hostname: string, cert: PeerCertificate): Error | undefined;
  /** Whose certificate is verified: `'server'` (default; needs serverAuth) or `'client'` (clientAuth). */
  purpose?: 'server' | 'client';
  /** The RFC 5280 profile checks (default true). `false` accepts what Node accepts there. */
  strict?: boolean;
  /**
   * Also require that some certificate of the validated path has one of these SHA-256
   * SubjectPublicKeyInfo hashes (HPKP-style pinning on top of CA validation).
   */
  spkiPins?: readonly Pin[];
  /** Bounds on path building (defaults in path.ts). */
  limits?: Partial<PathLimits>;
  /** Most intermediates that are not self-issued; unbounded by default. */
  maxIntermediates?: number;
}

/** Parses the `ca` option; throws TlsMisuseError naming the entry that is not a certificate. */
export function parseCaOption(ca: CaOption): ParsedCertificate[] {
  const entries: readonly (string | Uint8Array)[] = typeof ca === 'string' || ca instanceof Uint8Array ? [ca] : ca;
  const out: ParsedCertificate[] = [];
  entries.forEach((entry, i) => {
    // Bytes are DER when they open a long-form SEQUENCE (every certificate does), else PEM text.
    const isDer = typeof entry !== 'string' && entry[0] === 0x30 && (entry[1]! & 0x80) !== 0;
    const text = typeof entry === 'string' ? entry : isDer ? undefined : new TextDecoder().decode(entry);
    let ders: Uint8Array[];
    try {
      ders = text === undefined ? [entry as Uint8Array] : pemDecode(text).filter((b) => b.label === 'CERTIFICATE').map((b) => b.der);
    } catch (e) {
      throw new TlsMisuseError(`tls: ca entry ${i} is not PEM: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (ders.length === 0) throw new TlsMisuseError(`tls: ca entry ${i} holds no CERTIFICATE block`);
    for (const der of ders) {
      try {
        out.push(parseCertificate(der));
      } catch (e) {
        throw new TlsMisuseError(`tls: ca entry ${i} is not a certificate: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  });
  return out;
}

/** True when the left-most label has a `*` that is not the whole label (`f*.example.com`). */
function partialWildcard(name: string): boolean {
  const first = name.split('.')[0]!;
  return first.includes('*') && first !== '*';
}

/** The built-in host name check: Node's rules with the wildcard restriction documented above. */
function checkName(host: string, leaf: ParsedCertificate): TlsCertificateError | undefined {
  const san = leaf.subjectAltName;
  const dnsNames = san?.dnsNames ?? [];
  const ipAddresses = (san?.names ?? []).flatMap((n) => (n.type === 'ip' ? [ipAddressFromBytes(n.bytes) ?? ''] : []));
  return checkHostname(host, {
    // A partial wildcard stays in the list (so the CN is still not consulted) but never matches.
    dnsNames: dnsNames.map((n) => (partialWildcard(n) ? '' : n)),
    ipAddresses,
    commonNames: leaf.subject.commonNames.map((n) => (partialWildcard(n) ? '' : n)),
    subjectAltName: formatSubjectAltName({ dnsNames, ipAddresses }),
  });
}

/** A user's identity error as a TlsCertificateError (its own, or wrapped keeping code and message). */
function asCertificateError(e: Error): TlsCertificateError {
  if (e instanceof TlsCertificateError) return e;
  const given = (e as Error & { code?: unknown }).code;
  const code = typeof given === 'string' ? given : 'ERR_TLS_CERT_ALTNAME_INVALID';
  const wrapped = new TlsCertificateError(code, e.message, AlertDescription.bad_certificate);
  (wrapped as { cause?: unknown }).cause = e;
  return wrapped;
}

/**
 * A verifier that validates the peer's chain against `ca` (or Node's default roots) and, for a
 * server, checks the server name. Throws TlsMisuseError at once for a `ca` or pin that does
 * not parse.
 *
 * @example
 * const client = new TlsClient({ servername: 'example.com', verifier: caVerifier({ ca: fs.readFileSync('ca.pem', 'utf8') }) });
 * // the same as: new TlsClient({ servername: 'example.com', ca: fs.readFileSync('ca.pem', 'utf8') })
 */
export function caVerifier(options: CaVerifierOptions = {}): CertificateVerifier {
  const custom: TrustStore | undefined = options.ca === undefined ? undefined : trustStore(parseCaOption(options.ca));
  const pins = options.spkiPins?.map(parsePin);
  if (pins !== undefined && pins.length === 0) throw new TlsMisuseError('tls: spkiPins is empty');
  const purpose = options.purpose ?? 'server';
  return {
    verify(chain: readonly Uint8Array[], ctx: VerifyContext): void {
      const path = verifyChain(chain, {
        store: custom ?? nodeRootStore(),
        now: ctx.now,
        purpose,
        strict: options.strict ?? true,
        provider: ctx.provider,
        limits: options.limits,
        maxIntermediates: options.maxIntermediates,
      });
      const leaf = path[0]!;
      if (purpose === 'server') {
        const host = ctx.serverName;
        if (options.checkServerIdentity) {
          const err = options.checkServerIdentity(host ?? '', peerCertificate(leaf));
          if (err) throw asCertificateError(err);
        } else {
          if (host === undefined || host === '') {
            throw new TlsCertificateError('ERR_TLS_CERT_ALTNAME_INVALID', 'Hostname/IP does not match certificate\'s altnames: no server name to check', AlertDescription.bad_certificate);
          }
          const err = checkName(host, leaf);
          if (err) throw err;
        }
      }
      if (pins) checkPins(path, pins, ctx.provider);
    },
  };
}

/** HPKP-style pins: some certificate of the path must have a pinned SPKI hash. */
function checkPins(path: readonly ParsedCertificate[], pins: readonly Uint8Array[], provider: CryptoProvider): void {
  const sha256 = provider.hash('sha256');
  if (path.some((c) => pins.some((p) => equalBytes(p, sha256.digest(c.spki))))) return;
  throw new TlsCertificateError('ERR_TLS_PIN_MISMATCH', 'tls: no certificate of the validated path matches a pinned public key', AlertDescription.bad_certificate);
}
