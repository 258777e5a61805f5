/**
 * A marble test of a small protocol built on rxtls: the heartbeat of demos/heartbeat.ts, with
 * a real TLS 1.3 handshake and records between client and server, all inside
 * `TestScheduler.run`. `duplexPair` connects the two ends in memory, synchronously, so time
 * passes only in the virtual clock: `interval(10)` and `delay(2)` take no real time, and every
 * run gives the same diagram.
 *
 * Reading the diagrams: one character is one virtual millisecond; `12ms r` means "at 12 ms, a
 * value r"; `(r|)` is a value and completion in the same millisecond; `#` an error.
 */
import { createHash } from 'node:crypto';
import { type Observable, filter, takeUntil } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  certificateSpki, duplexPair, generateSigningKey, selfSignedCertificate, tlsClient, tlsServer, type SigningKey,
} from '../../src/index.js';
import { HeartbeatTimeoutError, heartbeat, pongServer, textMessages } from '../../demos/heartbeat.js';

let key: SigningKey;
let cert: Uint8Array;
let pin: string;
beforeAll(() => {
  key = generateSigningKey('ed25519');
  cert = selfSignedCertificate(key, { commonName: 'localhost' });
  pin = createHash('sha256').update(certificateSpki(cert)).digest('base64');
});

/** A connected client and server, each already TLS plus text frames. */
function connection() {
  const [a, b] = duplexPair();
  const client = textMessages(tlsClient({ servername: 'localhost', pins: { spkiSha256: [pin] } })(a));
  const server = textMessages(tlsServer({ cert: [cert], key })(b));
  return { client, server };
}

function run(body: (helpers: Parameters<Parameters<TestScheduler['run']>[0]>[0]) => void): void {
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(body);
}

describe('a heartbeat protocol over rxtls, in virtual time', () => {
  it('reports the round-trip time of each ping', () => {
    run(({ expectObservable }) => {
      const { client, server } = connection();
      pongServer(server, { thinkTime: 2 }).subscribe();
      // Pings leave at 10, 20, 30, 40 ms; each pong comes back 2 ms later. We stop watching at 45.
      expectObservable(heartbeat(client, { every: 10, grace: 5 }), '45ms !').toBe('12ms r 9ms r 9ms r 9ms r', { r: 2 });
    });
  });

  it('fails when the server stops answering', () => {
    run(({ expectObservable }) => {
      const { client, server } = connection();
      // This server answers the first two pings only, then goes quiet (the connection stays up).
      pongServer(server, { answering: filter((_, i) => i < 2) }).subscribe();
      // Pongs at 10 and 20; then no pong for every + grace = 15 ms: an error at 35.
      expectObservable(heartbeat(client, { every: 10, grace: 5 })).toBe('10ms r 9ms r 14ms #', { r: 0 }, new HeartbeatTimeoutError(15));
    });
  });

  it('ends cleanly when the server closes, and closes the client side too', () => {
    run(({ cold, expectObservable }) => {
      const { client, server } = connection();
      // A server that closes (close_notify) at 25 ms: its write side completes then.
      const closingServer = { ...server, write: (pongs: Observable<string>) => server.write(pongs.pipe(takeUntil(cold('25ms x')))) };
      expectObservable(pongServer(closingServer)).toBe('25ms |');
      // The client sees two pongs, then the close: it stops pinging, sends its own close_notify and completes.
      expectObservable(heartbeat(client, { every: 10, grace: 5 })).toBe('10ms r 9ms r 4ms |', { r: 0 });
    });
  });
});

