/**
 * 0-RTT rules across connections and protocols (RFC 8446 sections 4.2.10 and 8.1): a refused
 * early flight is not handed to another ALPN protocol, and servers sharing ticket keys share
 * which tickets were used for 0-RTT.
 */
import { TlsClient, TlsServer, type ClientConfig, type ServerConfig } from '../../../src/tls/index.js';
import { TicketKeys } from '../../../src/tls/resumption/index.js';
import { Wire, disposeIdentities, drain, identity } from './support.js';
import { takeAll, text, utf8 } from './peers-support.js';

afterAll(disposeIdentities);

const sid = () => identity('ecdsa-p256');
const serverConfig = (extra: Partial<ServerConfig> = {}): ServerConfig => ({ cert: sid().certPem, key: sid().keyPem, maxEarlyData: 1000, ...extra });
const clientConfig = (extra: Partial<ClientConfig> = {}): ClientConfig => ({
  servername: 'localhost', pins: { certSha256: [sid().certSha256] }, earlyData: true, ...extra,
});

describe('0-RTT across servers and protocols', () => {
  test('RFC 8446 4.2.10: rejected early data MUST NOT be automatically resent when the negotiated ALPN differs from the ticket ALPN', () => {
    const ticketKeys = new TicketKeys();
    const ccfg = clientConfig({ ALPNProtocols: ['h2', 'http/1.1'] });
    const first = new Wire(new TlsClient(ccfg), new TlsServer(serverConfig({ ticketKeys, ALPNProtocols: ['h2', 'http/1.1'] }))).handshake();
    expect(first.client.session!.alpnProtocol).toBe('h2');

    const client = new TlsClient(ccfg);
    client.write(utf8('PRI * HTTP/2.0 (h2 preface, written for the ticket ALPN)'));
    const wire = new Wire(client, new TlsServer(serverConfig({ ticketKeys, ALPNProtocols: ['http/1.1'] })));
    wire.pump({ read: true });
    // The h2 bytes written as early data must not be replayed into an http/1.1 connection: the client fails instead.
    expect(wire.errors.map((e) => e.end)).toEqual(['client', 'server']);
    expect(text(wire.readByServer)).toBe('');
  });

  test('RFC 8446 8.1: two server option objects sharing TicketKeys (as documented for cross-server resumption) must not both accept one replayed 0-RTT flight', () => {
    const ticketKeys = new TicketKeys();
    const scfgA = serverConfig({ ticketKeys });
    const scfgB = serverConfig({ ticketKeys });
    const ccfg = clientConfig();
    new Wire(new TlsClient(ccfg), new TlsServer(scfgA)).handshake();

    const client = new TlsClient(ccfg);
    client.write(utf8('transfer 100 to mallory'));
    const flight = takeAll(client);

    const genuine = new TlsServer(scfgA);
    for (const c of flight) genuine.feed(c);
    const early1: Uint8Array[] = [];
    drain(genuine, early1);
    expect(text(early1)).toBe('transfer 100 to mallory');

    // The attacker replays the same first flight to the other listener.
    const replayed = new TlsServer(scfgB);
    for (const c of flight) replayed.feed(c);
    const early2: Uint8Array[] = [];
    drain(replayed, early2);
    expect(text(early2)).toBe(''); // replay must be refused
  });
});
