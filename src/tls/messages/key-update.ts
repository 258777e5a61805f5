/**
 * KeyUpdate (RFC 8446 section 4.6.3):
 *
 *     enum { update_not_requested(0), update_requested(1), (255) } KeyUpdateRequest;
 *     struct { KeyUpdateRequest request_update; } KeyUpdate;
 */
import { Reader } from '../codec/reader.js';
import { illegalParameter, TlsMisuseError } from '../errors.js';
import type { KeyUpdate } from './types.js';

/** The KeyUpdate body (without the handshake header): one byte, 0 or 1. */
export function encodeKeyUpdate(msg: KeyUpdate): Uint8Array {
  if (msg.requestUpdate !== 0 && msg.requestUpdate !== 1) throw new TlsMisuseError(`tls: KeyUpdate request_update ${String(msg.requestUpdate)} is not 0 or 1`);
  return Uint8Array.of(msg.requestUpdate);
}

/**
 * Decodes a KeyUpdate body. Not exactly one byte is decode_error; a value other than 0 or 1 is
 * illegal_parameter (request_update: "If an implementation receives any other value, it MUST
 * terminate the connection with an illegal_parameter alert", RFC 8446 section 4.6.3).
 */
export function decodeKeyUpdate(body: Uint8Array): KeyUpdate {
  const r = new Reader(body, 'KeyUpdate');
  const v = r.u8();
  r.end();
  if (v !== 0 && v !== 1) throw illegalParameter(`KeyUpdate request_update ${v} is not 0 or 1`);
  return { requestUpdate: v };
}
