/**
 * The client's PSK offer (RFC 8446 sections 4.2.11 and 4.2.11.2): a resumption ticket and/or
 * an external PSK as identities of pre_shared_key, their obfuscated ticket ages, and binders
 * computed over the ClientHello truncated before them.
 */
import { ExtensionType } from '../constants.js';
import type { CryptoProvider, HashName } from '../crypto/provider.js';
import { pskBinder, type PskKind } from '../handshake/binder.js';
import type { Transcript } from '../handshake/transcript.js';
import { bindersLength, encodeOfferedPsks } from '../messages/index.js';
import type { Extension } from '../messages/types.js';
import type { StoredSession } from '../resumption/index.js';
import { cipherSuiteInfo } from '../suites.js';
import type { ResolvedClient } from './config.js';

/** One PSK the client offers. */
export interface PskOffer {
  readonly kind: PskKind;
  readonly identity: Uint8Array;
  readonly psk: Uint8Array;
  readonly hash: HashName;
  readonly obfuscatedAge: number;
  /** The ticket's session, for a resumption PSK. */
  readonly session: StoredSession | undefined;
}

/**
 * The PSKs to offer, ticket first (0-RTT can only use the first identity, section 4.2.10): a
 * stored session whose suite we still offer, and the external PSK if one is configured and a
 * suite with its hash is offered.
 */
export function pskOffers(c: ResolvedClient, session: StoredSession | undefined, suites: readonly number[], now: number): PskOffer[] {
  const offers: PskOffer[] = [];
  const hashes = new Set(suites.map((s) => cipherSuiteInfo(s)!.hash));
  if (session && suites.includes(session.suite as never)) {
    const hash = cipherSuiteInfo(session.suite)!.hash;
    // RFC 8446 section 4.2.11.1: the age in milliseconds plus ticket_age_add, modulo 2^32.
    const age = Math.max(0, Math.floor(now - session.receivedAt));
    offers.push({ kind: 'resumption', identity: session.ticket, psk: session.psk, hash, obfuscatedAge: (age + session.ageAdd) >>> 0, session });
  }
  if (c.psk && hashes.has(c.psk.hash)) {
    offers.push({ kind: 'external', identity: c.psk.identity, psk: c.psk.key, hash: c.psk.hash, obfuscatedAge: 0, session: undefined });
  }
  return offers;
}

/** The pre_shared_key extension with placeholder (zero) binders of the right lengths. */
export function pskExtension(offers: readonly PskOffer[], provider: CryptoProvider): Extension {
  return {
    type: ExtensionType.pre_shared_key,
    data: encodeOfferedPsks({
      identities: offers.map((o) => ({ identity: o.identity, obfuscatedTicketAge: o.obfuscatedAge })),
      binders: offers.map((o) => new Uint8Array(provider.hash(o.hash).outputLength)),
    }),
  };
}

/**
 * Writes the real binders into `raw`, the encoded ClientHello message whose last extension is
 * {@link pskExtension}'s. `transcript` holds the messages before this ClientHello (started
 * after a HelloRetryRequest, empty and unstarted for the first hello).
 */
export function writeBinders(raw: Uint8Array, offers: readonly PskOffer[], transcript: Transcript, provider: CryptoProvider): void {
  const lengths = offers.map((o) => provider.hash(o.hash).outputLength);
  const start = raw.length - bindersLength(lengths);
  const truncated = raw.subarray(0, start);
  let at = start + 2;
  for (const o of offers) {
    const th = transcript.isStarted ? transcript.hashWith(truncated) : provider.hash(o.hash).digest(truncated);
    const binder = pskBinder(provider, o.hash, o.psk, o.kind, th);
    raw[at] = binder.length;
    raw.set(binder, at + 1);
    at += 1 + binder.length;
  }
}
