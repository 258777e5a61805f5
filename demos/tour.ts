/**
 * A tour of rxtls on loopback, self-contained: it makes its own certificate, starts an rxtls
 * TLS 1.3 server, talks to it with an rxtls client and with Node's own `tls`, then shows
 * read backpressure holding a fast writer off while nobody reads.
 *
 *   npm run demo
 *
 * The other demos, each shorter and on one theme, are listed in demos/README.md.
 */
import { createHash } from 'node:crypto';
import * as nodeTls from 'node:tls';
import { Observable, Subject, defer, firstValueFrom, from, map, of, toArray, type Subscription } from 'rxjs';
import {
  type SocketDuplex, bidi, certificateSpki, connect, generateSigningKey, lengthPrefixed, listen, pemEncode,
  selfSignedCertificate, tlsClient, tlsServer,
} from '../src/index.js';

const say = (s: string): void => console.log(s);
const text = new TextEncoder();
const json = () =>
  bidi(
    map((b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>),
    map((m: Record<string, unknown>) => text.encode(JSON.stringify(m))),
  );

async function main(): Promise<void> {
  // 1. An identity: a P-256 key and a self-signed certificate, made in memory.
  const key = generateSigningKey('ecdsa-p256');
  const cert = selfSignedCertificate(key, { commonName: 'localhost', altNames: ['localhost', '127.0.0.1'] });
  const pin = createHash('sha256').update(certificateSpki(cert)).digest('base64');
  say(`1. made a P-256 certificate for localhost; its SPKI pin is ${pin}`);

  // 2. A server: every connection is TLS, then length-prefixed frames, then JSON; it answers each message.
  let port = 0;
  const listening = new Subject<void>();
  const server: Subscription = listen({ host: '127.0.0.1', port: 0, onListening: (a) => { port = a.port; listening.next(); } }).subscribe((socket: SocketDuplex) => {
    const tls = socket.pipe(tlsServer({ cert: [cert], key, ALPNProtocols: ['json'] }));
    tls.session$.subscribe({ next: (s) => say(`   server: ${s.version} ${s.cipherSuite} ${s.group}, ALPN ${s.alpnProtocol ?? '-'}, SNI ${s.serverName ?? '-'}`), error: () => undefined });
    const messages = tls.pipe(lengthPrefixed({ maxFrame: 1 << 16 }), json());
    // Echo, annotated; the client's close_notify completes the read, which half-closes our write.
    messages.write(messages.read(of(Infinity)).pipe(map((m) => ({ ...m, answeredBy: 'rxtls server' })))).subscribe({ error: () => undefined });
  });
  await firstValueFrom(listening);
  say(`2. rxtls server listening on 127.0.0.1:${port}`);

  // 3. An rxtls client: connect, TLS pinned to the server's key, frames, JSON.
  const socket = await firstValueFrom(connect({ host: '127.0.0.1', port }));
  const conn = socket.pipe(
    tlsClient({ servername: 'localhost', pins: { spkiSha256: [pin] }, ALPNProtocols: ['json'] }),
    lengthPrefixed({ maxFrame: 1 << 16 }),
    json(),
  );
  // Completing the source sends close_notify; the server's answers end with its own.
  conn.write(from([{ n: 1, hello: 'rxtls' }, { n: 2 }, { n: 3 }])).subscribe();
  const replies = await firstValueFrom(conn.read(of(Infinity)).pipe(toArray()));
  say('3. rxtls client sent 3 JSON messages and got back:');
  for (const r of replies) say(`   ${JSON.stringify(r)}`);

  // 4. Node's own tls, trusting the certificate as a CA, talks to the same rxtls server.
  const nodeReply = await new Promise<string>((resolve, reject) => {
    const s = nodeTls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pemEncode('CERTIFICATE', cert), ALPNProtocols: ['json'] }, () => {
      say(`4. Node's tls client connected: ${s.getProtocol()} ${s.getCipher().standardName}, authorized=${s.authorized}, ALPN ${s.alpnProtocol}`);
      const body = Buffer.from(JSON.stringify({ from: 'node:tls' }));
      const frame = Buffer.alloc(4);
      frame.writeUInt32BE(body.length);
      s.end(Buffer.concat([frame, body]));
    });
    let got = Buffer.alloc(0);
    s.on('data', (d: Buffer) => (got = Buffer.concat([got, d])));
    s.on('end', () => resolve(got.subarray(4).toString()));
    s.on('error', reject);
  });
  say(`   and got back ${nodeReply}`);
  server.unsubscribe();

  // 5. Backpressure: a server that reads nothing for a while; the client's writable$ turns false
  //    and the bytes in flight stay bounded, then everything arrives once the server reads.
  await backpressure();

  say('');
  say('Next (demos/README.md): npx tsx demos/pipeline.ts | demos/chat.ts | demos/backpressure.ts | demos/p2p.ts;');
  say('the command-line tool: npx rxtls server --www, then npx rxtls client localhost:4433 --pin <its pin>');
}

async function backpressure(): Promise<void> {
  const key = generateSigningKey('ed25519');
  const cert = selfSignedCertificate(key, { commonName: 'localhost' });
  const pin = createHash('sha256').update(certificateSpki(cert)).digest('base64');
  const total = 32 << 20;
  const chunk = new Uint8Array(16 << 10).fill(7);
  let port = 0;
  const ready = new Subject<void>();
  const received = new Subject<number>();
  const server = listen({ host: '127.0.0.1', port: 0, onListening: (a) => { port = a.port; ready.next(); } }).subscribe((socket) => {
    const tls = socket.pipe(tlsServer({ cert: [cert], key, readHighWaterMark: 64 << 10 }));
    let n = 0;
    // No credit for 1.5 s, then flowing.
    const demand = defer(() => new Observable<number>((o) => { const t = setTimeout(() => o.next(Infinity), 1500); return () => clearTimeout(t); }));
    tls.read(demand).subscribe({ next: (c) => { n += c.length; if (n >= total) received.next(n); }, error: () => undefined });
    tls.write(new Observable<never>()).subscribe({ error: () => undefined });
  });
  await firstValueFrom(ready);
  const client = await firstValueFrom(connect({ host: '127.0.0.1', port }));
  const tls = client.pipe(tlsClient({ servername: 'localhost', pins: { spkiSha256: [pin] } }));
  say(`5. backpressure: the client offers ${total >> 20} MiB; the server gives no read credit for 1.5 s`);
  const started = Date.now();
  let sent = 0;
  let flips = 0;
  const writer = new Observable<Uint8Array>((o) => {
    let writable = false;
    const pump = (): void => {
      while (writable && sent < total) { sent += chunk.length; o.next(chunk); }
      if (sent >= total) o.complete();
    };
    const sub = tls.writable$.subscribe((w) => {
      if (w !== writable) {
        flips++;
        say(`   t=${String(Date.now() - started).padStart(4)} ms  writable$ ${w ? 'true ' : 'false'}  offered ${(sent / 1048576).toFixed(2)} MiB, buffered here ${(tls.stats().writeBuffered / 1024).toFixed(0)} KiB`);
      }
      writable = w;
      queueMicrotask(pump);
    });
    return () => sub.unsubscribe();
  });
  tls.write(writer).subscribe({ error: (e) => say(`   write error: ${String(e)}`) });
  const n = await firstValueFrom(received);
  const secs = (Date.now() - started) / 1000;
  say(`   all ${(n / 1048576).toFixed(0)} MiB arrived after ${secs.toFixed(1)} s; writable$ changed ${flips} times`);
  server.unsubscribe();
  client.close();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error('demo failed:', e);
    process.exit(1);
  },
);
