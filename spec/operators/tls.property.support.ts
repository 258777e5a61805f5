/**
 * Support for spec/operators/tls.property.spec.ts: an in-memory identity, seeded randomness, and
 * {@link Endpoint}, a scripted user of one plaintext TlsDuplex that records everything it writes
 * and reads and checks the Duplex contract as it goes (credits, write buffer limit, chunk views).
 */
import { seededRandom } from '../support/identity.js';
import { createHash } from 'node:crypto';
import { Observable, Subject, type Subscriber, type Subscription } from 'rxjs';
import type { TlsDuplex } from '../../src/operators/tls-duplex.js';
import { makeDuplex, type Duplex } from '../../src/sources/duplex.js';
import { CipherSuite } from '../../src/tls/constants.js';
import { generateSigningKey } from '../../src/tls/crypto/generate.js';
import type { SigningKey } from '../../src/tls/crypto/provider.js';
import type { SessionInfo } from '../../src/tls/session.js';
import { selfSignedCertificate } from '../../src/tls/x509/self-signed.js';

/** Largest plaintext of one TLS 1.3 record (RFC 8446 section 5.1). */
export const RECORD = 16384;

/** A server identity made in memory (no openssl), and the pin a client needs to accept it. */
export interface Identity {
  readonly key: SigningKey;
  readonly cert: Uint8Array;
  readonly pin: string;
}

/** Makes a deterministic P-256 identity for `localhost` (fixed key, serial and validity). */
export function makeIdentity(): Identity {
  const key = generateSigningKey('ecdsa-p256', seeded(0x5eed));
  const notBefore = new Date(Date.now() - 3600_000);
  const cert = selfSignedCertificate(key, { commonName: 'localhost', serial: new Uint8Array([1, 2, 3, 4]), notBefore });
  return { key, cert, pin: sha256(cert) };
}

/** SHA-256, hex. */
export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A deterministic `random(n)` (xorshift32), for the engines and for the data written. */
export const seeded = seededRandom;

/** The TLS 1.3 suites the engine offers; each run picks one. */
export const SUITES = [
  CipherSuite.TLS_AES_128_GCM_SHA256,
  CipherSuite.TLS_AES_256_GCM_SHA384,
  CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
] as const;

/** An append-only byte buffer (copies what is appended). */
export class ByteLog {
  private buf = new Uint8Array(1024);
  length = 0;

  append(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + chunk.length));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(chunk, this.length);
    this.length += chunk.length;
  }

  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Index of the first byte where `a` and `b` differ, or -1 when equal (lengths included). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Limits an {@link Endpoint} checks its TlsDuplex against. */
export interface EndpointLimits {
  /** The layer's `maxWriteBuffer`: `stats().writeBuffered` must never exceed it. */
  readonly maxWriteBuffer: number;
  /** The layer's `readHighWaterMark`: decrypted plaintext held may overshoot it by one record at most. */
  readonly readHighWaterMark: number;
  /** The layer's `writeHighWaterMark`: `writable$` may say true only below it. */
  readonly writeHighWaterMark: number;
}

/**
 * One side of a connection, driven step by step by a script: a write source with an intent queue
 * (bytes the script asked for, emitted only while `writable$` is true and the writer is not
 * paused), a reader whose credits come one command at a time, and records of everything.
 *
 * Contract checks made as it goes (collected in `violations`, asserted by the caller):
 * - the read never emits more chunks than the credits given to its subscription;
 * - every plaintext chunk is non-empty and at most one record;
 * - `writable$` says true only while `stats().writeBuffered` is below `writeHighWaterMark`;
 * - `stats().writeBuffered` never exceeds `maxWriteBuffer`, and decrypted plaintext held never
 *   exceeds `readHighWaterMark` plus one record.
 */
export class Endpoint {
  /** Every byte handed to the write source, in order. */
  readonly sent = new ByteLog();
  /** Every byte the read emitted, copied on arrival, in order. */
  readonly received = new ByteLog();
  /** The chunks the read emitted, as emitted (views): must still hold the same bytes at the end. */
  readonly receivedViews: Uint8Array[] = [];
  readonly violations: string[] = [];
  /** Largest `stats().writeBuffered` seen right after a chunk was written. */
  maxWriteBuffered = 0;
  /** Largest decrypted plaintext held, seen by {@link checkBuffers}. */
  maxPlaintextBuffered = 0;

  session: SessionInfo | undefined;
  writable = false;
  paused = false;
  /** `end()` was called: the source completes once the intent queue is empty. */
  ending = false;
  sourceCompleted = false;
  writeDone = false;
  readDone = false;
  writableDone = false;
  errors: string[] = [];
  creditsGiven = 0;
  chunksRead = 0;
  resubscriptions = 0;
  keyUpdates = 0;

  private readonly intent: Array<{ left: number; chunk: number }> = [];
  private source: Subscriber<Uint8Array> | undefined;
  private readonly subs: Subscription[] = [];
  private readSub: Subscription | undefined;
  private demand = new Subject<number>();
  private subCredits = 0;
  private subChunks = 0;
  private pumping = false;
  private readonly data: (n: number) => Uint8Array;

  constructor(
    readonly name: string,
    readonly tls: TlsDuplex,
    private readonly limits: EndpointLimits,
    dataSeed: number,
  ) {
    this.data = seeded(dataSeed);
  }

  /** Subscribes to writable$, session$, write and read (no credit yet). */
  start(): void {
    this.subs.push(
      this.tls.writable$.subscribe({
        next: (w) => {
          this.writable = w;
          const wb = this.tls.stats().writeBuffered;
          if (w && wb >= this.limits.writeHighWaterMark) {
            this.violation(`writable$ emitted true with writeBuffered ${wb} >= writeHighWaterMark ${this.limits.writeHighWaterMark}`);
          }
          if (w) this.pump();
        },
        error: (e: unknown) => this.errors.push(`${this.name} writable$: ${describe(e)}`),
        complete: () => (this.writableDone = true),
      }),
    );
    this.subs.push(
      this.tls.session$.subscribe({
        next: (s) => (this.session = s),
        error: (e: unknown) => this.errors.push(`${this.name} session$: ${describe(e)}`),
      }),
    );
    this.subs.push(
      this.tls
        .write(
          new Observable<Uint8Array>((sub) => {
            this.source = sub;
            this.pump();
            return () => {
              if (this.source === sub) this.source = undefined;
            };
          }),
        )
        .subscribe({
          error: (e: unknown) => this.errors.push(`${this.name} write: ${describe(e)}`),
          complete: () => (this.writeDone = true),
        }),
    );
    this.subscribeRead();
  }

  /** Asks for `bytes` more bytes, written in chunks of `chunk` while writable and not paused. */
  write(bytes: number, chunk: number): void {
    if (this.ending || bytes <= 0) return;
    this.intent.push({ left: bytes, chunk: Math.max(1, chunk) });
    this.pump();
  }

  /**
   * Writes up to `bytes` at once, ignoring writable$ and pauses, but never past the hard limit:
   * at most `maxWriteBuffer - stats().writeBuffered` bytes (the layer must accept them all).
   */
  burst(bytes: number): void {
    const s = this.source;
    if (!s || this.sourceCompleted) return;
    const n = Math.min(bytes, this.limits.maxWriteBuffer - this.tls.stats().writeBuffered);
    if (n > 0) this.emit(s, n);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  /** Gives `n` read credits to the current read subscription. */
  credit(n: number): void {
    if (this.readDone) return;
    this.subCredits += n;
    this.creditsGiven += n;
    this.demand.next(n);
  }

  /** Unsubscribes the read and subscribes a new one (with no credit): it must continue exactly where the last stopped. */
  resubscribe(): void {
    if (this.readDone) return;
    this.resubscriptions++;
    this.readSub?.unsubscribe();
    this.subscribeRead();
  }

  /** Sends a KeyUpdate, when that is legal (handshake done, our write side not closing). */
  keyUpdate(requestPeer: boolean): void {
    if (!this.session || this.sourceCompleted || this.errors.length > 0) return;
    try {
      this.tls.updateKeys(requestPeer);
      this.keyUpdates++;
    } catch (e) {
      this.errors.push(`${this.name} updateKeys: ${describe(e)}`);
    }
  }

  /** No more write commands: the source completes (close_notify) once the intent queue is written. */
  end(): void {
    this.ending = true;
    this.pump();
  }

  /** Bytes asked for and not yet written. */
  get intentBytes(): number {
    return this.intent.reduce((a, x) => a + x.left, 0);
  }

  /** Checks the layer's buffers against their bounds; call between steps. */
  checkBuffers(): void {
    const st = this.tls.stats();
    this.maxPlaintextBuffered = Math.max(this.maxPlaintextBuffered, st.plaintextBuffered);
    if (st.plaintextBuffered > this.limits.readHighWaterMark + RECORD) {
      this.violation(`plaintextBuffered ${st.plaintextBuffered} > readHighWaterMark ${this.limits.readHighWaterMark} + one record`);
    }
    if (st.writeBuffered > this.limits.maxWriteBuffer) {
      this.violation(`writeBuffered ${st.writeBuffered} > maxWriteBuffer ${this.limits.maxWriteBuffer}`);
    }
  }

  /** Unsubscribes everything still subscribed (cleanup; aborts the connection if it is still up). */
  stop(): void {
    this.readSub?.unsubscribe();
    for (const s of this.subs) s.unsubscribe();
  }

  /** A one-line summary for failure messages. */
  summary(): string {
    const st = this.tls.stats();
    return (
      `${this.name}: sent ${this.sent.length} received ${this.received.length} intent ${this.intentBytes} ` +
      `writable ${this.writable} paused ${this.paused} ending ${this.ending} sourceCompleted ${this.sourceCompleted} ` +
      `writeDone ${this.writeDone} readDone ${this.readDone} writableDone ${this.writableDone} session ${!!this.session} ` +
      `credits ${this.creditsGiven} chunks ${this.chunksRead} stats ${JSON.stringify(st)} errors ${JSON.stringify(this.errors)}`
    );
  }

  // ---------------------------------------------------------------------------------------

  private subscribeRead(): void {
    this.demand = new Subject<number>();
    this.subCredits = 0;
    this.subChunks = 0;
    this.readSub = this.tls.read(this.demand).subscribe({
      next: (chunk) => {
        this.subChunks++;
        this.chunksRead++;
        if (this.subChunks > this.subCredits) this.violation(`read emitted chunk #${this.subChunks} with only ${this.subCredits} credits`);
        if (chunk.length === 0 || chunk.length > RECORD) this.violation(`read emitted a chunk of ${chunk.length} bytes`);
        this.received.append(chunk);
        this.receivedViews.push(chunk);
      },
      error: (e: unknown) => this.errors.push(`${this.name} read: ${describe(e)}`),
      complete: () => (this.readDone = true),
    });
  }

  /** Emits from the intent queue while the writer may write; completes the source after `end()`. */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      for (;;) {
        const s = this.source;
        if (!s || s.closed || this.sourceCompleted) return;
        const head = this.intent[0];
        if (!head) {
          if (this.ending) {
            this.sourceCompleted = true;
            s.complete();
          }
          return;
        }
        if (this.paused || !this.writable) return;
        // A polite writer trims a chunk to the room below the hard limit, but trusts writable$ for
        // at least one byte: true means the buffer is below its high mark, which is <= maxWriteBuffer.
        const room = this.limits.maxWriteBuffer - this.tls.stats().writeBuffered;
        const n = Math.min(head.left, head.chunk, Math.max(1, room));
        head.left -= n;
        if (head.left === 0) this.intent.shift();
        this.emit(s, n); // may turn writable false synchronously
      }
    } finally {
      this.pumping = false;
    }
  }

  private emit(s: Subscriber<Uint8Array>, n: number): void {
    const chunk = this.data(n); // a fresh buffer each time: written chunks are never reused
    this.sent.append(chunk);
    s.next(chunk);
    const wb = this.tls.stats().writeBuffered;
    this.maxWriteBuffered = Math.max(this.maxWriteBuffered, wb);
    if (wb > this.limits.maxWriteBuffer) this.violation(`writeBuffered ${wb} > maxWriteBuffer ${this.limits.maxWriteBuffer} after a write`);
  }

  private violation(what: string): void {
    if (this.violations.length < 20) this.violations.push(`${this.name}: ${what}`);
  }
}

/** Error class and message, for failure reports. */
export function describe(e: unknown): string {
  return e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e);
}

/** How {@link rechunk} re-cuts the ciphertext it reads. */
export interface RechunkOptions {
  /** Seeds the cut points. */
  readonly seed: number;
  /** Bytes it reads ahead from below, like a socket's read buffer: it pulls while it holds fewer. */
  readonly hold: number;
  /** Each chunk it emits is 1 to `maxOut` bytes: one piece of a chunk from below, or several joined. */
  readonly maxOut: number;
}

/**
 * Wraps a ciphertext Duplex so that its read cuts the byte stream at random points: a chunk may
 * split a record anywhere (a header byte by byte) or join the end of one record, whole records
 * and the start of another, as TCP does. It reads ahead at most `hold` bytes (plus one chunk) and
 * emits one chunk per credit, so read backpressure still reaches the Duplex below. Writes and
 * `writable$` pass through.
 */
export function rechunk(lower: Duplex<Uint8Array, Uint8Array>, o: RechunkOptions): Duplex<Uint8Array, Uint8Array> {
  const random = seeded(o.seed);
  const queue: Uint8Array[] = []; // read ahead, kept across subscriptions
  let held = 0;
  return makeDuplex<Uint8Array, Uint8Array>({
    writable$: lower.writable$,
    write: (source) => lower.write(source),
    stats: () => ({ readBuffered: lower.stats().readBuffered + held, writeBuffered: lower.stats().writeBuffered }),
    read: (demand) =>
      new Observable<Uint8Array>((sub) => {
        let credits = 0;
        let pulling = false;
        let end: { error?: unknown } | undefined;
        let busy = false;
        let again = false;
        const lowerDemand = new Subject<number>();
        const take = (n: number): Uint8Array => {
          const head = queue[0]!;
          if (head.length > n) {
            queue[0] = head.subarray(n);
            held -= n;
            return head.subarray(0, n);
          }
          const out = new Uint8Array(Math.min(n, held));
          let off = 0;
          while (off < out.length) {
            const c = queue[0]!;
            const k = Math.min(c.length, out.length - off);
            out.set(c.subarray(0, k), off);
            off += k;
            if (k === c.length) queue.shift();
            else queue[0] = c.subarray(k);
          }
          held -= out.length;
          return out;
        };
        const step = (): void => {
          if (busy) {
            again = true;
            return;
          }
          busy = true;
          try {
            do {
              again = false;
              while (credits > 0 && held > 0 && !sub.closed) {
                const r = random(3);
                const n = 1 + (((r[0]! << 16) | (r[1]! << 8) | r[2]!) % o.maxOut);
                credits--;
                sub.next(take(n));
              }
              if (held === 0 && end) {
                if ('error' in end) sub.error(end.error);
                else sub.complete();
                return;
              }
              if (!end && !pulling && held < o.hold) {
                pulling = true;
                lowerDemand.next(1);
              }
            } while (again);
          } finally {
            busy = false;
          }
        };
        const lowerSub = lower.read(lowerDemand).subscribe({
          next: (c) => {
            pulling = false;
            if (c.length > 0) {
              queue.push(c);
              held += c.length;
            }
            step();
          },
          error: (error: unknown) => {
            end = { error };
            step();
          },
          complete: () => {
            end = {};
            step();
          },
        });
        const demandSub = demand.subscribe((n) => {
          credits += n;
          step();
        });
        step();
        return () => {
          demandSub.unsubscribe();
          lowerSub.unsubscribe();
        };
      }),
  });
}
