/**
 * post_handshake_auth (RFC 8446 section 4.2.6): `struct {} PostHandshakeAuth;`
 */
import { decodeEmpty } from './ext-util.js';

/** The extension_data of post_handshake_auth: empty. */
export function encodePostHandshakeAuth(): Uint8Array {
  return new Uint8Array(0);
}

/** Checks post_handshake_auth extension_data: non-empty is decode_error. */
export function decodePostHandshakeAuth(data: Uint8Array): void {
  decodeEmpty(data, 'post_handshake_auth');
}
