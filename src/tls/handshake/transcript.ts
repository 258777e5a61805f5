/**
 * The handshake transcript (RFC 8446 section 4.4.1): the running hash of every handshake
 * message, with the HelloRetryRequest rewrite of ClientHello1 into a synthetic message_hash.
 */
import { HandshakeType } from '../constants.js';
import type { CryptoProvider, Hash, HashContext, HashName } from '../crypto/provider.js';
import { TlsMisuseError } from '../errors.js';

/** Accumulates handshake messages; hashes them once the cipher suite fixes the hash. */
export class Transcript {
  private pending: Uint8Array[] = [];
  private hashFn: Hash | undefined;
  private ctx: HashContext | undefined;

  constructor(private readonly provider: CryptoProvider) {}

  /** Adds one whole handshake message (header included). */
  add(message: Uint8Array): void {
    if (this.ctx) this.ctx.update(message);
    else this.pending.push(message.slice());
  }

  /** Fixes the hash function (from the negotiated suite) and hashes what was held back. */
  start(hash: HashName): void {
    if (this.ctx) {
      if (this.hashFn!.name !== hash) throw new TlsMisuseError(`tls: transcript hash already ${this.hashFn!.name}, not ${hash}`);
      return;
    }
    this.hashFn = this.provider.hash(hash);
    this.ctx = this.hashFn.create();
    for (const m of this.pending) this.ctx.update(m);
    this.pending = [];
  }

  /** The hash length, once started. */
  get hashLength(): number {
    return this.started().outputLength;
  }

  /** The transcript hash of everything added so far. */
  current(): Uint8Array {
    this.started();
    return this.ctx!.clone().digest();
  }

  /**
   * The transcript hash as if `partial` (bytes of a message not yet complete, such as a
   * ClientHello truncated before its PSK binders, RFC 8446 section 4.2.11.2) followed what was
   * added so far. Nothing is added.
   */
  hashWith(partial: Uint8Array): Uint8Array {
    this.started();
    const c = this.ctx!.clone();
    c.update(partial);
    return c.digest();
  }

  /** An independent copy: later additions to either do not affect the other. */
  clone(): Transcript {
    const t = new Transcript(this.provider);
    t.hashFn = this.hashFn;
    t.ctx = this.ctx?.clone();
    t.pending = this.pending.slice();
    return t;
  }

  /** True once {@link start} fixed the hash. */
  get isStarted(): boolean {
    return this.hashFn !== undefined;
  }

  /**
   * Replaces ClientHello1 by `message_hash(254) 00 00 Hash.length Hash(ClientHello1)` after a
   * HelloRetryRequest (RFC 8446 section 4.4.1). Call after {@link start}, before adding the HRR.
   */
  rewriteForHelloRetry(): void {
    const h = this.started();
    const digest = this.current();
    this.ctx = h.create();
    this.ctx.update(Uint8Array.of(HandshakeType.message_hash, 0, 0, digest.length));
    this.ctx.update(digest);
  }

  private started(): Hash {
    if (!this.hashFn) throw new TlsMisuseError('tls: transcript hash used before the cipher suite was known');
    return this.hashFn;
  }
}
