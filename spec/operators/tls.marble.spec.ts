/**
 * tlsClient / tlsServer over duplexPair, inside TestScheduler.run: a whole handshake and data
 * exchange asserted with marbles. Randomness is injected (seeded), so every run is identical.
 */
import { opensslIdentity, seededRandom } from '../support/identity.js';
import { NEVER, Observable, catchError, map, of, takeUntil, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { duplexPair } from '../../src/sources/duplex-pair.js';
import type { Duplex } from '../../src/sources/duplex.js';
import { tlsClient, type TlsClientOptions } from '../../src/operators/tls-client.js';
import { tlsServer, type TlsServerOptions } from '../../src/operators/tls-server.js';
import type { TlsDuplex } from '../../src/operators/tls-duplex.js';
import { CipherSuite } from '../../src/tls/constants.js';
import { TlsMisuseError } from '../../src/tls/errors.js';

let certPem = '';
let keyPem = '';
let pin = '';

beforeAll(() => {
  ({ certPem, keyPem, pin } = opensslIdentity());
});

const seeded = seededRandom;

const client = (lower: Duplex, extra: Partial<TlsClientOptions> = {}): TlsDuplex =>
  tlsClient({ servername: 'localhost', pins: { certSha256: [pin] }, random: seeded(1), ...extra })(lower);
const server = (lower: Duplex, extra: Partial<TlsServerOptions> = {}): TlsDuplex =>
  tlsServer({ cert: certPem, key: keyPem, random: seeded(2), ...extra })(lower);

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (o: Observable<Uint8Array>): Observable<string> => o.pipe(map((c) => new TextDecoder().decode(c)));
/** Turns an error into a value naming its class, alert and origin, so marbles can show it. */
const named = <T>(o: Observable<T>): Observable<T | string> =>
  o.pipe(catchError((e: { constructor: { name: string }; alert?: number; fromPeer?: boolean }) =>
    of(`${e.constructor.name}(${e.alert ?? ''}${e.fromPeer ? ', peer' : ''})`)));

const strings: Record<string, string> = { p: 'ping', q: 'pong', o: 'one', t: 'two', s: 'six', h: 'hello', w: 'world', d: 'data', l: 'late' };
const bytes = Object.fromEntries(Object.entries(strings).map(([k, v]) => [k, enc(v)]));

function run(body: (h: Parameters<Parameters<TestScheduler['run']>[0]>[0], scheduler: TestScheduler) => void): void {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run((helpers) => body(helpers, scheduler));
}

describe('tlsClient / tlsServer marbles', () => {
  it('completes the handshake with zero user demand', () => {
    run(({ expectObservable }) => {
      const [a, b] = duplexPair();
      const c = client(a);
      const s = server(b);
      const suite = (t: TlsDuplex) => t.session$.pipe(map((x) => `${x.cipherSuite} ${x.group}`));
      // The client starts at frame 0 (its ClientHello waits in the pair); the server at frame 3.
      expectObservable(suite(c)).toBe('---(s|)', { s: 'TLS_AES_128_GCM_SHA256 x25519' });
      expectObservable(suite(s), '---^').toBe('---(s|)', { s: 'TLS_AES_128_GCM_SHA256 x25519' });
      expectObservable(timer(4).pipe(map(() => [a.stats(), b.stats(), c.stats(), s.stats()].map((x) => x.readBuffered + x.writeBuffered))))
        .toBe('----(z|)', { z: [0, 0, 0, 0] });
    });
  });

  it('holds plaintext written before the handshake, then sends it and close_notify', () => {
    run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const c = client(a);
      const s = server(b);
      expectObservable(c.write(cold('(h|)', bytes))).toBe('---|');
      expectObservable(timer(2).pipe(map(() => c.stats().writeBuffered))).toBe('--(n|)', { n: 5 });
      expectObservable(text(s.read(of(Infinity))), '---^').toBe('---(h|)', strings);
    });
  });

  it('releases exactly one plaintext chunk per credit', () => {
    run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const c = client(a);
      const s = server(b);
      expectObservable(s.write(cold('-(ots)', bytes))).toBe('-');
      expectObservable(text(c.read(cold('-----x--y', { x: 1, y: 2 })))).toBe('-----o--(ts)', strings);
      // Before the credits, the three records' plaintext waits in the client layer.
      expectObservable(timer(3).pipe(map(() => c.stats().readBuffered))).toBe('---(n|)', { n: 9 });
    });
  });

  it('keeps plaintext writable$ false above the high mark until the low mark', () => {
    run(({ cold, hot, expectObservable }) => {
      // A small ciphertext queue: the lower writable$ gates application records one at a time.
      const [a, b] = duplexPair({ highWaterMark: 40, lowWaterMark: 20, maxBuffer: 1 << 20 });
      const c = client(a, { writeHighWaterMark: 100, writeLowWaterMark: 30 });
      const s = server(b, { readHighWaterMark: 1 });
      const chunk = (ch: string) => enc(ch.repeat(30));
      const w = { a: chunk('a'), b: chunk('b'), c: chunk('c'), d: chunk('d') };
      expectObservable(c.write(cold('-abcd', w))).toBe('-');
      // 30, 60, 90, 120 bytes held before the handshake: false at 120 (frame 4).
      // Server starts at 6: a and b go down (the server holds a; b waits below), 60 pending:
      // still false. Each server credit lets one more record down; at 30 pending (frame 8) true.
      expectObservable(c.writable$).toBe('t---f---t', { t: true, f: false });
      expectObservable(text(s.read(hot('--------x-x', { x: 1 }))), '------^').toBe('--------a-b', {
        a: 'a'.repeat(30), b: 'b'.repeat(30),
      });
      expectObservable(timer(7).pipe(map(() => c.stats().writeBuffered))).toBe('-------(n|)', { n: 60 });
    });
  });

  it('completes the handshake and delivers data over one-byte ciphertext chunks', () => {
    run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair({ maxChunk: 1 });
      const c = client(a);
      const s = server(b);
      expectObservable(c.session$.pipe(map((x) => x.version))).toBe('(v|)', { v: 'TLSv1.3' });
      expectObservable(c.write(cold('-h|', bytes))).toBe('--|');
      expectObservable(text(s.read(of(Infinity)))).toBe('-h|', strings);
      expectObservable(s.write(cold('---w|', bytes))).toBe('----|');
      expectObservable(text(c.read(of(Infinity)))).toBe('---w|', strings);
    });
  });

  it('half-closes: the server reads to close_notify, then still writes back', () => {
    run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const c = client(a);
      const s = server(b);
      expectObservable(c.write(cold('-p|', bytes))).toBe('--|');
      expectObservable(text(s.read(of(Infinity)))).toBe('-p|', strings);
      expectObservable(s.write(cold('----(qo)-|', bytes))).toBe('---------|');
      // One credit: 'pong' only; a later reader continues with 'one' and sees the close. The
      // writable$ subscription keeps the connection up in between (unsubscribing from
      // everything would abort it); it completes once both directions are closed.
      expectObservable(c.writable$).toBe('t--------|', { t: true });
      expectObservable(text(c.read(cold('x', { x: 1 }))), '^----!').toBe('----q', strings);
      expectObservable(text(c.read(of(Infinity))), '------^').toBe('------o--|', strings);
    });
  });

  /** `lower` whose ciphertext write is cut off (completed, no close_notify) when `cut` emits. */
  const cutAt = (lower: Duplex, cut: Observable<unknown>): Duplex => ({
    ...lower,
    write: (source: Observable<Uint8Array>) => lower.write(source.pipe(takeUntil(cut))),
  });

  it('errors the read with TlsTruncationError when the ciphertext ends without close_notify', () => {
    run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const c = client(cutAt(a, timer(3)));
      const s = server(b);
      c.write(cold('-d', bytes)).subscribe({ error: () => undefined });
      expectObservable(named(text(s.read(of(Infinity))))).toBe('-d-(e|)', { d: 'data', e: 'TlsTruncationError(0)' });
      // Writes go on after a truncated read: the server can still answer.
      expectObservable(s.write(cold('----l|', bytes))).toBe('-----|');
    });
  });

  it('completes the read instead with allowTruncation', () => {
    run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const c = client(cutAt(a, timer(3)));
      const s = server(b, { allowTruncation: true });
      c.write(cold('-d', bytes)).subscribe({ error: () => undefined });
      expectObservable(text(s.read(of(Infinity)))).toBe('-d-|', strings);
    });
  });

  it('errors both directions on a garbled record and sends the alert to the peer', () => {
    run(({ cold, expectObservable }, scheduler) => {
      const [a, b] = duplexPair();
      // Flip the last byte (inside the AEAD tag) of everything the client sends from frame 2 on.
      const garbling: Duplex = {
        ...a,
        write: (source: Observable<Uint8Array>) =>
          a.write(source.pipe(map((rec) => (scheduler.now() < 2 ? rec : rec.map((x, i) => (i === rec.length - 1 ? x ^ 1 : x)))))),
      };
      const c = client(garbling);
      const s = server(b);
      const mac = 'TlsProtocolError(20)';
      const alert = 'TlsAlertError(20, peer)';
      expectObservable(named(text(s.read(of(Infinity))))).toBe('-d(e|)', { d: 'data', e: mac });
      expectObservable(named(s.write(NEVER))).toBe('--(e|)', { e: mac });
      expectObservable(named(c.write(cold('-dl', bytes)))).toBe('--(e|)', { e: alert });
      expectObservable(named(text(c.read(of(Infinity))))).toBe('--(e|)', { e: alert });
    });
  });

  it('errors session$ on both ends when the handshake fails', () => {
    run(({ expectObservable }) => {
      const [a, b] = duplexPair();
      const c = client(a, { pins: { certSha256: ['00'.repeat(32)] } });
      const s = server(b);
      expectObservable(named(c.session$)).toBe('(e|)', { e: 'TlsCertificateError(42)' });
      expectObservable(named(s.session$)).toBe('(e|)', { e: 'TlsAlertError(42, peer)' });
    });
  });

  it('negotiates the configured suite and exports the same keying material on both ends', () => {
    run(({ expectObservable }) => {
      const [a, b] = duplexPair();
      const suites = [CipherSuite.TLS_CHACHA20_POLY1305_SHA256];
      const c = client(a, { cipherSuites: suites });
      const s = server(b, { cipherSuites: suites });
      expectObservable(c.session$.pipe(map((x) => x.cipherSuite))).toBe('(s|)', { s: 'TLS_CHACHA20_POLY1305_SHA256' });
      expectObservable(s.session$.pipe(map(() => Buffer.from(s.exportKeyingMaterial(16, 'EXPORTER-test')).equals(c.exportKeyingMaterial(16, 'EXPORTER-test')))))
        .toBe('(t|)', { t: true });
    });
  });

  it('handles a KeyUpdate with no reader, and data flows under the new keys both ways', () => {
    run(({ cold, expectObservable }) => {
      const [a, b] = duplexPair();
      const c = client(a);
      const s = server(b);
      expectObservable(s.write(cold('--q', bytes))).toBe('-');
      expectObservable(text(c.read(of(Infinity)))).toBe('--q', strings);
      expectObservable(c.write(cold('---d', bytes))).toBe('-');
      timer(1).subscribe(() => c.updateKeys(true));
      // The server has no reader: it still pulls and answers the KeyUpdate at once.
      expectObservable(timer(1).pipe(map(() => [a.stats(), b.stats(), s.stats()].map((x) => x.readBuffered)))).toBe('-(z|)', { z: [0, 0, 0] });
      expectObservable(text(s.read(of(Infinity))), '---^').toBe('---d', strings);
    });
  });

  it('aborts when every subscriber unsubscribes: the peer sees a clean close, later subscribers the error', () => {
    run(({ expectObservable }) => {
      const [a, b] = duplexPair();
      const c = client(a);
      const s = server(b);
      expectObservable(c.read(NEVER), '^--!').toBe('-');
      // user_canceled (a warning), close_notify, FIN: the server's read completes.
      expectObservable(named(s.read(of(Infinity)))).toBe('---|');
      expectObservable(named(c.read(of(1))), '-----^').toBe('-----(e|)', { e: 'TlsAlertError(90)' });
    });
  });

  it('errors a writer that ignores writable$ past maxWriteBuffer, keeping the connection', () => {
    run(({ cold, expectObservable }) => {
      const [a] = duplexPair();
      const c = client(a, { writeHighWaterMark: 50, writeLowWaterMark: 10, maxWriteBuffer: 100 });
      const forty = enc('x'.repeat(40));
      const err = c.write(cold('-xxx', { x: forty })).pipe(catchError((e: Error) => of(e.message)));
      expectObservable(err).toBe('---(e|)', { e: 'tls: write buffer limit maxWriteBuffer=100 exceeded: 80 bytes pending, chunk of 40; wait for writable$' });
      expectObservable(c.writable$).toBe('t-f', { t: true, f: false });
      expectObservable(timer(4).pipe(map(() => c.stats().writeBuffered))).toBe('----(n|)', { n: 80 });
    });
  });

  it('allows one reader at a time', () => {
    run(({ expectObservable }) => {
      const [a] = duplexPair();
      const c = client(a);
      expectObservable(c.read(NEVER)).toBe('-');
      expectObservable(named(c.read(NEVER))).toBe('(e|)', { e: 'TlsMisuseError(80)' });
    });
  });

  it('refuses TLSv1.2 versions and bad water marks synchronously', () => {
    expect(() => tlsClient({ pins: { certSha256: [pin] }, minVersion: 'TLSv1.2' })).toThrow(TlsMisuseError);
    expect(() => tlsClient({ pins: { certSha256: [pin] }, maxVersion: 'TLSv1.2' })).toThrow(/not supported yet/);
    expect(() => tlsServer({ cert: certPem, key: keyPem, writeHighWaterMark: 10, writeLowWaterMark: 11 })).toThrow(/writeLowWaterMark/);
  });
});
