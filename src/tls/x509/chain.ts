/**
 * Verifying a peer's chain end to end: parse every certificate, build candidate paths to the
 * trust store (path.ts), validate them (validate.ts) and accept the first valid one. When none
 * is valid, the error is the one Node would report for the same chain: the last problem on the
 * path OpenSSL would have built.
 */
import { AlertDescription } from '../constants.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { TlsCertificateError } from '../errors.js';
import { parseCertificate, type ParsedCertificate } from './certificate.js';
import { DEFAULT_LIMITS, candidatePaths, type PathLimits, type TrustStore } from './path.js';
import { certificateKey, verifyCertificateSignature } from './signature.js';
import { checkPath, type ValidationOptions } from './validate.js';
import { CertificateVerifyError, type PathProblem } from './verify-error.js';

/** What {@link verifyChain} needs. */
export interface ChainOptions extends ValidationOptions {
  /** The trust anchors and other trusted certificates. */
  readonly store: TrustStore;
  /** Bounds on path building; {@link DEFAULT_LIMITS} when absent. */
  readonly limits?: Partial<PathLimits>;
}

/** The chain as the peer sent it, parsed: the leaf and the rest. Throws CERT_MALFORMED or CERT_MISSING. */
export function parseChain(chain: readonly Uint8Array[]): ParsedCertificate[] {
  if (chain.length === 0) {
    throw new TlsCertificateError('CERT_MISSING', 'tls: the peer sent no certificate', AlertDescription.certificate_required);
  }
  return chain.map((der, i) => {
    try {
      return parseCertificate(der);
    } catch (e) {
      if (e instanceof TlsCertificateError) throw new TlsCertificateError(e.code, `${e.message} (certificate ${i} of the chain)`, e.alert);
      throw e;
    }
  });
}

/**
 * Verifies `chain` (DER, leaf first, as the peer sent it) against `o.store`. Returns the
 * validated path, leaf first, ending at a trust anchor. Throws {@link CertificateVerifyError}
 * with Node's code for the refusal, or TlsCertificateError CERT_MALFORMED / CERT_MISSING.
 */
export function verifyChain(chain: readonly Uint8Array[], o: ChainOptions): ParsedCertificate[] {
  const [leaf, ...intermediates] = parseChain(chain) as [ParsedCertificate, ...ParsedCertificate[]];
  const provider: CryptoProvider | undefined = o.provider;
  const signedBy = (cert: ParsedCertificate, issuer: ParsedCertificate): boolean => {
    try {
      return verifyCertificateSignature(cert, certificateKey(issuer, provider));
    } catch {
      return false;
    }
  };
  let first: PathProblem[] | undefined;
  for (const path of candidatePaths({ leaf, intermediates, store: o.store, now: o.now, limits: { ...DEFAULT_LIMITS, ...o.limits }, signedBy })) {
    const problems = checkPath(path, o.store, o);
    if (problems.length === 0) return [...path.certs];
    first ??= problems;
  }
  throw new CertificateVerifyError(first!);
}
