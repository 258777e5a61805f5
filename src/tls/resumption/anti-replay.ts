/**
 * Server-side 0-RTT anti-replay by single-use tickets (RFC 8446 section 8.1): early data
 * carries no proof of freshness, so an attacker may replay a ClientHello with its 0-RTT data;
 * the server must accept 0-RTT for the same ticket at most once (section 8). A ticket whose
 * claim fails still resumes, only without 0-RTT: refusing early data is always safe.
 */
import { toHex } from '../codec/bytes.js';
import { defaultProvider } from '../config.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { TlsMisuseError } from '../errors.js';

/** Decides whether a ticket may still carry 0-RTT data. */
export interface AntiReplay {
  /**
   * True only the first time `id` is claimed while unexpired (`now < expiresAt`, both in
   * milliseconds since the epoch); false for a repeat, for an already-expired claim, and
   * whenever the implementation cannot be sure (it is then the caller's duty to refuse 0-RTT).
   * `id` identifies the ticket, e.g. its bytes as sent in the PSK identity; `expiresAt` is
   * when the ticket expires, after which no claim on it is accepted anyway.
   */
  claim(id: Uint8Array, expiresAt: number, now: number): boolean;
}

/** Options of {@link SingleUseTickets}. */
export interface SingleUseTicketsOptions {
  /** The most claims remembered at once (default 100000); past it new claims are refused. */
  maxEntries?: number;
  /** Supplies SHA-256 for the entry keys; default {@link defaultProvider}. */
  provider?: CryptoProvider;
}

/** Bytes of SHA-256(id) kept as an entry's key. */
const KEY_BYTES = 16;

/**
 * An in-memory {@link AntiReplay}: remembers every claimed ticket until it expires.
 *
 * Entries are keyed by the first 128 bits of SHA-256(id), so an entry costs the same whatever
 * the ticket's length; a collision could only refuse 0-RTT, never accept a replay. At most
 * `maxEntries` are held: a claim that finds the table full first drops the expired entries and,
 * if it is still full, is refused. The sweep runs only when some entry has expired, so a full
 * table of live entries refuses in constant time.
 *
 * It protects a single process. Servers that share ticket keys across processes or machines
 * need an AntiReplay backed by storage they share (RFC 8446 section 8.1), or must not enable
 * 0-RTT.
 */
export class SingleUseTickets implements AntiReplay {
  /** The most claims remembered at once. */
  readonly maxEntries: number;
  private readonly provider: CryptoProvider;
  /** Expiry time by entry key. */
  private readonly entries = new Map<string, number>();
  /** No entry expires before this (a lower bound, exact after a sweep). */
  private earliestExpiry = Infinity;

  /** Throws TlsMisuseError when `maxEntries` is not a positive integer. */
  constructor(o: SingleUseTicketsOptions = {}) {
    const maxEntries = o.maxEntries ?? 100000;
    if (typeof maxEntries !== 'number' || !Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new TlsMisuseError(`tls: SingleUseTickets: maxEntries must be a positive integer, got ${String(maxEntries)}`);
    }
    this.maxEntries = maxEntries;
    this.provider = o.provider ?? defaultProvider();
  }

  /** The number of claims remembered (expired ones count until a sweep drops them). */
  get size(): number {
    return this.entries.size;
  }

  /** See {@link AntiReplay.claim}. */
  claim(id: Uint8Array, expiresAt: number, now: number): boolean {
    if (!(expiresAt > now)) return false; // expired, or NaN
    const key = toHex(this.provider.hash('sha256').digest(id).subarray(0, KEY_BYTES));
    const seen = this.entries.get(key);
    if (seen !== undefined) {
      if (seen > now) return false;
      this.entries.delete(key); // its claim has expired: the slot is free again
    }
    if (this.entries.size >= this.maxEntries) {
      this.sweep(now);
      if (this.entries.size >= this.maxEntries) return false;
    }
    this.entries.set(key, expiresAt);
    if (expiresAt < this.earliestExpiry) this.earliestExpiry = expiresAt;
    return true;
  }

  /** Drops the entries expired at `now`, if any can be. */
  private sweep(now: number): void {
    if (this.earliestExpiry > now) return;
    let earliest = Infinity;
    for (const [key, expiresAt] of this.entries) {
      if (expiresAt <= now) this.entries.delete(key);
      else if (expiresAt < earliest) earliest = expiresAt;
    }
    this.earliestExpiry = earliest;
  }
}
