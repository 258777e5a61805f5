/**
 * The default trust store: Node's bundled Mozilla roots (`tls.rootCertificates`), the ones
 * node:tls trusts when no `ca` is given. Kept apart so that the rest of the x509 code does not
 * import node:tls; a runtime without it replaces this file.
 */
import { rootCertificates } from 'node:tls';
import { pemDecode } from '../crypto/pem.js';
import { lazyTrustStore, type TrustStore } from './path.js';

let store: TrustStore | undefined;

/**
 * Node's root certificates as a trust store, made on first use and then shared; each root is
 * parsed when a path first needs it. A root that does not parse is left out (all of Node 20's
 * parse; spec/x509 checks it). The roots are exempt from the RFC 5280 profile checks: they are
 * vetted by Mozilla, and two of them predate parts of the profile.
 */
export function nodeRootStore(): TrustStore {
  store ??= lazyTrustStore(rootCertificates.flatMap((pem) => pemDecode(pem).map((b) => b.der)), true);
  return store;
}
