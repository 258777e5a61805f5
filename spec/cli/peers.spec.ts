/**
 * `rxtls` with client certificates, external PSKs, saved sessions, 0-RTT and raw public keys,
 * end to end: each command runs as `node bin/rxtls.js`, against `openssl s_client`/`s_server`
 * where OpenSSL is the natural peer, and against itself. Every process is started through the
 * interop harness and stopped by PID in `afterAll`; every wait is bounded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { disposeTestPki, testPki, type TestPki } from '../interop/support/certs.js';
import { disposeExtraPki, extraPki } from '../interop/support/certs-extra.js';
import { startOpensslClient, startOpensslServer } from '../interop/support/peers.js';
import { stopProcessesAfterAll } from '../interop/support/process.js';
import { runRxtls, runToEnd, startRxtlsServer, type RxtlsServer } from './support/commands.js';

const TEST_MS = 60_000;
const GET = 'GET / HTTP/1.0\r\n\r\n';
const PSK = '6a1f0e2d3c4b5a69788796a5b4c3d2e1f0112233445566778899aabbccddeeff';

stopProcessesAfterAll();

let pki: TestPki;
let tmp: string;
let rogue: { certPath: string; keyPath: string };
beforeAll(() => {
  pki = testPki();
  rogue = extraPki().rogueClient;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtls-cli-peers-'));
});
afterAll(() => {
  disposeTestPki();
  disposeExtraPki();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** `--cert chain --key key` of the test PKI's P-256 `localhost` server. */
const serverIdentity = (): string[] => ['--cert', pki.server['ecdsa-p256'].chainPath, '--key', pki.server['ecdsa-p256'].keyPath];
/** `--cert --key` of the test PKI's client. */
const clientIdentity = (): string[] => ['--cert', pki.client.chainPath, '--key', pki.client.keyPath];
/** Lines of the server's log that describe a handshake (`127.0.0.1:N TLSv1.3 ...`) or a failure. */
const connectionLines = (s: RxtlsServer): string[] => s.stderr().split('\n').filter((l) => /^127\.0\.0\.1:\d+ TLSv1\.3 |^rxtls: 127\.0\.0\.1:\d+: /.test(l));
/** Waits until the server logged `n` connection lines; returns them. */
async function logged(s: RxtlsServer, n: number): Promise<string[]> {
  await s.process.waitFor(() => connectionLines(s).length >= n, { timeoutMs: 10_000 });
  return connectionLines(s);
}

describe('client certificates', () => {
  describe('rxtls server --ca FILE --verify-client', () => {
    let server: RxtlsServer;
    beforeAll(async () => {
      server = await startRxtlsServer([...serverIdentity(), '--echo', '--ca', pki.caCertPath, '--verify-client']);
    }, TEST_MS);
    afterAll(async () => {
      await server.process.kill('SIGINT');
    });

    it('says so at start-up, and echoes to openssl s_client -cert, logging the client', async () => {
      expect(server.stderr()).toMatch(/^client certificates: required, issued by .*ca\.pem$/m);
      const client = await startOpensslClient({ port: server.port, caPath: pki.caCertPath, cert: pki.client, trace: false });
      await client.send('from openssl\n');
      await client.process.waitFor(/from openssl\n/, { stream: 'stdout', timeoutMs: 10_000 });
      client.process.endStdin();
      expect((await client.process.waitForExit(10_000)).code).toBe(0);
      const before = connectionLines(server).length;
      expect(before).toBeGreaterThanOrEqual(1);
      expect(connectionLines(server).join('\n')).toMatch(/ TLSv1\.3 TLS_AES_\w+ x25519, ALPN -, SNI localhost, client CN=rxtls test client$/m);
    }, TEST_MS);

    it('refuses rxtls client without a certificate (certificate_required), and with one of an unknown CA (unknown_ca)', async () => {
      const none = await runRxtls(['client', `localhost:${server.port}`, '--ca', pki.caCertPath, '-q'], 'never echoed');
      expect(none.status.code).toBe(1);
      expect(none.stderr).toBe('rxtls: peer sent fatal alert certificate_required (116)\n');
      const unknown = await runRxtls(['client', `localhost:${server.port}`, '--ca', pki.caCertPath, '--cert', rogue.certPath, '--key', rogue.keyPath, '-q'], 'x');
      expect(unknown.status.code).toBe(1);
      expect(unknown.stderr).toBe('rxtls: peer sent fatal alert unknown_ca (48)\n');
      const ok = await runRxtls(['client', `localhost:${server.port}`, '--ca', pki.caCertPath, ...clientIdentity(), '-q'], 'with a certificate');
      expect(ok.status.code).toBe(0);
      expect(ok.stdout.toString()).toBe('with a certificate');
      const lines = (await logged(server, 4)).slice(-3);
      expect(lines[0]).toMatch(/^rxtls: 127\.0\.0\.1:\d+: CERT_MISSING: the client sent no certificate$/);
      expect(lines[1]).toMatch(/^rxtls: 127\.0\.0\.1:\d+: /);
      expect(lines[2]).toMatch(/, client CN=rxtls test client$/);
    }, TEST_MS);
  });

  it('rxtls client --cert --key satisfies openssl s_server -Verify 1, whose page shows the certificate', async () => {
    const peer = await startOpensslServer({ cert: pki.server['ecdsa-p256'], clientCa: pki.caCertPath, extraArgs: ['-www'], trace: false });
    const r = await runRxtls(['client', `127.0.0.1:${peer.port}`, '--servername', 'localhost', '--ca', pki.caCertPath, ...clientIdentity()], GET);
    expect(r.status.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
    expect(r.stdout.toString()).toMatch(/Client certificate/);
    expect(r.stdout.toString()).toMatch(/Subject: CN ?= ?rxtls test client/);
  }, TEST_MS);

  it('rxtls client without --cert is refused by openssl s_server -Verify 1', async () => {
    const peer = await startOpensslServer({ cert: pki.server['ecdsa-p256'], clientCa: pki.caCertPath, extraArgs: ['-www'], trace: false });
    const r = await runRxtls(['client', `127.0.0.1:${peer.port}`, '--servername', 'localhost', '--ca', pki.caCertPath], GET);
    expect(r.status.code).toBe(1);
    expect(r.stderr).toMatch(/^rxtls: peer sent fatal alert certificate_required \(116\)$/m);
  }, TEST_MS);

  it('rxtls server --request-cert lets every client in; the log and the --www page say what each presented', async () => {
    const server = await startRxtlsServer([...serverIdentity(), '--www', '--ca', pki.caCertPath, '--request-cert']);
    expect(server.stderr()).toMatch(/^client certificates: requested, issued by /m);
    const withCert = await runRxtls(['client', `localhost:${server.port}`, '--ca', pki.caCertPath, ...clientIdentity(), '-q'], GET);
    expect(withCert.status.code).toBe(0);
    expect(withCert.stdout.toString()).toMatch(/Client certificate:\s+CN=rxtls test client\n/);
    const without = await runRxtls(['client', `localhost:${server.port}`, '--ca', pki.caCertPath, '-q'], GET);
    expect(without.status.code).toBe(0);
    expect(without.stdout.toString()).toMatch(/Client certificate:\s+\(none\), refused: CERT_MISSING\n/);
    const rogueClient = await runRxtls(['client', `localhost:${server.port}`, '--ca', pki.caCertPath, '--cert', rogue.certPath, '--key', rogue.keyPath, '-q'], GET);
    expect(rogueClient.status.code).toBe(0);
    const lines = await logged(server, 3);
    expect(lines[0]).toMatch(/, client CN=rxtls test client$/);
    expect(lines[1]).toMatch(/, no client certificate \(refused: CERT_MISSING\)$/);
    expect(lines[2]).toMatch(/, client CN=rxtls rogue client \(refused: \w+\)$/);
    await server.process.kill('SIGINT');
  }, TEST_MS);
});

describe('external PSK (--psk HEX --psk-identity ID)', () => {
  it('rxtls client --psk fetches a page from openssl s_server -psk -nocert', async () => {
    const peer = await startOpensslServer({
      cert: pki.server['ecdsa-p256'], ciphersuites: 'TLS_AES_128_GCM_SHA256', trace: false,
      extraArgs: ['-nocert', '-psk', PSK, '-psk_identity', 'rxtls-device', '-www'],
    });
    const r = await runRxtls(['client', `127.0.0.1:${peer.port}`, '--psk', PSK, '--psk-identity', 'rxtls-device'], GET);
    expect(r.status.code).toBe(0);
    expect(r.stderr).toMatch(/^\* TLSv1\.3, TLS_AES_128_GCM_SHA256, x25519$/m);
    expect(r.stderr).toMatch(/^\* PSK: rxtls-device \(external\)$/m);
    expect(r.stderr).not.toMatch(/server certificate/);
    expect(r.stdout.toString()).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
  }, TEST_MS);

  it('rxtls server --psk has no certificate; openssl s_client -psk and rxtls client --psk get their echo, a wrong key is refused', async () => {
    const server = await startRxtlsServer(['--psk', PSK, '--echo']);
    expect(server.stderr()).toMatch(/^no certificate: clients authenticate with the PSK of identity "Client_identity"$/m);
    expect(server.stderr()).not.toMatch(/certificate pin/);
    const client = await startOpensslClient({ port: server.port, ciphersuites: 'TLS_AES_128_GCM_SHA256', trace: false, extraArgs: ['-psk', PSK] });
    await client.send('from openssl\n');
    await client.process.waitFor(/from openssl\n/, { stream: 'stdout', timeoutMs: 10_000 });
    client.process.endStdin();
    expect((await client.process.waitForExit(10_000)).code).toBe(0);
    const r = await runRxtls(['client', `127.0.0.1:${server.port}`, '--psk', PSK, '-q'], 'from rxtls');
    expect(r.status.code).toBe(0);
    expect(r.stdout.toString()).toBe('from rxtls');
    const wrong = await runRxtls(['client', `127.0.0.1:${server.port}`, '--psk', PSK.replace(/^6a/, '6b'), '-q'], 'x');
    expect(wrong.status.code).toBe(1);
    expect(wrong.stderr).toBe('rxtls: peer sent fatal alert decrypt_error (51)\n');
    const lines = await logged(server, 3);
    expect(lines[0]).toMatch(/ TLSv1\.3 TLS_AES_128_GCM_SHA256 x25519, ALPN -, SNI localhost, PSK Client_identity$/);
    expect(lines[1]).toMatch(/ TLSv1\.3 TLS_AES_128_GCM_SHA256 x25519, ALPN -, SNI -, PSK Client_identity$/);
    expect(lines[2]).toMatch(/^rxtls: 127\.0\.0\.1:\d+: binder of PSK 0 does not verify$/);
    expect(lines).toHaveLength(3); // the clean connections logged no error
    await server.process.kill('SIGINT');
  }, TEST_MS);

  it('rxtls server --psk with --cert takes PSK clients and certificate clients alike', async () => {
    const server = await startRxtlsServer([...serverIdentity(), '--psk', PSK, '--psk-identity', 'dev', '--echo']);
    expect(server.stderr()).toMatch(/^certificate pin: sha256\//m);
    const psk = await runRxtls(['client', `localhost:${server.port}`, '--psk', PSK, '--psk-identity', 'dev'], 'psk');
    expect(psk.status.code).toBe(0);
    expect(psk.stderr).toMatch(/^\* PSK: dev \(external\)$/m);
    const cert = await runRxtls(['client', `localhost:${server.port}`, '--ca', pki.caCertPath], 'cert');
    expect(cert.status.code).toBe(0);
    expect(cert.stderr).toMatch(/^\* server certificate: CN=localhost/m);
    expect([psk.stdout.toString(), cert.stdout.toString()]).toEqual(['psk', 'cert']);
    await server.process.kill('SIGINT');
  }, TEST_MS);
});

describe('saved sessions (--sess-out, --sess-in) and 0-RTT (--early-data, --max-early-data)', () => {
  let server: RxtlsServer;
  beforeAll(async () => {
    server = await startRxtlsServer([...serverIdentity(), '--echo', '--max-early-data', '16384']);
  }, TEST_MS);
  afterAll(async () => {
    await server.process.kill('SIGINT');
  });
  const connectArgs = (): string[] => ['client', `localhost:${server.port}`, '--ca', pki.caCertPath];

  it('rxtls client --sess-out saves a ticket (mode 0600); --sess-in resumes with it, the server certificate coming from the file', async () => {
    const file = path.join(tmp, 'rxtls.sess');
    const first = await runRxtls([...connectArgs(), '--sess-out', file], 'first');
    expect(first.status.code).toBe(0);
    expect(first.stderr).toMatch(/^\* TLSv1\.3, TLS_AES_128_GCM_SHA256, x25519$/m);
    expect(first.stderr).toMatch(new RegExp(`^\\* session saved to ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(lifetime 7200 s, early data up to 16384 bytes\\)$`, 'm'));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^-----BEGIN RXTLS SESSION-----\n/);
    const second = await runRxtls([...connectArgs(), '--sess-in', file], 'second');
    expect(second.status.code).toBe(0);
    expect(second.stdout.toString()).toBe('second');
    expect(second.stderr).toMatch(/^\* TLSv1\.3, TLS_AES_128_GCM_SHA256, x25519, resumed$/m);
    expect(second.stderr).toMatch(/^\* server certificate: CN=localhost/m); // from the saved session
    const lines = await logged(server, 2);
    expect(lines.at(-1)).toMatch(/ TLSv1\.3 TLS_AES_128_GCM_SHA256 x25519 resumed, ALPN -, SNI localhost$/);
  }, TEST_MS);

  it('--early-data sends stdin as 0-RTT: accepted the first time; refused (a replayed ticket) it still arrives once', async () => {
    const file = path.join(tmp, 'early.sess');
    expect((await runRxtls([...connectArgs(), '--sess-out', file, '-q'], 'ticket')).status.code).toBe(0);
    const early = await runRxtls([...connectArgs(), '--sess-in', file, '--early-data'], 'GET /early');
    expect(early.status.code).toBe(0);
    expect(early.stdout.toString()).toBe('GET /early');
    expect(early.stderr).toMatch(/^\* early data: accepted$/m);
    // The same ticket again: the server resumes but refuses its 0-RTT (single use); the client resends.
    const replay = await runRxtls([...connectArgs(), '--sess-in', file, '--early-data'], 'GET /again');
    expect(replay.status.code).toBe(0);
    expect(replay.stdout.toString()).toBe('GET /again');
    expect(replay.stderr).toMatch(/, resumed$/m);
    expect(replay.stderr).toMatch(/^\* early data: rejected \(sent again after the handshake\)$/m);
    const lines = await logged(server, 3);
    expect(lines.slice(-2)).toEqual([
      expect.stringMatching(/ resumed, ALPN -, SNI localhost, early data accepted$/),
      expect.stringMatching(/ resumed, ALPN -, SNI localhost, early data rejected$/),
    ]);
  }, TEST_MS);

  it('openssl s_client -sess_out / -sess_in -early_data: resumed, and its 0-RTT request accepted', async () => {
    const www = await startRxtlsServer([...serverIdentity(), '--www', '--max-early-data', '16384']);
    const sess = path.join(tmp, 'openssl.sess');
    const request = path.join(tmp, 'request.txt');
    fs.writeFileSync(request, GET);
    const opensslClient = (extra: string[], input: string) => runToEnd('openssl', [
      's_client', '-connect', `127.0.0.1:${www.port}`, '-servername', 'localhost', '-CAfile', pki.caCertPath, '-verify_return_error', '-tls1_3', '-ign_eof', ...extra,
    ], input, { name: 's_client' });
    const first = await opensslClient(['-sess_out', sess], GET);
    expect(first.status.code).toBe(0);
    expect(first.stdout.toString()).toMatch(/^New, TLSv1\.3/m);
    const second = await opensslClient(['-sess_in', sess, '-early_data', request], '');
    expect(second.status.code).toBe(0);
    expect(second.stdout.toString()).toMatch(/^Reused, TLSv1\.3/m);
    expect(second.stdout.toString()).toMatch(/Early data was accepted/);
    expect(second.stdout.toString()).toMatch(/Resumed:\s+yes\n/);
    expect(second.stdout.toString()).toMatch(/Early data:\s+accepted\n/);
    await www.process.kill('SIGINT');
  }, TEST_MS);

  it('rxtls client --sess-out / --sess-in --early-data against openssl s_server -early_data (two connections)', async () => {
    const peer = await startOpensslServer({ cert: pki.server['ecdsa-p256'], naccept: 2, trace: false, extraArgs: ['-early_data', '-max_early_data', '16384'] });
    const file = path.join(tmp, 'to-openssl.sess');
    const base = ['client', `127.0.0.1:${peer.port}`, '--servername', 'localhost', '--ca', pki.caCertPath];
    const first = await runRxtls([...base, '--sess-out', file], 'first connection\n');
    expect(first.status.code).toBe(0);
    expect(first.stderr).toMatch(/early data up to 16384 bytes/);
    const second = await runRxtls([...base, '--sess-in', file, '--early-data'], 'sent as 0-RTT\n');
    expect(second.status.code).toBe(0);
    expect(second.stderr).toMatch(/, resumed$/m);
    expect(second.stderr).toMatch(/^\* early data: accepted$/m);
    await peer.process.waitFor(/sent as 0-RTT\n/, { stream: 'stdout', timeoutMs: 10_000 });
    expect(peer.process.stdout().toString()).toMatch(/Early data received:\nsent as 0-RTT\n/);
  }, TEST_MS);

  it('--sess-in with a file that is not a session fails with a one-line reason', async () => {
    const bogus = path.join(tmp, 'bogus.sess');
    fs.writeFileSync(bogus, 'not a session\n');
    const r = await runRxtls([...connectArgs(), '--sess-in', bogus], '');
    expect(r.status.code).toBe(1);
    expect(r.stderr).toBe(`rxtls: ${bogus} holds no RXTLS SESSION block (write one with rxtls client --sess-out)\n`);
  }, TEST_MS);
});

describe('raw public keys (--raw-public-key)', () => {
  it('rxtls client --raw-public-key --pin gets the server key alone; other clients still get the certificate', async () => {
    const server = await startRxtlsServer([...serverIdentity(), '--echo', '--raw-public-key']);
    const pin = /certificate pin: (sha256\/\S+)/.exec(server.stderr())![1]!;
    const raw = await runRxtls(['client', `127.0.0.1:${server.port}`, '--raw-public-key', '--pin', pin], 'raw');
    expect(raw.status.code).toBe(0);
    expect(raw.stdout.toString()).toBe('raw');
    expect(raw.stderr).toMatch(new RegExp(`^\\* server raw public key: ${pin.replace(/[+/]/g, '\\$&')}; signed with ecdsa_secp256r1_sha256$`, 'm'));
    const x509 = await runRxtls(['client', `localhost:${server.port}`, '--ca', pki.caCertPath], 'x509');
    expect(x509.status.code).toBe(0);
    expect(x509.stderr).toMatch(/^\* server certificate: CN=localhost/m);
    const wrongPin = await runRxtls(['client', `127.0.0.1:${server.port}`, '--raw-public-key', '--pin', `sha256/${'A'.repeat(43)}=`], 'x');
    expect(wrongPin.status.code).toBe(1);
    expect(wrongPin.stderr).toMatch(/^rxtls: ERR_TLS_PIN_MISMATCH: /m);
    await server.process.kill('SIGINT');
  }, TEST_MS);
});
