/**
 * Issuing NewSessionTickets (RFC 8446 section 4.6.1): each carries a fresh nonce and
 * ticket_age_add, and the session state sealed under the server's ticket keys.
 */
import type { CryptoProvider, HashName } from '../crypto/provider.js';
import { resumptionPsk } from '../keys/schedule.js';
import { encodeHandshake } from '../messages/handshake.js';
import { ExtensionType, HandshakeType } from '../constants.js';
import { encodeMaxEarlyDataSize, encodeNewSessionTicket } from '../messages/index.js';
import { MAX_TICKET_PLAINTEXT, encodeTicketState, type TicketState } from '../resumption/index.js';

import type { ResolvedServer } from './config.js';

/** The session a ticket resumes, apart from what each ticket makes fresh. */
export type TicketSession = Omit<TicketState, 'psk' | 'issuedAt' | 'lifetime' | 'ageAdd' | 'maxEarlyData'>;

/**
 * The NewSessionTicket messages (headers included) for a connection whose
 * resumption_master_secret is `rms`.
 */
export function newSessionTickets(
  server: ResolvedServer, provider: CryptoProvider, hash: HashName, rms: Uint8Array, session: TicketSession, random: (n: number) => Uint8Array, now: number,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < server.tickets; i++) {
    const nonce = Uint8Array.of(i);
    const r = random(4);
    const ageAdd = ((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0;
    const state: TicketState = {
      ...session,
      psk: resumptionPsk(provider, hash, rms, nonce),
      issuedAt: now,
      lifetime: server.ticketLifetime,
      ageAdd,
      maxEarlyData: server.maxEarlyData,
    };
    const sealed = encodeTicketState(state);
    // A client chain too big for a ticket (65535 bytes): no resumption for this session.
    if (sealed.length > MAX_TICKET_PLAINTEXT) return [];
    const ticket = server.ticketKeys.seal(sealed);
    const extensions = server.maxEarlyData > 0 ? [{ type: ExtensionType.early_data, data: encodeMaxEarlyDataSize(server.maxEarlyData) }] : [];
    out.push(encodeHandshake(HandshakeType.new_session_ticket, encodeNewSessionTicket({ lifetime: server.ticketLifetime, ageAdd, nonce, ticket, extensions })));
  }
  return out;
}
