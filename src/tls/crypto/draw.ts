/**
 * Small helpers the key exchange groups of every provider share, so that each provider draws
 * the same bytes from an injected `random` and applies the same checks (RFC 8446 section 7.4.2).
 */
import { TlsMisuseError } from '../errors.js';

/** How many times a NIST group redraws an invalid scalar before giving up on `random`. */
export const MAX_SCALAR_DRAWS = 64;

/** True when every byte is zero (constant time in the contents). */
export function allZero(b: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < b.length; i++) acc |= b[i]!;
  return acc === 0;
}

/** Draws exactly `n` bytes from `random`, checking that the source kept its word; returns a copy. */
export function draw(random: (n: number) => Uint8Array, n: number): Uint8Array {
  const bytes = random(n);
  if (bytes.length !== n) throw new TlsMisuseError(`tls: random(${n}) returned ${bytes.length} bytes`);
  return bytes.slice();
}

/**
 * A private scalar for a NIST group: `size` bytes from `random`, redrawn (at most
 * {@link MAX_SCALAR_DRAWS} times) until `valid` accepts it as a scalar in [1, n-1].
 */
export function drawScalar(random: (n: number) => Uint8Array, size: number, valid: (s: Uint8Array) => boolean, name: string): Uint8Array {
  let secret = draw(random, size);
  for (let i = 1; !valid(secret); i++) {
    if (i >= MAX_SCALAR_DRAWS) {
      throw new TlsMisuseError(`tls: random source gave no valid ${name} scalar in ${MAX_SCALAR_DRAWS} draws`);
    }
    secret = draw(random, size);
  }
  return secret;
}
