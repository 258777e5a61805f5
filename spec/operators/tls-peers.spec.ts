/**
 * tlsClient / tlsServer with the engine's peer features: client certificates (in the handshake
 * and after it, through `TlsServerDuplex.requestCertificate()`), resumption across connections
 * made by one operator, 0-RTT early data (accepted and refused), external PSKs and raw public
 * keys. Each scenario runs over an in-memory duplexPair and over real 127.0.0.1 sockets.
 */
import { X509Certificate } from 'node:crypto';
import { firstValueFrom, of, take } from 'rxjs';
import { tlsClient, type TlsClientOptions } from '../../src/operators/tls-client.js';
import { tlsServer, type TlsServerOptions } from '../../src/operators/tls-server.js';
import { TlsAlertError, TlsError, TlsMisuseError } from '../../src/tls/errors.js';
import type { TlsEvent } from '../../src/tls/session.js';
import { disposeTestPki, testPki, type TestPki } from '../interop/support/certs.js';
import { disposeExtraPki, extraPki } from '../interop/support/certs-extra.js';
import {
  bothFail, echoOnce, enc, errorOf, loopbackTransport, memoryTransport, settle, text, type Transport,
} from './tls-peers.support.js';

let pki: TestPki;
let rogue: { certPem: string; keyPem: string };
beforeAll(() => {
  pki = testPki();
  rogue = extraPki().rogueClient;
});
afterAll(() => {
  disposeTestPki();
  disposeExtraPki();
});

const der = (pem: string): Uint8Array => new Uint8Array(new X509Certificate(pem).raw);
const serverOptions = (extra: Partial<TlsServerOptions> = {}): TlsServerOptions => ({
  cert: pki.server['ecdsa-p256'].chainPem, key: pki.server['ecdsa-p256'].keyPem, ...extra,
});
const clientOptions = (extra: Partial<TlsClientOptions> = {}): TlsClientOptions => ({ servername: 'localhost', ca: pki.caCertPem, ...extra });
/** The test PKI's client identity. */
const clientIdentity = (): Partial<TlsClientOptions> => ({ cert: pki.client.certPem, key: pki.client.keyPem });
const alertOf = (e: unknown): { alert: number; fromPeer: boolean } | string =>
  e instanceof TlsAlertError ? { alert: e.alert, fromPeer: e.fromPeer } : `${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`;

describe.each([['duplexPair', memoryTransport], ['loopback sockets', loopbackTransport]] as const)('over %s', (_name, makeTransport) => {
  let t: Transport;
  beforeEach(() => {
    t = makeTransport();
  });
  afterEach(() => t.close());

  /** One connection: the client and server operators applied to a fresh pair. */
  async function connection(client: ReturnType<typeof tlsClient>, server: ReturnType<typeof tlsServer>) {
    const p = await t.pair();
    return { c: p.client.pipe(client), s: p.server.pipe(server) };
  }

  describe('client certificates', () => {
    it('a server requiring one (ca) gets the chain its CA issued; the session shows it', async () => {
      const { c, s } = await connection(tlsClient(clientOptions(clientIdentity())), tlsServer(serverOptions({ requestCert: true, ca: pki.caCertPem })));
      const r = await echoOnce(c, s, 'hello');
      expect(r.clientGot).toBe('hello');
      expect(r.server.peerCertificates.length).toBeGreaterThanOrEqual(1);
      expect(Buffer.from(r.server.peerCertificates[0]!).equals(Buffer.from(der(pki.client.certPem)))).toBe(true);
      expect(r.server.authorizationError).toBeUndefined();
      expect(r.server.certificateType).toBe('x509');
    });

    it('refuses a client with none (certificate_required) or one of an unknown CA (unknown_ca)', async () => {
      const server = tlsServer(serverOptions({ requestCert: true, ca: pki.caCertPem }));
      const none = await connection(tlsClient(clientOptions()), server);
      const noneEnd = await bothFail(none.c, none.s);
      expect(alertOf(noneEnd.client)).toEqual({ alert: 116, fromPeer: true });
      expect(noneEnd.server).toBeInstanceOf(TlsError);
      const unknown = await connection(tlsClient(clientOptions({ cert: rogue.certPem, key: rogue.keyPem })), server);
      const unknownEnd = await bothFail(unknown.c, unknown.s);
      expect(alertOf(unknownEnd.client)).toEqual({ alert: 48, fromPeer: true });
      expect(unknownEnd.server).toBeInstanceOf(TlsError);
    });

    it('with rejectUnauthorized: false, lets a refused client in and says why', async () => {
      const server = tlsServer(serverOptions({ requestCert: true, rejectUnauthorized: false, ca: pki.caCertPem }));
      const { c, s } = await connection(tlsClient(clientOptions({ cert: rogue.certPem, key: rogue.keyPem })), server);
      const r = await echoOnce(c, s, 'let in');
      expect(r.serverGot).toBe('let in');
      expect(r.server.peerCertificates).toHaveLength(1);
      expect(r.server.authorizationError).toBeInstanceOf(Error);
    });
  });

  describe('post-handshake authentication (TlsServerDuplex.requestCertificate)', () => {
    /** A client that presents its certificate only when asked after the handshake. */
    const onDemand = (): TlsClientOptions =>
      clientOptions({ selectCertificate: (req) => (req.postHandshake ? { cert: pki.client.certPem, key: pki.client.keyPem } : null) });

    it('asks for a certificate on a live connection; peerCertificate$ gives the chain; data still flows', async () => {
      const server = tlsServer(serverOptions({ requestCert: true, rejectUnauthorized: false, ca: pki.caCertPem }));
      const { c, s } = await connection(tlsClient(onDemand()), server);
      const clientRead = settle(c.read(of(Infinity)));
      const serverEcho = settle(s.write(s.read(of(Infinity))));
      const [, handshake] = await Promise.all([firstValueFrom(c.session$), firstValueFrom(s.session$)]);
      expect(handshake.peerCertificates).toHaveLength(0);
      expect(handshake.authorizationError).toBeDefined(); // no certificate yet
      const answer = settle(s.peerCertificate$.pipe(take(1)));
      s.requestCertificate();
      const got = await answer;
      if (!got.ok) throw got.error;
      const ev = got.values[0]!;
      expect(ev.type).toBe('peerCertificate');
      expect(Buffer.from(ev.chain[0]!).equals(Buffer.from(der(pki.client.certPem)))).toBe(true);
      expect(ev.authorizationError).toBeUndefined();
      // The connection goes on: a request after the authentication is echoed, then both close.
      expect((await settle(c.write(of(enc('after auth'))))).ok).toBe(true);
      const read = await clientRead;
      expect(read.ok && text(read.values)).toBe('after auth');
      expect((await serverEcho).ok).toBe(true);
    });

    it('throws TlsMisuseError before the handshake, and when the client did not offer it', async () => {
      const server = tlsServer(serverOptions({ requestCert: true, rejectUnauthorized: false, ca: pki.caCertPem }));
      const { c, s } = await connection(tlsClient(clientOptions()), server);
      expect(() => s.requestCertificate()).toThrow(TlsMisuseError); // not started
      const clientRead = settle(c.read(of(Infinity)));
      const serverEcho = settle(s.write(s.read(of(Infinity))));
      await firstValueFrom(s.session$);
      expect(() => s.requestCertificate()).toThrow(/did not offer post-handshake authentication/);
      await settle(c.write(of(enc('x'))));
      expect((await clientRead).ok).toBe(true);
      expect((await serverEcho).ok).toBe(true);
      expect(() => s.requestCertificate()).toThrow(TlsMisuseError); // after closeWrite
    });

    it("throws TlsMisuseError once the client has sent close_notify (it could not answer)", async () => {
      const server = tlsServer(serverOptions({ requestCert: true, rejectUnauthorized: false, ca: pki.caCertPem }));
      const { c, s } = await connection(tlsClient(clientOptions(clientIdentity())), server);
      const serverRead = settle(s.read(of(Infinity)));
      const clientRead = settle(c.read(of(Infinity)));
      expect((await settle(c.write(of(enc('bye'))))).ok).toBe(true); // close_notify follows
      expect((await serverRead).ok).toBe(true);
      expect(() => s.requestCertificate()).toThrow(/after the client sent close_notify/);
      expect((await settle(s.write(of(enc('still writable'))))).ok).toBe(true);
      const read = await clientRead;
      expect(read.ok && text(read.values)).toBe('still writable');
    });

    it('a refused answer fails the connection: peerCertificate$, the reads and the writes error', async () => {
      // A good certificate in the handshake, one of an unknown CA when asked again.
      const twoFaced = clientOptions({
        selectCertificate: (req) => (req.postHandshake ? { cert: rogue.certPem, key: rogue.keyPem } : { cert: pki.client.certPem, key: pki.client.keyPem }),
      });
      const { c, s } = await connection(tlsClient(twoFaced), tlsServer(serverOptions({ requestCert: true, ca: pki.caCertPem })));
      const clientRead = settle(c.read(of(Infinity)));
      const serverRead = settle(s.read(of(Infinity)));
      expect((await firstValueFrom(s.session$)).peerCertificates.length).toBeGreaterThanOrEqual(1);
      const answer = settle(s.peerCertificate$);
      s.requestCertificate();
      const refusal = errorOf(await answer);
      expect(refusal).toBeInstanceOf(TlsError);
      expect(errorOf(await serverRead)).toBe(refusal);
      expect(alertOf(errorOf(await clientRead))).toEqual({ alert: 48, fromPeer: true });
      expect(errorOf(await settle(s.write(of(enc('too late')))))).toBe(refusal);
      expect(() => s.requestCertificate()).toThrow(refusal as Error);
    });
  });

  describe('resumption', () => {
    it('the second connection through the same tlsClient operator resumes; the client sees the tickets on events$', async () => {
      const client = tlsClient(clientOptions(clientIdentity()));
      const server = tlsServer(serverOptions({ requestCert: true, ca: pki.caCertPem }));
      const one = await connection(client, server);
      const events = settle(one.c.events$);
      const r1 = await echoOnce(one.c, one.s, 'first');
      const seen = await events;
      // The server's close_notify is an alert (0, from the peer) and the end of its data.
      expect(seen.ok && seen.values.map((e: TlsEvent) => (e.type === 'alert' ? `alert ${e.alert}${e.fromPeer ? ' from peer' : ''}` : e.type))).toEqual([
        'handshake', 'newSessionTicket', 'newSessionTicket', 'alert 0 from peer', 'peerClosed',
      ]);
      const two = await connection(client, server);
      const r2 = await echoOnce(two.c, two.s, 'second');
      expect([r1.client.resumed, r1.server.resumed]).toEqual([false, false]);
      expect([r2.client.resumed, r2.server.resumed]).toEqual([true, true]);
      expect([r2.client.psk, r2.server.psk]).toEqual(['resumption', 'resumption']);
      expect(r2.clientGot).toBe('second');
      // What was authenticated in the first connection carries over.
      expect(r2.server.peerCertificates).toHaveLength(r1.server.peerCertificates.length);
      expect(r2.client.peerCertificates).toHaveLength(r1.client.peerCertificates.length);
      expect(r2.client.earlyData).toBe('none');
    });

    it('another options object starts afresh, the same one resumes through another tlsClient() call; sessionStore: false never resumes', async () => {
      const server = tlsServer(serverOptions());
      const resumedOver = async (client: ReturnType<typeof tlsClient>, message: string): Promise<boolean> => {
        const { c, s } = await connection(client, server);
        return (await echoOnce(c, s, message)).client.resumed;
      };
      expect(await resumedOver(tlsClient(clientOptions()), 'a')).toBe(false);
      expect(await resumedOver(tlsClient(clientOptions()), 'b')).toBe(false); // equal options, another object
      const shared = clientOptions();
      expect(await resumedOver(tlsClient(shared), 'c')).toBe(false);
      expect(await resumedOver(tlsClient(shared), 'd')).toBe(true); // the same object, another tlsClient() call
      const noStore = tlsClient(clientOptions({ sessionStore: false }));
      expect(await resumedOver(noStore, 'e')).toBe(false);
      expect(await resumedOver(noStore, 'f')).toBe(false);
    });
  });

  describe('0-RTT early data', () => {
    /** A first connection for the ticket, then the second one's echo of `message`. */
    async function secondConnection(serverExtra: Partial<TlsServerOptions>, message: string | Uint8Array) {
      const client = tlsClient(clientOptions({ earlyData: true }));
      const server = tlsServer(serverOptions({ maxEarlyData: 4096, ...serverExtra }));
      const one = await connection(client, server);
      const first = await echoOnce(one.c, one.s, 'ticket please');
      expect(first.client.earlyData).toBe('none');
      const two = await connection(client, server);
      return echoOnce(two.c, two.s, message);
    }

    it('what the client writes before the handshake reaches the server before its handshake completes', async () => {
      const r = await secondConnection({}, 'GET /early');
      expect([r.client.earlyData, r.server.earlyData]).toEqual(['accepted', 'accepted']);
      expect(r.client.resumed).toBe(true);
      expect(r.serverGot).toBe('GET /early');
      expect(r.serverOrder[0]).toBe('data'); // read before session$: it came as 0-RTT
      expect(r.clientGot).toBe('GET /early');
    });

    it('past max_early_data the rest follows after the handshake, in order, once', async () => {
      const big = Buffer.alloc(10_000, 0).map((_, i) => 97 + (i % 26));
      const r = await secondConnection({}, big);
      expect(r.server.earlyData).toBe('accepted');
      expect(r.serverGot).toBe(big.toString());
      expect(r.clientGot).toBe(big.toString());
    });

    it('refused by the server (anti-replay), the data still arrives exactly once, after the handshake', async () => {
      const r = await secondConnection({ antiReplay: { claim: () => false } }, 'GET /replayable');
      expect([r.client.earlyData, r.server.earlyData]).toEqual(['rejected', 'rejected']);
      expect([r.client.resumed, r.server.resumed]).toEqual([true, true]);
      expect(r.serverGot).toBe('GET /replayable');
      expect(r.serverOrder[0]).toBe('session');
      expect(r.clientGot).toBe('GET /replayable');
    });
  });

  describe('external PSK', () => {
    const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
    const pskServer = (extra: Partial<TlsServerOptions> = {}) =>
      tlsServer({ pskCallback: (identity) => (identity === 'device-7' ? key : null), ...extra });

    it('authenticates both sides without certificates (psk_dhe_ke)', async () => {
      const { c, s } = await connection(tlsClient({ psk: { identity: 'device-7', key } }), pskServer());
      const r = await echoOnce(c, s, 'over psk');
      expect(r.clientGot).toBe('over psk');
      for (const side of [r.client, r.server]) {
        expect(side.psk).toBe('external');
        expect(side.peerCertificates).toHaveLength(0);
        expect(side.group).toBe('x25519');
        expect(side.cipherSuite).toMatch(/SHA256$/);
      }
      expect(r.server.pskIdentity).toBe('device-7');
    });

    it('psk_ke when both ask for it: no key exchange group', async () => {
      const { c, s } = await connection(tlsClient({ psk: { identity: 'device-7', key }, pskModes: ['psk_ke'] }), pskServer({ pskModes: ['psk_ke'] }));
      const r = await echoOnce(c, s, 'no dhe');
      expect([r.client.group, r.server.group]).toEqual([undefined, undefined]);
    });

    it('a wrong key or an unknown identity fails both sides', async () => {
      const wrongKey = await connection(tlsClient({ psk: { identity: 'device-7', key: new Uint8Array(32) } }), pskServer());
      const a = await bothFail(wrongKey.c, wrongKey.s);
      expect(a.client).toBeInstanceOf(TlsAlertError);
      expect(a.server).toBeInstanceOf(TlsError);
      const stranger = await connection(tlsClient({ psk: { identity: 'device-8', key } }), pskServer());
      const b = await bothFail(stranger.c, stranger.s);
      expect(b.client).toBeInstanceOf(TlsAlertError);
      expect(b.server).toBeInstanceOf(TlsError);
    });
  });

  it('raw public keys (RFC 7250): the server presents its key alone, checked against an SPKI pin', async () => {
    const raw = extraPki().rawPublicKey(pki.server['ed25519'].keyPath);
    const { c, s } = await connection(
      tlsClient({ rawPublicKey: true, pins: { spkiSha256: [raw.spkiSha256] } }),
      tlsServer({ key: raw.keyPem, rawPublicKey: true }),
    );
    const r = await echoOnce(c, s, 'raw');
    expect(r.client.certificateType).toBe('raw');
    expect(Buffer.from(r.client.peerCertificates[0]!).equals(raw.spkiDer)).toBe(true);
  });
});
