/**
 * psk_key_exchange_modes (RFC 8446 section 4.2.9):
 * `struct { PskKeyExchangeMode ke_modes<1..255>; } PskKeyExchangeModes;`
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { TlsMisuseError } from '../errors.js';

/** The extension_data of psk_key_exchange_modes (1 to 255 one-byte modes, else TlsMisuseError). */
export function encodePskKeyExchangeModes(modes: readonly number[]): Uint8Array {
  if (modes.length < 1 || modes.length > 255) throw new TlsMisuseError(`tls: psk_key_exchange_modes needs 1 to 255 modes, got ${modes.length}`);
  const w = new Writer(modes.length + 1);
  w.nested(1, (l) => {
    for (const m of modes) {
      if (!Number.isInteger(m) || m < 0 || m > 255) throw new TlsMisuseError(`tls: psk_key_exchange_modes: ${m} is not a byte`);
      l.u8(m);
    }
  });
  return w.finish();
}

/**
 * Decodes psk_key_exchange_modes extension_data to the modes, unknown ones included
 * (servers ignore them). An empty list, bad length or trailing bytes is decode_error.
 */
export function decodePskKeyExchangeModes(data: Uint8Array): number[] {
  const r = new Reader(data, 'psk_key_exchange_modes');
  const modes = r.vec(1, 1, 255);
  r.end();
  return Array.from(modes);
}
