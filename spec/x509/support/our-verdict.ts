/**
 * Our verdict on a chain, the counterpart of node-verdict.ts: `caVerifier` with `ca`, the
 * server name `host`, the real clock (as Node uses) unless `now` is given.
 */
import { nobleProvider } from '../../../src/tls/crypto/noble.js';
import { TlsCertificateError } from '../../../src/tls/errors.js';
import { caVerifier, type CaVerifierOptions } from '../../../src/tls/x509/ca-verifier.js';
import type { TestCert } from './pki-builder.js';

/** `'OK'` or the refusal's code, with the error. */
export interface OurVerdict {
  readonly code: string;
  readonly error?: TlsCertificateError;
}

/** Runs `caVerifier({ ca, ...options })` on `chain` (leaf first) for `host`. */
export function ourVerdict(
  chain: readonly (TestCert | Uint8Array)[],
  ca: readonly TestCert[],
  host: string | undefined = 'example.com',
  options: CaVerifierOptions & { now?: number } = {},
): OurVerdict {
  const { now, ...rest } = options;
  const verifier = caVerifier({ ca: ca.map((c) => c.pem), ...rest });
  try {
    verifier.verify(
      chain.map((c) => (c instanceof Uint8Array ? c : c.der)),
      { serverName: host, now: now ?? Date.now(), peer: rest.purpose ?? 'server', provider: nobleProvider },
    );
    return { code: 'OK' };
  } catch (e) {
    if (!(e instanceof TlsCertificateError)) throw e;
    return { code: e.code, error: e };
  }
}
