/**
 * Rotating keys that seal the server's session tickets: self-encrypted, self-authenticated
 * tickets as RFC 8446 section 4.6.1 allows ("The ticket itself is an opaque label. It MAY be
 * either a database lookup key or a self-encrypted and self-authenticated value"), so that a
 * server keeps no per-session state.
 *
 * A ticket is
 *
 *     opaque key_name[16];     // random name of the key that sealed it
 *     opaque nonce[12];        // random AES-GCM nonce
 *     opaque sealed[n + 16];   // AES-256-GCM(plaintext), additional data = key_name
 *
 * The keys live only in memory; nothing here reads a clock or randomness except through the
 * injectable `now` and `random`.
 */
import { equalBytes } from '../codec/bytes.js';
import { defaultProvider } from '../config.js';
import type { AeadKey, CryptoProvider } from '../crypto/provider.js';
import { TlsMisuseError } from '../errors.js';

/** Length of the random key name that starts every ticket. */
export const TICKET_KEY_NAME_LENGTH = 16;

/** Length of the random AES-GCM nonce that follows the key name. */
export const TICKET_NONCE_LENGTH = 12;

/** Bytes a ticket adds to its plaintext: key name, nonce and the 16-byte GCM tag. */
export const TICKET_OVERHEAD = TICKET_KEY_NAME_LENGTH + TICKET_NONCE_LENGTH + 16;

/**
 * The longest ticket: `opaque ticket<1..2^16-1>` in NewSessionTicket (RFC 8446 section 4.6.1)
 * and in a PskIdentity (section 4.2.11).
 */
export const MAX_TICKET_LENGTH = 0xffff;

/** The longest plaintext {@link TicketKeys.seal} accepts, so that the ticket fits {@link MAX_TICKET_LENGTH}. */
export const MAX_TICKET_PLAINTEXT = MAX_TICKET_LENGTH - TICKET_OVERHEAD;

/** The default {@link TicketKeysOptions.rotateAfter}: 12 hours. */
export const DEFAULT_TICKET_ROTATE_AFTER = 12 * 60 * 60 * 1000;

/** Options of {@link TicketKeys}. */
export interface TicketKeysOptions {
  /**
   * Milliseconds after which a new key replaces the current one (default 12 hours). The
   * replaced key still opens tickets until it is `2 * rotateAfter` old, then never again, so
   * ticket lifetimes should not exceed `rotateAfter`: a ticket sealed just before a rotation
   * stays openable for at least `rotateAfter` more.
   */
  rotateAfter?: number;
  /** Supplies AES-256-GCM; default {@link defaultProvider}. */
  provider?: CryptoProvider;
  /** Randomness for key names, keys and nonces; default the provider's `random`. */
  random?: (n: number) => Uint8Array;
  /** Current time in milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
}

/** One ticket key and when it was made. */
interface TicketKey {
  readonly name: Uint8Array;
  readonly key: AeadKey;
  readonly createdAt: number;
}

/**
 * Seals and opens session tickets with AES-256-GCM under rotating in-memory keys.
 *
 * The first key is made lazily, by the first {@link seal}. A seal that finds the current key
 * `rotateAfter` or more milliseconds old first makes a new one; the key it replaces becomes
 * the previous key and still opens tickets. Exactly two keys are kept (current and previous),
 * and a key `2 * rotateAfter` or more old opens nothing, so a ticket is openable for at least
 * `rotateAfter` after it was sealed and at most `2 * rotateAfter`. Ticket lifetimes should
 * therefore not exceed `rotateAfter`.
 *
 * Each ticket gets a fresh random 96-bit nonce; rotation keeps the number of tickets per key
 * far below the 2^32 random-nonce bound of AES-GCM (NIST SP 800-38D section 8.3) for any
 * realistic issue rate.
 *
 * Share one instance between the servers (and connections) that should accept each other's
 * tickets; the default of a server is one per options object.
 */
export class TicketKeys {
  /** Milliseconds after which the current key is replaced (see {@link TicketKeysOptions.rotateAfter}). */
  readonly rotateAfter: number;
  private readonly provider: CryptoProvider;
  private readonly random: (n: number) => Uint8Array;
  private readonly now: () => number;
  private current: TicketKey | undefined;
  private previous: TicketKey | undefined;

  /** Throws TlsMisuseError when `rotateAfter` is not a positive finite number of milliseconds. */
  constructor(o: TicketKeysOptions = {}) {
    const rotateAfter = o.rotateAfter ?? DEFAULT_TICKET_ROTATE_AFTER;
    if (typeof rotateAfter !== 'number' || !Number.isFinite(rotateAfter) || rotateAfter <= 0) {
      throw new TlsMisuseError(`tls: ticket keys: rotateAfter must be a positive number of milliseconds, got ${String(rotateAfter)}`);
    }
    this.rotateAfter = rotateAfter;
    this.provider = o.provider ?? defaultProvider();
    const provider = this.provider;
    this.random = o.random ?? ((n) => provider.random(n));
    this.now = o.now ?? Date.now;
  }

  /**
   * Seals `plaintext` into a ticket of `plaintext.length + TICKET_OVERHEAD` bytes under the
   * current key, rotating first if it is due. Throws TlsMisuseError when the plaintext is
   * longer than {@link MAX_TICKET_PLAINTEXT} (the ticket would not fit its 16-bit length,
   * RFC 8446 section 4.6.1).
   */
  seal(plaintext: Uint8Array): Uint8Array {
    if (plaintext.length > MAX_TICKET_PLAINTEXT) {
      throw new TlsMisuseError(
        `tls: ticket keys: plaintext of ${plaintext.length} bytes makes a ticket longer than ${MAX_TICKET_LENGTH} bytes`,
      );
    }
    const key = this.currentKey(this.now());
    const nonce = this.draw(TICKET_NONCE_LENGTH);
    const sealed = key.key.seal(nonce, key.name, plaintext);
    const out = new Uint8Array(TICKET_KEY_NAME_LENGTH + TICKET_NONCE_LENGTH + sealed.length);
    out.set(key.name, 0);
    out.set(nonce, TICKET_KEY_NAME_LENGTH);
    out.set(sealed, TICKET_KEY_NAME_LENGTH + TICKET_NONCE_LENGTH);
    return out;
  }

  /**
   * The plaintext of a ticket this instance sealed, or undefined when the ticket is too short
   * or too long, names a key that is unknown or `2 * rotateAfter` old, or fails
   * authentication. Never throws: tickets come from the network, and an unusable one just
   * means a full handshake (RFC 8446 section 4.2.11).
   */
  open(ticket: Uint8Array): Uint8Array | undefined {
    if (ticket.length < TICKET_OVERHEAD || ticket.length > MAX_TICKET_LENGTH) return undefined;
    const name = ticket.subarray(0, TICKET_KEY_NAME_LENGTH);
    const now = this.now();
    const key = [this.current, this.previous].find(
      (k) => k !== undefined && equalBytes(k.name, name) && now - k.createdAt < 2 * this.rotateAfter,
    );
    if (key === undefined) return undefined;
    const nonce = ticket.subarray(TICKET_KEY_NAME_LENGTH, TICKET_KEY_NAME_LENGTH + TICKET_NONCE_LENGTH);
    try {
      return key.key.open(nonce, key.name, ticket.subarray(TICKET_KEY_NAME_LENGTH + TICKET_NONCE_LENGTH)) ?? undefined;
    } catch {
      return undefined;
    }
  }

  /** The key to seal with at `now`, made or rotated as needed. */
  private currentKey(now: number): TicketKey {
    const current = this.current;
    if (current !== undefined && now - current.createdAt < this.rotateAfter) return current;
    // A replaced key that is already 2 * rotateAfter old could never open anything: drop it.
    this.previous = current !== undefined && now - current.createdAt < 2 * this.rotateAfter ? current : undefined;
    const name = this.draw(TICKET_KEY_NAME_LENGTH);
    const key = this.provider.aead('aes-256-gcm').importKey(this.draw(32));
    this.current = { name, key, createdAt: now };
    return this.current;
  }

  /** `n` bytes from `random`, checked and copied (the caller's buffer may be reused). */
  private draw(n: number): Uint8Array {
    const b = this.random(n);
    if (!(b instanceof Uint8Array) || b.length !== n) {
      throw new TlsMisuseError(`tls: ticket keys: random(${n}) returned ${b instanceof Uint8Array ? `${b.length} bytes` : String(b)}`);
    }
    return b.slice();
  }
}
