/**
 * Finished (RFC 8446 section 4.4.4): `struct { opaque verify_data[Hash.length]; } Finished;`
 * The length depends on the negotiated hash, so the caller checks it; rxtls treats a wrong length as a failed Finished (decrypt_error), as rustls and Go do.
 */
import type { Finished } from './types.js';

/** The Finished body (without the handshake header): verify_data itself (a copy). */
export function encodeFinished(msg: Finished): Uint8Array {
  return msg.verifyData.slice();
}

/** Decodes a Finished body: all of it is verify_data (a view); the caller checks its length. */
export function decodeFinished(body: Uint8Array): Finished {
  return { verifyData: body };
}
