/**
 * application_layer_protocol_negotiation (RFC 7301 section 3.1):
 *
 *     opaque ProtocolName<1..2^8-1>;
 *     struct { ProtocolName protocol_name_list<2..2^16-1> } ProtocolNameList;
 *
 * Protocol names are opaque bytes. As strings they are read and written as latin1 (one
 * character per byte), so every byte string round-trips; registered names are ASCII.
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { decodeError, TlsMisuseError } from '../errors.js';

function nameBytes(p: string | Uint8Array): Uint8Array {
  if (typeof p !== 'string') return p;
  const b = new Uint8Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c > 0xff) throw new TlsMisuseError(`tls: ALPN protocol name ${JSON.stringify(p)} has a character above 0xff`);
    b[i] = c;
  }
  return b;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/**
 * The extension_data of ALPN: a ProtocolNameList of `protocols` (strings as latin1, or raw
 * bytes). Each name must be 1 to 255 bytes and the list non-empty, else TlsMisuseError.
 * The server's answer is the same with exactly one name (RFC 7301 section 3.1).
 */
export function encodeAlpn(protocols: readonly (string | Uint8Array)[]): Uint8Array {
  if (protocols.length === 0) throw new TlsMisuseError('tls: ALPN needs at least one protocol name');
  const w = new Writer(64);
  w.nested(2, (l) => {
    for (const p of protocols) {
      const b = nameBytes(p);
      if (b.length < 1 || b.length > 255) throw new TlsMisuseError(`tls: ALPN protocol name length ${b.length} outside <1..255>`);
      l.vec(1, b);
    }
  });
  return w.finish();
}

/**
 * Decodes ALPN extension_data to the protocol names as byte views, in order. An empty list,
 * an empty name (`ProtocolName<1..2^8-1>`), a bad length or trailing bytes is decode_error.
 */
export function decodeAlpnProtocols(data: Uint8Array): Uint8Array[] {
  const r = new Reader(data, 'ALPN');
  const list = r.sub(2, 'ALPN protocol list', 2, 0xffff);
  r.end();
  const out: Uint8Array[] = [];
  while (list.remaining > 0) out.push(list.vec(1, 1, 255));
  return out;
}

/** Decodes ALPN extension_data to the protocol names as latin1 strings (see {@link decodeAlpnProtocols}). */
export function decodeAlpn(data: Uint8Array): string[] {
  return decodeAlpnProtocols(data).map(latin1);
}

/**
 * Decodes the server's ALPN extension_data (EncryptedExtensions) to the one selected name.
 * A list of other than exactly one name is decode_error ("the ProtocolNameList MUST contain
 * exactly one ProtocolName", RFC 7301 section 3.1). Whether the client offered it is the
 * engine's check.
 */
export function decodeSelectedAlpn(data: Uint8Array): string {
  const names = decodeAlpnProtocols(data);
  if (names.length !== 1) throw decodeError(`ALPN: server selected ${names.length} protocols, expected exactly one`);
  return latin1(names[0]!);
}
