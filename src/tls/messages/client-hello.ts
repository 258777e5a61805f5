/**
 * ClientHello (RFC 8446 section 4.1.2):
 *
 *     struct {
 *         ProtocolVersion legacy_version = 0x0303;
 *         Random random;
 *         opaque legacy_session_id<0..32>;
 *         CipherSuite cipher_suites<2..2^16-2>;
 *         opaque legacy_compression_methods<1..2^8-1>;
 *         Extension extensions<8..2^16-1>;
 *     } ClientHello;
 *
 * The decoder also takes TLS 1.2-style hellos (RFC 5246 section 7.4.1.2): any legacy_version
 * and compression methods, and an extensions block that is absent (decoded as `[]`) or
 * shorter than 8 bytes. Checking those for TLS 1.3 is the engine's job, after it has chosen
 * the version.
 */
import { ExtensionType } from '../constants.js';
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { decodeError, illegalParameter, TlsMisuseError } from '../errors.js';
import { decodeExtensions, writeExtensions } from './extensions.js';
import { checkLength, checkU16 } from './ext-util.js';
import type { ClientHello } from './types.js';

/**
 * The ClientHello body (without the handshake header). Fields outside their RFC bounds are a
 * TlsMisuseError. An empty `extensions` omits the block (a TLS 1.2-style hello).
 */
export function encodeClientHello(msg: ClientHello): Uint8Array {
  const w = new Writer(512);
  w.u16(checkU16(msg.legacyVersion, 'ClientHello legacy_version'));
  w.bytes(checkLength(msg.random, 32, 32, 'ClientHello random'));
  w.vec(1, checkLength(msg.legacySessionId, 0, 32, 'ClientHello legacy_session_id'));
  if (msg.cipherSuites.length < 1 || msg.cipherSuites.length > 0x7fff) {
    throw new TlsMisuseError(`tls: ClientHello needs 1 to 32767 cipher suites, got ${msg.cipherSuites.length}`);
  }
  w.nested(2, (l) => {
    for (const s of msg.cipherSuites) l.u16(checkU16(s, 'ClientHello cipher suite'));
  });
  w.vec(1, checkLength(msg.compressionMethods, 1, 255, 'ClientHello legacy_compression_methods'));
  if (msg.extensions.length > 0) writeExtensions(w, msg.extensions);
  return w.finish();
}

/**
 * Decodes a ClientHello body; byte fields are views into `body`. Violated length bounds,
 * an odd cipher_suites length and trailing bytes are decode_error; a duplicate extension, or
 * pre_shared_key not being the last extension ("Servers MUST check that it is the last
 * extension and otherwise fail the handshake with an illegal_parameter alert",
 * RFC 8446 section 4.2.11), is illegal_parameter.
 */
export function decodeClientHello(body: Uint8Array): ClientHello {
  const r = new Reader(body, 'ClientHello');
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const legacySessionId = r.vec(1, 0, 32);
  const suites = r.sub(2, 'ClientHello cipher_suites', 2, 0xfffe);
  if (suites.remaining % 2 !== 0) throw decodeError(`ClientHello: odd cipher_suites length ${suites.remaining}`);
  const cipherSuites: number[] = [];
  while (suites.remaining > 0) cipherSuites.push(suites.u16());
  const compressionMethods = r.vec(1, 1, 255);
  const extensions = r.remaining === 0 ? [] : decodeExtensions(r, 0, 0xffff, 'ClientHello extensions');
  r.end();
  const psk = extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
  if (psk !== -1 && psk !== extensions.length - 1) throw illegalParameter('ClientHello: pre_shared_key is not the last extension');
  return { legacyVersion, random, legacySessionId, cipherSuites, compressionMethods, extensions };
}
