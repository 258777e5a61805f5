/**
 * NewSessionTicket (RFC 8446 section 4.6.1):
 *
 *     struct {
 *         uint32 ticket_lifetime;
 *         uint32 ticket_age_add;
 *         opaque ticket_nonce<0..255>;
 *         opaque ticket<1..2^16-1>;
 *         Extension extensions<0..2^16-2>;
 *     } NewSessionTicket;
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { decodeExtensions, writeExtensions } from './extensions.js';
import { checkLength, checkU32 } from './ext-util.js';
import type { NewSessionTicket } from './types.js';

/** The NewSessionTicket body (without the handshake header); out-of-bounds fields are a TlsMisuseError. */
export function encodeNewSessionTicket(msg: NewSessionTicket): Uint8Array {
  const w = new Writer(msg.ticket.length + msg.nonce.length + 64);
  w.u32(checkU32(msg.lifetime, 'NewSessionTicket ticket_lifetime'));
  w.u32(checkU32(msg.ageAdd, 'NewSessionTicket ticket_age_add'));
  w.vec(1, checkLength(msg.nonce, 0, 255, 'NewSessionTicket ticket_nonce'));
  w.vec(2, checkLength(msg.ticket, 1, 0xffff, 'NewSessionTicket ticket'));
  writeExtensions(w, msg.extensions);
  return w.finish();
}

/**
 * Decodes a NewSessionTicket body; byte fields are views. An empty ticket, bad lengths and
 * trailing bytes are decode_error; a duplicate extension is illegal_parameter. The lifetime
 * is returned as sent: clients cap it at 604800 seconds (section 4.6.1).
 */
export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new Reader(body, 'NewSessionTicket');
  const lifetime = r.u32();
  const ageAdd = r.u32();
  const nonce = r.vec(1, 0, 255);
  const ticket = r.vec(2, 1, 0xffff);
  const extensions = decodeExtensions(r, 0, 0xfffe, 'NewSessionTicket extensions');
  r.end();
  return { lifetime, ageAdd, nonce, ticket, extensions };
}
