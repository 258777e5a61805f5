/**
 * Engine behaviour: session resumption with tickets (RFC 8446 sections 2.2, 4.2.11, 4.6.1).
 * A server sends NewSessionTickets sealed under its ticket keys; a client keeps them in its
 * session store and offers one (with a binder) on the next connection made from the same
 * options. Covered: what a resumed session reports, expiry on either side, tickets of other
 * servers or names, binder tampering, chains kept across resumption, persistence, and
 * determinism of a resumed handshake.
 */
import {
  AlertDescription, TlsClient, TlsServer, nobleProvider, nodeProvider, type ClientConfig, type CryptoProvider, type ServerConfig,
  type TlsEvent,
} from '../../../src/tls/index.js';
import { ExtensionType } from '../../../src/tls/constants.js';
import {
  MemorySessionStore, TicketKeys, decodeStoredSession, encodeStoredSession, type SessionStore,
} from '../../../src/tls/resumption/index.js';
import { Wire, concat, disposeIdentities, exchange, identity, sameBytes, seededRandom, testData } from './support.js';
import {
  clientHellos, expectAlert, feed, hasExtension, manualClock, offeredPsks, takeAll, tamperClientHello, text, utf8,
} from './peers-support.js';

afterAll(disposeIdentities);

const sid = () => identity('ecdsa-p256');
const cid = () => identity('ed25519');

function serverConfig(extra: Partial<ServerConfig> = {}): ServerConfig {
  return { cert: sid().certPem, key: sid().keyPem, ...extra };
}
function clientConfig(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { servername: 'localhost', pins: { certSha256: [sid().certSha256] }, ...extra };
}

/** One connection from the two options objects, run to completion (tickets delivered). */
function connect(c: ClientConfig, s: ServerConfig): Wire {
  return new Wire(new TlsClient(c), new TlsServer(s)).handshake();
}

const ticketEvents = (events: TlsEvent[]) => events.flatMap((e) => (e.type === 'newSessionTicket' ? [e] : []));

/** The PSK identities the connection's (first) ClientHello offered. */
function offered(wire: Wire): Uint8Array[] {
  return offeredPsks(clientHellos(wire.fromClient)[0]!.ch)?.identities.map((i) => i.identity) ?? [];
}

describe.each([
  ['node', nodeProvider],
  ['noble', nobleProvider],
] as const)('with the %s provider', (_n, provider: CryptoProvider) => {
  test('a second connection from the same options resumes: no certificate exchange, server chain kept', () => {
    const ccfg = clientConfig({ provider });
    const scfg = serverConfig({ provider });
    const first = connect(ccfg, scfg);
    expect(first.client.session!.resumed).toBe(false);
    expect(first.client.session!.psk).toBeUndefined();
    expect(offered(first)).toEqual([]);
    expect(ticketEvents(first.client.takeEvents())).toEqual([
      { type: 'newSessionTicket', lifetime: 7200 },
      { type: 'newSessionTicket', lifetime: 7200 },
    ]);

    const second = connect(ccfg, scfg);
    for (const s of [second.client.session!, second.server.session!]) {
      expect(s.resumed).toBe(true);
      expect(s.psk).toBe('resumption');
      expect(s.pskIdentity).toBeUndefined();
      expect(s.earlyData).toBe('none');
      expect(s.group).toBe('x25519'); // psk_dhe_ke by default
      expect(s.cipherSuite).toBe(first.client.session!.cipherSuite);
    }
    expect(offered(second).length).toBe(1);
    const ch = clientHellos(second.fromClient)[0]!.ch;
    expect(hasExtension(ch, ExtensionType.psk_key_exchange_modes)).toBe(true);
    expect(ch.extensions.at(-1)!.type).toBe(ExtensionType.pre_shared_key);
    // No Certificate/CertificateVerify in a PSK handshake: the client saw no signature...
    expect(second.client.session!.peerSignatureScheme).toBeUndefined();
    // ...but still reports the server chain of the session it resumed.
    expect(second.client.session!.peerCertificates.length).toBe(1);
    expect(sameBytes(second.client.session!.peerCertificates[0]!, sid().certDer)).toBe(true);
    // The resumed handshake is much shorter on the wire than the full one.
    expect(concat(second.fromServer).length).toBeLessThan(concat(first.fromServer).length - 200);
    const got = exchange(second, testData(20_000, 3), testData(20_000, 4));
    expect(sameBytes(got.atServer, testData(20_000, 3))).toBe(true);
    expect(sameBytes(got.atClient, testData(20_000, 4))).toBe(true);
  });
});

describe('tickets', () => {
  test('tickets and ticketLifetime are what the server sends', () => {
    const ccfg = clientConfig();
    const w = connect(ccfg, serverConfig({ tickets: 3, ticketLifetime: 60 }));
    expect(ticketEvents(w.client.takeEvents())).toEqual([
      { type: 'newSessionTicket', lifetime: 60 },
      { type: 'newSessionTicket', lifetime: 60 },
      { type: 'newSessionTicket', lifetime: 60 },
    ]);
  });

  test('tickets: 0 sends none, and the next connection is a full handshake', () => {
    const ccfg = clientConfig();
    const scfg = serverConfig({ tickets: 0 });
    const first = connect(ccfg, scfg);
    expect(ticketEvents(first.client.takeEvents())).toEqual([]);
    const second = connect(ccfg, scfg);
    expect(offered(second)).toEqual([]);
    expect(second.server.session!.resumed).toBe(false);
  });

  test('sessionStore: false never offers a ticket', () => {
    const ccfg = clientConfig({ sessionStore: false });
    const scfg = serverConfig();
    connect(ccfg, scfg);
    const second = connect(ccfg, scfg);
    expect(offered(second)).toEqual([]);
    expect(second.client.session!.resumed).toBe(false);
  });

  test('a ticket is offered once: successive connections offer distinct tickets, and each resumes', () => {
    const ccfg = clientConfig();
    const scfg = serverConfig();
    connect(ccfg, scfg);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const w = connect(ccfg, scfg);
      expect(w.server.session!.resumed).toBe(true);
      const ids = offered(w);
      expect(ids.length).toBe(1);
      const key = Buffer.from(ids[0]!).toString('hex');
      expect(seen.has(key)).toBe(false);
      seen.add(key);
    }
  });

  test('a ticket from one server options object is refused by another (full handshake); one sharing TicketKeys accepts it', () => {
    const ccfg = clientConfig({ sessionStore: new MemorySessionStore() });
    connect(ccfg, serverConfig());
    const other = connect(ccfg, serverConfig());
    expect(offered(other).length).toBe(1); // offered...
    expect(other.server.session!.resumed).toBe(false); // ...but not usable there
    expect(other.client.session!.resumed).toBe(false);
    expect(other.client.session!.peerSignatureScheme).toBe('ecdsa_secp256r1_sha256');

    const ticketKeys = new TicketKeys();
    const ccfg2 = clientConfig();
    connect(ccfg2, serverConfig({ ticketKeys }));
    const shared = connect(ccfg2, serverConfig({ ticketKeys }));
    expect(shared.server.session!.resumed).toBe(true);
  });

  test('a ticket the server cannot open (tampered identity) gives a full handshake, not an error', () => {
    const store = new MemorySessionStore();
    const tampering: SessionStore = {
      put: (k, s) => store.put(k, s),
      take: (k, now) => {
        const s = store.take(k, now);
        if (!s) return s;
        const ticket = s.ticket.slice();
        ticket[ticket.length - 1]! ^= 0x01; // breaks the ticket's GCM tag
        return { ...s, ticket };
      },
    };
    const ccfg = clientConfig({ sessionStore: tampering });
    const scfg = serverConfig();
    connect(ccfg, scfg);
    const w = connect(ccfg, scfg);
    expect(offered(w).length).toBe(1);
    expect(w.server.session!.resumed).toBe(false);
    expect(w.client.session!.resumed).toBe(false);
  });

  test('a session made with another server name is not offered, even under a shared store key (RFC 8446 section 4.6.1)', () => {
    const store = new MemorySessionStore();
    const scfg = serverConfig();
    connect(clientConfig({ sessionStore: store, sessionKey: 'shared' }), scfg);
    const w = connect(clientConfig({ sessionStore: store, sessionKey: 'shared', servername: 'other.test' }), scfg);
    expect(offered(w).length).toBe(0);
    expect(w.server.session!.serverName).toBe('other.test');
    expect(w.server.session!.resumed).toBe(false);
  });

  test('...and with the same name under that key it is offered and resumes (control)', () => {
    const store = new MemorySessionStore();
    const scfg = serverConfig();
    connect(clientConfig({ sessionStore: store, sessionKey: 'shared' }), scfg);
    const w = connect(clientConfig({ sessionStore: store, sessionKey: 'shared' }), scfg);
    expect(offered(w).length).toBe(1);
    expect(w.server.session!.resumed).toBe(true);
  });

  test('a session persisted with encodeStoredSession and restored resumes', () => {
    const saved = new Map<string, Uint8Array>();
    const persisting: SessionStore = {
      put: (k, s) => void saved.set(k, encodeStoredSession(s)),
      take: (k) => {
        const b = saved.get(k);
        saved.delete(k);
        return b ? decodeStoredSession(b) : undefined;
      },
    };
    const ccfg = clientConfig({ sessionStore: persisting });
    const scfg = serverConfig();
    connect(ccfg, scfg);
    expect(saved.size).toBe(1);
    const w = connect(ccfg, scfg);
    expect(w.server.session!.resumed).toBe(true);
    expect(sameBytes(w.client.session!.peerCertificates[0]!, sid().certDer)).toBe(true);
  });
});

describe('ticket expiry (injected clocks)', () => {
  const LIFETIME = 60; // seconds

  /** A first connection at t0 from fresh options with a 60 s ticket lifetime and the two clocks. */
  function setup() {
    const cc = manualClock();
    const sc = manualClock();
    const ccfg = clientConfig({ now: cc.now });
    const scfg = serverConfig({ now: sc.now, ticketLifetime: LIFETIME });
    connect(ccfg, scfg);
    return { cc, sc, ccfg, scfg };
  }

  test('just before the lifetime ends the ticket resumes (control)', () => {
    const { cc, sc, ccfg, scfg } = setup();
    cc.advance(LIFETIME * 1000 - 1000);
    sc.advance(LIFETIME * 1000 - 1000);
    const w = connect(ccfg, scfg);
    expect(offered(w).length).toBe(1);
    expect(w.server.session!.resumed).toBe(true);
    expect(w.client.session!.resumed).toBe(true);
  });

  test('a ticket past its lifetime is not used by the server: full handshake, resumed false on both ends', () => {
    const { cc, sc, ccfg, scfg } = setup();
    // The client's clock lags: it still thinks the ticket is fresh and offers it.
    cc.advance(1000);
    sc.advance(LIFETIME * 1000 + 1000);
    const w = connect(ccfg, scfg);
    expect(offered(w).length).toBe(1);
    expect(w.server.session!.resumed).toBe(false);
    expect(w.client.session!.resumed).toBe(false);
    expect(w.client.session!.psk).toBeUndefined();
    expect(w.client.session!.peerSignatureScheme).toBe('ecdsa_secp256r1_sha256');
  });

  test('the client store does not offer an expired ticket', () => {
    const { cc, sc, ccfg, scfg } = setup();
    cc.advance(LIFETIME * 1000);
    sc.advance(LIFETIME * 1000);
    const w = connect(ccfg, scfg);
    expect(offered(w)).toEqual([]);
    expect(hasExtension(clientHellos(w.fromClient)[0]!.ch, ExtensionType.pre_shared_key)).toBe(false);
    expect(w.client.session!.resumed).toBe(false);
  });

  test('MemorySessionStore.take drops expired sessions', () => {
    const clock = manualClock();
    const store = new MemorySessionStore();
    connect(clientConfig({ now: clock.now, sessionStore: store }), serverConfig({ ticketLifetime: LIFETIME }));
    expect(store.size).toBe(2);
    expect(store.take('localhost', clock.now() + LIFETIME * 1000)).toBeUndefined();
    expect(store.size).toBe(0);
  });
});

describe('binder tampering', () => {
  test('a modified binder byte in the ClientHello: the server sends decrypt_error (51), the client receives it', () => {
    const ccfg = clientConfig();
    const scfg = serverConfig();
    connect(ccfg, scfg);
    const wire = new Wire(new TlsClient(ccfg), new TlsServer(scfg));
    let binderCount = 0;
    const bytes = tamperClientHello(takeAll(wire.client), (ch, binders) => {
      binderCount = binders.length;
      ch[binders[0]! + 3]! ^= 0x40;
    });
    expect(binderCount).toBe(1);
    feed(wire, 'server', bytes);
    wire.pump();
    const err = expectAlert(wire, 'server', AlertDescription.decrypt_error);
    expect(err.message).toMatch(/binder/);
    expect(wire.server.handshakeComplete).toBe(false);
    expect(wire.client.handshakeComplete).toBe(false);
  });

  test('the same ClientHello unmodified resumes (control)', () => {
    const ccfg = clientConfig();
    const scfg = serverConfig();
    connect(ccfg, scfg);
    const wire = new Wire(new TlsClient(ccfg), new TlsServer(scfg));
    feed(wire, 'server', tamperClientHello(takeAll(wire.client), () => {}));
    wire.pump();
    expect(wire.errors).toEqual([]);
    expect(wire.server.session!.resumed).toBe(true);
  });

  test('a modified byte elsewhere in the ClientHello (covered by the binder) also fails the binder', () => {
    const ccfg = clientConfig();
    const scfg = serverConfig();
    connect(ccfg, scfg);
    const wire = new Wire(new TlsClient(ccfg), new TlsServer(scfg));
    // The last byte of the client random (offset 4 + 2 + 31).
    feed(wire, 'server', tamperClientHello(takeAll(wire.client), (ch) => void (ch[4 + 2 + 31]! ^= 0x01)));
    wire.pump();
    expectAlert(wire, 'server', AlertDescription.decrypt_error);
  });
});

describe('chains across resumption', () => {
  test('a resumed session keeps the client chain on the server and the server chain on the client, and so does the next', () => {
    const ccfg = clientConfig({ cert: cid().certPem, key: cid().keyPem });
    const scfg = serverConfig({ requestCert: true, pins: { certSha256: [cid().certSha256] } });
    const full = connect(ccfg, scfg);
    expect(full.server.session!.peerSignatureScheme).toBe('ed25519');
    for (let i = 0; i < 2; i++) {
      const w = connect(ccfg, scfg);
      expect(w.server.session!.resumed).toBe(true);
      expect(w.server.session!.peerCertificates.length).toBe(1);
      expect(sameBytes(w.server.session!.peerCertificates[0]!, cid().certDer)).toBe(true);
      expect(w.server.session!.peerSignatureScheme).toBeUndefined();
      expect(w.server.session!.authorizationError).toBeUndefined();
      expect(sameBytes(w.client.session!.peerCertificates[0]!, sid().certDer)).toBe(true);
    }
  });

  test('a session whose client certificate was refused (rejectUnauthorized false) gets no ticket: the next connection checks again', () => {
    const rogue = identity('ecdsa-p384');
    const ccfg = clientConfig({ cert: rogue.certPem, key: rogue.keyPem });
    const scfg = serverConfig({ requestCert: true, rejectUnauthorized: false, pins: { certSha256: [cid().certSha256] } });
    const full = connect(ccfg, scfg);
    expect(full.server.session!.authorizationError!.code).toBe('ERR_TLS_PIN_MISMATCH');
    expect(full.client.takeEvents().filter((e) => e.type === 'newSessionTicket')).toHaveLength(0);
    const w = connect(ccfg, scfg);
    expect(w.server.session!.resumed).toBe(false);
    expect(w.server.session!.authorizationError?.code).toBe('ERR_TLS_PIN_MISMATCH');
  });

  test('a session whose server certificate was refused (client rejectUnauthorized false) is not stored: the next connection checks again', () => {
    const ccfg = clientConfig({ rejectUnauthorized: false, pins: { certSha256: [identity('ecdsa-p384').certSha256] } });
    const scfg = serverConfig();
    const full = connect(ccfg, scfg);
    expect(full.client.session!.authorizationError!.code).toBe('ERR_TLS_PIN_MISMATCH');
    const w = connect(ccfg, scfg);
    expect(w.client.session!.resumed).toBe(false);
    expect(w.client.session!.authorizationError?.code).toBe('ERR_TLS_PIN_MISMATCH');
  });
});

describe('determinism', () => {
  /** The bytes of a resumed connection (with 0-RTT) after a full one, with injected random and now on both ends. */
  function resumedBytes(seed: string, provider: CryptoProvider): { up: Uint8Array; down: Uint8Array; resumed: boolean } {
    const now = () => 1_700_000_000_000;
    const ccfg = clientConfig({ provider, now, random: seededRandom(`${seed}/c`), earlyData: true, cert: cid().certPem, key: cid().keyPem });
    const scfg = serverConfig({ provider, now, random: seededRandom(`${seed}/s`), maxEarlyData: 4096, requestCert: true, pins: { certSha256: [cid().certSha256] } });
    connect(ccfg, scfg);
    const client = new TlsClient(ccfg);
    client.write(utf8('early bytes'));
    const wire = new Wire(client, new TlsServer(scfg));
    wire.pump({ read: true });
    if (wire.errors.length) throw wire.errors[0]!.error;
    expect(text(wire.readByServer)).toBe('early bytes');
    exchange(wire, testData(5000, 7), testData(5000, 8));
    return { up: concat(wire.fromClient), down: concat(wire.fromServer), resumed: wire.server.session!.resumed };
  }

  test('a resumed handshake (with 0-RTT) puts identical bytes on the wire in two runs', () => {
    const a = resumedBytes('r1', nodeProvider);
    const b = resumedBytes('r1', nodeProvider);
    expect(a.resumed).toBe(true);
    expect(sameBytes(a.up, b.up)).toBe(true);
    expect(sameBytes(a.down, b.down)).toBe(true);
  });

  test('another seed gives other bytes (the comparison can fail)', () => {
    const a = resumedBytes('r1', nodeProvider);
    const b = resumedBytes('r2', nodeProvider);
    expect(sameBytes(a.up, b.up)).toBe(false);
    expect(sameBytes(a.down, b.down)).toBe(false);
  });

  test('the noble and node providers put the same bytes on the wire', () => {
    const a = resumedBytes('r3', nodeProvider);
    const b = resumedBytes('r3', nobleProvider);
    expect(sameBytes(a.up, b.up)).toBe(true);
    expect(sameBytes(a.down, b.down)).toBe(true);
  });
});
