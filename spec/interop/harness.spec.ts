/**
 * Self-tests of the interop harness (./support), with `node:tls` standing in for rxtls:
 * each test moves 1 MiB each way through a real peer, checks SHA-256, and closes. They
 * prove the harness and pin the exact peer flags the engine's interop specs reuse.
 */
import fs from 'node:fs';
import path from 'node:path';
import { testPki, disposeTestPki, type TestPki } from './support/certs.js';
import { netnsSupport, requireNetns, unixSocketPath } from './support/netns.js';
import {
  checkPayload,
  collect,
  connectNodeTls,
  gnutlsTls13Priority,
  GNUTLS_REKEY_BOTH,
  makePayload,
  opensslTraceRecords,
  sha256,
  startGnutlsClient,
  startGnutlsServer,
  startNodeTlsServer,
  startOpensslClient,
  startOpensslServer,
  writeAll,
  type NodeTlsServer,
} from './support/peers.js';
import { freePort } from './support/ports.js';
import { processes, startProcess, stopProcessesAfterAll, waitForPort } from './support/process.js';

const MiB = 1 << 20;
const TEST_MS = 30_000;

stopProcessesAfterAll();

let pki: TestPki;
const socketDirs: string[] = [];
const nodeServers: NodeTlsServer[] = [];

beforeAll(() => {
  pki = testPki();
});

afterAll(async () => {
  await Promise.all(nodeServers.map((s) => s.close()));
  for (const d of socketDirs) fs.rmSync(d, { recursive: true, force: true });
  disposeTestPki();
});

/** A unix socket path for a test-side listener, removed after the file. */
function socketPath(): string {
  const p = unixSocketPath();
  socketDirs.push(path.dirname(p));
  return p;
}

async function nodeServer(kind: keyof TestPki['server'], at?: { path: string }): Promise<NodeTlsServer> {
  const s = await startNodeTlsServer({ cert: pki.server[kind].certPem, key: pki.server[kind].keyPem }, at);
  nodeServers.push(s);
  return s;
}

function sentRecords(trace: string, re: RegExp): number {
  return opensslTraceRecords(trace).filter((r) => r.direction === 'sent' && re.test(r.text)).length;
}

function receivedRecords(trace: string, re: RegExp): number {
  return opensslTraceRecords(trace).filter((r) => r.direction === 'received' && re.test(r.text)).length;
}

describe('support/process', () => {
  test('readiness by pattern and by port; timeouts quote stderr; kill stops the group', async () => {
    const port = await freePort();
    const p = await startProcess(process.execPath, ['-e', `require('net').createServer().listen(${port}, '127.0.0.1', () => console.error('up'))`], {
      readyPattern: /up/,
      readyPort: port,
      timeoutMs: 5_000,
    });
    await waitForPort(port, 1_000);
    expect(p.groupMembers().length).toBeGreaterThan(0);
    const status = await p.kill();
    expect(status.signal ?? status.code).toBeTruthy();
    expect(p.groupMembers()).toEqual([]);

    await expect(startProcess('sh', ['-c', 'echo some diagnostic >&2; exec sleep 60'], { readyPattern: /never/, timeoutMs: 2_000 })).rejects.toThrow(
      /timed out after 2000 ms waiting for \/never\/[\s\S]*some diagnostic/,
    );
    await expect(startProcess('sh', ['-c', 'echo bye >&2; exit 3'], { readyPattern: /never/, timeoutMs: 5_000 })).rejects.toThrow(/exited before[\s\S]*code 3[\s\S]*bye/);
  }, TEST_MS);
});

describe('OpenSSL s_server / s_client', () => {
  test('node tls client -> s_server: 1 MiB each way, SHA-256 checked, close_notify both ways', async () => {
    const srv = await startOpensslServer({ cert: pki.server['ecdsa-p256'], groups: 'X25519', ciphersuites: 'TLS_AES_128_GCM_SHA256' });
    const sock = await connectNodeTls({ port: srv.port, ca: pki.caCertPem });
    expect(sock.getProtocol()).toBe('TLSv1.3');
    expect(sock.getCipher().standardName).toBe('TLS_AES_128_GCM_SHA256');
    expect(sock.getEphemeralKeyInfo()).toMatchObject({ name: 'X25519' });
    const got = collect(sock);
    const up = makePayload(MiB);
    const down = makePayload(MiB);
    await Promise.all([writeAll(sock, up.data), srv.send(down.data)]);
    const received = await got.bytes(MiB);
    expect(received.length).toBe(MiB);
    expect(sha256(received)).toBe(down.sha256);
    await srv.process.waitFor(() => checkPayload(srv.received(), up) === undefined, { stream: 'stdout', timeoutMs: 15_000 });

    sock.end(); // close_notify; s_server answers with its own and exits (-naccept 1)
    await got.end();
    expect((await srv.process.waitForExit()).code).toBe(0);
    expect(checkPayload(srv.received(), up)).toBeUndefined();
    expect(srv.process.stdout().toString('latin1')).toMatch(/DONE\n/);
    const trace = srv.trace();
    expect(receivedRecords(trace, /description=close notify/)).toBe(1);
    expect(sentRecords(trace, /description=close notify/)).toBe(1);
  }, TEST_MS);

  test('s_client -> node tls server: 1 MiB each way, SHA-256 checked, s_client answers our close', async () => {
    const node = await nodeServer('rsa-2048');
    const conn = node.nextConnection();
    const cli = await startOpensslClient({ port: node.port!, caPath: pki.caCertPath, groups: 'P-256' });
    // -brief prints its summary line by line after `CONNECTION ESTABLISHED` (what start waits for).
    await cli.process.waitFor(/Verification: OK/, { stream: 'stderr' });
    expect(cli.process.stderr().toString()).toMatch(/Protocol version: TLSv1\.3\nCiphersuite: TLS_AES_256_GCM_SHA384/);
    const sock = await conn;
    const got = collect(sock);
    const up = makePayload(MiB);
    const down = makePayload(MiB);
    await Promise.all([cli.send(up.data), writeAll(sock, down.data)]);
    expect(sha256(await got.bytes(MiB))).toBe(up.sha256);
    await cli.process.waitFor(() => cli.received().length >= MiB, { stream: 'stdout', timeoutMs: 15_000 });
    expect(cli.received().length).toBe(MiB);
    expect(sha256(cli.received())).toBe(down.sha256);

    sock.end(); // close_notify: s_client answers and exits, though its stdin is still open
    await got.end();
    expect((await cli.process.waitForExit()).code).toBe(0);
    expect(receivedRecords(cli.trace(), /description=close notify/)).toBe(1);
    expect(sentRecords(cli.trace(), /description=close notify/)).toBe(1);
  }, TEST_MS);

  test('s_server KeyUpdate (K, update_requested) mid-stream: data keeps flowing, node answers', async () => {
    const srv = await startOpensslServer({ cert: pki.server['ecdsa-p384'] });
    const sock = await connectNodeTls({ port: srv.port, ca: pki.caCertPem });
    const got = collect(sock);
    const before = makePayload(256 * 1024);
    await srv.send(before.data);
    await got.bytes(before.data.length);

    await srv.keyUpdate(true); // everything written before has arrived: safe to send K

    const after = makePayload(256 * 1024);
    const up = makePayload(256 * 1024);
    await Promise.all([srv.send(after.data), writeAll(sock, up.data)]);
    const all = await got.bytes(before.data.length + after.data.length);
    expect(sha256(all)).toBe(sha256(Buffer.concat([before.data, after.data])));
    await srv.process.waitFor(() => checkPayload(srv.received(), up) === undefined, { stream: 'stdout', timeoutMs: 15_000 });

    sock.end();
    await got.end();
    expect((await srv.process.waitForExit()).code).toBe(0);
    const trace = srv.trace();
    expect(sentRecords(trace, /KeyUpdate[\s\S]*update_requested \(1\)/)).toBe(1);
    expect(receivedRecords(trace, /KeyUpdate[\s\S]*update_not_requested \(0\)/)).toBe(1);
  }, TEST_MS);

  test('s_client KeyUpdate (K) mid-stream: node server keeps receiving', async () => {
    const node = await nodeServer('ed25519');
    const conn = node.nextConnection();
    const cli = await startOpensslClient({ port: node.port!, caPath: pki.caCertPath });
    const sock = await conn;
    const got = collect(sock);
    const before = makePayload(128 * 1024);
    await cli.send(before.data);
    await got.bytes(before.data.length);
    await cli.keyUpdate(true); // the KeyUpdate leaves with the next data
    const after = makePayload(128 * 1024);
    await cli.send(after.data);
    expect(sha256(await got.bytes(before.data.length + after.data.length))).toBe(sha256(Buffer.concat([before.data, after.data])));
    const down = makePayload(64 * 1024);
    await writeAll(sock, down.data);
    await cli.process.waitFor(() => cli.received().length >= down.data.length, { stream: 'stdout' });
    expect(sha256(cli.received())).toBe(down.sha256);

    sock.end();
    await got.end();
    expect((await cli.process.waitForExit()).code).toBe(0);
    const trace = cli.trace();
    expect(sentRecords(trace, /KeyUpdate[\s\S]*update_requested \(1\)/)).toBe(1);
    expect(receivedRecords(trace, /KeyUpdate[\s\S]*update_not_requested \(0\)/)).toBe(1);
  }, TEST_MS);
});

describe('GnuTLS in a private network namespace', () => {
  beforeAll(() => {
    // Fail loudly (every test in this block) when namespaces are unavailable.
    requireNetns();
  });

  test('network namespaces are available (CI runs as root)', () => {
    expect(netnsSupport()).toMatchObject({ ok: true });
  });

  test('node tls client -> bridge -> gnutls-serv --echo: 1 MiB out and back, SHA-256 checked', async () => {
    const gs = await startGnutlsServer({ cert: pki.server['ed25519'], priority: gnutlsTls13Priority({ group: 'X25519', cipher: 'CHACHA20-POLY1305' }) });
    const sock = await connectNodeTls({ path: gs.path, ca: pki.caCertPem });
    expect(sock.getProtocol()).toBe('TLSv1.3');
    expect(sock.getCipher().standardName).toBe('TLS_CHACHA20_POLY1305_SHA256');
    expect(sock.getEphemeralKeyInfo()).toMatchObject({ name: 'X25519' });
    const got = collect(sock);
    const up = makePayload(MiB);
    await writeAll(sock, up.data);
    const echoed = await got.bytes(MiB);
    expect(echoed.length).toBe(MiB);
    expect(sha256(echoed)).toBe(up.sha256);

    sock.end(); // gnutls-serv answers close_notify and keeps serving
    await got.end();
    expect(gs.process.running).toBe(true);
    const status = await gs.netns.stop();
    expect(status.signal ?? status.code).toBeTruthy();
    expect(gs.process.groupMembers()).toEqual([]);
  }, TEST_MS);

  test('gnutls-cli -> bridge -> node tls server: 1 MiB each way, SHA-256 checked', async () => {
    const at = socketPath();
    const node = await nodeServer('ecdsa-p384', { path: at });
    const conn = node.nextConnection();
    const gc = await startGnutlsClient({ path: at, caPath: pki.caCertPath, priority: gnutlsTls13Priority({ group: 'SECP384R1', cipher: 'AES-256-GCM' }) });
    const sock = await conn;
    expect(sock.getCipher().standardName).toBe('TLS_AES_256_GCM_SHA384');
    const got = collect(sock);
    const up = makePayload(MiB);
    const down = makePayload(MiB);
    await Promise.all([gc.send(up.data), writeAll(sock, down.data)]);
    expect(sha256(await got.bytes(MiB))).toBe(up.sha256);
    await gc.waitForReceived(MiB);
    expect(gc.received().length).toBe(MiB);
    expect(sha256(gc.received())).toBe(down.sha256);

    sock.end(); // gnutls-cli sees our close and exits 0
    await got.end();
    expect((await gc.process.waitForExit()).code).toBe(0);
    expect(gc.log()).toMatch(/Description: \(TLS1\.3-X\.509\)-\(ECDHE-SECP384R1\)-\(ECDSA-SECP384R1-SHA384\)-\(AES-256-GCM\)/);
    expect(gc.log()).toMatch(/Peer has closed the GnuTLS connection/);
  }, TEST_MS);

  test('gnutls-cli ^rekey^ (KeyUpdate, update_requested) inside the stream: data keeps flowing', async () => {
    const at = socketPath();
    const node = await nodeServer('ecdsa-p256', { path: at });
    const conn = node.nextConnection();
    const gc = await startGnutlsClient({ path: at, caPath: pki.caCertPath, debug: 4 });
    const sock = await conn;
    const got = collect(sock);
    const before = makePayload(256 * 1024);
    const after = makePayload(256 * 1024);
    // One write: GnuTLS splits inline commands out of its input itself.
    await gc.send(Buffer.concat([before.data, Buffer.from(GNUTLS_REKEY_BOTH), after.data]));
    const all = await got.bytes(before.data.length + after.data.length);
    expect(all.length).toBe(before.data.length + after.data.length);
    expect(sha256(all)).toBe(sha256(Buffer.concat([before.data, after.data])));
    const down = makePayload(256 * 1024); // node's next write carries its KeyUpdate answer
    await writeAll(sock, down.data);
    await gc.waitForReceived(down.data.length);
    expect(sha256(gc.received())).toBe(down.sha256);

    gc.process.endStdin(); // gnutls-cli: close_notify (half-close), then waits for ours
    await got.end();
    sock.end();
    expect((await gc.process.waitForExit()).code).toBe(0);
    expect(gc.log()).toMatch(/Rekey was completed/);
    const stderr = gc.process.stderr().toString();
    expect(stderr).toMatch(/sending key update \(1\)/);
    expect(stderr).toMatch(/received TLS 1\.3 key update \(0\)/);
  }, TEST_MS);
});

describe('client certificates', () => {
  test('s_server -Verify 1 and gnutls-serv --require-client-cert --verify-client-cert accept the test client cert, refuse none', async () => {
    requireNetns();
    const client = { cert: pki.client.certPem, key: pki.client.keyPem, ca: pki.caCertPem };

    const ossl = await startOpensslServer({ cert: pki.server['ecdsa-p256'], clientCa: pki.caCertPath });
    const a = await connectNodeTls({ port: ossl.port, ...client });
    const ga = collect(a);
    await ossl.send('hi\n');
    await ga.bytes(3);
    a.end();
    await ga.end();
    expect((await ossl.process.waitForExit()).code).toBe(0);
    expect(ossl.process.stdout().toString()).toMatch(/subject=CN = rxtls test client/);

    const gs = await startGnutlsServer({ cert: pki.server['ecdsa-p256'], clientCa: pki.caCertPath });
    const b = await connectNodeTls({ path: gs.path, ...client });
    const gb = collect(b);
    await writeAll(b, 'ping\n');
    expect((await gb.bytes(5)).toString()).toBe('ping\n');
    b.end();
    await gb.end();
    expect(gs.process.stdout().toString()).toMatch(/The certificate is trusted/);

    // TLS 1.3: the client's handshake completes first; the refusal arrives as an alert.
    const c = await connectNodeTls({ path: gs.path, ca: pki.caCertPem });
    await expect(collect(c).end()).rejects.toThrow(/certificate required/);
  }, TEST_MS);
});

test('no peer process outlives its test', async () => {
  await processes.stopAll();
  expect(processes.started().length).toBeGreaterThan(0);
  expect(processes.leftovers()).toEqual([]);
});
