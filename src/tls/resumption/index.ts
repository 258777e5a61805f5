/**
 * Session resumption primitives (RFC 8446 sections 2.2, 4.6.1 and 8): the server's rotating
 * ticket keys and ticket contents, the client's session store, and 0-RTT anti-replay. The
 * client and server state machines use them; applications pass them as options to share or
 * persist state.
 */
export {
  TicketKeys, type TicketKeysOptions, DEFAULT_TICKET_ROTATE_AFTER, MAX_TICKET_LENGTH, MAX_TICKET_PLAINTEXT,
  TICKET_KEY_NAME_LENGTH, TICKET_NONCE_LENGTH, TICKET_OVERHEAD,
} from './ticket-keys.js';
export { type TicketState, type SessionParameters, encodeTicketState, decodeTicketState, TICKET_STATE_VERSION } from './ticket-state.js';
export {
  type StoredSession, type SessionStore, MemorySessionStore, type MemorySessionStoreOptions, encodeStoredSession,
  decodeStoredSession, MAX_TICKET_LIFETIME, STORED_SESSION_VERSION,
} from './session-store.js';
export { type AntiReplay, SingleUseTickets, type SingleUseTicketsOptions } from './anti-replay.js';
