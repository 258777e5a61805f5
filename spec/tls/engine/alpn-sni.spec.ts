/**
 * Engine behaviour: ALPN (RFC 7301) and server_name (RFC 6066 section 3) between two engines.
 */
import { AlertDescription, TlsAlertError, TlsProtocolError } from '../../../src/tls/index.js';
import { Wire, connected, disposeIdentities, identity, makeClient, makeServer, splitRecords } from './support.js';

afterAll(disposeIdentities);

describe('ALPN', () => {
  test('the server chooses by its own preference among common protocols', () => {
    const wire = connected(identity(), { ALPNProtocols: ['h2', 'http/1.1', 'x'] }, { ALPNProtocols: ['http/1.1', 'h2'] });
    expect(wire.client.session!.alpnProtocol).toBe('http/1.1');
    expect(wire.server.session!.alpnProtocol).toBe('http/1.1');
  });

  test('a client offering none gets none, even when the server has some', () => {
    const wire = connected(identity(), {}, { ALPNProtocols: ['h2'] });
    expect(wire.client.session!.alpnProtocol).toBeUndefined();
    expect(wire.server.session!.alpnProtocol).toBeUndefined();
  });

  test('a server with none configured ignores the client offer', () => {
    const wire = connected(identity(), { ALPNProtocols: ['h2'] });
    expect(wire.client.session!.alpnProtocol).toBeUndefined();
    expect(wire.server.session!.alpnProtocol).toBeUndefined();
  });

  test('no overlap: the server fails with no_application_protocol and the client receives it', () => {
    const id = identity();
    const wire = new Wire(makeClient(id, { ALPNProtocols: ['h2', 'http/1.1'] }), makeServer(id, { ALPNProtocols: ['spdy/3'] }));
    wire.pump();
    const s = wire.server.failure;
    expect(s).toBeInstanceOf(TlsProtocolError);
    expect(s!.alert).toBe(AlertDescription.no_application_protocol);
    const c = wire.client.failure;
    expect(c).toBeInstanceOf(TlsAlertError);
    expect((c as TlsAlertError).fromPeer).toBe(true);
    expect(c!.alert).toBe(120);
    expect(wire.client.handshakeComplete).toBe(false);
    expect(wire.server.handshakeComplete).toBe(false);
    // The server's only output is the alert: a 2-byte fatal alert record.
    const recs = splitRecords(wire.fromServer);
    expect(recs).toHaveLength(1);
    expect(recs[0]!.type).toBe(21);
    expect([...recs[0]!.body]).toEqual([2, 120]);
    expect(wire.client.takeEvents()).toContainEqual({ type: 'alert', alert: 120, fromPeer: true });
  });
});

describe('server_name', () => {
  test('the server reports the name the client asked for', () => {
    const wire = connected(identity(), { servername: 'localhost' });
    expect(wire.server.session!.serverName).toBe('localhost');
    expect(wire.client.session!.serverName).toBe('localhost');
  });

  test('no servername: the server reports none', () => {
    const wire = connected(identity(), { servername: undefined });
    expect(wire.server.session!.serverName).toBeUndefined();
  });

  test.each([['127.0.0.1'], ['::1'], ['2001:db8::7']])('an IP address (%s) is not sent as SNI', (ip) => {
    const wire = connected(identity(), { servername: ip });
    expect(wire.server.session!.serverName).toBeUndefined();
    const hello = splitRecords(wire.fromClient)[0]!;
    expect(Buffer.from(hello.body).includes(Buffer.from(ip))).toBe(false);
    // The client still knows what it was asked to connect to.
    expect(wire.client.session!.serverName).toBe(ip);
  });
});
