/**
 * Deterministic randomness and a settable clock for the resumption specs.
 */

/** A `random` whose draws are distinct and reproducible, and that records every draw. */
export function countingRandom(seed = 0): { random: (n: number) => Uint8Array; draws: Uint8Array[] } {
  let counter = 0;
  const draws: Uint8Array[] = [];
  const random = (n: number): Uint8Array => {
    counter++;
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = (seed * 97 + i * 131 + 7) & 0xff;
    // the draw's number in the first four bytes: no two draws are equal
    for (let i = 0; i < Math.min(4, n); i++) b[i]! ^= (counter >>> (8 * (3 - i))) & 0xff;
    draws.push(b.slice());
    return b;
  };
  return { random, draws };
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; set: (t: number) => void; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, set: (v) => { t = v; }, advance: (ms) => { t += ms; } };
}

/** `n` bytes of a fixed pattern. */
export function patternBytes(n: number, seed = 0): Uint8Array {
  return new Uint8Array(n).map((_, i) => (i * 131 + seed * 29 + 7) & 0xff);
}
