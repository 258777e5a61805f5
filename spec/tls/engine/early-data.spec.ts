/**
 * Engine behaviour: 0-RTT early data (RFC 8446 sections 2.3, 4.2.10, 4.5, 8). A client with
 * `earlyData` resuming with a ticket that allows it sends what is written before the handshake
 * completes under the early traffic keys, up to max_early_data_size. The server accepts it
 * (first use of the ticket, same suite and ALPN, no HelloRetryRequest, plausible age) or skips
 * it; a rejected client sends it again after the handshake, so the server application sees
 * it exactly once either way. Replays of a first flight are refused by anti-replay.
 */
import {
  AlertDescription, CipherSuite, ContentType, NamedGroup, TlsClient, TlsServer, nobleProvider, nodeProvider, type ClientConfig, type CryptoProvider,
  type ServerConfig,
} from '../../../src/tls/index.js';
import { ExtensionType } from '../../../src/tls/constants.js';
import { MemorySessionStore, TicketKeys, type SessionStore, type StoredSession } from '../../../src/tls/resumption/index.js';
import { Wire, concat, disposeIdentities, drain, identity, sameBytes, splitRecords, testData } from './support.js';
import {
  clientHellos, encryptedExtensionsOf, expectAlert, hasExtension, manualClock, takeAll, text, utf8,
} from './peers-support.js';
import { findExtension } from '../../../src/tls/messages/index.js';

afterAll(disposeIdentities);

const sid = () => identity('ecdsa-p256');

function serverConfig(extra: Partial<ServerConfig> = {}): ServerConfig {
  return { cert: sid().certPem, key: sid().keyPem, maxEarlyData: 1000, ...extra };
}
function clientConfig(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { servername: 'localhost', pins: { certSha256: [sid().certSha256] }, earlyData: true, ...extra };
}

function connect(c: ClientConfig, s: ServerConfig): Wire {
  return new Wire(new TlsClient(c), new TlsServer(s)).handshake();
}

/** A resumed connection whose client wrote `data` (in `pieces` writes) before anything moved; run to the end. */
function resumeWith(c: ClientConfig, s: ServerConfig, data: Uint8Array, pieces = 1): Wire {
  const client = new TlsClient(c);
  const step = Math.ceil(data.length / pieces);
  for (let at = 0; at < data.length; at += step) expect(client.write(data.subarray(at, at + step))).toBe(Math.min(step, data.length - at));
  const wire = new Wire(client, new TlsServer(s));
  wire.pump({ read: true });
  return wire;
}

/** A client store that hands out the first session it gives again and again (a client reusing a ticket). */
function replayingStore(): SessionStore {
  const store = new MemorySessionStore();
  let first: StoredSession | undefined;
  return { put: (k, s) => store.put(k, s), take: (k, now) => (first ??= store.take(k, now)) };
}

/** Whether the client's first ClientHello offered early data. */
const offersEarly = (w: Wire) => hasExtension(clientHellos(w.fromClient)[0]!.ch, ExtensionType.early_data);

describe.each([
  ['node', nodeProvider],
  ['noble', nobleProvider],
] as const)('with the %s provider', (_n, provider: CryptoProvider) => {
  test('0-RTT accepted: readable at the server before the handshake completes, delivered once, accepted on both ends', () => {
    const ccfg = clientConfig({ provider });
    const scfg = serverConfig({ provider });
    connect(ccfg, scfg);
    const client = new TlsClient(ccfg);
    expect(client.earlyDataRoom).toBe(1000);
    expect(client.write(utf8('GET /index'))).toBe(10);
    expect(client.earlyDataRoom).toBe(990);
    const flight = takeAll(client);
    // ClientHello, the compatibility change_cipher_spec, then the early data, all in the first flight.
    expect(splitRecords(flight).map((r) => r.type)).toEqual([ContentType.handshake, ContentType.change_cipher_spec, ContentType.application_data]);
    const server = new TlsServer(scfg);
    // All of it in one feed: the ClientHello ends its record, the early keys apply to what follows.
    expect(server.feed(concat(flight))).toBe(concat(flight).length);
    expect(server.handshakeComplete).toBe(false);
    const early: Uint8Array[] = [];
    drain(server, early);
    expect(text(early)).toBe('GET /index');

    const wire = new Wire(client, server);
    wire.pump({ read: true });
    expect(wire.errors).toEqual([]);
    expect(wire.readByServer).toEqual([]); // nothing sent twice
    for (const s of [client.session!, server.session!]) {
      expect(s.earlyData).toBe('accepted');
      expect(s.resumed).toBe(true);
    }
    client.write(utf8('after'));
    wire.pump({ read: true });
    expect(text(wire.readByServer)).toBe('after');
  });
});

describe('0-RTT', () => {
  test('beyond the ticket limit, the rest waits for the handshake; the server sees every byte once, in order', () => {
    const ccfg = clientConfig();
    const scfg = serverConfig({ maxEarlyData: 100 });
    connect(ccfg, scfg);
    const data = testData(300, 1);
    const client = new TlsClient(ccfg);
    client.write(data);
    expect(client.earlyDataRoom).toBe(0);
    const server = new TlsServer(scfg);
    for (const c of takeAll(client)) server.feed(c);
    const early: Uint8Array[] = [];
    drain(server, early);
    expect(concat(early).length).toBe(100);
    const wire = new Wire(client, server);
    wire.pump({ read: true });
    expect(wire.errors).toEqual([]);
    expect(sameBytes(concat([...early, ...wire.readByServer]), data)).toBe(true);
    expect(server.session!.earlyData).toBe('accepted');
  });

  test('closeWrite() right after the early data: the server reads it, then the close', () => {
    const ccfg = clientConfig();
    const scfg = serverConfig();
    connect(ccfg, scfg);
    const client = new TlsClient(ccfg);
    client.write(utf8('fire and forget'));
    client.closeWrite();
    const wire = new Wire(client, new TlsServer(scfg));
    wire.pump({ read: true });
    expect(wire.errors).toEqual([]);
    expect(wire.server.session!.earlyData).toBe('accepted');
    expect(text(wire.readByServer)).toBe('fire and forget');
    expect(wire.server.peerClosed).toBe(true);
  });

  test('with nothing written, early_data is still offered and accepted, and nothing is read', () => {
    const ccfg = clientConfig();
    const scfg = serverConfig();
    connect(ccfg, scfg);
    const wire = resumeWith(ccfg, scfg, new Uint8Array(0));
    expect(wire.errors).toEqual([]);
    expect(offersEarly(wire)).toBe(true);
    expect(wire.server.session!.earlyData).toBe('accepted');
    expect(wire.readByServer).toEqual([]);
  });

  test('earlyData false: no early_data extension even with a ticket allowing it; data goes after the handshake', () => {
    const ccfg = clientConfig({ earlyData: false });
    const scfg = serverConfig();
    connect(ccfg, scfg);
    const wire = resumeWith(ccfg, scfg, utf8('late'));
    expect(offersEarly(wire)).toBe(false);
    expect(wire.client.session!.earlyData).toBe('none');
    expect(wire.server.session!.earlyData).toBe('none');
    expect(wire.server.session!.resumed).toBe(true);
    expect(text(wire.readByServer)).toBe('late');
  });

  test('a ticket without max_early_data_size (server maxEarlyData 0): no early data offered', () => {
    const ccfg = clientConfig();
    const scfg = serverConfig({ maxEarlyData: 0 });
    connect(ccfg, scfg);
    const client = new TlsClient(ccfg);
    expect(client.earlyDataRoom).toBe(0);
    client.write(utf8('late'));
    const wire = new Wire(client, new TlsServer(scfg));
    wire.pump({ read: true });
    expect(offersEarly(wire)).toBe(false);
    expect(wire.client.session!.earlyData).toBe('none');
    expect(text(wire.readByServer)).toBe('late');
  });

  test('no ticket: earlyDataRoom is 0 and written data waits for the handshake', () => {
    const wire = resumeWith(clientConfig(), serverConfig(), utf8('first'));
    expect(offersEarly(wire)).toBe(false);
    expect(wire.client.session!.earlyData).toBe('none');
    expect(text(wire.readByServer)).toBe('first');
  });
});

describe('0-RTT rejected: the client sends it again after the handshake, the server app sees it once', () => {
  function expectRejectedOnce(wire: Wire, data: Uint8Array): void {
    expect(wire.errors).toEqual([]);
    expect(sameBytes(concat(wire.readByServer), data)).toBe(true);
    expect(wire.server.session!.resumed).toBe(true);
    expect(wire.client.session!.earlyData).toBe('rejected');
    // SessionInfo.earlyData: 'rejected' = offered and ignored by the server, 'none' = not offered.
    expect(wire.server.session!.earlyData).toBe('rejected');
  }

  test('by a server with maxEarlyData 0 that shares the ticket keys', () => {
    const ticketKeys = new TicketKeys();
    const ccfg = clientConfig();
    connect(ccfg, serverConfig({ ticketKeys }));
    const data = testData(700, 2);
    const wire = resumeWith(ccfg, serverConfig({ ticketKeys, maxEarlyData: 0 }), data);
    expect(offersEarly(wire)).toBe(true);
    expectRejectedOnce(wire, data);
  });

  test('after a HelloRetryRequest (client key share for a group the server does not take)', () => {
    const ccfg = clientConfig({ groups: [NamedGroup.x25519, NamedGroup.secp256r1] });
    const scfg = serverConfig({ groups: [NamedGroup.secp256r1] });
    connect(ccfg, scfg);
    const data = testData(900, 3);
    const wire = resumeWith(ccfg, scfg, data);
    expect(offersEarly(wire)).toBe(true);
    expect(wire.client.session!.helloRetry).toBe(true);
    // RFC 8446 section 4.1.2: the second ClientHello drops early_data.
    const hellos = clientHellos(wire.fromClient);
    expect(hellos.length).toBe(2);
    expect(hasExtension(hellos[1]!.ch, ExtensionType.early_data)).toBe(false);
    expectRejectedOnce(wire, data);
  });

  test('by anti-replay, when a client offers the same ticket twice', () => {
    const replaying = replayingStore();
    const ccfg = clientConfig({ sessionStore: replaying });
    const scfg = serverConfig();
    connect(ccfg, scfg);
    const once = resumeWith(ccfg, scfg, utf8('one'));
    expect(once.server.session!.earlyData).toBe('accepted');
    expect(text(once.readByServer)).toBe('one');
    const twice = resumeWith(ccfg, scfg, utf8('two'));
    expect(Buffer.from(clientHellos(twice.fromClient)[0]!.raw).equals(Buffer.from(clientHellos(once.fromClient)[0]!.raw))).toBe(false);
    expectRejectedOnce(twice, utf8('two'));
  });

  test('when the client and server clocks disagree on the ticket age by more than the tolerance', () => {
    const cc = manualClock();
    const sc = manualClock();
    const ccfg = clientConfig({ now: cc.now });
    const scfg = serverConfig({ now: sc.now });
    connect(ccfg, scfg);
    sc.advance(60_000);
    const wire = resumeWith(ccfg, scfg, utf8('skewed'));
    expect(offersEarly(wire)).toBe(true);
    expectRejectedOnce(wire, utf8('skewed'));
  });

  test('a server that picks another ALPN protocol than the ticket has rejects it; the early data, written for the ticket\'s protocol, is not re-sent: the client fails (RFC 8446 section 4.2.10)', () => {
    const ticketKeys = new TicketKeys();
    const ccfg = clientConfig({ ALPNProtocols: ['h2', 'http/1.1'] });
    const first = connect(ccfg, serverConfig({ ticketKeys, ALPNProtocols: ['h2', 'http/1.1'] }));
    expect(first.client.session!.alpnProtocol).toBe('h2');
    const wire = resumeWith(ccfg, serverConfig({ ticketKeys, ALPNProtocols: ['http/1.1'] }), utf8('alpn'));
    expect(offersEarly(wire)).toBe(true);
    expect(wire.errors[0]!.end).toBe('client');
    expect((wire.errors[0]!.error as Error).message).toMatch(/refused our 0-RTT data and selected ALPN "http\/1.1", not the "h2"/);
    expect((wire.errors[0]!.error as { alert: number }).alert).toBe(AlertDescription.handshake_failure);
    expect(text(wire.readByServer)).toBe('');
  });

  test('...the same ALPN change with nothing written early completes (control)', () => {
    const ticketKeys = new TicketKeys();
    const ccfg = clientConfig({ ALPNProtocols: ['h2', 'http/1.1'] });
    connect(ccfg, serverConfig({ ticketKeys, ALPNProtocols: ['h2', 'http/1.1'] }));
    const wire = resumeWith(ccfg, serverConfig({ ticketKeys, ALPNProtocols: ['http/1.1'] }), new Uint8Array(0));
    expect(wire.errors).toEqual([]);
    expect(wire.client.session!.alpnProtocol).toBe('http/1.1');
  });

  test('a server that resumes with another cipher suite of the same hash (allowed, RFC 8446 section 4.2.11) rejects 0-RTT; the client goes on', () => {
    const ticketKeys = new TicketKeys();
    const ccfg = clientConfig();
    const first = connect(ccfg, serverConfig({ ticketKeys, cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256] }));
    expect(first.client.session!.cipherSuite).toBe('TLS_AES_128_GCM_SHA256');
    const wire = resumeWith(ccfg, serverConfig({ ticketKeys, cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_128_GCM_SHA256] }), utf8('suite'));
    expect(offersEarly(wire)).toBe(true);
    expect(wire.errors).toEqual([]);
    expect(wire.client.session!.cipherSuite).toBe('TLS_CHACHA20_POLY1305_SHA256');
    expectRejectedOnce(wire, utf8('suite'));
  });

  test('the same suite change without 0-RTT resumes (control)', () => {
    const ticketKeys = new TicketKeys();
    const ccfg = clientConfig({ earlyData: false });
    connect(ccfg, serverConfig({ ticketKeys, cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256] }));
    const wire = resumeWith(ccfg, serverConfig({ ticketKeys, cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_128_GCM_SHA256] }), utf8('suite'));
    expect(wire.errors).toEqual([]);
    expect(wire.server.session!.resumed).toBe(true);
    expect(wire.client.session!.cipherSuite).toBe('TLS_CHACHA20_POLY1305_SHA256');
  });

  test('a server that ignores the ticket and retries with a SHA-384 suite: the client drops the PSK and completes a full handshake', () => {
    // RFC 8446 section 4.1.4: after a HelloRetryRequest the client keeps only PSKs whose hash
    // matches the retry's cipher suite; 0-RTT is abandoned either way.
    const ccfg = clientConfig({ groups: [NamedGroup.x25519, NamedGroup.secp256r1] });
    connect(ccfg, serverConfig());
    const other = serverConfig({ cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_AES_128_GCM_SHA256], groups: [NamedGroup.secp256r1] });
    const wire = resumeWith(ccfg, other, utf8('retry'));
    expect(offersEarly(wire)).toBe(true);
    expect(wire.errors).toEqual([]);
    expect(wire.client.session!.helloRetry).toBe(true);
    expect(wire.client.session!.cipherSuite).toBe('TLS_AES_256_GCM_SHA384');
    expect(wire.client.session!.resumed).toBe(false);
    expect(wire.client.session!.earlyData).toBe('rejected');
    expect(text(wire.readByServer)).toBe('retry');
  });

  test('the same retry without 0-RTT completes (control)', () => {
    const ccfg = clientConfig({ earlyData: false, groups: [NamedGroup.x25519, NamedGroup.secp256r1] });
    connect(ccfg, serverConfig());
    const other = serverConfig({ cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_AES_128_GCM_SHA256], groups: [NamedGroup.secp256r1] });
    const wire = resumeWith(ccfg, other, utf8('retry'));
    expect(wire.errors).toEqual([]);
    expect(wire.client.session!.cipherSuite).toBe('TLS_AES_256_GCM_SHA384');
    expect(text(wire.readByServer)).toBe('retry');
  });

  test('a server that picks the external PSK (index 1) over the 0-RTT ticket rejects the early data; sent once', () => {
    const key = new Uint8Array(32).fill(9);
    const ccfg = clientConfig({ psk: { identity: 'ext', key } });
    const pskCallback = (i: string) => (i === 'ext' ? key : null);
    connect(ccfg, serverConfig({ pskCallback }));
    const wire = resumeWith(ccfg, serverConfig({ pskCallback }), utf8('via external'));
    expect(offersEarly(wire)).toBe(true);
    expect(wire.errors).toEqual([]);
    expect(wire.client.session!.psk).toBe('external');
    expect(wire.client.session!.earlyData).toBe('rejected');
    expect(wire.server.session!.earlyData).toBe('rejected');
    expect(text(wire.readByServer)).toBe('via external');
  });

  test('a rejected 0-RTT of 70 000 bytes in one write is skipped, then sent once (control for the next test)', () => {
    const ccfg = clientConfig({ sessionStore: replayingStore() });
    const scfg = serverConfig({ maxEarlyData: 70_000, tickets: 1 });
    connect(ccfg, scfg);
    resumeWith(ccfg, scfg, utf8('claims the ticket'));
    const data = testData(70_000, 4);
    expectRejectedOnce(resumeWith(ccfg, scfg, data), data);
  });

  test('a rejected 0-RTT of the full max_early_data_size written in small pieces is skipped, then sent once', () => {
    // RFC 8446 section 4.2.10: max_early_data_size counts application data payload only, and
    // a server rejecting 0-RTT skips records that fail deprotection up to that size.
    const replaying = replayingStore();
    const ccfg = clientConfig({ sessionStore: replaying });
    const scfg = serverConfig({ maxEarlyData: 70_000, tickets: 1 });
    connect(ccfg, scfg);
    resumeWith(ccfg, scfg, utf8('claims the ticket'));
    const data = testData(70_000, 4);
    const wire = resumeWith(ccfg, scfg, data, 70); // 70 writes of 1000 bytes: 70 records
    expectRejectedOnce(wire, data);
  });

  test('a rejected 0-RTT of the full max_early_data_size (70 000 bytes) after a HelloRetryRequest is skipped, then sent once', () => {
    const ccfg = clientConfig({ groups: [NamedGroup.x25519, NamedGroup.secp256r1] });
    const scfg = serverConfig({ groups: [NamedGroup.secp256r1], maxEarlyData: 70_000 });
    connect(ccfg, scfg);
    const data = testData(70_000, 5);
    const wire = resumeWith(ccfg, scfg, data);
    expect(wire.errors).toEqual([]);
    expect(wire.client.session!.helloRetry).toBe(true);
    expectRejectedOnce(wire, data);
  });
});

describe('ALPN and 0-RTT', () => {
  test('a client whose first ALPN protocol differs from the ticket offers no early data (resumes, data after the handshake)', () => {
    const store = new MemorySessionStore();
    const scfg = serverConfig({ ALPNProtocols: ['h2', 'http/1.1'] });
    connect(clientConfig({ sessionStore: store, ALPNProtocols: ['h2'] }), scfg);
    const wire = resumeWith(clientConfig({ sessionStore: store, ALPNProtocols: ['http/1.1'] }), scfg, utf8('x'));
    expect(wire.errors).toEqual([]);
    expect(offersEarly(wire)).toBe(false);
    expect(wire.server.session!.resumed).toBe(true);
    expect(wire.server.session!.alpnProtocol).toBe('http/1.1');
    expect(wire.client.session!.earlyData).toBe('none');
    expect(text(wire.readByServer)).toBe('x');
  });

  test('the same ALPN protocol keeps 0-RTT (control)', () => {
    const store = new MemorySessionStore();
    const scfg = serverConfig({ ALPNProtocols: ['h2', 'http/1.1'] });
    connect(clientConfig({ sessionStore: store, ALPNProtocols: ['h2'] }), scfg);
    const wire = resumeWith(clientConfig({ sessionStore: store, ALPNProtocols: ['h2'] }), scfg, utf8('x'));
    expect(wire.server.session!.earlyData).toBe('accepted');
  });
});

describe('limits and replays', () => {
  test('early data beyond max_early_data_size: unexpected_message (10), received by the client; the excess is not delivered', () => {
    const store = new MemorySessionStore();
    // A misbehaving client: its stored ticket claims a larger limit than the server granted.
    const inflating: SessionStore = {
      put: (k, s) => store.put(k, s),
      take: (k, now) => {
        const s = store.take(k, now);
        return s && { ...s, maxEarlyData: 5000 };
      },
    };
    const ccfg = clientConfig({ sessionStore: inflating });
    const scfg = serverConfig({ maxEarlyData: 1000 });
    connect(ccfg, scfg);
    const client = new TlsClient(ccfg);
    expect(client.earlyDataRoom).toBe(5000);
    client.write(testData(600, 1));
    client.write(testData(600, 2));
    const wire = new Wire(client, new TlsServer(scfg));
    wire.pump({ read: true });
    const err = expectAlert(wire, 'server', AlertDescription.unexpected_message);
    expect(err.message).toMatch(/max_early_data_size/);
    expect(sameBytes(concat(wire.readByServer), testData(600, 1))).toBe(true);
  });

  test('a replayed first flight (ClientHello + 0-RTT) to a second server of the same options: 0-RTT rejected, nothing delivered, no completion', () => {
    let sink: string[] = [];
    const keyLog = (line: string) => void sink.push(line);
    const ccfg = clientConfig();
    const scfg = serverConfig({ keyLog });
    connect(ccfg, scfg);

    const client = new TlsClient(ccfg);
    client.write(utf8('transfer 100 to mallory'));
    const flight = takeAll(client);

    // The genuine server: accepts the 0-RTT data and completes.
    const log1: string[] = (sink = []);
    const original = new TlsServer(scfg);
    for (const c of flight) original.feed(c);
    const early: Uint8Array[] = [];
    drain(original, early);
    expect(text(early)).toBe('transfer 100 to mallory');
    const wire = new Wire(client, original);
    wire.pump({ read: true });
    expect(wire.errors).toEqual([]);
    expect(original.session!.earlyData).toBe('accepted');
    expect(wire.readByServer).toEqual([]);
    const serverFlight1 = wire.fromServer;

    // The replay: the same bytes to another server made from the same options.
    const log2: string[] = (sink = []);
    const replayed = new TlsServer(scfg);
    for (const c of flight) replayed.feed(c);
    expect(replayed.readableBytes).toBe(0);
    expect(replayed.read()).toBeNull();
    const replayOut = takeAll(replayed);
    // How a server signals acceptance: early_data in EncryptedExtensions (RFC 8446 section 4.2.10).
    const secret = (log: string[], label: string) => {
      const line = log.find((l) => l.startsWith(`${label} `));
      return line === undefined ? undefined : new Uint8Array(Buffer.from(line.split(' ')[2]!, 'hex'));
    };
    const ee1 = encryptedExtensionsOf(serverFlight1, secret(log1, 'SERVER_HANDSHAKE_TRAFFIC_SECRET')!);
    const ee2 = encryptedExtensionsOf(replayOut, secret(log2, 'SERVER_HANDSHAKE_TRAFFIC_SECRET')!);
    expect(findExtension(ee1, ExtensionType.early_data)).toBeDefined();
    expect(findExtension(ee2, ExtensionType.early_data)).toBeUndefined();
    expect(secret(log1, 'CLIENT_EARLY_TRAFFIC_SECRET')).toBeDefined();
    expect(secret(log2, 'CLIENT_EARLY_TRAFFIC_SECRET')).toBeUndefined();

    // Whatever else the genuine client sent cannot finish the replayed handshake.
    expect(wire.fromClient.length).toBeGreaterThan(0); // EndOfEarlyData, Finished
    for (const c of wire.fromClient) {
      try {
        replayed.feed(c);
      } catch {
        break;
      }
    }
    expect(replayed.handshakeComplete).toBe(false);
    expect(replayed.session).toBeUndefined();
    expect(replayed.readableBytes).toBe(0);
  });
});

describe('bounds', () => {
  test("a ticket allowing more early data than the client's maxPendingWrite: the client sends at most maxPendingWrite early", () => {
    const scfg = serverConfig({ maxEarlyData: 4 * 1024 * 1024 });
    const ccfg = clientConfig({ maxPendingWrite: 4096 });
    connect(ccfg, scfg);
    const client = new TlsClient(ccfg);
    expect(client.earlyDataRoom).toBe(4096);
  });

  test('skipping refused early data: a flood of tiny undecryptable records ends once the skip allowance (64 KiB) is used', () => {
    const ccfg = clientConfig();
    const scfg = serverConfig();
    connect(ccfg, scfg);
    // Another options object: the ticket does not open, so the 0-RTT offer is refused and skipped.
    const server = new TlsServer(serverConfig());
    const client = new TlsClient(ccfg);
    expect(client.write(utf8('early'))).toBe(5);
    for (let c = client.takeOutput(); c; c = client.takeOutput()) server.feed(c);
    expect(server.failure).toBeUndefined();
    // 70 000 one-byte application_data records: each counts at least one byte against the skip limit.
    const tiny = Uint8Array.of(ContentType.application_data, 3, 3, 0, 1, 0);
    let error: unknown;
    let fed = 0;
    for (; fed < 70_000 && !error; fed++) {
      try {
        server.feed(tiny);
      } catch (e) {
        error = e;
      }
    }
    // The client's own early record counted its 5 bytes; each tiny record counts one more, so
    // the 65 532nd fails to decrypt outside the allowance and ends the connection.
    expect(fed).toBe(65_536 - 5 + 1);
    expect((error as { alert?: number }).alert).toBe(AlertDescription.bad_record_mac);
  });
});
