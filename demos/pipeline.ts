/**
 * A secure message pipeline in a dozen lines: a TCP connection, TLS 1.3 on it, length-prefixed
 * frames on that, JSON on top. Each layer is one operator in `pipe(...)`, and the result is again
 * a Duplex: `write` objects, `read` objects.
 *
 *   npx tsx demos/pipeline.ts
 *
 * Part 1 starts a server to talk to (in this same process, on a free port). Part 2, the client,
 * is the point: read it first.
 */
import { createHash } from 'node:crypto';
import { firstValueFrom, from, map, of } from 'rxjs';
import {
  bidi, certificateSpki, connect, generateSigningKey, lengthPrefixed, listen, selfSignedCertificate, tlsClient, tlsServer,
} from '../src/index.js';

type Message = Record<string, unknown>;

/** A layer that turns frames (bytes) into objects on the way in, and objects into frames on the way out. */
const json = () =>
  bidi(
    map((frame: Uint8Array) => JSON.parse(new TextDecoder().decode(frame)) as Message),
    map((message: Message) => new TextEncoder().encode(JSON.stringify(message))),
  );

// ---- Part 1: a server. It needs an identity; this one is made in memory, and the client
// ---- will recognise it by its public key's SHA-256 (a "pin"), no certificate authority needed.
const key = generateSigningKey('ecdsa-p256');
const cert = selfSignedCertificate(key, { commonName: 'localhost' });
const pin = createHash('sha256').update(certificateSpki(cert)).digest('base64');

const port = await new Promise<number>((ready) => {
  listen({ host: '127.0.0.1', port: 0, onListening: (address) => ready(address.port) }).subscribe((socket) => {
    // The same three layers, server side. It answers each message with the sum of its numbers.
    const messages = socket.pipe(tlsServer({ cert: [cert], key }), lengthPrefixed({ maxFrame: 1 << 16 }), json());
    const answers = messages.read(of(Infinity)).pipe(map((m) => ({ id: m['id'], sum: (m['numbers'] as number[]).reduce((a, b) => a + b, 0) })));
    messages.write(answers).subscribe(); // when the client closes, the answers end, and so does our side
  });
});

// ---- Part 2: the client pipeline. ------------------------------------------------------------
const socket = await firstValueFrom(connect({ host: '127.0.0.1', port }));
const messages = socket.pipe(
  tlsClient({ servername: 'localhost', pins: { spkiSha256: [pin] } }), // TLS 1.3; only this key will do
  lengthPrefixed({ maxFrame: 1 << 16 }), //                                 a byte stream ⇄ whole messages
  json(), //                                                                 messages ⇄ objects
);
// Writing: three requests, then the source completes, which sends TLS close_notify (we are done talking).
messages.write(from([{ id: 1, numbers: [1, 2] }, { id: 2, numbers: [40, 2] }, { id: 3, numbers: [] }])).subscribe();
// Reading: `of(Infinity)` means "as fast as you like" (a number of messages would be a credit limit).
messages.read(of(Infinity)).subscribe({
  next: (answer) => console.log('answer', JSON.stringify(answer)),
  error: (e) => console.error('failed:', e),
  complete: () => {
    console.log('the server closed too: done');
    process.exit(0);
  },
});
