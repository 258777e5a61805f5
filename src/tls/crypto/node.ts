/**
 * The node:crypto provider: OpenSSL through node:crypto, fully synchronous, for speed on Node.
 * Same interface and same behaviour as the noble provider, including under injected
 * randomness: key shares are derived from the bytes `random` gives just as noble derives them,
 * AES-GCM, ChaCha20-Poly1305, HKDF, Ed25519 and RSA-PSS (salt from `random`) are deterministic,
 * and ECDSA signs with RFC 6979 nonces whenever the engine passes its `random` (see
 * {@link SigningKey.sign}); without one it signs with OpenSSL's random nonces.
 */
import { randomFillSync } from 'node:crypto';
import { NamedGroup } from '../constants.js';
import { TlsMisuseError } from '../errors.js';
import { keyLoader } from './keys.js';
import { nodeAeadOf } from './node-aead.js';
import { nodeHashOf, nodeHmac } from './node-hash.js';
import { nodeEcdsaSigningKey, nodeEcdsaVerifyingKey } from './node-ecdsa.js';
import { nodeEd25519SigningKey, nodeEd25519VerifyingKey } from './node-ed25519.js';
import { nodeSecp256r1, nodeSecp384r1, nodeX25519 } from './node-key-exchange.js';
import type { Aead, AeadName, CryptoProvider, Hash, HashName, KeyExchange, SigningKey } from './provider.js';
import { rsaSigningKeyFromPkcs1, rsaVerifyingKeyFromSpki } from './rsa-node.js';

/** The most bytes one randomFillSync call fills here (it accepts more; this bounds each call). */
const RANDOM_CHUNK = 1 << 16;

/** `n` cryptographically secure random bytes from OpenSSL's generator. */
function secureRandom(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new TlsMisuseError(`tls: random(${n}): not a byte count`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += RANDOM_CHUNK) randomFillSync(out, i, Math.min(RANDOM_CHUNK, n - i));
  return out;
}

/** The key exchange groups of this provider. */
const GROUPS = new Map<NamedGroup, KeyExchange>([
  [NamedGroup.x25519, nodeX25519],
  [NamedGroup.secp256r1, nodeSecp256r1],
  [NamedGroup.secp384r1, nodeSecp384r1],
]);

/** Key parsing shared with the noble provider; the keys themselves are node:crypto KeyObjects. */
const keys = keyLoader({
  ecdsaSigningKey: nodeEcdsaSigningKey,
  ecdsaVerifyingKey: nodeEcdsaVerifyingKey,
  ed25519SigningKey: nodeEd25519SigningKey,
  ed25519VerifyingKey: nodeEd25519VerifyingKey,
  rsaSigningKeyFromPkcs1,
  rsaVerifyingKeyFromSpki,
});

/**
 * A new node:crypto provider. Stateless apart from small caches, so the shared
 * {@link nodeProvider} serves every connection; a fresh one is only useful to wrap or override
 * parts of it.
 */
export function createNodeProvider(): CryptoProvider {
  const hashes = new Map<HashName, Hash>();
  const aeads = new Map<AeadName, Aead>();
  return {
    name: 'node',
    random: secureRandom,
    hash(name) {
      let h = hashes.get(name);
      if (h === undefined) hashes.set(name, (h = nodeHashOf(name)));
      return h;
    },
    hmac: nodeHmac,
    aead(name) {
      let a = aeads.get(name);
      if (a === undefined) aeads.set(name, (a = nodeAeadOf(name)));
      return a;
    },
    keyExchange: (group) => GROUPS.get(group),
    loadPrivateKey: (key): SigningKey => keys.loadPrivateKey(key),
    publicKeyFromSpki: (spki) => keys.publicKeyFromSpki(spki),
  };
}

/** The node:crypto provider (OpenSSL): the default on Node (see `CommonConfig.provider`). */
export const nodeProvider: CryptoProvider = createNodeProvider();
