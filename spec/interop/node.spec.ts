/**
 * rxtls against Node's own `tls` (OpenSSL inside), in this process: our TlsClient against a
 * `tls.createServer` (TLS 1.3 only), and a `tls.connect` client (trusting the test CA, name
 * `localhost`, so Node verifies our chain) against our TlsServer. The engine runs over a real
 * TCP socket (./support/engine-socket.ts); one test runs the reactive stack instead
 * (net.connect + fromSocket + tlsClient).
 *
 * Node's knobs: TLS 1.3 suites go in `ciphers` (Node sorts TLS 1.3 names out of it; it has no
 * separate `ciphersuites` option), groups in `ecdhCurve`. Node has no public API to send a
 * KeyUpdate, so a Node-initiated KeyUpdate cannot be tested here; ours,
 * with update_requested, is answered by Node and tested.
 */
import { createHash, X509Certificate } from 'node:crypto';
import net from 'node:net';
import type tls from 'node:tls';
import { firstValueFrom, timeout } from 'rxjs';
import { NamedGroup } from '../../src/tls/constants.js';
import { TlsTruncationError } from '../../src/tls/errors.js';
import type { ClientConfig } from '../../src/tls/client/config.js';
import type { ServerConfig } from '../../src/tls/server/config.js';
import type { TlsConnection } from '../../src/tls/connection.js';
import type { TlsEvent } from '../../src/tls/session.js';
import { fromSocket } from '../../src/sources/from-socket.js';
import { tlsClient } from '../../src/operators/tls-client.js';
import { disposeTestPki, testPki, type ServerKeyKind, type TestPki } from './support/certs.js';
import type { EngineSession } from './support/engine-socket.js';
import {
  chainServer, connectTracked, destroyAll, driveTls, keyUpdates, leafSha256, listenEngine, pinnedClient, recordEvents, track, within,
} from './support/engine-peers.js';
import {
  collect, connectNodeTls, makePayload, sha256, startNodeTlsServer, writeAll,
  type Collected, type NodeTlsConnectOptions, type NodeTlsServer, type Payload,
} from './support/peers.js';

const KiB = 1 << 10;
const MiB = 1 << 20;
const TEST_MS = 30_000;

let pki: TestPki;
const nodeServers: NodeTlsServer[] = [];

beforeAll(() => {
  pki = testPki();
});
afterEach(async () => {
  await Promise.all(nodeServers.splice(0).map((s) => s.close()));
  await destroyAll();
});
afterAll(() => {
  disposeTestPki();
});

// ------------------------------------------------------------------------------- helpers

/** One rxtls end and one Node end of a live connection. */
interface Pair {
  readonly sess: EngineSession;
  readonly conn: TlsConnection;
  readonly events: TlsEvent[];
  /** Node's socket and what it received. */
  readonly sock: tls.TLSSocket;
  readonly got: Collected;
}

/** Waits until we received `expected` after `already` earlier bytes. */
async function weGot(sess: EngineSession, expected: Payload, already: number): Promise<void> {
  await sess.waitFor(already + expected.data.length, 15_000);
  const got = sess.received();
  expect(got.length).toBe(already + expected.data.length);
  expect(sha256(got.subarray(already))).toBe(expected.sha256);
}

/** `size` bytes each way at once, checked by SHA-256 on both ends. */
async function exchange({ sess, sock, got }: Pair, size: number): Promise<void> {
  const ours = sess.received().length;
  const theirs = got.data.length;
  const up = makePayload(size);
  const down = makePayload(size);
  sess.send(up.data);
  await writeAll(sock, down.data);
  await Promise.all([weGot(sess, down, ours), got.bytes(theirs + size)]);
  expect(got.data.length).toBe(theirs + size);
  expect(sha256(got.data.subarray(theirs))).toBe(up.sha256);
}

/**
 * We close first: Node's `'end'` fires on our close_notify (we send no FIN until later), Node
 * then ends its side (allowHalfOpen false), and its close_notify reaches us: no truncation.
 */
async function closeFromUs({ sess, got }: Pair): Promise<void> {
  sess.end();
  await got.end();
  await within(sess.closed, 10_000, 'Node\'s close_notify');
  expect(sess.conn.peerClosed).toBe(true);
  expect(sess.error()).toBeUndefined();
  expect(sess.conn.failure).toBeUndefined();
  sess.socket.end();
  expect(got.error).toBeUndefined();
}

/** Node closes first (`end()`: close_notify, then FIN); we see peerClosed, then close; Node sees our close_notify. */
async function closeFromNode({ sess, sock, got }: Pair): Promise<void> {
  sock.end();
  await within(sess.closed, 10_000, 'Node\'s close_notify');
  expect(sess.conn.peerClosed).toBe(true);
  expect(sess.error()).toBeUndefined();
  expect(got.ended).toBe(false);
  sess.end();
  await got.end();
  expect(sess.conn.failure).toBeUndefined();
  sess.socket.end();
}

/** TLS 1.3 half-close, node first: node's close_notify leaves our sending side open; `size` bytes still reach node. */
async function nodeHalfClosesFirst({ sess, sock, got }: Pair, size: number): Promise<void> {
  const theirs = got.data.length;
  sock.end();
  await within(sess.closed, 10_000, 'Node\'s close_notify');
  expect(sess.conn.peerClosed).toBe(true);
  const late = makePayload(size);
  sess.send(late.data);
  sess.end();
  const all = await got.end();
  expect(all.length).toBe(theirs + size);
  expect(sha256(all.subarray(theirs))).toBe(late.sha256);
  expect(sess.conn.failure).toBeUndefined();
  sess.socket.end();
}

/** TLS 1.3 half-close, us first: node (allowHalfOpen) keeps sending `size` bytes after our close_notify, then closes. */
async function weHalfCloseFirst({ sess, sock, got }: Pair, size: number): Promise<void> {
  const ours = sess.received().length;
  sess.end();
  await got.end(); // our close_notify
  expect(sess.conn.peerClosed).toBe(false);
  const late = makePayload(size);
  await writeAll(sock, late.data);
  sock.end();
  await within(sess.closed, 10_000, 'Node\'s close_notify');
  expect(sess.conn.peerClosed).toBe(true);
  expect(sess.error()).toBeUndefined();
  expect(sess.received().length).toBe(ours + size);
  expect(sha256(sess.received().subarray(ours))).toBe(late.sha256);
  sess.socket.end();
}

/** Our TlsClient against a fresh Node server presenting `kind`; resolves after both handshakes. */
async function clientToNode(serverOpts: tls.TlsOptions = {}, clientExtra: Partial<ClientConfig> = {}, kind: ServerKeyKind = 'ecdsa-p256'): Promise<Pair & { node: NodeTlsServer }> {
  const cert = pki.server[kind];
  const node = await startNodeTlsServer({ cert: cert.certPem, key: cert.keyPem, ...serverOpts });
  nodeServers.push(node);
  const accepted = node.nextConnection();
  const conn = pinnedClient(cert, clientExtra);
  const events = recordEvents(conn);
  const sess = await connectTracked(conn, node.port!);
  await within(sess.handshake, 10_000, 'handshake with the node tls server');
  const sock = track(await accepted);
  return { node, sess, conn, events, sock, got: collect(sock) };
}

/** A Node client (verifying our chain against the test CA) against our TlsServer presenting `kind`. */
async function nodeToServer(clientOpts: Partial<NodeTlsConnectOptions> = {}, serverExtra: Partial<ServerConfig> = {}, kind: ServerKeyKind = 'ecdsa-p256'): Promise<Pair> {
  let conn: TlsConnection | undefined;
  let events: TlsEvent[] = [];
  const listener = await listenEngine(() => {
    conn = chainServer(pki.server[kind], serverExtra);
    events = recordEvents(conn);
    return conn;
  });
  const accepted = listener.accept();
  const sock = track(await connectNodeTls({ port: listener.port, ca: pki.caCertPem, ...clientOpts }));
  const got = collect(sock);
  const sess = await accepted;
  await within(sess.handshake, 10_000, 'handshake with the node tls client');
  expect(sock.authorized).toBe(true); // Node verified our chain and the name
  return { sess, conn: conn!, events, sock, got };
}

const SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;

const GROUPS = [
  ['X25519', 'x25519', 'X25519'],
  ['P-256', 'secp256r1', 'prime256v1'],
  ['P-384', 'secp384r1', 'secp384r1'],
] as const;

const ALL_GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

const LABEL = 'EXPERIMENTAL rxtls interop';

// ------------------------------------------------------------------------------- our client

describe('rxtls TlsClient -> node tls server', () => {
  test.each(SUITES)('cipher suite %s (node ciphers)', async (name) => {
    const p = await clientToNode({ ciphers: name });
    expect(p.conn.session).toMatchObject({ version: 'TLSv1.3', cipherSuite: name, helloRetry: false });
    expect(p.sock.getCipher().standardName).toBe(name);
    await exchange(p, 64 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test.each(GROUPS)('group %s (node ecdhCurve), shares for all groups: no HelloRetryRequest', async (curve, ours) => {
    const p = await clientToNode({ ecdhCurve: curve }, { groups: ALL_GROUPS, keyShareCount: 3 });
    expect(p.conn.session).toMatchObject({ group: ours, helloRetry: false });
    await exchange(p, 64 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test('HelloRetryRequest: we share x25519 only, node accepts only P-256', async () => {
    const p = await clientToNode({ ecdhCurve: 'P-256' }, { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareCount: 1 });
    expect(p.conn.session).toMatchObject({ group: 'secp256r1', helloRetry: true });
    await exchange(p, 64 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test.each([
    ['ecdsa-p256', 'ecdsa_secp256r1_sha256'],
    ['rsa-2048', 'rsa_pss_rsae_sha256'],
  ] as const)('node presents a %s certificate: pinned, CertificateVerify checked (%s)', async (kind, scheme) => {
    const p = await clientToNode({}, {}, kind);
    expect(p.conn.session!.peerSignatureScheme).toBe(scheme);
    expect(p.conn.session!.peerCertificates.length).toBeGreaterThanOrEqual(1);
    expect(sha256(p.conn.session!.peerCertificates[0]!)).toBe(leafSha256(pki.server[kind].certPem));
    await exchange(p, 64 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test('node asks for a client certificate (requestCert, not required): we send an empty Certificate and carry on', async () => {
    const p = await clientToNode({ requestCert: true, rejectUnauthorized: false, ca: pki.caCertPem });
    expect(p.sock.authorized).toBe(false);
    expect(p.sock.getPeerCertificate()).toEqual({});
    await exchange(p, 4 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test('node requires a client certificate (requestCert + rejectUnauthorized): it refuses us with certificate_required', async () => {
    const cert = pki.server['ecdsa-p256'];
    const node = await startNodeTlsServer({ cert: cert.certPem, key: cert.keyPem, requestCert: true, rejectUnauthorized: true, ca: pki.caCertPem });
    nodeServers.push(node);
    const refused = node.nextConnection();
    refused.catch(() => undefined);
    const sess = await connectTracked(pinnedClient(cert), node.port!);
    // TLS 1.3: our side of the handshake completes first; the refusal arrives as an alert.
    await within(sess.handshake, 10_000, 'our side of the handshake').catch(() => undefined);
    await expect(within(sess.closed, 10_000, 'the refusal')).rejects.toThrow(/certificate_required/);
    await expect(refused).rejects.toThrow(/peer did not return a certificate|certificate/i);
  }, TEST_MS);

  test('1 MiB each way, SHA-256 checked', async () => {
    const p = await clientToNode();
    await exchange(p, MiB);
    await closeFromUs(p);
  }, TEST_MS);

  test('close_notify: we close first, node answers', async () => {
    const p = await clientToNode();
    await exchange(p, 4 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test('close_notify: node closes first (end()), we see peerClosed, then close; node sees ours', async () => {
    const p = await clientToNode();
    await exchange(p, 4 * KiB);
    await closeFromNode(p);
  }, TEST_MS);

  test('our updateKeys(true): node updates its keys too, data flows both ways after', async () => {
    const p = await clientToNode();
    await exchange(p, 64 * KiB);
    p.conn.updateKeys(true);
    p.sess.flush();
    await exchange(p, 64 * KiB); // node's answer leaves with its next write
    await exchange(p, 16 * KiB);
    expect(keyUpdates(p.events)).toEqual(['write', 'read']);
    // The exporter secret does not change with the traffic keys.
    const ctx = Buffer.from('after KeyUpdate');
    expect(Buffer.from(p.conn.exportKeyingMaterial(32, LABEL, ctx)).equals(p.sock.exportKeyingMaterial(32, LABEL, ctx))).toBe(true);
    await closeFromUs(p);
  }, TEST_MS);

  test('half-close: node closes first, we still send 64 KiB after its close_notify', async () => {
    const p = await clientToNode();
    await exchange(p, 4 * KiB);
    await nodeHalfClosesFirst(p, 64 * KiB);
  }, TEST_MS);

  test('half-close: we close first, node (allowHalfOpen) still sends 64 KiB after our close_notify', async () => {
    const p = await clientToNode({ allowHalfOpen: true });
    await exchange(p, 4 * KiB);
    await weHalfCloseFirst(p, 64 * KiB);
  }, TEST_MS);

  test('an IP address as servername: we send no SNI (RFC 6066 section 3), node sees none', async () => {
    const p = await clientToNode({}, { servername: '127.0.0.1' });
    expect(p.sock.servername).toBeFalsy();
    await exchange(p, 4 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test('exportKeyingMaterial without a context equals node\'s without one (TLS 1.3: same as empty)', async () => {
    const p = await clientToNode();
    const noContext = p.sock as unknown as { exportKeyingMaterial(length: number, label: string): Buffer };
    expect(Buffer.from(p.conn.exportKeyingMaterial(32, LABEL)).equals(noContext.exportKeyingMaterial(32, LABEL))).toBe(true);
    await closeFromUs(p);
  }, TEST_MS);


  test('exportKeyingMaterial equals node\'s (SHA-384 suite), with a context and with an empty one', async () => {
    const p = await clientToNode({ ciphers: 'TLS_AES_256_GCM_SHA384' });
    const ctx = Buffer.from('rxtls context');
    const ours = Buffer.from(p.conn.exportKeyingMaterial(48, LABEL, ctx));
    expect(ours.equals(p.sock.exportKeyingMaterial(48, LABEL, ctx))).toBe(true);
    const empty = Buffer.from(p.conn.exportKeyingMaterial(32, LABEL, new Uint8Array(0)));
    expect(empty.equals(p.sock.exportKeyingMaterial(32, LABEL, Buffer.alloc(0)))).toBe(true);
    expect(empty.equals(ours.subarray(0, 32))).toBe(false);
    await exchange(p, 4 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test('ALPN: node picks from what we offer; SNI: node sees our servername', async () => {
    const p = await clientToNode({ ALPNProtocols: ['h2', 'http/1.1'] }, { ALPNProtocols: ['x-unknown', 'http/1.1'] });
    expect(p.conn.session!.alpnProtocol).toBe('http/1.1');
    expect(p.sock.alpnProtocol).toBe('http/1.1');
    expect(p.sock.servername).toBe('localhost');
    await exchange(p, 4 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test('reactive stack: net.connect + fromSocket + tlsClient, 1 MiB each way, updateKeys(true) through the layer', async () => {
    const cert = pki.server['rsa-2048'];
    const node = await startNodeTlsServer({ cert: cert.certPem, key: cert.keyPem, ALPNProtocols: ['rxtls'] });
    nodeServers.push(node);
    const accepted = node.nextConnection();
    const raw = track(net.connect({ host: '127.0.0.1', port: node.port!, allowHalfOpen: true }));
    await within(new Promise<void>((resolve, reject) => raw.once('connect', resolve).once('error', reject)), 10_000, 'TCP connect');
    const tlsd = tlsClient({ servername: 'localhost', pins: { spkiSha256: [spkiPin(cert.certPem)] }, ALPNProtocols: ['rxtls'] })(fromSocket(raw));
    const app = driveTls(tlsd);
    const session = await firstValueFrom(tlsd.session$.pipe(timeout(10_000)));
    expect(session).toMatchObject({ alpnProtocol: 'rxtls', peerSignatureScheme: 'rsa_pss_rsae_sha256', serverName: 'localhost' });
    const sock = track(await accepted);
    const got = collect(sock);
    const up = makePayload(MiB);
    const down = makePayload(MiB);
    app.send(up.data);
    await writeAll(sock, down.data);
    await app.waitFor(MiB);
    expect(sha256(app.received())).toBe(down.sha256);
    expect(sha256(await got.bytes(MiB))).toBe(up.sha256);

    tlsd.updateKeys(true); // node answers with its next write
    const up2 = makePayload(64 * KiB);
    const down2 = makePayload(64 * KiB);
    app.send(up2.data);
    await writeAll(sock, down2.data);
    await app.waitFor(MiB + down2.data.length);
    expect(sha256(app.received().subarray(MiB))).toBe(down2.sha256);
    expect(sha256((await got.bytes(MiB + up2.data.length)).subarray(MiB))).toBe(up2.sha256);

    app.end(); // close_notify then FIN; node's 'end', then node's close_notify completes our read
    await got.end();
    await within(app.writeDone, 10_000, 'our write side to finish');
    await within(app.readDone, 10_000, 'our read to complete on close_notify');
    expect(app.received().length).toBe(MiB + down2.data.length);
    expect(got.data.length).toBe(MiB + up2.data.length);
  }, TEST_MS);
});

// ------------------------------------------------------------------------------- our server

describe('node tls client -> rxtls TlsServer', () => {
  test.each(SUITES)('cipher suite %s (node ciphers)', async (name) => {
    const p = await nodeToServer({ ciphers: name });
    expect(p.conn.session).toMatchObject({ version: 'TLSv1.3', cipherSuite: name, helloRetry: false });
    expect(p.sock.getCipher().standardName).toBe(name);
    await exchange(p, 64 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test.each(GROUPS)('group %s (node ecdhCurve)', async (curve, ours, nodeName) => {
    const p = await nodeToServer({ ecdhCurve: curve });
    expect(p.conn.session).toMatchObject({ group: ours, helloRetry: false });
    expect(p.sock.getEphemeralKeyInfo()).toMatchObject({ name: nodeName });
    await exchange(p, 64 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test('HelloRetryRequest: node shares X25519 first, we accept only P-384', async () => {
    const p = await nodeToServer({ ecdhCurve: 'X25519:P-384' }, { groups: [NamedGroup.secp384r1] });
    expect(p.conn.session).toMatchObject({ group: 'secp384r1', helloRetry: true });
    expect(p.sock.getEphemeralKeyInfo()).toMatchObject({ name: 'secp384r1' });
    await exchange(p, 64 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test.each(['ecdsa-p256', 'rsa-2048'] as const)('we present a %s chain; node verifies it (CA, hostname)', async (kind) => {
    const p = await nodeToServer({}, {}, kind);
    expect(p.sock.authorized).toBe(true);
    const peer = p.sock.getPeerCertificate(true);
    expect(peer.subject.CN).toBe('localhost');
    expect(Buffer.from(peer.raw).equals(Buffer.from(derOf(pki.server[kind].certPem)))).toBe(true);
    expect(peer.issuerCertificate?.subject.CN).toBe('rxtls test root CA');
    await exchange(p, 64 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test('node without our CA as trust anchor refuses our chain (and drops the connection)', async () => {
    // Node trusts only the system store here (no `ca`): our test CA is unknown, so it must refuse.
    const listener = await listenEngine(() => chainServer(pki.server['ecdsa-p256']));
    const accepted = listener.accept();
    await expect(connectNodeTls({ port: listener.port })).rejects.toThrow(/unable to get local issuer certificate|self.signed|unable to verify/i);
    const sess = await accepted;
    // Node checks the chain in JavaScript once OpenSSL is done and then destroys the socket: no alert.
    await expect(within(sess.closed, 10_000, 'the refusal')).rejects.toBeInstanceOf(TlsTruncationError);
  }, TEST_MS);

  test('1 MiB each way, SHA-256 checked', async () => {
    const p = await nodeToServer();
    await exchange(p, MiB);
    await closeFromUs(p);
  }, TEST_MS);

  test('close_notify: we close first, node answers', async () => {
    const p = await nodeToServer();
    await exchange(p, 4 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test('close_notify: node closes first (end()), we see peerClosed, then close; node sees ours', async () => {
    const p = await nodeToServer();
    await exchange(p, 4 * KiB);
    await closeFromNode(p);
  }, TEST_MS);

  test('half-close: node closes first, we still send 64 KiB after its close_notify', async () => {
    const p = await nodeToServer();
    await exchange(p, 4 * KiB);
    await nodeHalfClosesFirst(p, 64 * KiB);
  }, TEST_MS);

  test('half-close: we close first, node (allowHalfOpen) still sends 64 KiB after our close_notify', async () => {
    const p = await nodeToServer({ allowHalfOpen: true } as Partial<NodeTlsConnectOptions>); // tls.connect passes it on to its socket
    await exchange(p, 4 * KiB);
    await weHalfCloseFirst(p, 64 * KiB);
  }, TEST_MS);

  test('ALPN with nothing in common: we refuse with no_application_protocol, node reports it', async () => {
    const listener = await listenEngine(() => chainServer(pki.server['ecdsa-p256'], { ALPNProtocols: ['x-rxtls'] }));
    const accepted = listener.accept();
    await expect(connectNodeTls({ port: listener.port, ca: pki.caCertPem, ALPNProtocols: ['h2'] })).rejects.toThrow(/no application protocol/i);
    const sess = await accepted;
    await expect(within(sess.handshake, 10_000, 'the refusal')).rejects.toThrow(/ALPN/);
  }, TEST_MS);

  test('our updateKeys(true): node updates its keys too, data flows both ways after', async () => {
    const p = await nodeToServer();
    await exchange(p, 64 * KiB);
    p.conn.updateKeys(true);
    p.sess.flush();
    await exchange(p, 64 * KiB);
    await exchange(p, 16 * KiB);
    expect(keyUpdates(p.events)).toEqual(['write', 'read']);
    await closeFromUs(p);
  }, TEST_MS);

  test('exportKeyingMaterial equals node\'s, with a context and with an empty one', async () => {
    const p = await nodeToServer();
    const ctx = Buffer.from('rxtls context');
    const ours = Buffer.from(p.conn.exportKeyingMaterial(64, LABEL, ctx));
    expect(ours.equals(p.sock.exportKeyingMaterial(64, LABEL, ctx))).toBe(true);
    const empty = Buffer.from(p.conn.exportKeyingMaterial(32, LABEL, new Uint8Array(0)));
    expect(empty.equals(p.sock.exportKeyingMaterial(32, LABEL, Buffer.alloc(0)))).toBe(true);
    await exchange(p, 4 * KiB);
    await closeFromUs(p);
  }, TEST_MS);

  test('ALPN: we pick by our preference from what node offers; SNI: we see node\'s servername', async () => {
    const p = await nodeToServer({ ALPNProtocols: ['http/1.1', 'x-rxtls'] }, { ALPNProtocols: ['x-rxtls', 'http/1.1'] });
    expect(p.conn.session!.alpnProtocol).toBe('x-rxtls');
    expect(p.sock.alpnProtocol).toBe('x-rxtls');
    expect(p.conn.session!.serverName).toBe('localhost');
    await exchange(p, 4 * KiB);
    await closeFromUs(p);
  }, TEST_MS);
});

function derOf(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
}

/** SHA-256 (base64) of the leaf's SubjectPublicKeyInfo, the HPKP-style pin. */
function spkiPin(certPem: string): string {
  return createHash('sha256').update(new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}
