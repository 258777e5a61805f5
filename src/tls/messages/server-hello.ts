/**
 * ServerHello and HelloRetryRequest (RFC 8446 sections 4.1.3 and 4.1.4):
 *
 *     struct {
 *         ProtocolVersion legacy_version = 0x0303;
 *         Random random;
 *         opaque legacy_session_id_echo<0..32>;
 *         CipherSuite cipher_suite;
 *         uint8 legacy_compression_method = 0;
 *         Extension extensions<6..2^16-1>;
 *     } ServerHello;
 *
 * A HelloRetryRequest is a ServerHello whose random is SHA-256("HelloRetryRequest").
 * The decoder also takes TLS 1.2-style ServerHellos (absent or short extensions block);
 * the engine checks what TLS 1.3 requires.
 */
import { HELLO_RETRY_REQUEST_RANDOM } from '../constants.js';
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { equalBytes } from '../codec/bytes.js';
import { TlsMisuseError } from '../errors.js';
import { decodeExtensions, writeExtensions } from './extensions.js';
import { checkLength, checkU16 } from './ext-util.js';
import type { ServerHello } from './types.js';

/**
 * What {@link encodeServerHello} takes: a ServerHello whose `isHelloRetryRequest`, if given,
 * must agree with `random` (set `random` to `HELLO_RETRY_REQUEST_RANDOM` for an HRR).
 */
export type ServerHelloInit = Omit<ServerHello, 'isHelloRetryRequest'> & { isHelloRetryRequest?: boolean };

/**
 * The ServerHello body (without the handshake header). Fields outside their RFC bounds, or an
 * `isHelloRetryRequest` that disagrees with `random`, are a TlsMisuseError. An empty
 * `extensions` omits the block (a TLS 1.2-style hello).
 */
export function encodeServerHello(msg: ServerHelloInit): Uint8Array {
  checkLength(msg.random, 32, 32, 'ServerHello random');
  if (msg.isHelloRetryRequest !== undefined && msg.isHelloRetryRequest !== equalBytes(msg.random, HELLO_RETRY_REQUEST_RANDOM)) {
    throw new TlsMisuseError(`tls: ServerHello isHelloRetryRequest is ${msg.isHelloRetryRequest} but random says otherwise`);
  }
  const cm = msg.compressionMethod;
  if (!Number.isInteger(cm) || cm < 0 || cm > 255) throw new TlsMisuseError(`tls: ServerHello compression method ${cm} is not a byte`);
  const w = new Writer(256);
  w.u16(checkU16(msg.legacyVersion, 'ServerHello legacy_version'));
  w.bytes(msg.random);
  w.vec(1, checkLength(msg.legacySessionId, 0, 32, 'ServerHello legacy_session_id_echo'));
  w.u16(checkU16(msg.cipherSuite, 'ServerHello cipher_suite'));
  w.u8(cm);
  if (msg.extensions.length > 0) writeExtensions(w, msg.extensions);
  return w.finish();
}

/**
 * Decodes a ServerHello (or HelloRetryRequest) body; byte fields are views into `body`.
 * Violated length bounds and trailing bytes are decode_error; a duplicate extension is
 * illegal_parameter (RFC 8446 section 4.2).
 */
export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body, 'ServerHello');
  const legacyVersion = r.u16();
  const random = r.bytes(32);
  const legacySessionId = r.vec(1, 0, 32);
  const cipherSuite = r.u16();
  const compressionMethod = r.u8();
  const extensions = r.remaining === 0 ? [] : decodeExtensions(r, 0, 0xffff, 'ServerHello extensions');
  r.end();
  const isHelloRetryRequest = equalBytes(random, HELLO_RETRY_REQUEST_RANDOM);
  return { legacyVersion, random, legacySessionId, cipherSuite, compressionMethod, extensions, isHelloRetryRequest };
}
