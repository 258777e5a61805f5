/**
 * The reactive core shared by {@link tlsClient} and {@link tlsServer}: it drives one sans-I/O
 * engine ({@link TlsConnection}) between a ciphertext Duplex below and a plaintext Duplex above.
 *
 * Rules (DESIGN.md, "The transport type"):
 * - Reading: the layer pulls ciphertext on its own, one chunk credit at a time, whenever the
 *   engine wants input: during the handshake, after control records, and while decrypted
 *   plaintext is under `readHighWaterMark`. It never waits for user demand to make progress.
 *   Each user credit releases one plaintext chunk (one record's content).
 * - Writing: plaintext is held in the layer and handed to the engine only after the handshake
 *   (or before it, up to the engine's `earlyDataRoom`, when a client may send 0-RTT early data)
 *   and only while the lower `writable$` is true, at most {@link WRITE_BATCH} bytes (four full
 *   records) at a time, which the engine seals into one ciphertext chunk: one lower write,
 *   one socket write, for up to four records. Control records
 *   (handshake flights, alerts, KeyUpdate, close_notify) are handed down whenever the engine
 *   produces them (they bypass the lower `writable$`; they are small and finite).
 * - Closing: completing the plaintext write sends close_notify and then, at once, completes
 *   the ciphertext write (FIN). The read side keeps working (TLS 1.3 half-close, RFC 8446
 *   section 6.1). The plaintext read completes on the peer's close_notify.
 *
 * @module
 */
import { Observable, Subject, Subscriber, type Subscription } from 'rxjs';
import { invalidCredit, isValidCredit } from '../sources/credit.js';
import { ReadySignal } from '../sources/ready-signal.js';
import { makeDuplex, type Duplex } from '../sources/duplex.js';
import type { TlsConnection } from '../tls/connection.js';
import { AlertDescription } from '../tls/constants.js';
import { TlsAlertError, TlsError, TlsMisuseError, TlsTruncationError } from '../tls/errors.js';
import type { ResolvedLayerOptions } from './tls-options.js';
import type { SessionInfo, TlsEvent } from '../tls/session.js';
import type { TlsDuplex, TlsStats } from './tls-duplex.js';

/**
 * Largest plaintext handed to the engine at once: four full records (RFC 8446 section 5.1),
 * sealed back to back into one chunk. Fewer, larger lower writes cost fewer system calls; the
 * lower layer's write buffer may go past its high mark by one such chunk (64 KiB + 88 bytes).
 */
const WRITE_BATCH = 4 * 16384;

/**
 * Runs a TLS engine over `lower` and returns the plaintext side. Nothing happens until the
 * first subscription to `read`, `write`, `writable$` or `session$`; then `createEngine` is
 * called and the layer subscribes to the lower read (with its own demand), write and
 * `writable$`. It stays up until both directions are closed or the connection fails.
 * Unsubscribing from everything (rather than the layer ending a subscription) aborts it: the
 * engine sends user_canceled and close_notify (unless close_notify went out already), then FIN,
 * and later subscriptions error with that TlsAlertError.
 *
 * Errors: invalid input from the peer sends the engine's alert, then FIN, and errors the read,
 * the write, `writable$`, `events$` and (before the handshake completes) `session$` with the TlsError. A
 * transport EOF without close_notify errors only the read (TlsTruncationError, after the buffered
 * plaintext), or completes it with `allowTruncation`; during the handshake it fails everything.
 *
 * ```
 * lower read:   -hh-c--c--c---------n|    ciphertext, pulled by the layer (h: handshake, n: close_notify)
 * session$:     --(s|)
 * user demand:  ----------1-----2
 * plain read:   ----------a-----(bc)|     one chunk per credit; completes on close_notify
 * ```
 *
 * @example
 * const tls = tlsLayer(transport, () => new TlsClient(config), splitLayerOptions(options).layer);
 */
export function tlsLayer(lower: Duplex<Uint8Array, Uint8Array>, createEngine: () => TlsConnection, options: ResolvedLayerOptions): TlsDuplex {
  return openTlsLayer(lower, createEngine, options).duplex;
}

/**
 * A TLS layer ({@link tlsLayer}) together with a way to act on its engine: how a role adds its
 * own operations to the {@link TlsDuplex} (the server's `requestCertificate()`).
 */
export interface TlsLayerHandle<E extends TlsConnection> {
  /** The plaintext side, as {@link tlsLayer} returns it. */
  readonly duplex: TlsDuplex;
  /**
   * Runs `op` on the live engine, then hands down what it queued. Throws, without running it,
   * TlsMisuseError naming `what` before the connection started, and the connection's failure
   * once it failed; whatever `op` throws (the engine's TlsMisuseError) is thrown as is.
   */
  operate<T>(what: string, op: (engine: E) => T): T;
}

/**
 * {@link tlsLayer}, plus {@link TlsLayerHandle.operate} on the engine that `createEngine` makes.
 *
 * @example
 * const { duplex, operate } = openTlsLayer(lower, () => new TlsServer(config), layerOptions);
 * const requestCertificate = () => operate('requestCertificate()', (e) => e.requestCertificate());
 */
export function openTlsLayer<E extends TlsConnection>(
  lower: Duplex<Uint8Array, Uint8Array>,
  createEngine: () => E,
  options: ResolvedLayerOptions,
): TlsLayerHandle<E> {
  const core = new TlsLayerCore(lower, createEngine, options);
  const duplex: TlsDuplex = Object.assign(
    makeDuplex<Uint8Array, Uint8Array>({
      read: (demand) => core.read(demand),
      writable$: new Observable<boolean>((sub) => core.subscribeWritable(sub)),
      write: (source) => core.write(source),
      stats: () => core.stats(),
    }),
    {
      stats: () => core.stats(),
      session$: new Observable<SessionInfo>((sub) => core.subscribeSession(sub)),
      updateKeys: (requestPeer?: boolean) => core.updateKeys(requestPeer ?? false),
      exportKeyingMaterial: (length: number, label: string, context?: Uint8Array) => core.exportKeyingMaterial(length, label, context),
      events$: new Observable<TlsEvent>((sub) => core.subscribeEvents(sub)),
    },
  );
  return { duplex, operate: (what, op) => core.operate(what, (e) => op(e as E)) };
}

/** One user subscription; `ended` is set before the layer itself completes or errors it. */
interface Sub<T> {
  readonly sub: Subscriber<T>;
  ended: boolean;
}

type ReadEnd = { kind: 'complete' } | { kind: 'error'; error: unknown };

/** The state machine behind {@link tlsLayer}. Every entry point ends in {@link pump}. */
class TlsLayerCore {
  private engine: TlsConnection | undefined;
  private started = false;
  private failure: unknown;
  private hasFailed = false;
  private finished = false;
  private active = 0;
  private pumping = false;
  private again = false;

  // ciphertext in
  private readonly lowerDemand = new Subject<number>();
  private lowerReadSub: Subscription | undefined;
  private lowerCredits = 0;
  private lowerEof = false;
  private cipherIn: Uint8Array[] = [];
  private cipherInBytes = 0;

  // ciphertext out
  private readonly cipherOut = new Subject<Uint8Array>();
  private lowerWritable = true;
  private finSent = false;
  private lowerWriteDone = false;
  private lowerWritableSub: Subscription | undefined;

  // plaintext in (to the user)
  private reader: Sub<Uint8Array> | undefined;
  private credits = 0;
  private readEnd: ReadEnd | undefined;

  // plaintext out (from the user)
  private writer: Sub<never> | undefined;
  private plainOut: Uint8Array[] = [];
  private plainOutBytes = 0;
  private writeSourceDone = false;
  private closeWriteCalled = false;

  private readonly writableSubs = new Set<Sub<boolean>>();
  /** Plaintext write readiness; orders changes made from inside a subscriber's callback. */
  private readonly writable = new ReadySignal(true);
  private readonly sessionSubs = new Set<Sub<SessionInfo>>();
  private session: SessionInfo | undefined;
  /** events$ subscribers: passive, they neither start nor retain the connection. */
  private readonly eventSubs = new Set<Sub<TlsEvent>>();

  constructor(
    private readonly lower: Duplex<Uint8Array, Uint8Array>,
    private readonly createEngine: () => TlsConnection,
    private readonly opts: ResolvedLayerOptions,
  ) {}

  // ------------------------------------------------------------------ user entry points

  read(demand: Observable<number>): Observable<Uint8Array> {
    return new Observable<Uint8Array>((sub) => {
      if (this.reader) return sub.error(new TlsMisuseError('tls: read() already has a subscriber; one reader at a time'));
      if (this.hasFailed) return sub.error(this.failure);
      const rec: Sub<Uint8Array> = { sub, ended: false };
      this.reader = rec;
      this.credits = 0;
      this.retain();
      // A Subscriber made first can be closed even while `demand` emits synchronously.
      const demandSub = new Subscriber<number>({
        next: (n: number) => {
          if (this.reader !== rec) return;
          if (!isValidCredit(n)) return this.error(rec, invalidCredit('tls', n));
          this.credits += n;
          this.pump();
        },
        error: (e: unknown) => this.error(rec, e),
        complete: () => undefined, // credits already given stay valid
      });
      demand.subscribe(demandSub);
      this.start();
      this.pump();
      return () => {
        demandSub.unsubscribe();
        if (this.reader === rec) this.reader = undefined;
        this.release(rec);
      };
    });
  }

  write(source: Observable<Uint8Array>): Observable<never> {
    return new Observable<never>((sub) => {
      if (this.writer) return sub.error(new TlsMisuseError('tls: write() already has a subscriber; one writer at a time'));
      if (this.hasFailed) return sub.error(this.failure);
      if (this.writeSourceDone) return sub.error(new TlsMisuseError('tls: write() after the write side was closed'));
      const rec: Sub<never> = { sub, ended: false };
      this.writer = rec;
      this.retain();
      this.start();
      const sourceSub = new Subscriber<Uint8Array>({
        next: (chunk: Uint8Array) => this.onPlaintext(rec, chunk),
        error: (e: unknown) => {
          // A broken source leaves the stream incomplete: a fatal alert (not user_canceled, which
          // the engine follows with close_notify) tells the peer, and every direction errors.
          const why = e instanceof Error ? e.message : String(e);
          this.engine?.abort(new TlsAlertError(AlertDescription.internal_error, false, `the plaintext write source failed: ${why}`));
          this.fail(e);
        },
        complete: () => {
          if (this.writer !== rec) return;
          this.writeSourceDone = true;
          this.pump();
        },
      });
      source.subscribe(sourceSub);
      this.pump();
      return () => {
        sourceSub.unsubscribe();
        if (this.writer === rec) this.writer = undefined;
        this.release(rec);
      };
    });
  }

  subscribeWritable(sub: Subscriber<boolean>): (() => void) | void {
    if (this.hasFailed) return sub.error(this.failure);
    if (this.finished) {
      sub.next(this.writable.value);
      return sub.complete();
    }
    const rec: Sub<boolean> = { sub, ended: false };
    this.writableSubs.add(rec);
    this.retain();
    const inner = this.writable.observable.subscribe((w) => sub.next(w));
    this.start();
    this.pump();
    return () => {
      inner.unsubscribe();
      this.writableSubs.delete(rec);
      this.release(rec);
    };
  }

  subscribeSession(sub: Subscriber<SessionInfo>): (() => void) | void {
    if (this.session) {
      sub.next(this.session);
      return sub.complete();
    }
    if (this.hasFailed) return sub.error(this.failure);
    const rec: Sub<SessionInfo> = { sub, ended: false };
    this.sessionSubs.add(rec);
    this.retain();
    this.start();
    this.pump();
    return () => {
      this.sessionSubs.delete(rec);
      this.release(rec);
    };
  }

  subscribeEvents(sub: Subscriber<TlsEvent>): (() => void) | void {
    if (this.hasFailed) return sub.error(this.failure);
    if (this.finished) return sub.complete();
    const rec: Sub<TlsEvent> = { sub, ended: false };
    this.eventSubs.add(rec);
    return () => {
      this.eventSubs.delete(rec);
    };
  }

  stats(): TlsStats {
    const e = this.engine;
    const plaintextBuffered = e ? e.readableBytes : 0;
    return {
      readBuffered: this.cipherInBytes + plaintextBuffered,
      writeBuffered: this.plainOutBytes + (e ? e.pendingOutput : 0),
      plaintextBuffered,
      ciphertextBuffered: this.cipherInBytes,
    };
  }

  updateKeys(requestPeer: boolean): void {
    if (!this.engine) throw new TlsMisuseError('tls: updateKeys() before the handshake completed');
    this.engine.updateKeys(requestPeer);
    this.pump();
  }

  /** See {@link TlsLayerHandle.operate}. */
  operate<T>(what: string, op: (engine: TlsConnection) => T): T {
    if (this.hasFailed) throw this.failure;
    if (!this.engine) throw new TlsMisuseError(`tls: ${what} before the handshake completed`);
    const result = op(this.engine);
    this.pump();
    return result;
  }

  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Uint8Array {
    if (!this.engine) throw new TlsMisuseError('tls: exportKeyingMaterial() before the handshake completed');
    return this.engine.exportKeyingMaterial(length, label, context);
  }

  // ------------------------------------------------------------------ lifecycle

  private retain(): void {
    this.active++;
  }

  /** A user subscription ended; the last one leaving by unsubscribing aborts the connection. */
  private release(rec: Sub<unknown>): void {
    this.active--;
    if (this.active === 0 && !rec.ended && !this.finished && this.engine) this.abort();
  }

  private start(): void {
    if (this.started || this.hasFailed) return;
    this.started = true;
    let engine: TlsConnection;
    try {
      engine = this.createEngine();
    } catch (e) {
      return this.fail(e);
    }
    // Subscribe below first: the engine's first flight must find the ciphertext write open.
    const lower = this.lower;
    lower.write(this.cipherOut).subscribe({
      error: (e) => this.fail(e),
      complete: () => {
        this.lowerWriteDone = true;
        if (!this.finSent) this.fail(new TlsError('tls: the transport ended its write side before close_notify was sent'));
        else this.pump();
      },
    });
    this.lowerWritableSub = lower.writable$.subscribe({
      next: (w) => {
        this.lowerWritable = w;
        this.pump();
      },
      error: (e) => this.fail(e),
    });
    this.lowerReadSub = lower.read(this.lowerDemand).subscribe({
      next: (chunk) => {
        this.lowerCredits--;
        if (chunk.length === 0) return this.pump();
        this.cipherIn.push(chunk);
        this.cipherInBytes += chunk.length;
        this.pump();
      },
      error: (e) => this.fail(e),
      complete: () => {
        this.lowerEof = true;
        this.pump();
      },
    });
    if (!this.hasFailed) this.engine = engine;
  }

  /** Every user subscription left: the engine sends user_canceled and close_notify (unless sent), then FIN. */
  private abort(): void {
    const e = this.engine!;
    if (!e.failure && !e.writeClosed) e.abort();
    this.fail(e.failure ?? new TlsMisuseError('tls: connection aborted: every subscriber unsubscribed'));
  }

  /** Ends the connection with `error`: flushes a queued alert, sends FIN, errors every subscriber. */
  private fail(error: unknown): void {
    if (this.hasFailed) return;
    this.hasFailed = true;
    this.failure = error;
    this.finished = true;
    const e = this.engine;
    if (e && !this.finSent && !this.lowerWriteDone) {
      for (let c = e.takeOutput(); c; c = e.takeOutput()) this.cipherOut.next(c);
      this.finSent = true;
      this.cipherOut.complete();
    }
    this.stopLower();
    if (this.reader) this.error(this.reader, error);
    if (this.writer) this.error(this.writer, error);
    for (const s of [...this.sessionSubs]) this.error(s, error);
    for (const s of [...this.writableSubs]) this.error(s, error);
    for (const s of [...this.eventSubs]) this.error(s, error);
    this.eventSubs.clear();
  }

  /** Both directions closed cleanly. */
  private finish(): void {
    this.finished = true;
    this.stopLower();
    for (const s of [...this.writableSubs]) this.complete(s);
    for (const s of [...this.eventSubs]) this.complete(s);
    this.eventSubs.clear();
  }

  /** Stops reading from below and watching its readiness; the lower write ends by itself after FIN. */
  private stopLower(): void {
    this.lowerReadSub?.unsubscribe();
    this.lowerReadSub = undefined;
    this.lowerWritableSub?.unsubscribe();
    this.lowerWritableSub = undefined;
  }

  private complete<T>(rec: Sub<T>): void {
    if (rec.ended) return;
    rec.ended = true;
    rec.sub.complete();
  }

  private error<T>(rec: Sub<T>, error: unknown): void {
    if (rec.ended) return;
    rec.ended = true;
    rec.sub.error(error);
  }

  // ------------------------------------------------------------------ the pump

  private onPlaintext(rec: Sub<never>, chunk: Uint8Array): void {
    if (this.writer !== rec || chunk.length === 0) return;
    const max = this.opts.maxWriteBuffer;
    if (this.plainOutBytes + chunk.length > max) {
      return this.error(
        rec,
        new TlsMisuseError(
          `tls: write buffer limit maxWriteBuffer=${max} exceeded: ${this.plainOutBytes} bytes pending, chunk of ${chunk.length}; wait for writable$`,
        ),
      );
    }
    this.plainOut.push(chunk);
    this.plainOutBytes += chunk.length;
    this.updateWritable(); // at once, even inside a pump: a writer looping on writable$ must see false
    this.pump();
  }

  /** Runs {@link step} until nothing changes; re-entrant calls just ask for another round. */
  private pump(): void {
    if (!this.engine) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        try {
          this.step(this.engine);
        } catch (err) {
          this.fail(err);
        }
      } while (this.again && !this.hasFailed);
    } finally {
      this.pumping = false;
    }
  }

  private step(e: TlsConnection): void {
    if (this.hasFailed) return;
    this.feed(e);
    for (const ev of e.takeEvents()) {
      if (ev.type === 'handshake') this.onSession(ev.session);
      for (const s of [...this.eventSubs]) if (!s.ended) s.sub.next(ev);
    }
    this.checkEndOfInput(e);
    if (this.hasFailed) return;
    this.writePlaintext(e);
    this.flushOutput(e);
    this.deliverReads(e);
    this.pull(e);
    this.updateWritable();
    // Finished first: a writer that unsubscribes from everything else when its write completes
    // (forward() does) must find the connection closed cleanly, not abort it.
    if (!this.finished && this.readEnd && this.lowerWriteDone) this.finish();
    if (this.lowerWriteDone && this.writer && this.writeSourceDone) this.complete(this.writer);
  }

  /** Hands queued ciphertext to the engine; keeps the rest when its plaintext buffer is full. */
  private feed(e: TlsConnection): void {
    while (this.cipherIn.length > 0) {
      const head = this.cipherIn[0]!;
      const n = e.feed(head);
      this.cipherInBytes -= n;
      if (n < head.length) {
        this.cipherIn[0] = head.subarray(n);
        return;
      }
      this.cipherIn.shift();
    }
  }

  private onSession(session: SessionInfo): void {
    this.session = session;
    for (const s of [...this.sessionSubs]) {
      s.ended = true;
      s.sub.next(session);
      s.sub.complete();
    }
  }

  /** Transport EOF or close_notify: decides how the plaintext read ends. */
  private checkEndOfInput(e: TlsConnection): void {
    if (this.readEnd) return;
    const eof = this.lowerEof && this.cipherIn.length === 0;
    if (!e.handshakeComplete) {
      if (e.peerClosed) throw new TlsTruncationError('tls: the peer sent close_notify during the handshake');
      if (eof) e.feedEnd(); // throws TlsTruncationError: no close_notify can have come yet
      return;
    }
    if (e.peerClosed) {
      this.readEnd = { kind: 'complete' };
      return;
    }
    if (!eof) return;
    // After the handshake, truncation affects the read side only: writes may go on.
    this.readEnd = this.opts.allowTruncation ? { kind: 'complete' } : { kind: 'error', error: new TlsTruncationError() };
  }

  /** Encrypts held plaintext while the lower layer is writable; then close_notify when asked. */
  private writePlaintext(e: TlsConnection): void {
    if (this.closeWriteCalled) return;
    // Before the handshake completes, only what the client may send as 0-RTT data goes in.
    const early = !e.handshakeComplete;
    if (early && e.earlyDataRoom === 0) return;
    while (this.plainOut.length > 0 && this.lowerWritable && !this.hasFailed) {
      const head = this.plainOut[0]!;
      const max = early ? Math.min(WRITE_BATCH, e.earlyDataRoom) : WRITE_BATCH;
      if (max === 0) return;
      const n = e.write(head.length > max ? head.subarray(0, max) : head);
      if (n === 0) break;
      this.plainOutBytes -= n;
      if (n < head.length) this.plainOut[0] = head.subarray(n);
      else this.plainOut.shift();
      this.flushOutput(e); // may flip lowerWritable synchronously
    }
    if (this.writeSourceDone && this.plainOut.length === 0) {
      this.closeWriteCalled = true;
      e.closeWrite();
    }
  }

  /** Hands every queued record down; after close_notify, completes the ciphertext write (FIN). */
  private flushOutput(e: TlsConnection): void {
    if (this.finSent) {
      while (e.takeOutput()); // nothing may follow FIN
      return;
    }
    for (let c = e.takeOutput(); c; c = e.takeOutput()) this.cipherOut.next(c);
    if (e.writeClosed && !this.finSent) {
      this.finSent = true;
      this.cipherOut.complete();
    }
  }

  /** Releases one plaintext chunk per credit; then ends the read once the buffer is empty. */
  private deliverReads(e: TlsConnection): void {
    if (this.hasFailed) return;
    while (this.reader && this.credits > 0) {
      const c = e.read();
      if (!c) break;
      this.credits--;
      this.reader.sub.next(c);
      this.again = true; // room in the plaintext buffer: feed and pull again
    }
    const end = this.readEnd;
    if (end && this.reader && e.readableBytes === 0) {
      if (end.kind === 'complete') this.complete(this.reader);
      else this.error(this.reader, end.error);
    }
  }

  /** Asks the lower layer for one more chunk when the engine wants input and none is held. */
  private pull(e: TlsConnection): void {
    if (this.lowerEof || this.readEnd || !this.lowerReadSub || this.lowerCredits > 0 || this.cipherIn.length > 0 || !e.wantsInput) return;
    this.lowerCredits = 1;
    this.lowerDemand.next(1);
  }

  /** Plaintext `writable$` with hysteresis over the bytes pending in this layer. */
  private updateWritable(): void {
    const pending = this.plainOutBytes + (this.engine?.pendingOutput ?? 0);
    const w = this.writable.value;
    this.writable.set(w ? pending < this.opts.writeHighWaterMark : pending <= this.opts.writeLowWaterMark);
  }
}
