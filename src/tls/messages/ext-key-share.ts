/**
 * key_share (RFC 8446 section 4.2.8):
 *
 *     struct { NamedGroup group; opaque key_exchange<1..2^16-1>; } KeyShareEntry;
 *     struct { KeyShareEntry client_shares<0..2^16-1>; } KeyShareClientHello;
 *     struct { NamedGroup selected_group; } KeyShareHelloRetryRequest;
 *     struct { KeyShareEntry server_share; } KeyShareServerHello;
 */
import { NamedGroup, nameOf } from '../constants.js';
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { illegalParameter, TlsMisuseError } from '../errors.js';
import { checkLength, checkU16 } from './ext-util.js';
import type { KeyShareEntry } from './types.js';

function writeEntry(w: Writer, e: KeyShareEntry): void {
  w.u16(checkU16(e.group, 'key_share group')).vec(2, checkLength(e.keyExchange, 1, 0xffff, 'key_share key_exchange'));
}

function readEntry(r: Reader): KeyShareEntry {
  const group = r.u16();
  const keyExchange = r.vec(2, 1, 0xffff);
  return { group, keyExchange };
}

/** The ClientHello form: the client's shares, one per group (may be empty). */
export function encodeKeyShareClientHello(entries: readonly KeyShareEntry[]): Uint8Array {
  const groups = new Set<number>();
  for (const e of entries) {
    if (groups.has(e.group)) throw new TlsMisuseError(`tls: key_share: two shares for group ${nameOf(NamedGroup, e.group)}`);
    groups.add(e.group);
  }
  const w = new Writer(128);
  w.nested(2, (l) => {
    for (const e of entries) writeEntry(l, e);
  });
  return w.finish();
}

/**
 * Decodes the ClientHello form; `keyExchange` fields are views. A bad length, an empty
 * key_exchange or trailing bytes is decode_error; two shares for one group is
 * illegal_parameter ("Clients MUST NOT offer multiple KeyShareEntry values for the same
 * group", RFC 8446 section 4.2.8).
 */
export function decodeKeyShareClientHello(data: Uint8Array): KeyShareEntry[] {
  const r = new Reader(data, 'key_share');
  const list = r.sub(2, 'key_share client_shares');
  r.end();
  const out: KeyShareEntry[] = [];
  const groups = new Set<number>();
  while (list.remaining > 0) {
    const e = readEntry(list);
    if (groups.has(e.group)) throw illegalParameter(`key_share: two shares for group ${nameOf(NamedGroup, e.group)}`);
    groups.add(e.group);
    out.push(e);
  }
  return out;
}

/** The ServerHello form: the server's single share. */
export function encodeKeyShareServerHello(entry: KeyShareEntry): Uint8Array {
  const w = new Writer(entry.keyExchange.length + 4);
  writeEntry(w, entry);
  return w.finish();
}

/** Decodes the ServerHello form (one KeyShareEntry, nothing after it, else decode_error). */
export function decodeKeyShareServerHello(data: Uint8Array): KeyShareEntry {
  const r = new Reader(data, 'key_share');
  const e = readEntry(r);
  r.end();
  return e;
}

/** The HelloRetryRequest form: the group the server selected. */
export function encodeKeyShareHelloRetryRequest(group: number): Uint8Array {
  return new Writer(2).u16(checkU16(group, 'key_share selected_group')).finish();
}

/** Decodes the HelloRetryRequest form to the selected group (exactly 2 bytes, else decode_error). */
export function decodeKeyShareHelloRetryRequest(data: Uint8Array): number {
  const r = new Reader(data, 'key_share');
  const g = r.u16();
  r.end();
  return g;
}
