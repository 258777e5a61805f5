/**
 * Extension blocks (RFC 8446 section 4.2): `Extension extensions<min..max>` where each
 * Extension is `{ uint16 extension_type; opaque extension_data<0..2^16-1>; }`.
 * The typed extension_data codecs live in the `ext-*.ts` files beside this one, one extension
 * per file, and are re-exported from here.
 */
import { ExtensionType, nameOf } from '../constants.js';
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { illegalParameter, TlsMisuseError } from '../errors.js';
import type { Extension } from './types.js';

/**
 * The `extension_data` of the first extension of `type` in `exts`, or undefined when absent.
 * Blocks decoded by {@link decodeExtensions} hold each type at most once.
 */
export function findExtension(exts: readonly Extension[], type: number): Uint8Array | undefined {
  for (const e of exts) if (e.type === type) return e.data;
  return undefined;
}

/**
 * Reads a u16-length-prefixed extension block from `r`, bounded as `<min..max>` (the bounds
 * differ per message in RFC 8446 appendix B). Each `data` is a view into the reader's input.
 * A second extension of a type already seen is illegal_parameter ("There MUST NOT be more
 * than one extension of the same type in a given extension block", RFC 8446 section 4.2);
 * any length that overruns is decode_error.
 */
export function decodeExtensions(r: Reader, min = 0, max = 0xffff, what = 'extensions'): Extension[] {
  const block = r.sub(2, what, min, max);
  const out: Extension[] = [];
  const seen = new Set<number>();
  while (block.remaining > 0) {
    const type = block.u16();
    const data = block.vec(2);
    if (seen.has(type)) throw illegalParameter(`${what}: duplicate extension ${nameOf(ExtensionType, type)}`);
    seen.add(type);
    out.push({ type, data });
  }
  return out;
}

/**
 * Writes `exts` as a u16-length-prefixed extension block into `w`, in the given order.
 * A duplicate type or an oversize block is a caller fault (TlsMisuseError).
 */
export function writeExtensions(w: Writer, exts: readonly Extension[]): void {
  const seen = new Set<number>();
  for (const e of exts) {
    if (seen.has(e.type)) throw new TlsMisuseError(`tls: duplicate extension ${nameOf(ExtensionType, e.type)} in one block`);
    seen.add(e.type);
  }
  w.nested(2, (b) => {
    for (const e of exts) b.u16(e.type).vec(2, e.data);
  });
}

/** `exts` as a u16-length-prefixed extension block (see {@link writeExtensions}). */
export function encodeExtensions(exts: readonly Extension[]): Uint8Array {
  const w = new Writer(64);
  writeExtensions(w, exts);
  return w.finish();
}

export * from './ext-server-name.js';
export * from './ext-supported-groups.js';
export * from './ext-signature-algorithms.js';
export * from './ext-alpn.js';
export * from './ext-supported-versions.js';
export * from './ext-key-share.js';
export * from './ext-cookie.js';
export * from './ext-psk-key-exchange-modes.js';
export * from './ext-pre-shared-key.js';
export * from './ext-early-data.js';
export * from './ext-record-size-limit.js';
export * from './ext-certificate-authorities.js';
export * from './ext-post-handshake-auth.js';
