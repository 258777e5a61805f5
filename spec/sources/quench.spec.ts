/**
 * Read quench over real 127.0.0.1 sockets: a TLS server that gives no read credit stops its
 * socket reads (the TCP window closes and the client's plaintext writable$ turns false), holds
 * a bounded number of bytes, and keeps writing to the client meanwhile. Then it gives credit
 * and everything arrives intact.
 *
 * ChaCha20-Poly1305 (noble, about 90 MB/s here) keeps 64 MiB up plus 16 MiB down to a few
 * seconds; the whole test takes about 5 s on this machine.
 */
import { opensslIdentity } from '../support/identity.js';
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { Observable, Subject, firstValueFrom, of, type Subscription } from 'rxjs';
import { connect } from '../../src/sources/connect.js';
import { listen } from '../../src/sources/listen.js';
import type { SocketDuplex } from '../../src/sources/from-socket.js';
import { tlsClient } from '../../src/operators/tls-client.js';
import { tlsServer } from '../../src/operators/tls-server.js';
import type { TlsDuplex } from '../../src/operators/tls-duplex.js';
import { CipherSuite } from '../../src/tls/constants.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const UP = 64 * MiB; // client → server
const DOWN = 16 * MiB; // server → client
const CHUNK = 64 * KiB;
const RECORD = 16 * KiB + 256; // one TLS record's plaintext plus overhead
const SOCKET_READ_HWM = 16 * KiB; // the accepted socket's readableHighWaterMark
const TLS_READ_HWM = 32 * KiB; // the server layer's readHighWaterMark
const KERNEL_READ = 64 * KiB; // Node reads the kernel socket 64 KiB at a time

let certPem = '';
let keyPem = '';
let pin = '';

beforeAll(() => {
  ({ certPem, keyPem, pin } = opensslIdentity());
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

/** A sender that writes `total` bytes of pattern data while `d.writable$` is true. */
class PacedSource {
  sent = 0;
  readonly hash: Hash = createHash('sha256');
  private readonly base = randomBytes(MiB);
  readonly source: Observable<Uint8Array>;

  constructor(d: TlsDuplex, total: number) {
    this.source = new Observable<Uint8Array>((sub) => {
      let writable = false;
      let looping = false;
      const loop = () => {
        if (looping) return;
        looping = true;
        while (writable && this.sent < total && !sub.closed) {
          const off = this.sent % MiB;
          const chunk = new Uint8Array(this.base.subarray(off, off + CHUNK)); // a fresh buffer each time
          new DataView(chunk.buffer).setUint32(0, this.sent / CHUNK);
          this.sent += chunk.length;
          this.hash.update(chunk);
          sub.next(chunk);
        }
        looping = false;
        if (this.sent >= total && !sub.closed) sub.complete();
      };
      const ws = d.writable$.subscribe((w) => {
        writable = w;
        loop();
      });
      return () => ws.unsubscribe();
    });
  }
}

/** Counts and hashes what a read delivers; `done` settles at the read's end. */
function sink(read: Observable<Uint8Array>): { received: () => number; hash: Hash; done: Promise<void>; sub: Subscription } {
  let received = 0;
  const hash = createHash('sha256');
  let sub!: Subscription;
  const done: Promise<void> = new Promise<void>((resolve, reject) => {
    sub = read.subscribe({
      next: (c) => {
        received += c.length;
        hash.update(c);
      },
      error: reject,
      complete: resolve,
    });
  });
  done.catch(() => undefined); // awaited later
  return { received: () => received, hash, done, sub };
}

/** Settles when `write` completes (close_notify and FIN sent). */
function written(write: Observable<never>): Promise<void> {
  const p = new Promise<void>((resolve, reject) => write.subscribe({ error: reject, complete: resolve }));
  p.catch(() => undefined); // awaited later; no unhandled rejection meanwhile
  return p;
}

test('a server that gives no read credit quenches the client while its own writes flow', async () => {
  const suites = [CipherSuite.TLS_CHACHA20_POLY1305_SHA256];
  let listening!: (port: number) => void;
  let accepted!: (d: SocketDuplex) => void;
  const port = new Promise<number>((r) => (listening = r));
  const serverSocket = new Promise<SocketDuplex>((r) => (accepted = r));
  const listener = listen({ host: '127.0.0.1', port: 0, readHighWaterMark: SOCKET_READ_HWM, onListening: (a) => listening(a.port) })
    .subscribe((d) => accepted(d));
  const sampler: { id?: ReturnType<typeof setInterval> } = {};
  try {
    const clientSocket = await firstValueFrom(connect({ host: '127.0.0.1', port: await port }));
    const sd = await serverSocket;
    const srv = tlsServer({ cert: certPem, key: keyPem, cipherSuites: suites, readHighWaterMark: TLS_READ_HWM })(sd);
    const cli = tlsClient({ servername: 'localhost', pins: { certSha256: [pin] }, cipherSuites: suites })(clientSocket);

    // Server: a read with no credit yet, and 16 MiB to write.
    const credit = new Subject<number>();
    const serverIn = sink(srv.read(credit));
    const down = new PacedSource(srv, DOWN);
    const serverWrote = written(srv.write(down.source));

    // Client: reads everything, writes 64 MiB as fast as writable$ allows.
    const clientIn = sink(cli.read(of(Infinity)));
    const up = new PacedSource(cli, UP);
    const clientWrote = written(cli.write(up.source));
    const changes: boolean[] = [];
    cli.writable$.subscribe((w) => changes.push(w));

    // Bytes the server holds on its read path, in every layer.
    const max = { socket: 0, cipher: 0, plain: 0, total: 0 };
    sampler.id = setInterval(() => {
      const socket = sd.stats().readBuffered; // Node's socket.readableLength
      const { ciphertextBuffered: cipher, plaintextBuffered: plain } = srv.stats(); // TLS layer, engine readableBytes
      max.socket = Math.max(max.socket, socket);
      max.cipher = Math.max(max.cipher, cipher);
      max.plain = Math.max(max.plain, plain);
      max.total = Math.max(max.total, socket + cipher + plain);
    }, 2);

    // Phase 1: no server credit. All 16 MiB reach the client (writes flow while reads stop)...
    await serverWrote;
    await clientIn.done;
    expect(clientIn.received()).toBe(DOWN);
    expect(clientIn.hash.digest('hex')).toBe(down.hash.digest('hex'));
    // ...and the client stalls: plaintext writable$ false, nothing more accepted.
    let last = -1;
    let stableSince = Date.now();
    await waitUntil('the client stalls', () => {
      if (up.sent !== last) {
        last = up.sent;
        stableSince = Date.now();
      }
      return changes[changes.length - 1] === false && Date.now() - stableSince > 300;
    }, 10_000);
    const settled = { changes: changes.length, sent: up.sent };
    await sleep(500);
    expect(changes.length).toBe(settled.changes); // stayed false
    expect(changes[changes.length - 1]).toBe(false);
    expect(up.sent).toBe(settled.sent);
    expect(up.sent).toBeLessThan(UP);
    expect(serverIn.received()).toBe(0);
    clearInterval(sampler.id);
    // The server's read path: its high-water marks plus one record, plus what one kernel read
    // adds to Node's buffer and to the one ciphertext chunk the TLS layer holds.
    expect(max.plain).toBeLessThanOrEqual(TLS_READ_HWM + RECORD);
    expect(max.socket).toBeLessThanOrEqual(SOCKET_READ_HWM + KERNEL_READ);
    expect(max.cipher).toBeLessThanOrEqual(SOCKET_READ_HWM + KERNEL_READ);
    expect(max.total).toBeLessThanOrEqual(TLS_READ_HWM + RECORD + 2 * (SOCKET_READ_HWM + KERNEL_READ));
    console.log(`quench: client stalled after ${(up.sent / MiB).toFixed(1)} MiB; server held at most`, max);

    // Phase 2: credit. All 64 MiB arrive, in order, intact; then close_notify ends the read.
    credit.next(Infinity);
    await Promise.all([clientWrote, serverIn.done]);
    expect(serverIn.received()).toBe(UP);
    expect(serverIn.hash.digest('hex')).toBe(up.hash.digest('hex'));
  } finally {
    clearInterval(sampler.id);
    listener.unsubscribe();
  }
}, 60_000);
