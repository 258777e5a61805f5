/**
 * Buffers from node:crypto as plain Uint8Arrays: the engine and its users see one array type
 * whatever the provider, and a view costs no copy.
 */

/** `b` as a plain Uint8Array over the same memory. */
export function u8(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
