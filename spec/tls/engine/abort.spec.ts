/**
 * Engine behaviour: abort() from the application, and what the peer sees.
 *
 * Documented behaviour (connection.ts): abort() queues the given fatal alert, by default
 * user_canceled (90) as a warning followed by close_notify (RFC 8446 section 6.1), and makes every later call throw. On
 * receipt, user_canceled is a closure alert (RFC 8446 section 6.1), reported as an event and
 * not fatal; every other alert is fatal whatever its level (section 6.2).
 */
import {
  AlertDescription, TlsAlertError, TlsMisuseError, TlsProtocolError,
} from '../../../src/tls/index.js';
import { Wire, connected, disposeIdentities, identity, makeClient, makeServer, splitRecords, thrown } from './support.js';

afterAll(disposeIdentities);

describe('abort() with the default reason', () => {
  test.each([['client'], ['server']] as const)('the %s aborts: user_canceled then close_notify out, the peer sees both', (who) => {
    const wire = connected(identity());
    const end = wire[who];
    const peer = who === 'client' ? wire.server : wire.client;
    const log = who === 'client' ? wire.fromClient : wire.fromServer;
    end.takeEvents();
    peer.takeEvents();
    const before = log.length;
    end.abort();
    const f = end.failure;
    expect(f).toBeInstanceOf(TlsAlertError);
    expect(f!.alert).toBe(AlertDescription.user_canceled);
    expect((f as TlsAlertError).fromPeer).toBe(false);
    expect(end.takeEvents()).toEqual([{ type: 'alert', alert: 90, fromPeer: false }]);
    wire.pump();
    const sent = splitRecords(log.slice(before));
    expect(sent).toHaveLength(2);
    for (const r of sent) {
      expect(r.type).toBe(23); // protected: the alerts travel under the traffic key
      expect(r.length).toBe(2 + 1 + 16);
    }
    // The peer reports user_canceled, then the close: its reading side ends cleanly.
    expect(peer.takeEvents()).toEqual([
      { type: 'alert', alert: 90, fromPeer: true },
      { type: 'alert', alert: 0, fromPeer: true },
      { type: 'peerClosed' },
    ]);
    expect(peer.failure).toBeUndefined();
    expect(peer.peerClosed).toBe(true);
    // Every later call on the aborted end throws the same error.
    expect(thrown(() => end.write(Uint8Array.of(1)))).toBe(f);
    expect(thrown(() => end.feed(Uint8Array.of(23, 3, 3, 0, 1, 0)))).toBe(f);
    expect(thrown(() => end.closeWrite())).toBe(f);
    expect(end.writableBytes).toBe(0);
    expect(end.wantsInput).toBe(false);
  });

  test('a second abort() sends nothing more', () => {
    const wire = connected(identity());
    wire.client.abort();
    wire.client.abort(new TlsAlertError(AlertDescription.handshake_failure, false));
    let n = 0;
    for (let c = wire.client.takeOutput(); c && n < 10; c = wire.client.takeOutput()) n++;
    expect(n).toBe(2); // user_canceled and close_notify from the first abort only
    expect(wire.client.failure!.alert).toBe(90);
  });
});

describe('abort() with a reason', () => {
  test('a TlsAlertError sends that alert, and the peer fails with it', () => {
    const wire = connected(identity());
    wire.server.abort(new TlsAlertError(AlertDescription.access_denied, false, 'go away'));
    wire.pump();
    const c = wire.client.failure;
    expect(c).toBeInstanceOf(TlsAlertError);
    expect((c as TlsAlertError).fromPeer).toBe(true);
    expect(c!.alert).toBe(49);
  });

  test('a TlsProtocolError sends its alert', () => {
    const wire = connected(identity());
    wire.client.abort(new TlsProtocolError('tls: application says no', AlertDescription.illegal_parameter));
    wire.pump();
    expect(wire.server.failure).toBeInstanceOf(TlsAlertError);
    expect(wire.server.failure!.alert).toBe(47);
  });

  test('a TlsMisuseError sends nothing', () => {
    const wire = connected(identity());
    const m = new TlsMisuseError('tls: shutting down');
    wire.client.abort(m);
    expect(wire.client.failure).toBe(m);
    expect(wire.client.takeOutput()).toBeNull();
  });

  test('during the handshake: the alert goes out in plaintext after the ClientHello and the server fails', () => {
    const id = identity();
    const wire = new Wire(makeClient(id), makeServer(id));
    wire.client.abort(new TlsAlertError(AlertDescription.handshake_failure, false));
    wire.pump();
    const recs = splitRecords(wire.fromClient);
    expect(recs.map((r) => r.type)).toEqual([22, 21]);
    expect([...recs[1]!.body]).toEqual([2, 40]);
    expect(wire.server.failure).toBeInstanceOf(TlsAlertError);
    expect(wire.server.failure!.alert).toBe(40);
    expect(wire.server.handshakeComplete).toBe(false);
  });

  test('the server aborting mid-handshake reaches a client waiting for its flight', () => {
    const id = identity();
    const client = makeClient(id);
    const server = makeServer(id);
    for (let c = client.takeOutput(); c; c = client.takeOutput()) server.feed(c);
    // The server's flight is queued; the server then gives up before the client answers.
    server.abort(new TlsAlertError(AlertDescription.internal_error, false));
    const wire = new Wire(client, server);
    wire.pump();
    expect(client.failure).toBeInstanceOf(TlsAlertError);
    expect(client.failure!.alert).toBe(80);
    expect((client.failure as TlsAlertError).fromPeer).toBe(true);
  });
});
