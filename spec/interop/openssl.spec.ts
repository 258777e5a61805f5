/**
 * rxtls against the OpenSSL command-line peers: our TlsClient against `openssl s_server
 * -tls1_3`, our TlsServer against `openssl s_client -tls1_3` (which verifies our chain against
 * the test CA and the name `localhost`). The engine runs over a real TCP socket
 * (./support/engine-socket.ts); two tests run the reactive stack (connect/listen + tlsClient/
 * tlsServer) instead. Peer behaviour relied on here is recorded at the top of
 * ./support/peers.ts (stdin commands, close_notify, `-brief`, `-trace`).
 *
 * Every test moves data both ways after the feature under test, checks it by SHA-256, and
 * ends the connection cleanly; every peer process is stopped by the registry.
 */
import { firstValueFrom, Subject, timeout } from 'rxjs';
import { CipherSuite, NamedGroup } from '../../src/tls/constants.js';
import { TlsCertificateError, TlsTruncationError } from '../../src/tls/errors.js';
import type { TlsConnection } from '../../src/tls/connection.js';
import { connect } from '../../src/sources/connect.js';
import { listen } from '../../src/sources/listen.js';
import type { SocketDuplex } from '../../src/sources/from-socket.js';
import { tlsClient } from '../../src/operators/tls-client.js';
import { tlsServer } from '../../src/operators/tls-server.js';
import { disposeTestPki, testPki, type CertAndKey, type TestPki } from './support/certs.js';
import type { EngineSession } from './support/engine-socket.js';
import {
  chainServer, connectTracked, destroyAll, driveTls, keyUpdates, leafSha256, listenEngine, pinnedClient, recordEvents, within,
} from './support/engine-peers.js';
import {
  checkPayload, makePayload, opensslTraceRecords, sha256, startOpensslClient, startOpensslServer,
  type OpensslClientOptions, type OpensslPeer, type OpensslServerOptions, type Payload,
} from './support/peers.js';
import { stopProcessesAfterAll } from './support/process.js';

const KiB = 1 << 10;
const MiB = 1 << 20;
const TEST_MS = 30_000;

stopProcessesAfterAll();

let pki: TestPki;
beforeAll(() => {
  pki = testPki();
});
afterEach(async () => {
  await destroyAll();
});
afterAll(() => {
  disposeTestPki();
});

// ------------------------------------------------------------------------------- helpers

function sent(peer: OpensslPeer, re: RegExp): number {
  return opensslTraceRecords(peer.trace()).filter((r) => r.direction === 'sent' && re.test(r.text)).length;
}

function received(peer: OpensslPeer, re: RegExp): number {
  return opensslTraceRecords(peer.trace()).filter((r) => r.direction === 'received' && re.test(r.text)).length;
}

const CLOSE_NOTIFY = /description=close notify/;
const KU_REQUESTED = /KeyUpdate[\s\S]*update_requested \(1\)/;
const KU_NOT_REQUESTED = /KeyUpdate[\s\S]*update_not_requested \(0\)/;

/** Waits until the OpenSSL peer's stdout holds `p` in one piece. */
async function peerGot(peer: OpensslPeer, p: Payload, timeoutMs = 15_000): Promise<void> {
  await peer.process.waitFor(function payloadArrived() {
    return checkPayload(peer.received(), p) === undefined;
  }, { stream: 'stdout', timeoutMs });
  expect(checkPayload(peer.received(), p)).toBeUndefined();
}

/** Waits until we received `expected` (everything before it included: `already` bytes). */
async function weGot(sess: EngineSession, expected: Payload, already = 0): Promise<void> {
  await sess.waitFor(already + expected.data.length, 15_000);
  const got = sess.received();
  expect(got.length).toBe(already + expected.data.length);
  expect(sha256(got.subarray(already))).toBe(expected.sha256);
}

/** `size` bytes each way through `peer`/`sess` at once; returns nothing, asserts the hashes. */
async function exchange(peer: OpensslPeer, sess: EngineSession, size: number): Promise<void> {
  const already = sess.received().length;
  const down = makePayload(size);
  const up = makePayload(size);
  sess.send(up.data);
  await peer.send(down.data);
  await Promise.all([weGot(sess, down, already), peerGot(peer, up)]);
}

/** Our TlsClient connected to a fresh s_server; resolves after the handshake. */
async function clientToSServer(srvOpts: Partial<Omit<OpensslServerOptions, 'cert'>> & { cert?: CertAndKey }, make: (cert: CertAndKey) => TlsConnection = (c) => pinnedClient(c)) {
  const cert = srvOpts.cert ?? pki.server['ecdsa-p256'];
  const srv = await startOpensslServer({ ...srvOpts, cert });
  const conn = make(cert);
  const events = recordEvents(conn);
  const sess = await connectTracked(conn, srv.port);
  await within(sess.handshake, 10_000, `handshake with ${srv.args.join(' ')}`);
  return { srv, sess, conn, events, session: conn.session! };
}

/**
 * Our TlsServer (presenting `cert`'s chain) and a fresh s_client verifying it against the CA
 * (`-CAfile -verify_return_error -verify_hostname localhost`); resolves once both sides are
 * done with the handshake.
 */
async function sClientToServer(cliOpts: Partial<OpensslClientOptions> = {}, cert: CertAndKey = pki.server['ecdsa-p256'], make: (cert: CertAndKey) => TlsConnection = (c) => chainServer(c)) {
  let conn: TlsConnection | undefined;
  let events: ReturnType<typeof recordEvents> = [];
  const listener = await listenEngine(() => {
    conn = make(cert);
    events = recordEvents(conn);
    return conn;
  });
  const accepted = listener.accept();
  const cli = await startOpensslClient({ ...cliOpts, port: listener.port, caPath: pki.caCertPath });
  const sess = await accepted;
  await within(sess.handshake, 10_000, `handshake with ${cli.args.join(' ')}`);
  // -brief prints its summary line by line after CONNECTION ESTABLISHED; `Server Temp Key` comes last.
  await cli.process.waitFor(/Server Temp Key: [^\n]*\n/, { stream: 'stderr' });
  expect(cli.process.stderr().toString()).toMatch(/\nVerification: OK\nVerified peername: localhost\n/);
  return { cli, sess, conn: conn!, events, session: conn!.session! };
}

/** We close first; the OpenSSL peer answers with close_notify and exits 0. */
async function closeFromUs(peer: OpensslPeer, sess: EngineSession): Promise<void> {
  sess.end();
  await within(sess.closed, 10_000, 'the peer\'s close_notify');
  expect(sess.conn.peerClosed).toBe(true);
  expect(sess.error()).toBeUndefined();
  expect(sess.conn.failure).toBeUndefined();
  // Both close_notify alerts are through: FIN (OpenSSL's CLI lingers up to 0.5 s for it).
  sess.socket.end();
  expect((await peer.process.waitForExit()).code).toBe(0);
  expect(received(peer, CLOSE_NOTIFY)).toBe(1);
  expect(sent(peer, CLOSE_NOTIFY)).toBe(1);
}

const SUITES = [
  ['TLS_AES_128_GCM_SHA256', CipherSuite.TLS_AES_128_GCM_SHA256],
  ['TLS_AES_256_GCM_SHA384', CipherSuite.TLS_AES_256_GCM_SHA384],
  ['TLS_CHACHA20_POLY1305_SHA256', CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
] as const;

const GROUPS = [
  ['X25519', 'x25519'],
  ['P-256', 'secp256r1'],
  ['P-384', 'secp384r1'],
] as const;

const ALL_GROUPS = [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];

// ------------------------------------------------------------------------------- our client

describe('rxtls TlsClient -> openssl s_server', () => {
  test.each(SUITES)('cipher suite %s (s_server -ciphersuites)', async (name) => {
    const { srv, sess, session } = await clientToSServer({ ciphersuites: name });
    expect(session).toMatchObject({ version: 'TLSv1.3', cipherSuite: name, group: 'x25519', helloRetry: false });
    await exchange(srv, sess, 64 * KiB);
    await closeFromUs(srv, sess);
    expect(srv.process.stdout().toString('latin1')).toContain(`CIPHER is ${name}`);
  }, TEST_MS);

  test.each(GROUPS)('group %s (s_server -groups), shares for all groups: no HelloRetryRequest', async (ossl, ours) => {
    const { srv, sess, session } = await clientToSServer({ groups: ossl }, (c) => pinnedClient(c, { groups: ALL_GROUPS, keyShareCount: 3 }));
    expect(session).toMatchObject({ group: ours, helloRetry: false });
    await exchange(srv, sess, 64 * KiB);
    await closeFromUs(srv, sess);
  }, TEST_MS);

  test('HelloRetryRequest: we share x25519 only, s_server accepts only P-256', async () => {
    const { srv, sess, session } = await clientToSServer({ groups: 'P-256' }, (c) =>
      pinnedClient(c, { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareCount: 1 }),
    );
    expect(session).toMatchObject({ group: 'secp256r1', helloRetry: true });
    await exchange(srv, sess, 64 * KiB);
    await closeFromUs(srv, sess);
    // s_server sent two ServerHello-type messages (the HelloRetryRequest and the real one) and got two ClientHellos.
    expect(received(srv, /ClientHello/)).toBe(2);
  }, TEST_MS);

  test.each([
    ['ecdsa-p256', 'ecdsa_secp256r1_sha256'],
    ['rsa-2048', 'rsa_pss_rsae_sha256'],
    ['ecdsa-p384', 'ecdsa_secp384r1_sha384'],
    ['ed25519', 'ed25519'],
  ] as const)('s_server presents a %s certificate: pinned, CertificateVerify checked (%s)', async (kind, scheme) => {
    const cert = pki.server[kind];
    const { srv, sess, session } = await clientToSServer({ cert });
    expect(session.peerSignatureScheme).toBe(scheme);
    expect(session.peerCertificates.length).toBeGreaterThanOrEqual(1);
    expect(Buffer.from(session.peerCertificates[0]!).toString('hex')).toBe(Buffer.from(pemDer(cert.certPem)).toString('hex'));
    await exchange(srv, sess, 64 * KiB);
    await closeFromUs(srv, sess);
  }, TEST_MS);

  test('a certificate that matches no pin is refused with bad_certificate, which s_server sees', async () => {
    const srv = await startOpensslServer({ cert: pki.server['rsa-2048'] });
    const conn = pinnedClient(pki.server['ecdsa-p256']); // pinned to another certificate
    const sess = await connectTracked(conn, srv.port);
    await expect(within(sess.handshake, 10_000, 'handshake failure')).rejects.toBeInstanceOf(TlsCertificateError);
    expect((sess.error() as TlsCertificateError).code).toBe('ERR_TLS_PIN_MISMATCH');
    await srv.process.waitForExit();
    expect(srv.process.stdout().toString('latin1') + srv.process.stderr().toString('latin1')).toMatch(/bad certificate/i);
  }, TEST_MS);

  test('1 MiB each way, SHA-256 checked', async () => {
    const { srv, sess } = await clientToSServer({});
    await exchange(srv, sess, MiB);
    await closeFromUs(srv, sess);
  }, TEST_MS);

  test('close_notify: we close, s_server answers with close_notify, no truncation', async () => {
    const { srv, sess } = await clientToSServer({});
    await exchange(srv, sess, 4 * KiB);
    await closeFromUs(srv, sess);
    expect(srv.process.stdout().toString('latin1')).toMatch(/DONE\n/);
  }, TEST_MS);

  test('data and close written before the handshake completes are held, then sent after our Finished', async () => {
    const cert = pki.server['ecdsa-p256'];
    const srv = await startOpensslServer({ cert });
    const sess = await connectTracked(pinnedClient(cert), srv.port);
    const early = makePayload(200 * KiB);
    sess.send(early.data); // before the ServerHello has even arrived
    sess.end();
    expect(sess.conn.handshakeComplete).toBe(false);
    await within(sess.handshake, 10_000, 'the handshake');
    await within(sess.closed, 10_000, 's_server\'s close_notify');
    sess.socket.end();
    expect((await srv.process.waitForExit()).code).toBe(0);
    expect(checkPayload(srv.received(), early)).toBeUndefined();
    expect(received(srv, CLOSE_NOTIFY)).toBe(1);
  }, TEST_MS);

  test('s_server quitting on stdin EOF sends no close_notify: we report truncation', async () => {
    const { srv, sess } = await clientToSServer({});
    await exchange(srv, sess, 4 * KiB);
    srv.process.endStdin();
    await expect(within(sess.closed, 10_000, 'the transport end')).rejects.toBeInstanceOf(TlsTruncationError);
    expect(sess.conn.peerClosed).toBe(false);
  }, TEST_MS);

  test('KeyUpdate(update_requested) from s_server (K): we update both keys, data flows both ways after', async () => {
    const { srv, sess, events } = await clientToSServer({});
    await exchange(srv, sess, 64 * KiB); // everything written so far has arrived: safe to send K
    await srv.keyUpdate(true);
    await exchange(srv, sess, 64 * KiB);
    expect(keyUpdates(events)).toEqual(['read', 'write']);
    await closeFromUs(srv, sess);
    expect(sent(srv, KU_REQUESTED)).toBe(1);
    expect(received(srv, KU_NOT_REQUESTED)).toBe(1); // our answer
  }, TEST_MS);

  test('our updateKeys(true): s_server updates its keys too, data flows both ways after', async () => {
    const { srv, sess, conn, events } = await clientToSServer({});
    await exchange(srv, sess, 64 * KiB);
    conn.updateKeys(true);
    sess.flush();
    // Data under our new key reaching s_server proves it took the KeyUpdate; its next write carries its answer.
    const up = makePayload(16 * KiB);
    sess.send(up.data);
    await peerGot(srv, up);
    await exchange(srv, sess, 64 * KiB);
    expect(keyUpdates(events)).toEqual(['write', 'read']);
    await closeFromUs(srv, sess);
    expect(received(srv, KU_REQUESTED)).toBe(1);
    expect(sent(srv, KU_NOT_REQUESTED)).toBe(1);
  }, TEST_MS);

  test('s_server signs with rsa_pss_rsae_sha512 only (-sigalgs): we verify it', async () => {
    const { srv, sess, session } = await clientToSServer({ cert: pki.server['rsa-2048'], sigalgs: 'rsa_pss_rsae_sha512' });
    expect(session.peerSignatureScheme).toBe('rsa_pss_rsae_sha512');
    await exchange(srv, sess, 4 * KiB);
    await closeFromUs(srv, sess);
  }, TEST_MS);

  test('small records from s_server (-max_send_frag 512): its handshake messages span records, data arrives whole', async () => {
    const { srv, sess, session } = await clientToSServer({ cert: pki.server['rsa-2048'], extraArgs: ['-max_send_frag', '512'] });
    expect(session.cipherSuite).toBe('TLS_AES_128_GCM_SHA256');
    await exchange(srv, sess, 64 * KiB);
    await closeFromUs(srv, sess);
  }, TEST_MS);

  test('s_server asks for a client certificate (-verify 1, optional): we send an empty Certificate and carry on', async () => {
    const { srv, sess } = await clientToSServer({ extraArgs: ['-verify', '1', '-CAfile', pki.caCertPath] });
    await exchange(srv, sess, 4 * KiB);
    await closeFromUs(srv, sess);
    expect(received(srv, /Certificate, Length=/)).toBeGreaterThanOrEqual(1);
  }, TEST_MS);

  test('s_server requires a client certificate (-Verify 1): it refuses us with certificate_required', async () => {
    const srv = await startOpensslServer({ cert: pki.server['ecdsa-p256'], clientCa: pki.caCertPath });
    const sess = await connectTracked(pinnedClient(pki.server['ecdsa-p256']), srv.port);
    // TLS 1.3: our side of the handshake completes first; the refusal arrives as an alert.
    await within(sess.handshake, 10_000, 'our side of the handshake').catch(() => undefined);
    await expect(within(sess.closed, 10_000, 'the refusal')).rejects.toThrow(/certificate_required/);
  }, TEST_MS);

  test('without middlebox compatibility (middleboxCompat false): no change_cipher_spec reaches s_server', async () => {
    const { srv, sess } = await clientToSServer({}, (c) => pinnedClient(c, { middleboxCompat: false }));
    await exchange(srv, sess, 4 * KiB);
    await closeFromUs(srv, sess);
    expect(received(srv, /ChangeCipherSpec/)).toBe(0);
  }, TEST_MS);

  test('three KeyUpdates(update_not_requested) from s_server (k): we update our read key each time, and only it', async () => {
    const { srv, sess, events } = await clientToSServer({});
    for (let i = 0; i < 3; i++) {
      await exchange(srv, sess, 16 * KiB);
      await srv.keyUpdate(false);
    }
    await exchange(srv, sess, 16 * KiB);
    expect(keyUpdates(events)).toEqual(['read', 'read', 'read']);
    await closeFromUs(srv, sess);
    expect(sent(srv, KU_NOT_REQUESTED)).toBe(3);
    expect(received(srv, /KeyUpdate/)).toBe(0);
  }, TEST_MS);

  test('padded records from s_server (-record_padding 512): we strip the padding', async () => {
    const { srv, sess } = await clientToSServer({ extraArgs: ['-record_padding', '512'] });
    await exchange(srv, sess, 64 * KiB);
    await closeFromUs(srv, sess);
  }, TEST_MS);

  test('our recordSizeLimit 512 is not enforced on s_server, which ignores the extension: full records accepted', async () => {
    const { srv, sess } = await clientToSServer({}, (c) => pinnedClient(c, { recordSizeLimit: 512 }));
    await exchange(srv, sess, 64 * KiB);
    await closeFromUs(srv, sess);
  }, TEST_MS);

  test('SNI: s_server switches to its second certificate for the name we send (-servername localhost -cert2)', async () => {
    const first = pki.server['ecdsa-p256'];
    const second = pki.server['ecdsa-p384'];
    const { srv, sess, session } = await clientToSServer(
      { cert: first, extraArgs: ['-servername', 'localhost', '-cert2', second.certPath, '-key2', second.keyPath] },
      () => pinnedClient(second, { servername: 'localhost' }),
    );
    expect(session.peerSignatureScheme).toBe('ecdsa_secp384r1_sha384');
    expect(sha256(session.peerCertificates[0]!)).toBe(leafSha256(second.certPem));
    await exchange(srv, sess, 4 * KiB);
    await closeFromUs(srv, sess);
    expect(srv.process.stdout().toString('latin1')).toMatch(/Hostname in TLS extension: "localhost"/);
  }, TEST_MS);

  test('ALPN: s_server picks from what we offer', async () => {
    const { srv, sess, session } = await clientToSServer({ alpn: ['h2', 'http/1.1'] }, (c) => pinnedClient(c, { ALPNProtocols: ['x-unknown', 'http/1.1'] }));
    expect(session.alpnProtocol).toBe('http/1.1');
    await exchange(srv, sess, 4 * KiB);
    await closeFromUs(srv, sess);
    expect(srv.process.stdout().toString('latin1')).toMatch(/ALPN protocols advertised by the client: x-unknown, http\/1\.1/);
  }, TEST_MS);

  test('reactive stack: connect + tlsClient, 1 MiB each way, then a KeyUpdate from s_server answered by the layer', async () => {
    const cert = pki.server['ecdsa-p256'];
    const srv = await startOpensslServer({ cert, ciphersuites: 'TLS_CHACHA20_POLY1305_SHA256' });
    const socket: SocketDuplex = await firstValueFrom(connect({ host: '127.0.0.1', port: srv.port }).pipe(timeout(10_000)));
    try {
      const tls = tlsClient({ servername: 'localhost', pins: { certSha256: [leafSha256(cert.certPem)] } })(socket);
      const app = driveTls(tls);
      const session = await firstValueFrom(tls.session$.pipe(timeout(10_000)));
      expect(session.cipherSuite).toBe('TLS_CHACHA20_POLY1305_SHA256');
      const down = makePayload(MiB);
      const up = makePayload(MiB);
      app.send(up.data);
      await srv.send(down.data);
      await app.waitFor(MiB);
      await peerGot(srv, up);
      expect(sha256(app.received())).toBe(down.sha256);

      // K: the layer must send the KeyUpdate answer on its own (a control record), before our next data.
      await srv.keyUpdate(true);
      const down2 = makePayload(64 * KiB);
      const up2 = makePayload(64 * KiB);
      app.send(up2.data);
      await srv.send(down2.data);
      await app.waitFor(MiB + down2.data.length);
      await peerGot(srv, up2);
      expect(sha256(app.received().subarray(MiB))).toBe(down2.sha256);

      app.end(); // close_notify, then FIN; s_server answers with close_notify
      await within(app.writeDone, 10_000, 'the write side to finish');
      await within(app.readDone, 10_000, 'the read side to complete on close_notify');
      expect((await srv.process.waitForExit()).code).toBe(0);
      expect(received(srv, CLOSE_NOTIFY)).toBe(1);
      expect(sent(srv, KU_REQUESTED)).toBe(1);
      expect(received(srv, KU_NOT_REQUESTED)).toBe(1);
    } finally {
      socket.close();
    }
  }, TEST_MS);
});

// ------------------------------------------------------------------------------- our server

describe('openssl s_client -> rxtls TlsServer', () => {
  test.each(SUITES)('cipher suite %s (s_client -ciphersuites)', async (name) => {
    const { cli, sess, session } = await sClientToServer({ ciphersuites: name });
    expect(session).toMatchObject({ version: 'TLSv1.3', cipherSuite: name, helloRetry: false });
    expect(cli.process.stderr().toString()).toContain(`Ciphersuite: ${name}`);
    await exchange(cli, sess, 64 * KiB);
    await closeFromUs(cli, sess);
  }, TEST_MS);

  test.each(GROUPS)('group %s (s_client -groups)', async (ossl, ours) => {
    const { cli, sess, session } = await sClientToServer({ groups: ossl });
    expect(session).toMatchObject({ group: ours, helloRetry: false });
    await exchange(cli, sess, 64 * KiB);
    await closeFromUs(cli, sess);
  }, TEST_MS);

  test('HelloRetryRequest: s_client shares X25519 first, we accept only P-384', async () => {
    const { cli, sess, session } = await sClientToServer({ groups: 'X25519:P-384' }, pki.server['ecdsa-p256'], (c) => chainServer(c, { groups: [NamedGroup.secp384r1] }));
    expect(session).toMatchObject({ group: 'secp384r1', helloRetry: true });
    await exchange(cli, sess, 64 * KiB);
    await closeFromUs(cli, sess);
    expect(sent(cli, /ClientHello/)).toBe(2);
  }, TEST_MS);

  test.each([
    ['ecdsa-p256', /\nSignature type: ECDSA\n/],
    ['rsa-2048', /\nSignature type: RSA-PSS\n/],
    ['ecdsa-p384', /\nSignature type: ECDSA\n/],
    ['ed25519', /\nSignature type: ed25519\n/],
  ] as const)('we present a %s chain; s_client verifies it (CA, hostname) and the signature', async (kind, sigType) => {
    const { cli, sess } = await sClientToServer({}, pki.server[kind]);
    const stderr = cli.process.stderr().toString();
    expect(stderr).toMatch(/Verification: OK/);
    expect(stderr).toMatch(/Verified peername: localhost/);
    expect(stderr).toMatch(sigType);
    await exchange(cli, sess, 64 * KiB);
    await closeFromUs(cli, sess);
  }, TEST_MS);

  test('1 MiB each way, SHA-256 checked', async () => {
    const { cli, sess } = await sClientToServer({});
    await exchange(cli, sess, MiB);
    await closeFromUs(cli, sess);
  }, TEST_MS);

  test('data written before the client\'s Finished is held, then sent', async () => {
    let sess: EngineSession | undefined;
    const early = makePayload(100 * KiB);
    const listener = await listenEngine(() => chainServer(pki.server['ecdsa-p256']));
    const accepted = listener.accept().then((s) => {
      sess = s;
      s.send(early.data); // the ClientHello has not even arrived
      return s;
    });
    const cli = await startOpensslClient({ port: listener.port, caPath: pki.caCertPath });
    await accepted;
    await within(sess!.handshake, 10_000, 'the handshake');
    await peerGot(cli, early);
    expect(cli.received().length).toBe(early.data.length);
    await closeFromUs(cli, sess!);
  }, TEST_MS);

  test('close_notify: we close, s_client answers with close_notify and exits 0', async () => {
    const { cli, sess } = await sClientToServer({});
    await exchange(cli, sess, 4 * KiB);
    await closeFromUs(cli, sess);
  }, TEST_MS);

  test('close_notify: s_client closes (stdin EOF), we see peerClosed, then close too', async () => {
    const { cli, sess } = await sClientToServer({});
    await exchange(cli, sess, 4 * KiB);
    cli.process.endStdin();
    await within(sess.closed, 10_000, 's_client\'s close_notify');
    expect(sess.conn.peerClosed).toBe(true);
    expect(sess.error()).toBeUndefined();
    expect((await cli.process.waitForExit()).code).toBe(0);
    expect(sent(cli, CLOSE_NOTIFY)).toBe(1);
    sess.end(); // our half: close_notify (s_client has gone; the bytes may meet a closed socket)
    expect(sess.conn.writeClosed).toBe(true);
    expect(sess.conn.failure).toBeUndefined();
  }, TEST_MS);

  test('KeyUpdate(update_requested) from s_client (K): we update both keys, data flows both ways after', async () => {
    const { cli, sess, events } = await sClientToServer({});
    await exchange(cli, sess, 64 * KiB);
    await cli.keyUpdate(true); // the KeyUpdate leaves with s_client's next write
    await exchange(cli, sess, 64 * KiB);
    expect(keyUpdates(events)).toEqual(['read', 'write']);
    await closeFromUs(cli, sess);
    expect(sent(cli, KU_REQUESTED)).toBe(1);
    expect(received(cli, KU_NOT_REQUESTED)).toBe(1);
  }, TEST_MS);

  test('our updateKeys(true): s_client updates its keys too, data flows both ways after', async () => {
    const { cli, sess, conn, events } = await sClientToServer({});
    await exchange(cli, sess, 64 * KiB);
    conn.updateKeys(true);
    sess.flush();
    const down = makePayload(16 * KiB);
    sess.send(down.data);
    await peerGot(cli, down);
    await exchange(cli, sess, 64 * KiB);
    expect(keyUpdates(events)).toEqual(['write', 'read']);
    await closeFromUs(cli, sess);
    expect(received(cli, KU_REQUESTED)).toBe(1);
    expect(sent(cli, KU_NOT_REQUESTED)).toBe(1);
  }, TEST_MS);

  test('s_client without middlebox compatibility (-no_middlebox)', async () => {
    const { cli, sess } = await sClientToServer({ extraArgs: ['-no_middlebox'] });
    await exchange(cli, sess, 4 * KiB);
    await closeFromUs(cli, sess);
    expect(sent(cli, /ChangeCipherSpec/)).toBe(0);
    expect(received(cli, /ChangeCipherSpec/)).toBe(0);
  }, TEST_MS);

  test('small records from s_client (-max_send_frag 512), data arrives whole', async () => {
    const { cli, sess } = await sClientToServer({ extraArgs: ['-max_send_frag', '512'] });
    await exchange(cli, sess, 64 * KiB);
    await closeFromUs(cli, sess);
  }, TEST_MS);

  test('padded records from s_client (-record_padding 512): we strip the padding', async () => {
    const { cli, sess } = await sClientToServer({ extraArgs: ['-record_padding', '512'] });
    await exchange(cli, sess, 64 * KiB);
    await closeFromUs(cli, sess);
  }, TEST_MS);

  test('s_client accepts only rsa_pss_rsae_sha384 (-sigalgs): we sign with it', async () => {
    const { cli, sess } = await sClientToServer({ sigalgs: 'rsa_pss_rsae_sha384' }, pki.server['rsa-2048']);
    expect(cli.process.stderr().toString()).toMatch(/\nHash used: SHA384\nSignature type: RSA-PSS\n/);
    await exchange(cli, sess, 4 * KiB);
    await closeFromUs(cli, sess);
  }, TEST_MS);

  test('ALPN with nothing in common: we refuse with no_application_protocol, s_client reports it', async () => {
    const listener = await listenEngine(() => chainServer(pki.server['ecdsa-p256'], { ALPNProtocols: ['x-rxtls'] }));
    const accepted = listener.accept();
    const cli = await startOpensslClient({ port: listener.port, caPath: pki.caCertPath, alpn: ['h2'], waitForHandshake: false });
    const sess = await accepted;
    await expect(within(sess.handshake, 10_000, 'the refusal')).rejects.toThrow(/no client ALPN|none of our ALPN/);
    expect((await cli.process.waitForExit()).code).not.toBe(0);
    expect(cli.process.stderr().toString()).toMatch(/no application protocol/);
  }, TEST_MS);

  test('s_client offers an external PSK (-psk): we ignore it and authenticate with our certificate', async () => {
    const { cli, sess } = await sClientToServer({ extraArgs: ['-psk', '0102030405060708090a0b0c0d0e0f10', '-psk_identity', 'rxtls'] });
    await exchange(cli, sess, 4 * KiB);
    await closeFromUs(cli, sess);
    expect(sent(cli, /ClientHello[\s\S]*extension_type=psk\(/)).toBe(1);
  }, TEST_MS);

  test('ALPN: we pick by our preference from what s_client offers', async () => {
    const { cli, sess, session } = await sClientToServer({ alpn: ['http/1.1', 'x-rxtls'] }, pki.server['ecdsa-p256'], (c) =>
      chainServer(c, { ALPNProtocols: ['x-rxtls', 'http/1.1'] }),
    );
    expect(session.alpnProtocol).toBe('x-rxtls');
    expect(session.serverName).toBe('localhost');
    await exchange(cli, sess, 4 * KiB);
    await closeFromUs(cli, sess);
    expect(opensslTraceRecords(cli.trace()).some((r) => r.direction === 'received' && /EncryptedExtensions[\s\S]*x-rxtls/.test(r.text))).toBe(true);
  }, TEST_MS);

  test('reactive stack: listen + tlsServer, 1 MiB each way, read one credit at a time', async () => {
    const identity = pki.server['rsa-2048'];
    let port = 0;
    const listening = new Subject<void>();
    const conns = new Subject<SocketDuplex>();
    const server = listen({ host: '127.0.0.1', port: 0, onListening: (a) => { port = a.port; listening.next(); } }).subscribe(conns);
    const firstConn = firstValueFrom(conns.pipe(timeout(10_000)));
    firstConn.catch(() => undefined);
    let socket: SocketDuplex | undefined;
    try {
      await firstValueFrom(listening.pipe(timeout(5_000)));
      const cliP = startOpensslClient({ port, caPath: pki.caCertPath, ciphersuites: 'TLS_AES_256_GCM_SHA384' });
      socket = await firstConn;
      const tls = tlsServer({ cert: identity.chainPem, key: identity.keyPem, readHighWaterMark: 32 * KiB })(socket);
      const app = driveTls(tls, { paced: true });
      const session = await firstValueFrom(tls.session$.pipe(timeout(10_000)));
      expect(session.cipherSuite).toBe('TLS_AES_256_GCM_SHA384');
      const cli = await cliP;
      await cli.process.waitFor(/Server Temp Key: [^\n]*\n/, { stream: 'stderr' });
      expect(cli.process.stderr().toString()).toMatch(/\nVerification: OK\n/);
      const up = makePayload(MiB);
      const down = makePayload(MiB);
      app.send(down.data);
      await cli.send(up.data);
      await app.waitFor(MiB);
      expect(sha256(app.received())).toBe(up.sha256);
      expect(app.chunks()).toBeGreaterThanOrEqual(MiB / (16 * KiB)); // one record's content per credit at most
      await cli.process.waitFor(() => cli.received().length >= MiB, { stream: 'stdout', timeoutMs: 15_000 });
      expect(sha256(cli.received())).toBe(down.sha256);
      app.end(); // close_notify + FIN; s_client answers and exits
      await within(app.writeDone, 10_000, 'the write side to finish');
      await within(app.readDone, 10_000, 'the read side to complete on close_notify');
      expect((await cli.process.waitForExit()).code).toBe(0);
      expect(received(cli, CLOSE_NOTIFY)).toBe(1);
    } finally {
      socket?.close();
      server.unsubscribe();
    }
  }, TEST_MS);
});

function pemDer(pem: string): Uint8Array {
  const b64 = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(b64, 'base64'));
}
