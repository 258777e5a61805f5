/**
 * server_name (RFC 6066 section 3): the ClientHello carries a ServerNameList; the server's
 * acknowledgement (in EncryptedExtensions, RFC 8446 section 4.3.1) has empty extension_data.
 *
 *     struct { NameType name_type; select (name_type) { case host_name: HostName; } name; } ServerName;
 *     enum { host_name(0), (255) } NameType;
 *     opaque HostName<1..2^16-1>;
 *     struct { ServerName server_name_list<1..2^16-1> } ServerNameList;
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { decodeError, illegalParameter, TlsMisuseError } from '../errors.js';

/** NameType host_name (RFC 6066 section 3). */
const HOST_NAME = 0;

/** True when every byte is printable ASCII (0x21..0x7e): no spaces, controls or 8-bit bytes. */
function isPrintableAscii(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i]! < 0x21 || b[i]! > 0x7e) return false;
  return true;
}

/**
 * The extension_data of server_name. With a host name: a ServerNameList holding that one
 * host_name (ASCII, no trailing dot, RFC 6066 section 3); without: the server's empty
 * acknowledgement. A name that is empty, too long or not printable ASCII is a TlsMisuseError.
 */
export function encodeServerName(hostName?: string): Uint8Array {
  if (hostName === undefined) return new Uint8Array(0);
  const name = new Uint8Array(hostName.length);
  for (let i = 0; i < hostName.length; i++) {
    const c = hostName.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) throw new TlsMisuseError(`tls: server_name: host name ${JSON.stringify(hostName.slice(0, 64))} is not printable ASCII`);
    name[i] = c;
  }
  if (name.length === 0 || name.length > 0xfffc) throw new TlsMisuseError(`tls: server_name: host name length ${name.length} outside <1..65532>`);
  const w = new Writer(name.length + 5);
  w.nested(2, (l) => l.u8(HOST_NAME).vec(2, name));
  return w.finish();
}

/**
 * Decodes server_name extension_data. Empty data (the server's acknowledgement) gives
 * undefined; otherwise the ServerNameList's host_name as an ASCII string, or undefined when
 * the list holds only name types other than host_name (RFC 6066 section 3: future types
 * begin with a 16-bit length, so they are skipped).
 *
 * Errors: an empty list, an empty name or a bad length is decode_error; two names of the same
 * type ("MUST NOT contain more than one name of the same name_type") or a host_name with
 * bytes outside printable ASCII is illegal_parameter.
 */
export function decodeServerName(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  const r = new Reader(data, 'server_name');
  const list = r.sub(2, 'server_name list', 1, 0xffff);
  r.end();
  const seen = new Set<number>();
  let host: Uint8Array | undefined;
  while (list.remaining > 0) {
    const type = list.u8();
    const name = list.vec(2); // every name type begins with a 16-bit length
    if (type === HOST_NAME && name.length === 0) throw decodeError('server_name: empty host_name (HostName<1..2^16-1>)');
    if (seen.has(type)) throw illegalParameter(`server_name: more than one name of type ${type}`);
    seen.add(type);
    if (type === HOST_NAME) host = name;
  }
  if (host === undefined) return undefined;
  if (!isPrintableAscii(host)) throw illegalParameter('server_name: host_name is not printable ASCII');
  return new TextDecoder().decode(host); // ASCII, checked above
}
