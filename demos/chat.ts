/**
 * Peer-to-peer chat between two processes, over TLS 1.3 with a pinned self-signed identity.
 *
 *   terminal 1:  npx tsx demos/chat.ts listen 7000
 *                (prints its pin, and the command for terminal 2)
 *   terminal 2:  npx tsx demos/chat.ts connect 7000 sha256/...
 *
 * Type lines in either terminal; they arrive on the other side. Ctrl-D (end of input) leaves:
 * that side sends close_notify, the other side sees the chat end and leaves too.
 *
 * Who trusts whom: the listener makes a fresh key and self-signed certificate and prints the
 * SHA-256 of its public key (its "pin"); you hand the pin to the connecting side, out of band
 * (here: on its command line), and it accepts only that key. No certificate authority is
 * involved. (The listener cannot check the connecting side in return yet: that needs TLS client
 * certificates, which rxtls does not support yet.)
 *
 * On the wire each chat line is one JSON message in one length-prefixed frame, inside TLS.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Observable, Subject, firstValueFrom, map, of, takeUntil } from 'rxjs';
import {
  type Duplex, bidi, certificateSpki, connect, generateSigningKey, lengthPrefixed, listen, selfSignedCertificate, tlsClient, tlsServer,
} from '../src/index.js';

/** What travels: one chat line and when it was typed. */
interface ChatMessage {
  text: string;
  sentAt: string;
}

const status = (line: string): void => void process.stderr.write(`* ${line}\n`);

/** Frames and JSON on top of a TLS connection: a Duplex of ChatMessages. */
function chatLayers(tls: Duplex<Uint8Array, Uint8Array>): Duplex<ChatMessage, ChatMessage> {
  return tls.pipe(
    lengthPrefixed({ maxFrame: 64 * 1024 }),
    bidi(
      map((frame: Uint8Array) => JSON.parse(new TextDecoder().decode(frame)) as ChatMessage),
      map((message: ChatMessage) => new TextEncoder().encode(JSON.stringify(message))),
    ),
  );
}

/** The lines typed on stdin, as messages; completes at end of input (Ctrl-D). */
function typedLines(): Observable<ChatMessage> {
  return new Observable<ChatMessage>((subscriber) => {
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (text) => subscriber.next({ text, sentAt: new Date().toISOString() }));
    lines.on('close', () => subscriber.complete());
    return () => lines.close();
  });
}

/** Runs the chat on an established connection; exits once both sides have closed. */
function chat(messages: Duplex<ChatMessage, ChatMessage>): void {
  const peerLeft = new Subject<void>();
  let open = 2; // directions still open
  const closed = (): void => {
    if (--open === 0) process.exit(0);
  };
  const failed = (e: Error): void => {
    status(`connection failed: ${e.message}`);
    process.exit(1);
  };
  // Our lines go out. When they end (Ctrl-D, or the peer left) the write completes, which sends
  // close_notify: "I have nothing more to say". We can still hear the peer after that.
  messages.write(typedLines().pipe(takeUntil(peerLeft))).subscribe({ complete: closed, error: failed });
  // Their lines come in. Their close_notify completes the read.
  messages.read(of(Infinity)).subscribe({
    next: (m) => console.log(`peer: ${m.text}`),
    error: failed,
    complete: () => {
      status('the peer left the chat');
      peerLeft.next();
      closed();
    },
  });
}

async function listenSide(port: number): Promise<void> {
  const key = generateSigningKey('ed25519');
  const cert = selfSignedCertificate(key, { commonName: 'rxtls chat' });
  const pin = `sha256/${createHash('sha256').update(certificateSpki(cert)).digest('base64')}`;
  const server = listen({
    host: '127.0.0.1',
    port,
    onListening: (address) => {
      status(`listening on 127.0.0.1:${address.port}; my pin is ${pin}`);
      status(`in another terminal: npx tsx demos/chat.ts connect ${address.port} ${pin}`);
    },
  }).subscribe((socket) => {
    server.unsubscribe(); // one chat partner: stop listening
    const tls = socket.pipe(tlsServer({ cert: [cert], key }));
    tls.session$.subscribe({ next: (s) => status(`connected (${s.version}, ${s.cipherSuite}); type away, Ctrl-D leaves`), error: () => undefined });
    chat(chatLayers(tls));
  });
}

async function connectSide(port: number, pin: string): Promise<void> {
  const socket = await firstValueFrom(connect({ host: '127.0.0.1', port }));
  // The server must prove it holds the private key of the pinned public key, or the handshake fails.
  const tls = socket.pipe(tlsClient({ pins: { spkiSha256: [pin.replace(/^sha256\//, '')] } }));
  tls.session$.subscribe({ next: (s) => status(`connected (${s.version}, ${s.cipherSuite}), peer key matches the pin; type away, Ctrl-D leaves`), error: () => undefined });
  chat(chatLayers(tls));
}

const [mode, portText, pin] = process.argv.slice(2);
const port = Number(portText);
if (mode === 'listen' && Number.isInteger(port)) await listenSide(port);
else if (mode === 'connect' && Number.isInteger(port) && port > 0 && pin) await connectSide(port, pin);
else {
  console.error('usage: tsx demos/chat.ts listen PORT\n       tsx demos/chat.ts connect PORT sha256/PIN');
  process.exit(2);
}
