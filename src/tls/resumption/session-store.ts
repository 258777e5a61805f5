/**
 * The client's side of resumption: the tickets it received (RFC 8446 section 4.6.1), kept
 * until a later connection to the same server offers one in its pre_shared_key extension
 * (section 4.2.11). A ticket is offered once and then forgotten: clients SHOULD NOT reuse a
 * ticket for multiple connections (appendix C.4), and a server with single-use tickets
 * (section 8.1) would refuse it anyway.
 *
 * Also a binary format for a session, so that applications can persist them:
 *
 *     uint8  version = 1;
 *     opaque ticket<1..2^16-1>;
 *     ... the session parameters of ticket-state.ts, with received_at (ms) as the time
 */
import { Reader } from '../codec/reader.js';
import { Writer } from '../codec/writer.js';
import { TlsMisuseError } from '../errors.js';
import { readSessionParameters, writeSessionParameters, type SessionParameters } from './ticket-state.js';

/** The version byte {@link encodeStoredSession} writes first. */
export const STORED_SESSION_VERSION = 1;

/** The longest a client may keep a ticket, in seconds: 7 days (RFC 8446 section 4.6.1). */
export const MAX_TICKET_LIFETIME = 604800;

/** A ticket the client received, with what it needs to resume with it. */
export interface StoredSession extends SessionParameters {
  /** The ticket, sent back as the PSK identity (RFC 8446 section 4.2.11). */
  ticket: Uint8Array;
  /** When the ticket was received, in milliseconds since the epoch (the start of its age, RFC 8446 section 4.2.11.1). */
  receivedAt: number;
}

/**
 * Where a client keeps its tickets, by a key naming the server (by default its SNI). An
 * implementation may share sessions between processes, but must hand each out at most once.
 */
export interface SessionStore {
  /** Keeps `session` under `key`. */
  put(key: string, session: StoredSession): void;
  /**
   * Removes and returns the newest session under `key` that has not expired at `now`
   * (milliseconds since the epoch), or undefined when there is none.
   */
  take(key: string, now: number): StoredSession | undefined;
}

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** The most keys kept (default 256); past it the key least recently put to is evicted. */
  maxKeys?: number;
  /** The most sessions kept per key (default 4); past it the oldest is dropped. */
  perKey?: number;
}

/** True when `s` is still usable at `now`: received less than its lifetime (capped at 7 days) ago. */
function alive(s: StoredSession, now: number): boolean {
  return s.receivedAt + Math.min(s.lifetime, MAX_TICKET_LIFETIME) * 1000 > now;
}

/** `v ?? fallback`, checked to be a positive integer. */
function positiveInt(v: number | undefined, fallback: number, what: string): number {
  const n = v ?? fallback;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
    throw new TlsMisuseError(`tls: MemorySessionStore: ${what} must be a positive integer, got ${String(n)}`);
  }
  return n;
}

/**
 * A bounded in-memory {@link SessionStore}, the client's default (one per options object).
 *
 * Sessions are kept per key in order of `receivedAt`; {@link take} returns the newest
 * unexpired one and drops the expired ones it passes. At most `maxKeys` keys are kept (the
 * one least recently put to goes first) and at most `perKey` sessions per key (the oldest goes
 * first), so memory stays bounded whatever servers send. A session with a lifetime of 0 is not
 * kept ("the ticket should be discarded immediately", RFC 8446 section 4.6.1), nor kept for
 * more than 7 days whatever its lifetime says.
 */
export class MemorySessionStore implements SessionStore {
  /** The most keys kept. */
  readonly maxKeys: number;
  /** The most sessions kept per key. */
  readonly perKey: number;
  /** Sessions by key, oldest `receivedAt` first; the map's order is the order of the last put. */
  private readonly sessions = new Map<string, StoredSession[]>();

  /** Throws TlsMisuseError when `maxKeys` or `perKey` is not a positive integer. */
  constructor(o: MemorySessionStoreOptions = {}) {
    this.maxKeys = positiveInt(o.maxKeys, 256, 'maxKeys');
    this.perKey = positiveInt(o.perKey, 4, 'perKey');
  }

  /** The number of sessions held, over all keys. */
  get size(): number {
    let n = 0;
    for (const list of this.sessions.values()) n += list.length;
    return n;
  }

  /**
   * Keeps `session` under `key` (the store keeps the object itself: do not modify it
   * afterwards). Sessions of that key already expired at `session.receivedAt` are dropped.
   */
  put(key: string, session: StoredSession): void {
    if (!(session.lifetime > 0)) return;
    const list = (this.sessions.get(key) ?? []).filter((s) => alive(s, session.receivedAt));
    let at = list.length;
    while (at > 0 && list[at - 1]!.receivedAt > session.receivedAt) at--;
    list.splice(at, 0, session);
    if (list.length > this.perKey) list.splice(0, list.length - this.perKey);
    this.sessions.delete(key);
    this.sessions.set(key, list);
    while (this.sessions.size > this.maxKeys) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
    }
  }

  /**
   * Removes and returns the newest session under `key` with `receivedAt + lifetime * 1000 > now`;
   * expired sessions under `key` are dropped. Each session is returned at most once
   * (RFC 8446 appendix C.4).
   */
  take(key: string, now: number): StoredSession | undefined {
    const list = this.sessions.get(key);
    if (list === undefined) return undefined;
    const live = list.filter((s) => alive(s, now));
    const newest = live.pop();
    if (live.length === 0) this.sessions.delete(key);
    else this.sessions.set(key, live);
    return newest;
  }
}

/**
 * Encodes a session for persistence, version byte first. Throws TlsMisuseError for a field out
 * of range (a ticket not 1 to 65535 bytes, or as `encodeTicketState` lists).
 *
 * The result holds the resumption secret: store it as carefully as a private key.
 */
export function encodeStoredSession(s: StoredSession): Uint8Array {
  if (!(s.ticket instanceof Uint8Array) || s.ticket.length < 1 || s.ticket.length > 0xffff) {
    throw new TlsMisuseError('tls: stored session ticket: must be 1 to 65535 bytes');
  }
  const w = new Writer(256);
  w.u8(STORED_SESSION_VERSION);
  w.vec(2, s.ticket);
  writeSessionParameters(w, s, s.receivedAt, 'stored session');
  return w.finish().slice();
}

/**
 * Decodes what {@link encodeStoredSession} produced. Throws TlsMisuseError, saying what was
 * wrong, for an unknown version, a truncated or malformed field, or trailing bytes. The result
 * never shares memory with `b`.
 */
export function decodeStoredSession(b: Uint8Array): StoredSession {
  if (!(b instanceof Uint8Array)) throw new TlsMisuseError('tls: stored session: not a Uint8Array');
  try {
    const r = new Reader(b, 'stored session');
    const version = r.u8();
    if (version !== STORED_SESSION_VERSION) throw new TlsMisuseError(`tls: stored session: unknown version ${version}`);
    const ticket = r.vec(2, 1).slice();
    const { params, time } = readSessionParameters(r, 'stored session');
    r.end();
    return { ticket, ...params, receivedAt: time };
  } catch (e) {
    if (e instanceof TlsMisuseError) throw e;
    const detail = e instanceof Error ? e.message.replace(/^tls: /, '') : String(e);
    throw new TlsMisuseError(`tls: malformed stored session: ${detail}`);
  }
}
