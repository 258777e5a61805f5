/**
 * The default crypto provider: pure, synchronous JavaScript on @noble/hashes, @noble/ciphers
 * and @noble/curves, with RSA through node:crypto (noble has none). Deterministic whenever the
 * engine is given its own `random`.
 */
import { NamedGroup } from '../constants.js';
import { TlsMisuseError } from '../errors.js';
import { loadPrivateKey, publicKeyFromSpki } from './keys.js';
import { nobleAeadOf } from './noble-aead.js';
import { nobleHashOf, nobleHmac } from './noble-hash.js';
import { nobleSecp256r1, nobleSecp384r1, nobleX25519 } from './noble-key-exchange.js';
import type { Aead, AeadName, CryptoProvider, Hash, HashName, KeyExchange } from './provider.js';

/** The most bytes one getRandomValues call may fill (WebCrypto's quota). */
const RANDOM_CHUNK = 65536;

/** `n` cryptographically secure random bytes from crypto.getRandomValues. */
function secureRandom(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new TlsMisuseError(`tls: random(${n}): not a byte count`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += RANDOM_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + RANDOM_CHUNK)));
  }
  return out;
}

/** The key exchange groups of this provider. */
const GROUPS = new Map<NamedGroup, KeyExchange>([
  [NamedGroup.x25519, nobleX25519],
  [NamedGroup.secp256r1, nobleSecp256r1],
  [NamedGroup.secp384r1, nobleSecp384r1],
]);

/**
 * A new noble provider. Stateless apart from small caches, so the shared {@link nobleProvider}
 * serves every connection; a fresh one is only useful to wrap or override parts of it.
 */
export function createNobleProvider(): CryptoProvider {
  const hashes = new Map<HashName, Hash>();
  const aeads = new Map<AeadName, Aead>();
  return {
    name: 'noble',
    random: secureRandom,
    hash(name) {
      let h = hashes.get(name);
      if (h === undefined) hashes.set(name, (h = nobleHashOf(name)));
      return h;
    },
    hmac: nobleHmac,
    aead(name) {
      let a = aeads.get(name);
      if (a === undefined) aeads.set(name, (a = nobleAeadOf(name)));
      return a;
    },
    keyExchange: (group) => GROUPS.get(group),
    loadPrivateKey,
    publicKeyFromSpki,
  };
}

/** The default provider: noble primitives, node:crypto for RSA only. */
export const nobleProvider: CryptoProvider = createNobleProvider();
