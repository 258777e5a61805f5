/**
 * cookie (RFC 8446 section 4.2.2): `struct { opaque cookie<1..2^16-1>; } Cookie;`
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { checkLength } from './ext-util.js';

/** The extension_data of cookie (1 to 65535 bytes, else TlsMisuseError). */
export function encodeCookie(cookie: Uint8Array): Uint8Array {
  checkLength(cookie, 1, 0xffff, 'cookie');
  return new Writer(cookie.length + 2).vec(2, cookie).finish();
}

/** Decodes cookie extension_data to the cookie (a view); empty or bad length is decode_error. */
export function decodeCookie(data: Uint8Array): Uint8Array {
  const r = new Reader(data, 'cookie');
  const c = r.vec(2, 1, 0xffff);
  r.end();
  return c;
}
