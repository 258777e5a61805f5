/**
 * supported_versions (RFC 8446 section 4.2.1):
 *
 *     struct {
 *         select (Handshake.msg_type) {
 *             case client_hello: ProtocolVersion versions<2..254>;
 *             case server_hello: ProtocolVersion selected_version; // and HelloRetryRequest
 *         };
 *     } SupportedVersions;
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { checkU16, decodeU16List, encodeU16List } from './ext-util.js';

/** The ClientHello form: the offered versions (1 to 127 of them), preferred first. */
export function encodeSupportedVersionsClient(versions: readonly number[]): Uint8Array {
  return encodeU16List(versions, 'supported_versions', 1, 254);
}

/**
 * Decodes the ClientHello form to the offered versions, unknown (GREASE) values included.
 * A length outside <2..254>, an odd length or trailing bytes is decode_error.
 */
export function decodeSupportedVersionsClient(data: Uint8Array): number[] {
  return decodeU16List(data, 'supported_versions', 1, 254);
}

/** The ServerHello / HelloRetryRequest form: the selected version. */
export function encodeSupportedVersionsServer(version: number): Uint8Array {
  return new Writer(2).u16(checkU16(version, 'supported_versions')).finish();
}

/** Decodes the ServerHello / HelloRetryRequest form; anything but exactly 2 bytes is decode_error. */
export function decodeSupportedVersionsServer(data: Uint8Array): number {
  const r = new Reader(data, 'supported_versions');
  const v = r.u16();
  r.end();
  return v;
}
