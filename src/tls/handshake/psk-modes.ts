/**
 * PSK key exchange modes as options name them (RFC 8446 section 4.2.9).
 */
import { PskKeyExchangeMode } from '../constants.js';
import { TlsMisuseError } from '../errors.js';

/** `'psk_dhe_ke'`: PSK with (EC)DHE, forward secret; `'psk_ke'`: PSK alone, no forward secrecy. */
export type PskMode = 'psk_dhe_ke' | 'psk_ke';

/** The wire values of `modes` (default `['psk_dhe_ke']`), checked. */
export function pskModeValues(modes: readonly PskMode[] | undefined): number[] {
  const list = modes ?? ['psk_dhe_ke'];
  if (list.length === 0) throw new TlsMisuseError('tls: pskModes is empty');
  return list.map((m) => {
    if (m !== 'psk_dhe_ke' && m !== 'psk_ke') throw new TlsMisuseError(`tls: unknown PSK mode ${JSON.stringify(m)}; use 'psk_dhe_ke' or 'psk_ke'`);
    return PskKeyExchangeMode[m];
  });
}
