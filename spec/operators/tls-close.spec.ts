/**
 * How a TLS connection ends when the application's subscriptions go away one after another as
 * the layer completes them: both directions closed means finished, never "aborted".
 */
import { concat, ignoreElements, lastValueFrom, of, toArray } from 'rxjs';
import { forward } from '../../src/operators/forward.js';
import { tlsClient } from '../../src/operators/tls-client.js';
import { tlsServer } from '../../src/operators/tls-server.js';
import { duplexPair } from '../../src/sources/duplex-pair.js';
import { opensslIdentity } from '../support/identity.js';
import { settle } from './tls-peers.support.js';

let id: ReturnType<typeof opensslIdentity>;
beforeAll(() => {
  id = opensslIdentity();
});

it('an echo server made of forward() then a final read ends cleanly (it used to abort: "every subscriber unsubscribed")', async () => {
  const [a, b] = duplexPair();
  const c = tlsClient({ servername: 'localhost', pins: { certSha256: [id.pin] } })(a);
  const s = tlsServer({ cert: id.certPem, key: id.keyPem })(b);
  // What `rxtls server --echo` does: forward() completes when the echo's write completes, and
  // unsubscribes from writable$ then; the read after it must see the clean end.
  const server = settle(concat(forward(s, s), s.read(of(Infinity)).pipe(ignoreElements())));
  const events = settle(s.events$);
  const echoed = lastValueFrom(c.read(of(Infinity)).pipe(toArray()));
  c.write(of(new TextEncoder().encode('ping'))).subscribe();
  expect(Buffer.concat(await echoed).toString()).toBe('ping');
  expect(await server).toEqual({ ok: true, values: [] });
  const seen = await events;
  expect(seen.ok).toBe(true); // events$ completes: the connection finished, it did not fail
});
