/**
 * A small request/response protocol over an external PSK (no certificates anywhere), as
 * marbles: tlsClient / tlsServer over duplexPair inside TestScheduler.run, with seeded
 * randomness, so every run gives the same diagram.
 */
import { type Observable, catchError, concatMap, delay, map, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { duplexPair } from '../../src/sources/duplex-pair.js';
import { tlsClient } from '../../src/operators/tls-client.js';
import { tlsServer } from '../../src/operators/tls-server.js';
import { seededRandom } from '../support/identity.js';

const key = new Uint8Array(32).map((_, i) => 255 - i);
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (o: Observable<Uint8Array>): Observable<string> => o.pipe(map((c) => new TextDecoder().decode(c)));
const requests = { a: enc('temp?'), b: enc('rh?') };

function run(body: (h: Parameters<Parameters<TestScheduler['run']>[0]>[0]) => void): void {
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(body);
}

/** A sensor (client) and its hub (server), sharing one key under the identity `sensor-1`. */
function pair(clientKey = key) {
  const [a, b] = duplexPair();
  const sensor = tlsClient({ psk: { identity: 'sensor-1', key: clientKey }, random: seededRandom(1) })(a);
  const hub = tlsServer({ pskCallback: (id) => (id === 'sensor-1' ? key : null), random: seededRandom(2) })(b);
  return { sensor, hub };
}

/** The hub's protocol: each request is answered 2 ms later; it closes once the sensor has and the last answer is out. */
const answers: Record<string, string> = { 'temp?': '21.5', 'rh?': '40%' };
const serve = (requests: Observable<Uint8Array>): Observable<Uint8Array> =>
  text(requests).pipe(concatMap((q) => of(enc(answers[q] ?? '?')).pipe(delay(2))));

describe('a request/response protocol over an external PSK, in virtual time', () => {
  it('handshakes at once, answers each request 2 ms later, and closes after the sensor', () => {
    run(({ cold, expectObservable }) => {
      const { sensor, hub } = pair();
      expectObservable(hub.write(serve(hub.read(of(Infinity))))).toBe('-------|');
      expectObservable(sensor.session$.pipe(map((s) => `${s.psk} ${s.group} ${s.peerCertificates.length}`))).toBe('(s|)', { s: 'external x25519 0' });
      expectObservable(hub.session$.pipe(map((s) => `${s.pskIdentity} ${s.cipherSuite}`))).toBe('(s|)', { s: 'sensor-1 TLS_AES_128_GCM_SHA256' });
      expectObservable(sensor.write(cold('-a---b|', requests))).toBe('------|');
      expectObservable(text(sensor.read(of(Infinity)))).toBe('---t---(r|)', { t: '21.5', r: '40%' });
    });
  });

  it('a sensor with the wrong key is refused in the first millisecond; both sides error', () => {
    run(({ expectObservable }) => {
      const { sensor, hub } = pair(new Uint8Array(32));
      const named = (o: Observable<unknown>) => o.pipe(catchError((e: Error & { alert?: number; fromPeer?: boolean }) =>
        of(`${e.constructor.name}(${e.alert ?? ''}${e.fromPeer ? ', peer' : ''})`)));
      expectObservable(named(sensor.session$)).toBe('(e|)', { e: 'TlsAlertError(51, peer)' });
      expectObservable(named(hub.read(of(Infinity)))).toBe('(e|)', { e: 'TlsProtocolError(51)' });
    });
  });
});
