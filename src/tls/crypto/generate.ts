/**
 * Fresh signing keys, for self-signed peer identities and demos.
 */
import { TlsMisuseError } from '../errors.js';
import { ecdsaScalarLength, ecdsaSigningKey } from './ecdsa.js';
import { ed25519SigningKey } from './ed25519.js';
import type { KeyType, SigningKey } from './provider.js';

/** How many candidate scalars to draw before giving up on a broken random source. */
const MAX_DRAWS = 64;

/**
 * A new private key of `type` from `random` (default: the platform's secure randomness).
 * RSA is not generated here; load RSA keys from PEM instead.
 *
 * @example
 * const key = generateSigningKey('ecdsa-p256');
 */
export function generateSigningKey(
  type: Exclude<KeyType, 'rsa'>,
  random: (n: number) => Uint8Array = (n) => crypto.getRandomValues(new Uint8Array(n)),
): SigningKey {
  if (type === 'ed25519') return ed25519SigningKey(random(32));
  if (type !== 'ecdsa-p256' && type !== 'ecdsa-p384') throw new TlsMisuseError(`tls: cannot generate a ${String(type)} key`);
  const curve = type === 'ecdsa-p256' ? 'p256' : 'p384';
  for (let i = 0; i < MAX_DRAWS; i++) {
    try {
      return ecdsaSigningKey(curve, random(ecdsaScalarLength(curve)));
    } catch {
      // Out of range for the curve order (probability ~2^-32 for P-256): draw again.
    }
  }
  throw new TlsMisuseError(`tls: no valid ${type} scalar in ${MAX_DRAWS} draws; the random source is broken`);
}
