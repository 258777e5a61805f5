/**
 * rxtls's authentication and resumption features against real peers over loopback: mutual
 * TLS (client certificates, `selectCertificate`, post-handshake authentication), session
 * resumption with tickets, 0-RTT early data, external PSKs, and raw public keys (RFC 7250).
 * Peers: OpenSSL 3.0 `s_server`/`s_client`, Node's `tls` (OpenSSL inside, in this process),
 * and GnuTLS 3.7 `gnutls-serv`/`gnutls-cli` (in a private network namespace, ./support/netns.ts).
 * Our engine runs over real sockets (./support/engine-socket.ts), no RxJS involved.
 *
 * What each tool does and prints, as observed tool against tool, is written down at the top
 * of ./support/auth-peers.ts (OpenSSL, GnuTLS) and ./support/peers.ts (basics).
 *
 * Every test checks both ends: what our session reports (resumed, earlyData, psk,
 * peerCertificates, the alert) AND what the peer printed or logged (Reused, Early data was
 * accepted, the client certificate it verified, the alert it got), and moves data both ways
 * afterwards, checked by SHA-256 and, for early data, counted (exactly once).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import type { CertificateRequestInfo, ClientConfig } from '../../src/tls/client/config.js';
import { TlsClient } from '../../src/tls/client/tls13.js';
import type { TlsConnection } from '../../src/tls/connection.js';
import { CipherSuite } from '../../src/tls/constants.js';
import { TlsAlertError, type TlsError } from '../../src/tls/errors.js';
import { MemorySessionStore } from '../../src/tls/resumption/index.js';
import type { ServerConfig } from '../../src/tls/server/config.js';
import { TlsServer } from '../../src/tls/server/tls13.js';
import type { TlsEvent } from '../../src/tls/session.js';
import { disposeExtraPki, extraPki, type ExtraPki } from './support/certs-extra.js';
import { disposeTestPki, testPki, type CertAndKey, type TestPki } from './support/certs.js';
import {
  Alert, occurrences, pemBlocks, sClientSummary, sServerClientCertificates, sServerEarlyData, sServerReused, startSClient,
  startSServer, tempFiles, type CliPsk, type TempFiles,
} from './support/auth-peers.js';
import type { EngineSession } from './support/engine-socket.js';
import { connectTracked, destroyAll, listenEngine, recordEvents, track, within } from './support/engine-peers.js';
import { connectEngineUnix, listenEngineUnix, type EngineListener as UnixListener, type ObservedSession } from './support/gnutls-engine.js';
import { requireNetns, unixSocketPath } from './support/netns.js';
import {
  checkPayload, collect, connectNodeTls, makePayload, opensslTraceRecords, sha256, startGnutlsClient, startGnutlsServer,
  startNodeTlsServer, writeAll, type Collected, type GnutlsClient, type GnutlsClientOptions, type GnutlsServer,
  type GnutlsServerOptions, type OpensslPeer, type Payload,
} from './support/peers.js';
import { processes, stopProcessesAfterAll } from './support/process.js';
import { RecordingStore } from './support/recording-store.js';

const KiB = 1 << 10;
const TEST_MS = 30_000;
/** Tests that run three connections. */
const LONG_MS = 45_000;
/** Bound on one handshake, one transfer, one close. */
const STEP_MS = 15_000;

/** The external PSK both sides use (32 bytes), and its identity. */
const PSK: CliPsk = { identity: 'rxtls-id', key: new Uint8Array(Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex')) };
/** Another key under the same identity: a wrong key. */
const WRONG_PSK: CliPsk = { identity: PSK.identity, key: new Uint8Array(32).fill(0x5a) };

/** Keying material exporter inputs (RFC 8446 section 7.5), the same on both ends. */
const EKM_LABEL = 'EXPORTER-rxtls-interop';
const EKM_CONTEXT = Buffer.from('peers.spec context');

stopProcessesAfterAll();

let pki: TestPki;
let extra: ExtraPki;
let files: TempFiles;
/** Undone after each test, last first (node servers, gnutls peers, unix listeners). */
const cleanups: (() => unknown)[] = [];

beforeAll(() => {
  pki = testPki();
  extra = extraPki();
  files = tempFiles();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      await c();
    } catch {
      // Best effort: the registry's afterAll still stops every process.
    }
  }
  await destroyAll();
});
afterAll(() => {
  files?.dispose();
  disposeExtraPki();
  disposeTestPki();
});

// ------------------------------------------------------------------------------- helpers

/** Hex of a byte string, for readable equality failures. */
function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** The DER of the first certificate in `pem`, hex. */
function derHex(pem: string): string {
  const [der] = pemBlocks(pem, 'CERTIFICATE');
  if (!der) throw new Error('no CERTIFICATE in PEM');
  return hex(der);
}

/** One DER TLV: where its contents start and where it ends. */
function tlv(der: Uint8Array, at: number): { tag: number; body: number; end: number } {
  const tag = der[at]!;
  let len = der[at + 1]!;
  let body = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[body + i]!;
    body += n;
  }
  return { tag, body, end: body + len };
}

/**
 * The DER subject Name of a certificate (what certificate_authorities lists), read with a
 * ten-line DER walk so the expectation does not come from the code under test.
 */
function subjectDer(certDer: Uint8Array): Buffer {
  const tbs = tlv(certDer, tlv(certDer, 0).body);
  let at = tbs.body;
  if (certDer[at] === 0xa0) at = tlv(certDer, at).end; // [0] version
  for (let i = 0; i < 4; i++) at = tlv(certDer, at).end; // serial, signature, issuer, validity
  return Buffer.from(certDer.subarray(at, tlv(certDer, at).end));
}

function traceCount(peer: OpensslPeer, direction: 'sent' | 'received', re: RegExp): number {
  return opensslTraceRecords(peer.trace()).filter((r) => r.direction === direction && re.test(r.text)).length;
}

const CLOSE_NOTIFY = /description=close notify/;
/** A fatal certificate_required alert in an OpenSSL 3.0 trace, which names it `unknown(116)`. */
const ALERT_116 = /Level=fatal\(2\), description=[^(\n]*\(116\)/;
/** The pre_shared_key extension in an OpenSSL trace. */
const PSK_EXT = /extension_type=psk\(41\)/;

/** Waits (bounded) until `check()` holds, polling every 20 ms. */
async function until(check: () => boolean, what: string, timeoutMs = STEP_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Our end of a connection: the engine, its socket driver and every event it reported. */
interface Ours<C extends TlsConnection = TlsConnection> {
  readonly sess: EngineSession;
  readonly conn: C;
  readonly events: TlsEvent[];
}

/*
 * The engine keeps state per options object (a client's default session store, a server's
 * default ticket keys and anti-replay), so connections meant to resume each other are made
 * from the SAME object; engine-peers.ts's `chainServer`/`pinnedClient` copy their options and
 * so can never resume.
 */

/** Our TlsServer(s) on 127.0.0.1, one engine per connection, all made from `opts` itself. */
async function ourServer(opts: ServerConfig): Promise<{ port: number; accept(): Promise<Ours<TlsServer>> }> {
  const made = new WeakMap<TlsConnection, { conn: TlsServer; events: TlsEvent[] }>();
  const l = await listenEngine(() => {
    const conn = new TlsServer(opts);
    made.set(conn, { conn, events: recordEvents(conn) });
    return conn;
  });
  return {
    port: l.port,
    accept: async () => {
      const sess = await l.accept(STEP_MS);
      return { sess, ...made.get(sess.conn)! };
    },
  };
}

/** Our TlsClient (made from `opts` itself) connected to 127.0.0.1:port; the handshake is under way. */
async function ourClient(opts: ClientConfig, port: number): Promise<Ours<TlsClient>> {
  const conn = new TlsClient(opts);
  const events = recordEvents(conn);
  const sess = await connectTracked(conn, port);
  return { sess, conn, events };
}

/** The lifetimes (seconds) of the `newSessionTicket` events in `events`, in order. */
function ticketLifetimes(events: readonly TlsEvent[]): number[] {
  return events.flatMap((e) => (e.type === 'newSessionTicket' ? [e.lifetime] : []));
}

/** The chains of the `peerCertificate` events (post-handshake authentication), in order. */
function peerCertificateEvents(events: readonly TlsEvent[]): (readonly Uint8Array[])[] {
  return events.flatMap((e) => (e.type === 'peerCertificate' ? [e.chain] : []));
}

/** Waits for our side's handshake, naming the peer in a failure. */
async function handshake(o: Ours, peer: string): Promise<void> {
  await within(o.sess.handshake, STEP_MS, `the handshake with ${peer}`);
}

/**
 * Waits until the connection has failed (the error our engine raised or received) and returns
 * the error. In TLS 1.3 a client's handshake completes before the server judges its
 * certificate, so the failure may come after a successful handshake.
 */
async function failure(o: { sess: EngineSession }, what: string): Promise<TlsError> {
  await within(o.sess.closed.then(() => undefined, () => undefined), STEP_MS, what);
  const err = o.sess.error();
  if (!err) throw new Error(`${what}: the connection closed without an error`);
  return err;
}

/** Expects `err` to be the fatal alert `alert` received from the peer. */
function expectPeerAlert(err: TlsError, alert: number): void {
  expect(err).toBeInstanceOf(TlsAlertError);
  expect({ alert: err.alert, fromPeer: (err as TlsAlertError).fromPeer }).toEqual({ alert, fromPeer: true });
}

/** Expects an OpenSSL CLI peer to have failed (exit code not 0) reporting alert `n` (`SSL alert number n`). */
async function expectOpensslGotAlert(peer: OpensslPeer, n: number, text: RegExp): Promise<void> {
  const status = await peer.process.waitForExit(STEP_MS);
  expect(status.code).not.toBe(0);
  const err = peer.process.stderr().toString('latin1');
  expect(err).toMatch(text);
  expect(err).toMatch(new RegExp(`SSL alert number ${n}\\b`));
}

/** Waits until the OpenSSL peer's stdout holds `p` in one piece. */
async function peerGot(peer: OpensslPeer, p: Payload): Promise<void> {
  await peer.process.waitFor(function payloadArrived() {
    return checkPayload(peer.received(), p) === undefined;
  }, { stream: 'stdout', timeoutMs: STEP_MS });
  expect(checkPayload(peer.received(), p)).toBeUndefined();
}

/** `size` bytes each way between an OpenSSL peer and us, checked by SHA-256 on both ends. */
async function exchange(peer: OpensslPeer, sess: EngineSession, size = 4 * KiB): Promise<void> {
  const already = sess.received().length;
  const down = makePayload(size);
  const up = makePayload(size);
  sess.send(up.data);
  await peer.send(down.data);
  await sess.waitFor(already + size, STEP_MS);
  expect(sess.received().length).toBe(already + size);
  expect(sha256(sess.received().subarray(already))).toBe(down.sha256);
  await peerGot(peer, up);
}

/**
 * We close first; the OpenSSL peer answers with close_notify. With `exits` (its last
 * connection) it must then exit 0 and its trace show one close_notify each way.
 */
async function closeFromUs(peer: OpensslPeer, sess: EngineSession, exits = true): Promise<void> {
  sess.end();
  await within(sess.closed, STEP_MS, "the peer's close_notify");
  expect(sess.conn.peerClosed).toBe(true);
  expect(sess.error()).toBeUndefined();
  sess.socket.end();
  if (!exits) return;
  expect((await peer.process.waitForExit(STEP_MS)).code).toBe(0);
  expect(traceCount(peer, 'received', CLOSE_NOTIFY)).toBeGreaterThanOrEqual(1);
  expect(traceCount(peer, 'sent', CLOSE_NOTIFY)).toBeGreaterThanOrEqual(1);
}

/** Server options presenting the ECDSA P-256 `localhost` chain. */
function serverIdentity(extraOpts: ServerConfig = {}): ServerConfig {
  const id = pki.server['ecdsa-p256'];
  return { cert: id.chainPem, key: id.keyPem, ...extraOpts };
}

/** Client options verifying `localhost` against the test CA. */
function clientVerifying(extraOpts: ClientConfig = {}): ClientConfig {
  return { servername: 'localhost', ca: pki.caCertPem, ...extraOpts };
}

/** Client certificate options. */
function clientCert(c: CertAndKey = pki.client): ClientConfig {
  return { cert: c.certPem, key: c.keyPem };
}

// ================================================================================ OpenSSL

describe('client certificates (mutual TLS) with OpenSSL', () => {
  describe('openssl s_client -> our TlsServer (requestCert)', () => {
    test('s_client -cert: accepted, the session carries its certificate, s_client saw our CA in certificate_authorities', async () => {
      const srv = await ourServer(serverIdentity({ requestCert: true, ca: pki.caCertPem }));
      const accepted = srv.accept();
      const cli = await startSClient({ port: srv.port, caPath: pki.caCertPath, cert: pki.client });
      const ours = await accepted;
      await handshake(ours, 's_client -cert');
      const s = ours.conn.session!;
      expect(s.peerCertificates.length).toBeGreaterThanOrEqual(1);
      expect(hex(s.peerCertificates[0]!)).toBe(derHex(pki.client.certPem));
      expect(s.certificateType).toBe('x509');
      expect(s.authorizationError).toBeUndefined();
      await exchange(cli, ours.sess);
      await closeFromUs(cli, ours.sess);
      // s_client got a CertificateRequest naming our CA, and answered with Certificate + CertificateVerify.
      expect(traceCount(cli, 'received', /CertificateRequest[\s\S]*extension_type=certificate_authorities\(47\)/)).toBe(1);
      expect(traceCount(cli, 'sent', /CertificateVerify/)).toBe(1);
      expect(cli.process.stderr().toString()).toMatch(/\nRequested Signature Algorithms: /);
    }, TEST_MS);

    test('s_client without a certificate: we refuse with certificate_required (116), s_client reports it', async () => {
      const srv = await ourServer(serverIdentity({ requestCert: true, ca: pki.caCertPem }));
      const accepted = srv.accept();
      const cli = await startSClient({ port: srv.port, caPath: pki.caCertPath, expectFailure: true });
      const ours = await accepted;
      const err = await failure(ours, 'our refusal');
      expect(err.alert).toBe(Alert.certificate_required);
      expect(ours.conn.session?.peerCertificates ?? []).toEqual([]);
      await expectOpensslGotAlert(cli, Alert.certificate_required, /alert certificate required/);
      expect(traceCount(cli, 'received', ALERT_116)).toBe(1);
    }, TEST_MS);

    test('s_client with a self-signed certificate no trusted CA issued: refused with unknown_ca or bad_certificate', async () => {
      const srv = await ourServer(serverIdentity({ requestCert: true, ca: pki.caCertPem }));
      const accepted = srv.accept();
      const cli = await startSClient({ port: srv.port, caPath: pki.caCertPath, cert: extra.rogueClient, expectFailure: true });
      const ours = await accepted;
      const err = await failure(ours, 'our refusal');
      expect([Alert.unknown_ca, Alert.bad_certificate]).toContain(err.alert);
      await expectOpensslGotAlert(cli, err.alert, /alert (unknown ca|bad certificate)/);
    }, TEST_MS);

    test('rejectUnauthorized false: the untrusted client certificate is let in and reported as authorizationError', async () => {
      const srv = await ourServer(serverIdentity({ requestCert: true, rejectUnauthorized: false, ca: pki.caCertPem }));
      const accepted = srv.accept();
      const cli = await startSClient({ port: srv.port, caPath: pki.caCertPath, cert: extra.rogueClient });
      const ours = await accepted;
      await handshake(ours, 's_client with a rogue certificate');
      const s = ours.conn.session!;
      expect(hex(s.peerCertificates[0] ?? new Uint8Array())).toBe(derHex(extra.rogueClient.certPem));
      expect(s.authorizationError).toBeDefined();
      await exchange(cli, ours.sess);
      await closeFromUs(cli, ours.sess);
    }, TEST_MS);

    test('post-handshake authentication: requestCertificate() to s_client -enable_pha; the peerCertificate event carries its certificate', async () => {
      const srv = await ourServer(serverIdentity({ requestCert: true, rejectUnauthorized: false, ca: pki.caCertPem }));
      const accepted = srv.accept();
      const cli = await startSClient({ port: srv.port, caPath: pki.caCertPath, cert: pki.client, enablePha: true });
      const ours = await accepted;
      await handshake(ours, 's_client -enable_pha');
      await exchange(cli, ours.sess);
      expect(peerCertificateEvents(ours.events)).toEqual([]);
      ours.conn.requestCertificate();
      ours.sess.flush();
      await until(() => peerCertificateEvents(ours.events).length > 0, 'the peerCertificate event');
      const [chain] = peerCertificateEvents(ours.events);
      expect(hex(chain![0] ?? new Uint8Array())).toBe(derHex(pki.client.certPem));
      await exchange(cli, ours.sess);
      await closeFromUs(cli, ours.sess);
      // Two CertificateRequests reached s_client: in the handshake and after it.
      expect(traceCount(cli, 'received', /CertificateRequest/)).toBe(2);
      expect(traceCount(cli, 'sent', /CertificateVerify/)).toBe(2);
    }, TEST_MS);
  });

  describe('our TlsClient (cert/key) -> openssl s_server -Verify 1', () => {
    test('cert/key: s_server verifies our certificate (verify return:1) and prints it', async () => {
      const srv = await startSServer({ cert: pki.server['ecdsa-p256'], clientCa: pki.caCertPath });
      const ours = await ourClient(clientVerifying(clientCert()), srv.port);
      await handshake(ours, 's_server -Verify 1');
      await exchange(srv, ours.sess);
      await closeFromUs(srv, ours.sess);
      expect(sServerClientCertificates(srv.process.stdout()).map(hex)).toEqual([derHex(pki.client.certPem)]);
      expect(srv.process.stdout().toString('latin1')).toMatch(/\nsubject=CN = rxtls test client\n/);
      expect(srv.process.stderr().toString('latin1')).toMatch(/depth=0 CN = rxtls test client\nverify return:1\n/);
      expect(traceCount(srv, 'received', /CertificateVerify/)).toBe(1);
    }, TEST_MS);

    test('no certificate: s_server refuses us with certificate_required (116)', async () => {
      const srv = await startSServer({ cert: pki.server['ecdsa-p256'], clientCa: pki.caCertPath });
      const ours = await ourClient(clientVerifying(), srv.port);
      expectPeerAlert(await failure(ours, "s_server's refusal"), Alert.certificate_required);
      await srv.process.waitForExit(STEP_MS);
      expect(srv.process.stderr().toString('latin1')).toMatch(/peer did not return a certificate/);
      expect(traceCount(srv, 'sent', ALERT_116)).toBe(1);
    }, TEST_MS);

    test('selectCertificate: sees our CA in certificate_authorities (s_server -CAfile) and the signature schemes; its choice is verified', async () => {
      const requests: CertificateRequestInfo[] = [];
      const srv = await startSServer({ cert: pki.server['ecdsa-p256'], clientCa: pki.caCertPath });
      const ours = await ourClient(clientVerifying({
        selectCertificate: (req) => {
          requests.push(req);
          return { cert: pki.client.certPem, key: pki.client.keyPem };
        },
      }), srv.port);
      await handshake(ours, 's_server -Verify 1 -CAfile');
      await exchange(srv, ours.sess);
      await closeFromUs(srv, ours.sess);
      expect(requests).toHaveLength(1);
      const caSubject = subjectDer(pemBlocks(pki.caCertPem, 'CERTIFICATE')[0]!);
      expect(requests[0]!.authorities.map(hex)).toEqual([hex(caSubject)]);
      expect(requests[0]!.postHandshake).toBe(false);
      expect(requests[0]!.signatureSchemes).toEqual(expect.arrayContaining(['ecdsa_secp256r1_sha256', 'rsa_pss_rsae_sha256', 'ed25519']));
      expect(sServerClientCertificates(srv.process.stdout()).map(hex)).toEqual([derHex(pki.client.certPem)]);
      expect(srv.process.stderr().toString('latin1')).toMatch(/depth=0 CN = rxtls test client\nverify return:1\n/);
    }, TEST_MS);

    test('selectCertificate: no certificate_authorities (s_server -verifyCAfile); returning null sends no certificate, refused with 116', async () => {
      const requests: CertificateRequestInfo[] = [];
      const srv = await startSServer({ cert: pki.server['ecdsa-p256'], extraArgs: ['-Verify', '1', '-verifyCAfile', pki.caCertPath] });
      const ours = await ourClient(clientVerifying({
        selectCertificate: (req) => {
          requests.push(req);
          return null;
        },
      }), srv.port);
      expectPeerAlert(await failure(ours, "s_server's refusal"), Alert.certificate_required);
      expect(requests).toHaveLength(1);
      expect(requests[0]!.authorities).toEqual([]);
      await srv.process.waitForExit(STEP_MS);
      expect(srv.process.stderr().toString('latin1')).toMatch(/peer did not return a certificate/);
    }, TEST_MS);

    // A policy expectation, not a protocol one: RFC 8446 section 4.2.4 requires a non-empty list,
    // so a strict decoder refuses this with decode_error; OpenSSL 3.0 sends it whenever an
    // application sets SSL_OP_DISABLE_TLSEXT_CA_NAMES with a client CA list, and OpenSSL and
    // Node clients accept it. Tolerating it costs nothing (no names is what it means).
    test('s_server -CAfile -no_ca_names sends an EMPTY certificate_authorities list (RFC 8446 forbids it): taken as no names', async () => {
      const requests: CertificateRequestInfo[] = [];
      const srv = await startSServer({ cert: pki.server['ecdsa-p256'], clientCa: pki.caCertPath, extraArgs: ['-no_ca_names'] });
      const ours = await ourClient(clientVerifying({
        selectCertificate: (req) => {
          requests.push(req);
          return { cert: pki.client.certPem, key: pki.client.keyPem };
        },
      }), srv.port);
      await handshake(ours, 's_server -no_ca_names');
      await exchange(srv, ours.sess);
      await closeFromUs(srv, ours.sess);
      expect(requests.map((r) => r.authorities.length)).toEqual([0]);
      // The quirk itself, so this test notices if OpenSSL stops doing it.
      expect(srv.trace()).toMatch(/extension_type=certificate_authorities\(47\), length=2\n\s+0000 - 00 00 /);
    }, TEST_MS);

    test('post-handshake authentication: s_server `c` asks after the handshake; selectCertificate answers (postHandshake true), s_server verifies', async () => {
      const requests: CertificateRequestInfo[] = [];
      const srv = await startSServer({ cert: pki.server['ecdsa-p256'], extraArgs: ['-CAfile', pki.caCertPath] });
      const ours = await ourClient(clientVerifying({
        selectCertificate: (req) => {
          requests.push(req);
          return { cert: pki.client.certPem, key: pki.client.keyPem };
        },
      }), srv.port);
      await handshake(ours, 's_server');
      await exchange(srv, ours.sess); // everything so far has arrived: `c` gets a read of its own
      expect(requests).toEqual([]);
      const marker = /SSL_do_handshake -> 1\n/;
      await srv.send('c\n');
      await srv.process.waitFor(marker, { stream: 'stdout' });
      await until(() => requests.length === 1, 'selectCertificate to be asked');
      await exchange(srv, ours.sess); // s_server reads our Certificate/CertificateVerify/Finished with this
      await closeFromUs(srv, ours.sess);
      expect(requests[0]!.postHandshake).toBe(true);
      expect(traceCount(srv, 'sent', /CertificateRequest/)).toBe(1);
      expect(traceCount(srv, 'received', /CertificateVerify/)).toBe(1);
      expect(srv.process.stderr().toString('latin1')).toMatch(/depth=0 CN = rxtls test client\nverify return:1\n/);
    }, TEST_MS);
  });
});

describe('session resumption with OpenSSL', () => {
  describe('openssl s_client -sess_out / -sess_in -> our TlsServer', () => {
    test('two tickets (lifetime 7200, no early data); the second connection resumes: s_client "Reused", session.resumed', async () => {
      const srv = await ourServer(serverIdentity());
      const sessFile = files.path('resume.sess');

      let accepted = srv.accept();
      const first = await startSClient({ port: srv.port, caPath: pki.caCertPath, sessOut: sessFile, verbose: true });
      let ours = await accepted;
      await handshake(ours, 's_client -sess_out');
      expect(ours.conn.session!).toMatchObject({ resumed: false, psk: undefined, earlyData: 'none' });
      await exchange(first, ours.sess); // the tickets went out before this data
      await closeFromUs(first, ours.sess);
      expect(sClientSummary(first.process.stdout())).toMatchObject({ handshake: 'New', tickets: 2, ticketLifetimes: [7200, 7200], ticketMaxEarlyData: [0, 0] });
      expect(fs.existsSync(sessFile)).toBe(true);

      accepted = srv.accept();
      const second = await startSClient({ port: srv.port, caPath: pki.caCertPath, sessIn: sessFile, verbose: true });
      ours = await accepted;
      await handshake(ours, 's_client -sess_in');
      expect(ours.conn.session!).toMatchObject({ resumed: true, psk: 'resumption', earlyData: 'none' });
      await exchange(second, ours.sess);
      await closeFromUs(second, ours.sess);
      expect(sClientSummary(second.process.stdout()).handshake).toBe('Reused');
      expect(traceCount(second, 'sent', new RegExp(`ClientHello[\\s\\S]*${PSK_EXT.source}`))).toBe(1);
      expect(traceCount(second, 'received', new RegExp(`ServerHello[\\s\\S]*${PSK_EXT.source}`))).toBe(1);
      // A resumption sends no certificate.
      expect(traceCount(second, 'received', /CertificateVerify/)).toBe(0);
    }, LONG_MS);

    test.each([
      [{ tickets: 3, ticketLifetime: 600, maxEarlyData: 1024 }, [600, 600, 600], [1024, 1024, 1024]],
      // (a lifetime beyond the ticket keys' rotation period, 12 h by default, is refused as misuse)
      [{ tickets: 1, ticketLifetime: 3600 }, [3600], [0]],
      [{ tickets: 0 }, [], []],
    ] as const)('ticket options %j: s_client receives the tickets as configured', async (o, lifetimes, maxEarly) => {
      const srv = await ourServer(serverIdentity({ ...o }));
      const accepted = srv.accept();
      const cli = await startSClient({ port: srv.port, caPath: pki.caCertPath, verbose: true });
      const ours = await accepted;
      await handshake(ours, 's_client');
      await exchange(cli, ours.sess);
      await closeFromUs(cli, ours.sess);
      expect(sClientSummary(cli.process.stdout())).toMatchObject({ tickets: lifetimes.length, ticketLifetimes: lifetimes, ticketMaxEarlyData: maxEarly });
    }, TEST_MS);
  });

  describe('our TlsClient -> openssl s_server (tickets on by default)', () => {
    /** Two connections to one s_server (-naccept 2) from `first` then `second` options; returns both ends. */
    async function twoConnections(first: ClientConfig, second: ClientConfig) {
      const srv = await startSServer({ cert: pki.server['ecdsa-p256'], naccept: 2 });
      const a = await ourClient(first, srv.port);
      await handshake(a, 's_server (1st)');
      await exchange(srv, a.sess); // s_server's tickets come before its data
      await closeFromUs(srv, a.sess, false);
      const b = await ourClient(second, srv.port);
      await handshake(b, 's_server (2nd)');
      await exchange(srv, b.sess);
      await closeFromUs(srv, b.sess);
      return { srv, a, b };
    }

    test('the same options object (its default store): the first connection stores two tickets, the second resumes', async () => {
      const opts = clientVerifying();
      const { srv, a, b } = await twoConnections(opts, opts);
      expect(a.conn.session!.resumed).toBe(false);
      expect(ticketLifetimes(a.events)).toEqual([7200, 7200]);
      expect(b.conn.session!).toMatchObject({ resumed: true, psk: 'resumption', earlyData: 'none' });
      expect(ticketLifetimes(b.events)).toEqual([7200]); // s_server: one ticket after a resumption
      expect(sServerReused(srv.process.stdout())).toBe(1);
      expect(traceCount(srv, 'received', new RegExp(`ClientHello[\\s\\S]*${PSK_EXT.source}`))).toBe(1);
      expect(traceCount(srv, 'sent', /CertificateVerify/)).toBe(1); // the full handshake only
    }, LONG_MS);

    test('an explicit MemorySessionStore shared by two options objects: resumed', async () => {
      const store = new MemorySessionStore();
      const { srv, b } = await twoConnections(clientVerifying({ sessionStore: store }), clientVerifying({ sessionStore: store }));
      expect(b.conn.session!).toMatchObject({ resumed: true, psk: 'resumption' });
      expect(sServerReused(srv.process.stdout())).toBe(1);
    }, LONG_MS);

    test('a custom SessionStore: tickets are put under sessionKey, the second connection takes one and resumes', async () => {
      const store = new RecordingStore();
      const { srv, a, b } = await twoConnections(
        clientVerifying({ sessionStore: store, sessionKey: 'interop-key' }),
        clientVerifying({ sessionStore: store, sessionKey: 'interop-key' }),
      );
      expect(a.conn.session!.resumed).toBe(false);
      // 2 tickets from the first connection, 1 from the second.
      expect(store.puts.map((p) => p.key)).toEqual(['interop-key', 'interop-key', 'interop-key']);
      expect(store.takes).toContainEqual({ key: 'interop-key', found: true });
      expect(b.conn.session!.resumed).toBe(true);
      expect(sServerReused(srv.process.stdout())).toBe(1);
    }, LONG_MS);

    test('sessionStore false: nothing is offered, the second connection is a full handshake', async () => {
      const opts = clientVerifying({ sessionStore: false });
      const { srv, b } = await twoConnections(opts, opts);
      expect(b.conn.session!).toMatchObject({ resumed: false, psk: undefined });
      expect(sServerReused(srv.process.stdout())).toBe(0);
      expect(traceCount(srv, 'received', new RegExp(`ClientHello[\\s\\S]*${PSK_EXT.source}`))).toBe(0);
    }, LONG_MS);
  });
});

describe('0-RTT early data with OpenSSL', () => {
  test('s_client -sess_in -early_data -> our server (maxEarlyData 16384): read exactly once; the replayed ticket gets its early data refused', async () => {
    const srv = await ourServer(serverIdentity({ maxEarlyData: 16384 }));
    const sessFile = files.path('early.sess');
    const early = makePayload(4 * KiB);
    const earlyFile = files.write('early.bin', early.data);

    let accepted = srv.accept();
    const first = await startSClient({ port: srv.port, caPath: pki.caCertPath, sessOut: sessFile, verbose: true });
    let ours = await accepted;
    await handshake(ours, 's_client (ticket)');
    await exchange(first, ours.sess);
    await closeFromUs(first, ours.sess);
    expect(sClientSummary(first.process.stdout()).ticketMaxEarlyData).toEqual([16384, 16384]);

    // Resumed with 0-RTT: the early bytes come first, once, then the rest.
    accepted = srv.accept();
    const second = await startSClient({ port: srv.port, caPath: pki.caCertPath, sessIn: sessFile, earlyDataFile: earlyFile, verbose: true });
    ours = await accepted;
    await ours.sess.waitFor(early.data.length, STEP_MS);
    await handshake(ours, 's_client -early_data');
    expect(ours.conn.session!).toMatchObject({ resumed: true, earlyData: 'accepted' });
    expect(ours.sess.received().length).toBe(early.data.length);
    expect(sha256(ours.sess.received())).toBe(early.sha256);
    await exchange(second, ours.sess);
    await closeFromUs(second, ours.sess);
    expect(ours.sess.received().length).toBe(early.data.length + 4 * KiB);
    expect(occurrences(ours.sess.received(), early.data)).toBe(1);
    expect(sClientSummary(second.process.stdout())).toMatchObject({ handshake: 'Reused', earlyData: 'accepted' });

    // The same ticket again (a replay): the early data must not be accepted (single-use tickets).
    accepted = srv.accept();
    const replay = await startSClient({ port: srv.port, caPath: pki.caCertPath, sessIn: sessFile, earlyDataFile: earlyFile, verbose: true });
    ours = await accepted;
    await handshake(ours, 's_client -early_data (replay)');
    expect(ours.conn.session!.earlyData).toBe('rejected');
    await exchange(replay, ours.sess);
    await closeFromUs(replay, ours.sess);
    expect(ours.sess.received().length).toBe(4 * KiB); // s_client does not resend refused early data
    expect(occurrences(ours.sess.received(), early.data)).toBe(0);
    expect(sClientSummary(replay.process.stdout()).earlyData).toBe('rejected');
  }, LONG_MS);

  test('our client earlyData -> s_server -early_data: accepted, s_server prints the early bytes once, and only there', async () => {
    const srv = await startSServer({ cert: pki.server['ecdsa-p256'], naccept: 2, earlyData: true });
    const opts = clientVerifying({ earlyData: true });
    const a = await ourClient(opts, srv.port);
    await handshake(a, 's_server -early_data (1st)');
    expect(a.conn.session!.earlyData).toBe('none'); // no ticket yet
    await exchange(srv, a.sess);
    await closeFromUs(srv, a.sess, false);

    const early = makePayload(4 * KiB);
    const b = await ourClient(opts, srv.port);
    b.sess.send(early.data); // before the ServerHello: goes out as 0-RTT
    await handshake(b, 's_server -early_data (2nd)');
    expect(b.conn.session!).toMatchObject({ resumed: true, earlyData: 'accepted' });
    await until(() => sServerEarlyData(srv.process.stdout()).length > 0, 's_server to print the early data');
    await exchange(srv, b.sess);
    await closeFromUs(srv, b.sess);
    expect(sServerEarlyData(srv.process.stdout()).map(sha256)).toEqual([early.sha256]);
    expect(occurrences(srv.process.stdout(), early.data)).toBe(1);
    expect(srv.process.stdout().toString('latin1')).toMatch(/No early data received\n/); // the first connection
  }, LONG_MS);

  test('our client earlyData, the ticket is not honoured (another s_server): early data rejected, re-sent after the handshake, received once', async () => {
    const opts = clientVerifying({ earlyData: true });
    const issuer = await startSServer({ cert: pki.server['ecdsa-p256'], earlyData: true });
    const a = await ourClient(opts, issuer.port);
    await handshake(a, 's_server (issuer)');
    await exchange(issuer, a.sess);
    await closeFromUs(issuer, a.sess);
    expect(ticketLifetimes(a.events).length).toBe(2);

    const other = await startSServer({ cert: pki.server['ecdsa-p256'], earlyData: true });
    const early = makePayload(4 * KiB);
    const b = await ourClient(opts, other.port);
    b.sess.send(early.data);
    await handshake(b, 's_server (other)');
    expect(b.conn.session!).toMatchObject({ resumed: false, earlyData: 'rejected' });
    await peerGot(other, early); // re-sent as ordinary data
    await exchange(other, b.sess);
    await closeFromUs(other, b.sess);
    expect(sServerEarlyData(other.process.stdout())).toEqual([]);
    expect(occurrences(other.process.stdout(), early.data)).toBe(1);
    // It was offered: s_server saw early_data in the ClientHello and refused it.
    expect(traceCount(other, 'received', /ClientHello[\s\S]*extension_type=early_data\(42\)/)).toBe(1);
    expect(other.process.stdout().toString('latin1')).toMatch(/Early data was rejected\n/);
  }, LONG_MS);

  test('our client earlyData, s_server without -early_data (tickets allow 0 bytes): no 0-RTT, data sent once after the handshake', async () => {
    const srv = await startSServer({ cert: pki.server['ecdsa-p256'], naccept: 2 });
    const opts = clientVerifying({ earlyData: true });
    const a = await ourClient(opts, srv.port);
    await handshake(a, 's_server (1st)');
    await exchange(srv, a.sess);
    await closeFromUs(srv, a.sess, false);

    const early = makePayload(4 * KiB);
    const b = await ourClient(opts, srv.port);
    b.sess.send(early.data);
    await handshake(b, 's_server (2nd)');
    expect(b.conn.session!).toMatchObject({ resumed: true, earlyData: 'none' });
    await peerGot(srv, early);
    await exchange(srv, b.sess);
    await closeFromUs(srv, b.sess);
    expect(occurrences(srv.process.stdout(), early.data)).toBe(1);
    expect(traceCount(srv, 'received', /ClientHello[\s\S]*extension_type=early_data\(42\)/)).toBe(0);
  }, LONG_MS);
});

describe('external PSK with OpenSSL', () => {
  describe('our TlsClient (psk) -> openssl s_server -nocert -psk', () => {
    test('s_server -ciphersuites TLS_AES_128_GCM_SHA256: PSK with (EC)DHE, no certificate, session.psk external', async () => {
      const srv = await startSServer({ cert: pki.server['ecdsa-p256'], psk: PSK, ciphersuites: 'TLS_AES_128_GCM_SHA256' });
      const ours = await ourClient({ psk: { identity: PSK.identity, key: PSK.key } }, srv.port);
      await handshake(ours, 's_server -psk');
      expect(ours.conn.session!).toMatchObject({
        cipherSuite: 'TLS_AES_128_GCM_SHA256', psk: 'external', pskIdentity: PSK.identity, resumed: false, peerCertificates: [],
      });
      await exchange(srv, ours.sess);
      await closeFromUs(srv, ours.sess);
      expect(srv.process.stdout().toString('latin1')).toMatch(/CIPHER is TLS_AES_128_GCM_SHA256\n/);
      // psk_dhe_ke: the ServerHello carries both the selected PSK and a key share.
      expect(traceCount(srv, 'sent', /ServerHello[\s\S]*extension_type=key_share\(51\)[\s\S]*extension_type=psk\(41\)/)).toBe(1);
      expect(traceCount(srv, 'sent', /Certificate, Length=/)).toBe(0);
    }, TEST_MS);

    test('we prefer AES-256-GCM-SHA384: s_server (client preference) skips it for our SHA-256 PSK and takes our next suite', async () => {
      const srv = await startSServer({ cert: pki.server['ecdsa-p256'], psk: PSK });
      const ours = await ourClient({
        psk: { identity: PSK.identity, key: PSK.key },
        cipherSuites: [CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_128_GCM_SHA256],
      }, srv.port);
      await handshake(ours, 's_server -psk');
      expect(ours.conn.session!).toMatchObject({ cipherSuite: 'TLS_CHACHA20_POLY1305_SHA256', psk: 'external' });
      await exchange(srv, ours.sess);
      await closeFromUs(srv, ours.sess);
      expect(srv.process.stdout().toString('latin1')).toMatch(/CIPHER is TLS_CHACHA20_POLY1305_SHA256\n/);
    }, TEST_MS);

    test('a wrong key: s_server finds the binder wrong and refuses with illegal_parameter (47, OpenSSL\'s choice)', async () => {
      const srv = await startSServer({ cert: pki.server['ecdsa-p256'], psk: PSK, ciphersuites: 'TLS_AES_128_GCM_SHA256' });
      const ours = await ourClient({ psk: { identity: WRONG_PSK.identity, key: WRONG_PSK.key } }, srv.port);
      expectPeerAlert(await failure(ours, "s_server's refusal"), Alert.illegal_parameter);
      expect(ours.conn.handshakeComplete).toBe(false);
      await srv.process.waitForExit(STEP_MS);
      expect(srv.process.stderr().toString('latin1')).toMatch(/binder does not verify/);
    }, TEST_MS);
  });

  describe('openssl s_client -psk -> our TlsServer (pskCallback)', () => {
    /** A pskCallback that records its calls and knows PSK.identity. */
    function pskLookup(key: Uint8Array = PSK.key) {
      const calls: { identity: string; bytes: string }[] = [];
      const pskCallback = (identity: string, identityBytes: Uint8Array): Uint8Array | null => {
        calls.push({ identity, bytes: Buffer.from(identityBytes).toString('latin1') });
        return identity === PSK.identity ? key : null;
      };
      return { calls, pskCallback };
    }

    test('PSK only (no certificate): the callback gets the identity, the handshake uses the key', async () => {
      const { calls, pskCallback } = pskLookup();
      const srv = await ourServer({ pskCallback });
      const accepted = srv.accept();
      const cli = await startSClient({ port: srv.port, psk: PSK });
      const ours = await accepted;
      await handshake(ours, 's_client -psk');
      expect(calls).toEqual([{ identity: PSK.identity, bytes: PSK.identity }]);
      expect(ours.conn.session!).toMatchObject({ psk: 'external', pskIdentity: PSK.identity, resumed: false, peerCertificates: [] });
      expect(ours.conn.session!.cipherSuite).toMatch(/_SHA256$/);
      await exchange(cli, ours.sess);
      await closeFromUs(cli, ours.sess);
      const err = cli.process.stderr().toString('latin1');
      expect(err).toMatch(/\nNo peer certificate\n/);
      expect(err).toContain(`Ciphersuite: ${ours.conn.session!.cipherSuite}`);
      expect(traceCount(cli, 'received', new RegExp(`ServerHello[\\s\\S]*${PSK_EXT.source}`))).toBe(1);
    }, TEST_MS);

    test('a wrong key: the binder does not verify; we refuse with decrypt_error (51), s_client reports it', async () => {
      const { pskCallback } = pskLookup(WRONG_PSK.key);
      const srv = await ourServer({ pskCallback });
      const accepted = srv.accept();
      const cli = await startSClient({ port: srv.port, psk: PSK, expectFailure: true });
      const ours = await accepted;
      const err = await failure(ours, 'our refusal');
      expect(err.alert).toBe(Alert.decrypt_error);
      expect(ours.conn.handshakeComplete).toBe(false);
      await expectOpensslGotAlert(cli, Alert.decrypt_error, /alert decrypt error/);
    }, TEST_MS);

    test('an unknown identity with a certificate configured: the callback says null, we fall back to the certificate', async () => {
      const { calls, pskCallback } = pskLookup();
      const srv = await ourServer(serverIdentity({ pskCallback }));
      const accepted = srv.accept();
      const cli = await startSClient({ port: srv.port, caPath: pki.caCertPath, psk: { identity: 'someone-else', key: PSK.key } });
      const ours = await accepted;
      await handshake(ours, 's_client -psk (unknown identity)');
      expect(calls.map((c) => c.identity)).toEqual(['someone-else']);
      expect(ours.conn.session!).toMatchObject({ psk: undefined, resumed: false });
      await exchange(cli, ours.sess);
      await closeFromUs(cli, ours.sess);
      expect(cli.process.stderr().toString('latin1')).toMatch(/\nVerification: OK\n/);
      expect(traceCount(cli, 'received', /CertificateVerify/)).toBe(1);
    }, TEST_MS);
  });
});

// ================================================================================ Node tls

describe('Node tls with client certificates', () => {
  /** `size` bytes each way between us and a Node socket, SHA-256 checked on both ends. */
  async function exchangeNode(sess: EngineSession, sock: tls.TLSSocket, got: Collected, size = 4 * KiB): Promise<void> {
    const ours = sess.received().length;
    const theirs = got.data.length;
    const up = makePayload(size);
    const down = makePayload(size);
    sess.send(up.data);
    await writeAll(sock, down.data);
    await Promise.all([sess.waitFor(ours + size, STEP_MS), got.bytes(theirs + size, STEP_MS)]);
    expect(sha256(sess.received().subarray(ours))).toBe(down.sha256);
    expect(sha256(got.data.subarray(theirs))).toBe(up.sha256);
  }

  /** We close first; Node answers with close_notify. */
  async function closeWithNode(sess: EngineSession, got: Collected): Promise<void> {
    sess.end();
    await got.end(STEP_MS);
    await within(sess.closed, STEP_MS, "Node's close_notify");
    expect(sess.error()).toBeUndefined();
    sess.socket.end();
  }

  /** Both ends export the same keying material. */
  function expectSameEkm(conn: TlsConnection, sock: tls.TLSSocket): void {
    const ours = conn.exportKeyingMaterial(32, EKM_LABEL, EKM_CONTEXT);
    const theirs = sock.exportKeyingMaterial(32, EKM_LABEL, EKM_CONTEXT);
    expect(ours.length).toBe(32);
    expect(hex(ours)).toBe(hex(theirs));
  }

  async function nodeServer(options: tls.TlsOptions) {
    const node = await startNodeTlsServer({ cert: pki.server['ecdsa-p256'].chainPem, key: pki.server['ecdsa-p256'].keyPem, ...options });
    cleanups.push(() => node.close());
    return node;
  }

  test('our client (cert/key) -> Node server (requestCert, rejectUnauthorized, ca): authorized, same certificate, same exported keys', async () => {
    const node = await nodeServer({ requestCert: true, rejectUnauthorized: true, ca: pki.caCertPem });
    const accepted = node.nextConnection(STEP_MS);
    accepted.catch(() => undefined);
    const ours = await ourClient(clientVerifying(clientCert()), node.port!);
    await handshake(ours, 'the Node server');
    const sock = track(await accepted);
    const got = collect(sock);
    expect(sock.authorized).toBe(true);
    expect(hex(sock.getPeerCertificate().raw)).toBe(derHex(pki.client.certPem));
    expectSameEkm(ours.conn, sock);
    await exchangeNode(ours.sess, sock, got);
    await closeWithNode(ours.sess, got);
  }, TEST_MS);

  test('our client without a certificate -> Node server (requestCert, rejectUnauthorized): refused with certificate_required', async () => {
    const node = await nodeServer({ requestCert: true, rejectUnauthorized: true, ca: pki.caCertPem });
    const accepted = node.nextConnection(STEP_MS);
    accepted.catch(() => undefined);
    const ours = await ourClient(clientVerifying(), node.port!);
    expectPeerAlert(await failure(ours, "Node's refusal"), Alert.certificate_required);
    await expect(accepted).rejects.toThrow(/peer did not return a certificate/i);
  }, TEST_MS);

  test('Node client (cert/key) -> our server (requestCert, ca): we see its certificate, same exported keys', async () => {
    const srv = await ourServer(serverIdentity({ requestCert: true, ca: pki.caCertPem }));
    const accepted = srv.accept();
    const sock = track(await connectNodeTls({ port: srv.port, ca: pki.caCertPem, cert: pki.client.certPem, key: pki.client.keyPem }));
    const got = collect(sock);
    const ours = await accepted;
    await handshake(ours, 'the Node client');
    expect(hex(ours.conn.session!.peerCertificates[0] ?? new Uint8Array())).toBe(derHex(pki.client.certPem));
    expect(sock.authorized).toBe(true); // Node verified our chain too
    expectSameEkm(ours.conn, sock);
    await exchangeNode(ours.sess, sock, got);
    await closeWithNode(ours.sess, got);
  }, TEST_MS);

  test('Node client without a certificate -> our server (requestCert): we refuse with 116, Node reads the alert', async () => {
    const srv = await ourServer(serverIdentity({ requestCert: true, ca: pki.caCertPem }));
    const accepted = srv.accept();
    // TLS 1.3: Node's handshake completes before we judge its (empty) certificate.
    const sock = track(await connectNodeTls({ port: srv.port, ca: pki.caCertPem }));
    const got = collect(sock);
    const ours = await accepted;
    expect((await failure(ours, 'our refusal')).alert).toBe(Alert.certificate_required);
    await until(() => got.error !== undefined || got.closed, "Node's socket to fail");
    expect(got.error?.message).toMatch(/certificate required/i);
  }, TEST_MS);

  test('Node client resumes with its session (tls.connect({ session })): isSessionReused and session.resumed', async () => {
    const srv = await ourServer(serverIdentity());
    const connectWith = (session?: Buffer) =>
      new Promise<{ sock: tls.TLSSocket; tickets: Buffer[] }>((resolve, reject) => {
        const tickets: Buffer[] = [];
        const sock = track(tls.connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: pki.caCertPem, minVersion: 'TLSv1.3', session }));
        sock.on('session', (t: Buffer) => tickets.push(t));
        const timer = setTimeout(() => reject(new Error('Node connect timed out')), STEP_MS);
        sock.once('error', (e) => { clearTimeout(timer); reject(e); });
        sock.once('secureConnect', () => { clearTimeout(timer); sock.on('error', () => undefined); resolve({ sock, tickets }); });
      });
    let accepted = srv.accept();
    const first = await connectWith();
    let ours = await accepted;
    await handshake(ours, 'the Node client (1st)');
    let got = collect(first.sock);
    await exchangeNode(ours.sess, first.sock, got); // the tickets arrive before our data
    expect(first.tickets.length).toBe(2);
    expect(first.sock.isSessionReused()).toBe(false);
    await closeWithNode(ours.sess, got);

    accepted = srv.accept();
    const second = await connectWith(first.tickets[0]);
    ours = await accepted;
    await handshake(ours, 'the Node client (2nd)');
    got = collect(second.sock);
    expect(second.sock.isSessionReused()).toBe(true);
    expect(ours.conn.session!).toMatchObject({ resumed: true, psk: 'resumption' });
    await exchangeNode(ours.sess, second.sock, got);
    await closeWithNode(ours.sess, got);
  }, TEST_MS);

  test('our client resumes against a Node server (same options object): isSessionReused and session.resumed', async () => {
    const node = await nodeServer({});
    const opts = clientVerifying();
    for (const round of [1, 2]) {
      const accepted = node.nextConnection(STEP_MS);
      const ours = await ourClient(opts, node.port!);
      await handshake(ours, `the Node server (${round})`);
      const sock = track(await accepted);
      const got = collect(sock);
      await exchangeNode(ours.sess, sock, got); // Node's tickets precede its data
      expect(sock.isSessionReused()).toBe(round === 2);
      expect(ours.conn.session!.resumed).toBe(round === 2);
      // A Node server sends its tickets lazily, after the data it writes at once: wait for them.
      if (round === 1) await until(() => ticketLifetimes(ours.events).length === 2, "Node's two tickets");
      await closeWithNode(ours.sess, got);
    }
  }, TEST_MS);
});

// ================================================================================ GnuTLS

describe('GnuTLS (network namespace)', () => {
  beforeAll(() => {
    requireNetns(); // fail, never skip, when namespaces are unavailable
  });

  /** Our TlsServer(s) made from `opts` on a fresh unix socket that gnutls-cli reaches. */
  async function ourUnixServer(opts: ServerConfig): Promise<UnixListener> {
    const at = unixSocketPath();
    const l = await listenEngineUnix(at, () => new TlsServer(opts));
    cleanups.push(() => fs.rmSync(path.dirname(at), { recursive: true, force: true }));
    cleanups.push(() => l.close());
    return l;
  }

  async function gnutlsCli(o: GnutlsClientOptions): Promise<GnutlsClient> {
    const gc = await startGnutlsClient(o);
    cleanups.push(() => gc.netns.stop());
    return gc;
  }

  async function gnutlsServ(o: GnutlsServerOptions): Promise<GnutlsServer> {
    const gs = await startGnutlsServer(o);
    cleanups.push(() => gs.netns.stop());
    return gs;
  }

  async function nextSession(l: UnixListener, gc: GnutlsClient): Promise<ObservedSession> {
    const s = await l.nextSession(STEP_MS);
    cleanups.push(() => s.socket.destroy());
    try {
      await within(s.handshake, STEP_MS, "our server's handshake with gnutls-cli");
    } catch (e) {
      throw new Error(`${(e as Error).message}\ngnutls-cli log: ${gc.log()}\n${gc.process.diagnostics()}`);
    }
    return s;
  }

  /**
   * gnutls-cli sends `up`, we send `down`, both checked by SHA-256; then gnutls-cli closes
   * (stdin EOF: close_notify), we answer, and it exits 0 reporting the peer's close.
   */
  async function exchangeAndClose(gc: GnutlsClient, s: ObservedSession, up = makePayload(4 * KiB), down = makePayload(4 * KiB)): Promise<void> {
    const already = s.received().length;
    s.send(down.data);
    await gc.send(up.data);
    await s.waitFor(already + up.data.length, STEP_MS);
    expect(sha256(s.received().subarray(already))).toBe(up.sha256);
    await gc.waitForReceived(down.data.length, STEP_MS);
    expect(sha256(gc.received())).toBe(down.sha256);
    gc.process.endStdin();
    await within(s.closed, STEP_MS, "gnutls-cli's close_notify");
    expect(s.conn.peerClosed).toBe(true);
    s.end();
    s.socket.end();
    expect((await gc.process.waitForExit(STEP_MS)).code).toBe(0);
    expect(gc.log()).toMatch(/Peer has closed the GnuTLS connection/);
  }

  /** Echo through gnutls-serv, then close from our side. */
  async function echoAndClose(s: ObservedSession): Promise<void> {
    const p = makePayload(4 * KiB);
    s.send(p.data);
    await s.waitFor(p.data.length, STEP_MS);
    expect(sha256(s.received())).toBe(p.sha256);
    s.end();
    await within(s.closed, STEP_MS, "gnutls-serv's close_notify");
    expect(s.conn.failure).toBeUndefined();
  }

  const TLS13 = 'NORMAL:-VERS-ALL:+VERS-TLS1.3';

  describe('resumption and 0-RTT: gnutls-cli --resume -> our TlsServer', () => {
    test('--resume --waitresumption: the second connection resumes ("This is a resumed session", session.resumed)', async () => {
      const l = await ourUnixServer(serverIdentity());
      const gc = await gnutlsCli({ path: l.path, caPath: pki.caCertPath, priority: TLS13, extraArgs: ['--resume', '--waitresumption'] });
      const first = await nextSession(l, gc);
      expect(first.conn.session!.resumed).toBe(false);
      first.closed.then(() => first.end(), () => undefined); // it disconnects with close_notify
      const second = await nextSession(l, gc);
      expect(second.conn.session!).toMatchObject({ resumed: true, psk: 'resumption' });
      await exchangeAndClose(gc, second);
      expect(gc.log()).toMatch(/\*\*\* This is a resumed session/);
      expect(gc.log()).toMatch(/Resume Handshake was completed/);
    }, TEST_MS);

    test('--resume --earlydata FILE (our maxEarlyData 16384): the early bytes are read exactly once, earlyData accepted', async () => {
      const l = await ourUnixServer(serverIdentity({ maxEarlyData: 16384 }));
      const early = makePayload(2 * KiB);
      const earlyFile = files.write('gnutls-early.bin', early.data);
      const gc = await gnutlsCli({ path: l.path, caPath: pki.caCertPath, priority: TLS13, extraArgs: ['--resume', '--waitresumption', '--earlydata', earlyFile] });
      const first = await nextSession(l, gc);
      first.closed.then(() => first.end(), () => undefined);
      const second = await nextSession(l, gc);
      await second.waitFor(early.data.length, STEP_MS);
      expect(second.conn.session!).toMatchObject({ resumed: true, earlyData: 'accepted' });
      expect(sha256(second.received().subarray(0, early.data.length))).toBe(early.sha256);
      await exchangeAndClose(gc, second);
      expect(occurrences(second.received(), early.data)).toBe(1);
      expect(second.received().length).toBe(early.data.length + 4 * KiB);
    }, TEST_MS);
  });

  describe('client certificates', () => {
    test('our client (cert/key) -> gnutls-serv --require-client-cert --verify-client-cert: trusted', async () => {
      const gs = await gnutlsServ({ cert: pki.server['ecdsa-p256'], clientCa: pki.caCertPath, priority: TLS13 });
      const s = await connectEngineUnix(new TlsClient(clientVerifying(clientCert())), gs.path);
      cleanups.push(() => s.socket.destroy());
      await within(s.handshake, STEP_MS, 'the handshake with gnutls-serv');
      await echoAndClose(s);
      const out = gs.process.stdout().toString('latin1');
      expect(out).toMatch(/Subject: CN=rxtls test client/);
      expect(out).toMatch(/- Status: The certificate is trusted\./);
    }, TEST_MS);

    test('gnutls-cli --x509certfile -> our server (requestCert, ca): we see its certificate', async () => {
      const l = await ourUnixServer(serverIdentity({ requestCert: true, ca: pki.caCertPem }));
      const gc = await gnutlsCli({ path: l.path, caPath: pki.caCertPath, cert: pki.client, priority: TLS13 });
      const s = await nextSession(l, gc);
      expect(hex(s.conn.session!.peerCertificates[0] ?? new Uint8Array())).toBe(derHex(pki.client.certPem));
      await exchangeAndClose(gc, s);
      expect(gc.log()).toMatch(/- Server has requested a certificate\./);
      expect(gc.log()).toMatch(/- Successfully sent 1 certificate\(s\) to server\./);
    }, TEST_MS);

    test('gnutls-cli without a certificate -> our server (requestCert): refused with 116, gnutls-cli logs the alert', async () => {
      const l = await ourUnixServer(serverIdentity({ requestCert: true, ca: pki.caCertPem }));
      const gc = await gnutlsCli({ path: l.path, caPath: pki.caCertPath, priority: TLS13 });
      const s = await l.nextSession(STEP_MS);
      cleanups.push(() => s.socket.destroy());
      expect((await failure({ sess: s }, 'our refusal')).alert).toBe(Alert.certificate_required);
      await gc.process.waitForExit(STEP_MS);
      expect(gc.log() + gc.process.stderr().toString()).toMatch(/Received alert \[116\]: Certificate is required/);
    }, TEST_MS);
  });

  describe('raw public keys (RFC 7250)', () => {
    test('our server (key only, rawPublicKey) -> gnutls-cli asking for a raw server key: it gets our SubjectPublicKeyInfo', async () => {
      const id = pki.server['ecdsa-p256'];
      const rpk = extra.rawPublicKey(id.keyPath);
      const l = await ourUnixServer({ key: id.keyPem, rawPublicKey: true });
      const gc = await gnutlsCli({ path: l.path, priority: `${TLS13}:-CTYPE-ALL:+CTYPE-SRV-RAWPK`, extraArgs: ['--print-cert'] });
      const s = await nextSession(l, gc);
      await exchangeAndClose(gc, s);
      const log = gc.log();
      expect(log).toMatch(/- Certificate type: Raw Public Key/);
      expect(log).toMatch(/\(TLS1\.3-X\.509-Raw Public Key\)/); // client type X.509 (none sent), server type raw
      expect(pemBlocks(log, 'PUBLIC KEY').map(hex)).toEqual([hex(rpk.spkiDer)]);
    }, TEST_MS);

    test('mutual raw keys: gnutls-cli --rawpkkeyfile -> our server (rawPublicKey, requestCert, pins.spkiSha256)', async () => {
      const id = pki.server['ecdsa-p256'];
      const clientRpk = extra.rawPublicKey(pki.client.keyPath);
      const l = await ourUnixServer({ key: id.keyPem, rawPublicKey: true, requestCert: true, pins: { spkiSha256: [clientRpk.spkiSha256] } });
      const gc = await gnutlsCli({
        path: l.path,
        priority: `${TLS13}:-CTYPE-ALL:+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK`,
        extraArgs: ['--rawpkkeyfile', clientRpk.keyPath, '--rawpkfile', clientRpk.pubPath],
      });
      const s = await nextSession(l, gc);
      const session = s.conn.session!;
      expect(session.certificateType).toBe('raw');
      expect(session.peerCertificates.map(hex)).toEqual([hex(clientRpk.spkiDer)]);
      await exchangeAndClose(gc, s);
      expect(gc.log()).toMatch(/\(TLS1\.3-Raw Public Key\)/);
    }, TEST_MS);

    test('mutual raw keys: an unpinned client key is refused', async () => {
      const id = pki.server['ecdsa-p256'];
      const clientRpk = extra.rawPublicKey(pki.client.keyPath);
      const l = await ourUnixServer({ key: id.keyPem, rawPublicKey: true, requestCert: true, pins: { spkiSha256: [createHash('sha256').update('not this key').digest('hex')] } });
      const gc = await gnutlsCli({
        path: l.path,
        priority: `${TLS13}:-CTYPE-ALL:+CTYPE-CLI-RAWPK:+CTYPE-SRV-RAWPK`,
        extraArgs: ['--rawpkkeyfile', clientRpk.keyPath, '--rawpkfile', clientRpk.pubPath],
      });
      const s = await l.nextSession(STEP_MS);
      cleanups.push(() => s.socket.destroy());
      const err = await failure({ sess: s }, 'our refusal');
      expect(err.alert).toBe(Alert.bad_certificate);
      expect((await gc.process.waitForExit(STEP_MS)).code).not.toBe(0);
    }, TEST_MS);

    test('our client (rawPublicKey, pins.spkiSha256) -> gnutls-serv --rawpkfile: raw server key, pinned', async () => {
      const id = pki.server['ecdsa-p256'];
      const rpk = extra.rawPublicKey(id.keyPath);
      const gs = await gnutlsServ({
        cert: id,
        priority: `${TLS13}:-CTYPE-SRV-ALL:+CTYPE-SRV-RAWPK`,
        extraArgs: ['--rawpkkeyfile', rpk.keyPath, '--rawpkfile', rpk.pubPath],
      });
      const s = await connectEngineUnix(new TlsClient({ servername: 'localhost', rawPublicKey: true, pins: { spkiSha256: [rpk.spkiSha256] } }), gs.path);
      cleanups.push(() => s.socket.destroy());
      await within(s.handshake, STEP_MS, 'the handshake with gnutls-serv');
      const session = s.conn.session!;
      expect(session.certificateType).toBe('raw');
      expect(session.peerCertificates.map(hex)).toEqual([hex(rpk.spkiDer)]);
      await echoAndClose(s);
      expect(gs.process.stdout().toString('latin1')).toMatch(/Raw Public Key\)/);
    }, TEST_MS);
  });
});

test('no peer process outlives its test', async () => {
  await processes.stopAll();
  expect(processes.started().length).toBeGreaterThan(0);
  expect(processes.leftovers()).toEqual([]);
});
