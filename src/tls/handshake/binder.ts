/**
 * PSK binders (RFC 8446 section 4.2.11.2): an HMAC, keyed like a Finished message from the
 * binder_key of the PSK's Early Secret, over the transcript up to and including the
 * ClientHello truncated before its binders list.
 */
import type { CryptoProvider, HashName } from '../crypto/provider.js';
import { KeySchedule, finishedVerifyData } from '../keys/schedule.js';

/** Whether a PSK was provisioned outside TLS or came from a NewSessionTicket. */
export type PskKind = 'external' | 'resumption';

/**
 * The binder of `psk` over `truncatedTranscriptHash` (Transcript-Hash of every earlier
 * handshake message and the truncated ClientHello).
 */
export function pskBinder(provider: CryptoProvider, hash: HashName, psk: Uint8Array, kind: PskKind, truncatedTranscriptHash: Uint8Array): Uint8Array {
  const ks = new KeySchedule(provider, hash);
  ks.early(psk);
  const binderKey = ks.binderKey(kind === 'external' ? 'ext' : 'res');
  ks.destroy();
  const binder = finishedVerifyData(provider, hash, binderKey, truncatedTranscriptHash);
  binderKey.fill(0);
  return binder;
}
