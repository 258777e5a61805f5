/** Read-credit validation shared by the sources and operators (not part of the public API). */

/**
 * True for a valid read credit: a non-negative integer, or `Infinity` for "flowing".
 *
 * @example
 * ```ts
 * isValidCredit(3);        // true
 * isValidCredit(Infinity); // true
 * isValidCredit(-1);       // false
 * ```
 */
export function isValidCredit(n: unknown): n is number {
  return typeof n === 'number' && (n === Infinity || (Number.isInteger(n) && n >= 0));
}
