/**
 * Buffers from node:crypto as plain Uint8Arrays: the engine and its users see one array type
 * whatever the provider, and a view costs no copy.
 */

/** `b` as a plain Uint8Array over the same memory. */
export function u8(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** `prefix || key` as a Buffer, for node:crypto's DER key import. */
export function der(prefix: Uint8Array, key: Uint8Array): Buffer {
  const b = Buffer.allocUnsafe(prefix.length + key.length);
  b.set(prefix);
  b.set(key, prefix.length);
  return b;
}

/** base64url of a byte view (JWK fields), without copying the bytes first. */
export function b64url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');
}
