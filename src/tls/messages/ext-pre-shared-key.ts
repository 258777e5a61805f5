/**
 * pre_shared_key (RFC 8446 section 4.2.11):
 *
 *     struct { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; } PskIdentity;
 *     opaque PskBinderEntry<32..255>;
 *     struct { PskIdentity identities<7..2^16-1>; PskBinderEntry binders<33..2^16-1>; } OfferedPsks;
 *     struct { select (Handshake.msg_type) {
 *         case client_hello: OfferedPsks;
 *         case server_hello: uint16 selected_identity; }; } PreSharedKeyExtension;
 *
 * The binders are computed over the ClientHello truncated before the binders list
 * (RFC 8446 section 4.2.11.2). Because pre_shared_key is the last extension, the binders
 * part is the last {@link bindersLength} bytes of the encoded ClientHello message: encode the
 * hello with placeholder binders of the right lengths, hash all but those bytes, then encode
 * again with the real binders.
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { illegalParameter, TlsMisuseError } from '../errors.js';
import { checkLength, checkU16, checkU32 } from './ext-util.js';
import type { OfferedPsks, PskIdentity } from './types.js';

/**
 * The byte length of the binders part (the u16 list length plus each binder with its u8
 * length): the number of bytes at the end of an encoded ClientHello that the PSK binder
 * transcript excludes (RFC 8446 section 4.2.11.2). Each length must be 32 to 255.
 */
export function bindersLength(binderLengths: readonly number[]): number {
  let n = 2;
  for (const l of binderLengths) {
    if (!Number.isInteger(l) || l < 32 || l > 255) throw new TlsMisuseError(`tls: pre_shared_key: binder length ${l} outside <32..255>`);
    n += 1 + l;
  }
  return n;
}

/**
 * The ClientHello extension_data of pre_shared_key. Needs at least one identity and exactly
 * one binder per identity, else TlsMisuseError.
 */
export function encodeOfferedPsks(psks: OfferedPsks): Uint8Array {
  const { identities, binders } = psks;
  if (identities.length === 0 || identities.length !== binders.length) {
    throw new TlsMisuseError(`tls: pre_shared_key: ${identities.length} identities and ${binders.length} binders`);
  }
  const w = new Writer(128);
  w.nested(2, (l) => {
    for (const id of identities) {
      l.vec(2, checkLength(id.identity, 1, 0xffff, 'pre_shared_key identity')).u32(checkU32(id.obfuscatedTicketAge, 'obfuscated_ticket_age'));
    }
  });
  w.nested(2, (l) => {
    for (const b of binders) l.vec(1, checkLength(b, 32, 255, 'pre_shared_key binder'));
  });
  return w.finish();
}

/**
 * Decodes the ClientHello form of pre_shared_key; identities and binders are views. Bad
 * lengths (an empty identity, a binder outside <32..255>, an empty list) or trailing bytes are
 * decode_error; a binder count other than the identity count is illegal_parameter (one binder
 * "for each value in the identities list", RFC 8446 section 4.2.11).
 */
export function decodeOfferedPsks(data: Uint8Array): OfferedPsks {
  const r = new Reader(data, 'pre_shared_key');
  const ids = r.sub(2, 'pre_shared_key identities', 7, 0xffff);
  const bs = r.sub(2, 'pre_shared_key binders', 33, 0xffff);
  r.end();
  const identities: PskIdentity[] = [];
  while (ids.remaining > 0) {
    const identity = ids.vec(2, 1, 0xffff);
    identities.push({ identity, obfuscatedTicketAge: ids.u32() });
  }
  const binders: Uint8Array[] = [];
  while (bs.remaining > 0) binders.push(bs.vec(1, 32, 255));
  if (binders.length !== identities.length) {
    throw illegalParameter(`pre_shared_key: ${identities.length} identities but ${binders.length} binders`);
  }
  return { identities, binders };
}

/** The ServerHello form of pre_shared_key: the selected identity's 0-based index. */
export function encodeSelectedIdentity(index: number): Uint8Array {
  return new Writer(2).u16(checkU16(index, 'pre_shared_key selected_identity')).finish();
}

/**
 * Decodes the ServerHello form to the selected identity index (exactly 2 bytes, else
 * decode_error). The client checks that it is in range (illegal_parameter, section 4.2.11).
 */
export function decodeSelectedIdentity(data: Uint8Array): number {
  const r = new Reader(data, 'pre_shared_key');
  const i = r.u16();
  r.end();
  return i;
}
