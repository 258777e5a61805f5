/**
 * Backpressure, live: a sender pushes a bulk transfer over TLS as fast as it is allowed to, to a
 * receiver that reads slowly. Watch three things:
 *
 * - the sender's `writable$` flips between true and false: it only writes while it is true;
 * - the bytes buffered inside rxtls and Node stay flat (a few hundred KiB at most), however
 *   much there is to send: a slow reader never makes a buffer grow;
 * - the transfer runs at the reader's pace (the progress bar's throughput).
 *
 *   npx tsx demos/backpressure.ts [MiB to send, default 32] [reader speed in MiB/s, default 8]
 *
 * How the slowness travels back: the receiver's `consume` asks for the next chunk only when
 * it has processed the last one; its TLS layer stops pulling ciphertext once 64 KiB of plaintext
 * wait; Node stops reading the socket; the kernel's receive window closes; the sender's socket
 * stops draining; its TLS layer holds plaintext up to 64 KiB; and `writable$` turns false.
 * (Between the two sockets the kernel also buffers a few MiB; Node cannot see those bytes.)
 */
import { createHash } from 'node:crypto';
import { Observable, Subject, firstValueFrom, timer } from 'rxjs';
import {
  certificateSpki, connect, consume, generateSigningKey, listen, selfSignedCertificate, tlsClient, tlsServer,
  type SocketDuplex, type TlsDuplex,
} from '../src/index.js';

const MiB = 1 << 20;
const total = Number(process.argv[2] ?? 32) * MiB;
const readerSpeed = Number(process.argv[3] ?? 8) * MiB; // bytes per second
const tty = process.stdout.isTTY === true;

const key = generateSigningKey('ecdsa-p256');
const cert = selfSignedCertificate(key, { commonName: 'localhost' });
const pin = createHash('sha256').update(certificateSpki(cert)).digest('base64');

// ---- The receiver: processes each chunk at `readerSpeed` (a timer stands in for slow work).
let received = 0;
let receiverTls: TlsDuplex | undefined;
let receiverSocket: SocketDuplex | undefined;
const receivedAll = new Subject<void>();
const port = await new Promise<number>((ready) => {
  listen({ host: '127.0.0.1', port: 0, onListening: (a) => ready(a.port) }).subscribe((socket) => {
    receiverSocket = socket;
    const tls = (receiverTls = socket.pipe(tlsServer({ cert: [cert], key })));
    let due = Date.now();
    // consume(): one chunk at a time (concurrency 1); the next is asked for when the timer fires.
    consume(tls, (chunk) => {
      received += chunk.length;
      due = Math.max(due, Date.now()) + (chunk.length / readerSpeed) * 1000;
      return timer(Math.max(0, due - Date.now()));
    }, { concurrency: 1 }).subscribe({ complete: () => receivedAll.next() });
    tls.write(new Observable<never>()).subscribe({ error: () => undefined }); // the receiver sends nothing
  });
});

// ---- The sender: writes 16 KiB chunks while writable$ is true, and stops when it is false.
const socket = await firstValueFrom(connect({ host: '127.0.0.1', port }));
const tls = socket.pipe(tlsClient({ servername: 'localhost', pins: { spkiSha256: [pin] } }));
const chunk = new Uint8Array(16 * 1024).fill(42);
let sent = 0;
let flips = 0;
let writable = false;
const bulk = new Observable<Uint8Array>((out) => {
  const pump = (): void => {
    while (writable && sent < total) {
      sent += chunk.length;
      out.next(chunk); // may turn writable$ false right here, which ends the loop
    }
    if (sent >= total) out.complete(); // completing sends close_notify
  };
  const sub = tls.writable$.subscribe((w) => {
    if (w !== writable) flips++;
    writable = w;
    queueMicrotask(pump);
  });
  return () => sub.unsubscribe();
});
const started = Date.now();
tls.write(bulk).subscribe({ error: (e: Error) => console.error(`write failed: ${e.message}`) });

// ---- The display: a progress bar, throughput, writable$, and what is buffered where.
const kib = (n: number): string => `${(n / 1024).toFixed(0).padStart(4)} KiB`;
let maxBuffered = 0;
let lastReceived = 0;
let lastTime = started;
function show(final = false): void {
  const now = Date.now();
  const rate = ((received - lastReceived) / MiB / Math.max(0.001, (now - lastTime) / 1000)).toFixed(1);
  lastReceived = received;
  lastTime = now;
  const senderBuffered = tls.stats().writeBuffered + socket.stats().writeBuffered;
  const receiverBuffered = (receiverTls?.stats().readBuffered ?? 0) + (receiverSocket?.stats().readBuffered ?? 0);
  maxBuffered = Math.max(maxBuffered, senderBuffered + receiverBuffered);
  const width = 30;
  const done = Math.round((received / total) * width);
  const bar = `[${'#'.repeat(done)}${'.'.repeat(width - done)}]`;
  const line =
    `${bar} ${String(Math.round((received / total) * 100)).padStart(3)}%  ${(received / MiB).toFixed(1).padStart(5)} MiB  ${rate.padStart(5)} MiB/s  ` +
    `writable$ ${String(writable).padEnd(5)} (${flips} flips)  buffered: sender ${kib(senderBuffered)}, receiver ${kib(receiverBuffered)}`;
  if (tty) process.stdout.write(`\r${line}${final ? '\n' : ''}`);
  else console.log(line);
}
console.log(`sending ${total / MiB} MiB to a reader that takes ${readerSpeed / MiB} MiB/s`);
const ticker = setInterval(show, tty ? 100 : 500);
await firstValueFrom(receivedAll);
clearInterval(ticker);
show(true);
const seconds = (Date.now() - started) / 1000;
console.log(
  `done: ${received / MiB} MiB in ${seconds.toFixed(1)} s (${(received / MiB / seconds).toFixed(1)} MiB/s); ` +
    `writable$ flipped ${flips} times; at most ${kib(maxBuffered).trim()} buffered in rxtls and Node at any tick`,
);
process.exit(0);
