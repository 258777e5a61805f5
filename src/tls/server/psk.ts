/**
 * The server's side of PSK key establishment (RFC 8446 sections 4.2.9 to 4.2.11): choosing a
 * PSK from the client's offer (a resumption ticket of ours or an external identity), checking
 * its binder, and deciding whether its 0-RTT data may be accepted.
 */
import { equalBytes } from '../codec/bytes.js';
import { AlertDescription, ExtensionType, PskKeyExchangeMode } from '../constants.js';
import type { CryptoProvider, HashName } from '../crypto/provider.js';
import { TlsProtocolError } from '../errors.js';
import { pskBinder, type PskKind } from '../handshake/binder.js';
import type { Transcript } from '../handshake/transcript.js';
import { bindersLength, decodeOfferedPsks, decodePskKeyExchangeModes, findExtension } from '../messages/index.js';
import type { ClientHello } from '../messages/types.js';
import { decodeTicketState, type TicketState } from '../resumption/index.js';
import { cipherSuiteInfo, type CipherSuiteInfo } from '../suites.js';
import type { ResolvedServer } from './config.js';

/** Identities looked at in one ClientHello; the rest are ignored (bounds the work a hello causes). */
const MAX_IDENTITIES_TRIED = 8;
/** How far the client's and our view of a ticket's age may differ for 0-RTT (RFC 8446 section 8.3). */
const TICKET_AGE_TOLERANCE_MS = 10_000;

/** The PSK the server accepted. */
export interface PskChoice {
  /** Its index in the client's list (the ServerHello's selected_identity). */
  readonly index: number;
  readonly kind: PskKind;
  readonly psk: Uint8Array;
  /** The cipher suite to use with it (same hash as the PSK). */
  readonly suite: CipherSuiteInfo;
  /** psk_dhe_ke (true) or psk_ke. */
  readonly dhe: boolean;
  /** The identity as sent. */
  readonly identity: Uint8Array;
  /** For a resumption PSK: the session it resumes. */
  readonly ticket: TicketState | undefined;
  /** For an external PSK: the identity as UTF-8 text. */
  readonly identityText: string | undefined;
  /** The client's view of the ticket's age in ms (resumption only). */
  readonly clientAge: number;
}

/** What the server knows when it looks at the PSKs of a ClientHello. */
export interface PskContext {
  readonly ch: ClientHello;
  /** The whole ClientHello message, header included. */
  readonly raw: Uint8Array;
  /** Earlier messages (after a HelloRetryRequest); not yet started for the first hello. */
  readonly transcript: Transcript;
  /** The suite fixed by a HelloRetryRequest, if one was sent. */
  readonly retrySuite: CipherSuiteInfo | undefined;
  /** Our suites in preference order. */
  readonly suites: readonly number[];
  readonly serverName: string | undefined;
  readonly server: ResolvedServer;
  readonly provider: CryptoProvider;
  readonly now: number;
  /** True when no certificate identity could authenticate us instead. */
  readonly pskOnly: boolean;
}

/**
 * The PSK to use, or undefined for a full handshake. Throws missing_extension for a
 * pre_shared_key without psk_key_exchange_modes (section 4.2.9), decrypt_error when the chosen
 * PSK's binder does not verify (section 4.2.11); and when we have no certificate to fall back
 * on, handshake_failure when no key exchange mode is in common, unknown_psk_identity when no
 * identity is usable.
 */
export function choosePsk(c: PskContext): PskChoice | undefined {
  const ext = findExtension(c.ch.extensions, ExtensionType.pre_shared_key);
  if (!ext) return undefined;
  const modesExt = findExtension(c.ch.extensions, ExtensionType.psk_key_exchange_modes);
  if (!modesExt) throw new TlsProtocolError('tls: pre_shared_key without psk_key_exchange_modes', AlertDescription.missing_extension);
  const modes = decodePskKeyExchangeModes(modesExt);
  const offers = decodeOfferedPsks(ext);
  let dhe: boolean;
  if (modes.includes(PskKeyExchangeMode.psk_dhe_ke) && c.server.pskModes.has(PskKeyExchangeMode.psk_dhe_ke)) dhe = true;
  else if (modes.includes(PskKeyExchangeMode.psk_ke) && c.server.pskModes.has(PskKeyExchangeMode.psk_ke)) dhe = false;
  else if (c.pskOnly) {
    throw new TlsProtocolError('tls: no PSK key exchange mode in common (psk_key_exchange_modes)', AlertDescription.handshake_failure);
  } else return undefined;

  const n = Math.min(offers.identities.length, MAX_IDENTITIES_TRIED);
  for (let i = 0; i < n; i++) {
    const { identity, obfuscatedTicketAge } = offers.identities[i]!;
    const found = resolveIdentity(c, identity);
    if (!found) continue;
    const suite = suiteFor(c, found.hash);
    if (!suite) continue;
    const truncated = c.raw.subarray(0, c.raw.length - bindersLength(offers.binders.map((b) => b.length)));
    const th = c.transcript.isStarted ? c.transcript.hashWith(truncated) : c.provider.hash(suite.hash).digest(truncated);
    const expected = pskBinder(c.provider, suite.hash, found.psk, found.kind, th);
    if (!equalBytes(expected, offers.binders[i]!)) throw new TlsProtocolError(`tls: binder of PSK ${i} does not verify`, AlertDescription.decrypt_error);
    const clientAge = found.ticket ? (obfuscatedTicketAge - found.ticket.ageAdd) >>> 0 : 0;
    return { index: i, kind: found.kind, psk: found.psk, suite, dhe, identity, ticket: found.ticket, identityText: found.text, clientAge };
  }
  return noPsk(c);
}

function noPsk(c: PskContext): undefined {
  if (c.pskOnly) throw new TlsProtocolError('tls: no offered PSK identity is known', AlertDescription.unknown_psk_identity);
  return undefined;
}

interface Found {
  kind: PskKind;
  psk: Uint8Array;
  hash: HashName;
  ticket?: TicketState;
  text?: string;
}

/** A ticket of ours that is still valid for this hello, else an external identity. */
function resolveIdentity(c: PskContext, identity: Uint8Array): Found | undefined {
  const opened = c.server.ticketKeys.open(identity);
  const ticket = opened ? decodeTicketState(opened) : undefined;
  if (ticket) {
    const info = cipherSuiteInfo(ticket.suite);
    const age = c.now - ticket.issuedAt;
    // RFC 8446 section 4.6.1: never use a ticket past its lifetime. Section 4.2.11 leaves a
    // server free to refuse a ticket for another name; we do, as a session is tied to its SNI.
    if (!info || age < -TICKET_AGE_TOLERANCE_MS || age > ticket.lifetime * 1000 || ticket.serverName !== c.serverName) return undefined;
    // A session without a client certificate does not resume where one is now required.
    if (c.server.clientAuth?.required && c.server.clientAuth.inHandshake && ticket.peerCertificates.length === 0) return undefined;
    return { kind: 'resumption', psk: ticket.psk, hash: info.hash, ticket };
  }
  // A PSK handshake has no client certificate: not while one is required in the handshake.
  if (!c.server.pskCallback || (c.server.clientAuth?.required && c.server.clientAuth.inHandshake)) return undefined;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(identity);
  const key = c.server.pskCallback(text, identity.slice());
  if (!key || key.length === 0) return undefined;
  return { kind: 'external', psk: key, hash: c.server.pskHash, text };
}

/** Our most preferred suite the client offers with hash `hash`; after a retry, only the retry's suite. */
function suiteFor(c: PskContext, hash: HashName): CipherSuiteInfo | undefined {
  if (c.retrySuite) return c.retrySuite.hash === hash ? c.retrySuite : undefined;
  for (const id of c.suites) {
    const info = cipherSuiteInfo(id)!;
    if (info.hash === hash && c.ch.cipherSuites.includes(id)) return info;
  }
  return undefined;
}

/**
 * Whether the client's 0-RTT data can be accepted (RFC 8446 section 4.2.10): we allow it, it
 * is the first PSK and a ticket of ours allowing it, with the same suite and ALPN, a plausible
 * ticket age (section 8.3), and the anti-replay check passes (claiming the ticket, section
 * 8.1). Only then is the ticket marked used. For a first ClientHello only: after a
 * HelloRetryRequest there is no early data to accept.
 */
export function acceptsEarlyData(p: PskChoice, alpn: string | undefined, server: ResolvedServer, now: number): boolean {
  const t = p.ticket;
  if (!t || p.index !== 0 || server.maxEarlyData === 0 || t.maxEarlyData === 0) return false;
  // A ticket promising more than we now take: refuse its 0-RTT rather than cut the client off.
  if (t.maxEarlyData > server.maxEarlyData) return false;
  if (p.suite.id !== t.suite || alpn !== t.alpn) return false;
  if (Math.abs(p.clientAge - (now - t.issuedAt)) > TICKET_AGE_TOLERANCE_MS) return false;
  return server.antiReplay.claim(p.identity, t.issuedAt + t.lifetime * 1000, now);
}
