/**
 * The `rxtls` command against real peers: `openssl s_client`, curl and Node's `tls` against
 * `rxtls server`; `rxtls client` against `openssl s_server` and `rxtls server`. Each command
 * runs as `node bin/rxtls.js` (what `npx rxtls` runs), so these tests also cover the launcher.
 *
 * Every process is started through the interop harness and stopped by PID in `afterAll`
 * (see ../interop/support/process.ts); every wait is bounded.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { disposeTestPki, testPki, type TestPki } from '../interop/support/certs.js';
import { checkPayload, collect, makePayload, startOpensslClient, startOpensslServer } from '../interop/support/peers.js';
import { stopProcessesAfterAll } from '../interop/support/process.js';
import { childEnv, runRxtls, runToEnd, sleep, startRxtlsServer, type RxtlsServer } from './support/commands.js';

const TEST_MS = 60_000;
const GET = 'GET / HTTP/1.0\r\n\r\n';
const KEYLOG_LABELS = ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'EXPORTER_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0'];

stopProcessesAfterAll();

let pki: TestPki;
let tmp: string;
/** A CA that signed none of the test PKI's certificates. */
let otherCa: string;
beforeAll(() => {
  pki = testPki();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtls-cli-'));
  otherCa = path.join(tmp, 'other-ca.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=another CA',
    '-keyout', path.join(tmp, 'other-ca.key'), '-out', otherCa,
  ], { stdio: 'ignore', timeout: 30_000 });
});
afterAll(() => {
  disposeTestPki();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** `--cert chain --key key` of the test PKI's P-256 `localhost` server. */
const serverIdentity = (): string[] => ['--cert', pki.server['ecdsa-p256'].chainPath, '--key', pki.server['ecdsa-p256'].keyPath];

/** The SPKI pin of a PEM certificate, as `rxtls client --pin` takes it. */
function pinOf(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256/${createHash('sha256').update(spki).digest('base64')}`;
}

/** A Node tls connection to `port`, trusting the test CA, resolved at secureConnect (bounded). */
function nodeClient(port: number, extra: tls.ConnectionOptions = {}, onSocket?: (s: tls.TLSSocket) => void): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: pki.caCertPem, minVersion: 'TLSv1.3', ...extra });
    onSocket?.(s);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('node tls: no handshake within 10 s'));
    }, 10_000);
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.once('secureConnect', () => {
      clearTimeout(timer);
      s.on('error', () => undefined);
      resolve(s);
    });
  });
}

/** Sends `data` over Node tls, ends (close_notify), and resolves with everything read until the server's end. */
async function nodeRoundTrip(port: number, data: string | Buffer): Promise<Buffer> {
  const s = await nodeClient(port);
  const got = collect(s);
  s.end(data);
  try {
    return await got.end(15_000);
  } finally {
    s.destroy();
  }
}

/** Waits until `file` holds at least `n` lines; returns them. */
async function linesOf(file: string, n: number, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    if (lines.length >= n) return lines;
    if (Date.now() > deadline) throw new Error(`${file}: ${lines.length} of ${n} lines after ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('rxtls server --www', () => {
  let server: RxtlsServer;
  beforeAll(async () => {
    server = await startRxtlsServer([...serverIdentity(), '--www', '--alpn', 'http/1.1']);
  }, TEST_MS);
  afterAll(async () => {
    await server.process.kill('SIGINT');
  });

  it('serves openssl s_client a page describing the connection', async () => {
    const client = await startOpensslClient({ port: server.port, caPath: pki.caCertPath, alpn: ['http/1.1'], ignEof: true, trace: false });
    await client.send(GET);
    client.process.endStdin();
    const status = await client.process.waitForExit(15_000);
    const page = client.process.stdout().toString();
    expect(status.code).toBe(0);
    expect(client.process.stderr().toString()).toMatch(/Verification: OK/);
    expect(page).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
    expect(page).toMatch(/Protocol version:\s+TLSv1\.3/);
    expect(page).toMatch(/Cipher suite:\s+TLS_AES_128_GCM_SHA256/);
    expect(page).toMatch(/Key exchange group:\s+x25519/);
    expect(page).toMatch(/ALPN protocol:\s+http\/1\.1/);
    expect(page).toMatch(/Server name \(SNI\):\s+localhost/);
    expect(page).toMatch(/Request:\s+GET \/ HTTP\/1\.0/);
  }, TEST_MS);

  it('serves curl over TLS 1.3, and curl verifies the chain', async () => {
    expect(execFileSync('curl', ['--version']).toString()).toMatch(/OpenSSL\/3\./); // TLS 1.3 capable
    const url = `https://localhost:${server.port}/`;
    const resolve = ['--resolve', `localhost:${server.port}:127.0.0.1`];
    const ok = await runToEnd('curl', ['--tlsv1.3', '--cacert', pki.caCertPath, ...resolve, '-sS', '-v', url], '', { name: 'curl' });
    expect(ok.status.code).toBe(0);
    expect(ok.stderr).toMatch(/SSL connection using TLSv1\.3 \/ TLS_AES_128_GCM_SHA256/);
    expect(ok.stderr).toMatch(/SSL certificate verify ok/);
    expect(ok.stderr).toMatch(/ALPN: server accepted http\/1\.1/);
    expect(ok.stdout.toString()).toMatch(/Protocol version:\s+TLSv1\.3/);
    expect(ok.stdout.toString()).toMatch(/Server name \(SNI\):\s+localhost/);
    // Without the test CA curl refuses our chain: it really verified it above.
    const refused = await runToEnd('curl', ['--tlsv1.3', '--cacert', otherCa, ...resolve, '-sS', url], '', { name: 'curl' });
    expect(refused.status.code).toBe(60);
    expect(refused.stderr).toMatch(/SSL certificate problem/);
  }, TEST_MS);

  it('answers rxtls client too, even when close_notify cuts the request head short', async () => {
    const r = await runRxtls(['client', `localhost:${server.port}`, '--ca', pki.caCertPath, '--alpn', 'http/1.1', '-q'], 'hello\n');
    expect(r.status.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
    expect(r.stdout.toString()).toMatch(/Request:\s+hello\n/);
  }, TEST_MS);

  it('lets rxtls client exit 0 when the server closes first, stdin still open', async () => {
    const r = await runRxtls(['client', `localhost:${server.port}`, '--ca', pki.caCertPath, '-q'], GET, { keepStdinOpen: true });
    expect(r.status.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/Request:\s+GET \/ HTTP\/1\.0\n/);
  }, TEST_MS);
});

describe('rxtls client', () => {
  it('fetches a page from openssl s_server -www, trusting the CA (--ca)', async () => {
    const peer = await startOpensslServer({ cert: pki.server['ecdsa-p256'], extraArgs: ['-www'], trace: false });
    const r = await runRxtls(['client', `127.0.0.1:${peer.port}`, '--servername', 'localhost', '--ca', pki.caCertPath], GET);
    expect(r.stderr).toMatch(/^\* TLSv1\.3, TLS_AES_\w+, x25519$/m);
    expect(r.stderr).toMatch(/^\* server certificate: CN=localhost; issuer: CN=rxtls test root CA/m);
    expect(r.status.code).toBe(0);
    expect(r.stdout.toString()).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
    expect(r.stdout.toString()).toMatch(/Ciphers supported in s_server binary/);
  }, TEST_MS);

  it('fetches a page from openssl s_server -www, pinned (--pin)', async () => {
    const peer = await startOpensslServer({ cert: pki.server['ed25519'], extraArgs: ['-www'], trace: false });
    const r = await runRxtls(['client', `localhost:${peer.port}`, '--pin', pinOf(pki.server['ed25519'].certPem)], GET);
    expect(r.status.code).toBe(0);
    expect(r.stderr).toMatch(/signed with ed25519/);
    expect(r.stdout.toString()).toMatch(/^HTTP\/1\.0 200 ok\r\n/);
  }, TEST_MS);

  describe('against rxtls server --echo', () => {
    let server: RxtlsServer;
    beforeAll(async () => {
      server = await startRxtlsServer([...serverIdentity(), '--echo', '--alpn', 'echo']);
    }, TEST_MS);
    afterAll(async () => {
      await server.process.kill('SIGINT');
    });

    it('sends stdin, prints the echo, half-closes at stdin EOF and exits 0 after the server closes', async () => {
      const payload = makePayload(1 << 20);
      const r = await runRxtls(['client', `127.0.0.1:${server.port}`, '--servername', 'localhost', '--ca', pki.caCertPath, '--alpn', 'echo'], payload.data);
      expect(r.status.code).toBe(0);
      expect(checkPayload(r.stdout, payload)).toBeUndefined();
      expect(r.stdout.length).toBe(payload.data.length);
      expect(r.stderr).toMatch(/^\* ALPN: echo$/m);
    }, TEST_MS);

    it('exits non-zero naming ERR_TLS_CERT_ALTNAME_INVALID for a wrong host name', async () => {
      const r = await runRxtls(['client', `127.0.0.1:${server.port}`, '--servername', 'wrong.example', '--ca', pki.caCertPath], 'never sent');
      expect(r.status.code).toBe(1);
      expect(r.stdout.length).toBe(0);
      expect(r.stderr).toMatch(/^rxtls: ERR_TLS_CERT_ALTNAME_INVALID: .*wrong\.example/m);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }, TEST_MS);

    it('exits non-zero naming the code when the chain leads to an untrusted root, or the pin does not match', async () => {
      const untrusted = await runRxtls(['client', `localhost:${server.port}`, '--ca', otherCa]);
      expect(untrusted.status.code).toBe(1);
      expect(untrusted.stderr).toMatch(/^rxtls: SELF_SIGNED_CERT_IN_CHAIN: /m);
      const pinned = await runRxtls(['client', `localhost:${server.port}`, '--pin', pinOf(pki.server['ecdsa-p384'].certPem)]);
      expect(pinned.status.code).toBe(1);
      expect(pinned.stderr).toMatch(/^rxtls: ERR_TLS_PIN_MISMATCH: /m);
    }, TEST_MS);

    it('exits non-zero naming the alert the server sent', async () => {
      const r = await runRxtls(['client', `localhost:${server.port}`, '--ca', pki.caCertPath, '--alpn', 'h2']);
      expect(r.status.code).toBe(1);
      expect(r.stderr).toMatch(/^rxtls: peer sent fatal alert no_application_protocol \(120\)$/m);
      // The server logged the refusal on one line and is still up.
      await server.process.waitFor(/: client offers none of our ALPN protocols \(h2\)\n/, { stream: 'stderr', timeoutMs: 5_000 });
      expect(await nodeRoundTrip(server.port, 'still here')).toEqual(Buffer.from('still here'));
    }, TEST_MS);

    it('exits non-zero with a one-line reason when nothing listens', async () => {
      const port = await new Promise<number>((resolve) => {
        const s = net.createServer().listen(0, '127.0.0.1', () => {
          const p = (s.address() as net.AddressInfo).port;
          s.close(() => resolve(p));
        });
      });
      const r = await runRxtls(['client', `127.0.0.1:${port}`, '--pin', pinOf(pki.server['ecdsa-p256'].certPem)]);
      expect(r.status.code).toBe(1);
      expect(r.stderr).toBe(`rxtls: connect ECONNREFUSED 127.0.0.1:${port}\n`);
    }, TEST_MS);
  });
});

describe('key logging', () => {
  it('rxtls server --keylog writes, line for line, what Node reports through its keylog event', async () => {
    const file = path.join(tmp, 'server-flag.keys');
    const server = await startRxtlsServer([...serverIdentity(), '--echo', '--keylog', file]);
    const nodeLines: string[] = [];
    const s = await nodeClient(server.port, {}, (sock) => sock.on('keylog', (line: Buffer) => nodeLines.push(line.toString('latin1').trim())));
    const got = collect(s);
    s.end('ping');
    expect(await got.end(15_000)).toEqual(Buffer.from('ping'));
    s.destroy();
    const written = await linesOf(file, 5);
    expect(nodeLines.map((l) => l.split(' ')[0]).sort()).toEqual(KEYLOG_LABELS);
    expect(new Set(written)).toEqual(new Set(nodeLines));
    expect(written).toHaveLength(5);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    await server.process.kill('SIGINT');
  }, TEST_MS);

  it('honours SSLKEYLOGFILE in both commands, appending to what the file held', async () => {
    const serverFile = path.join(tmp, 'server-env.keys');
    const clientEnvFile = path.join(tmp, 'client-env.keys');
    const clientFlagFile = path.join(tmp, 'client-flag.keys');
    fs.writeFileSync(clientEnvFile, '# lines of an earlier program\n');
    const server = await startRxtlsServer([...serverIdentity(), '--echo'], { env: childEnv({ SSLKEYLOGFILE: serverFile }) });
    const r = await runRxtls(
      ['client', `localhost:${server.port}`, '--ca', pki.caCertPath, '--keylog', clientFlagFile],
      'hello',
      { env: childEnv({ SSLKEYLOGFILE: clientEnvFile }) },
    );
    expect(r.status.code).toBe(0);
    const serverLines = await linesOf(serverFile, 5);
    const [comment, ...clientLines] = await linesOf(clientEnvFile, 6);
    expect(comment).toBe('# lines of an earlier program');
    expect(clientLines.map((l) => l.split(' ')[0]).sort()).toEqual(KEYLOG_LABELS);
    expect(new Set(clientLines)).toEqual(new Set(serverLines));
    expect(await linesOf(clientFlagFile, 5)).toEqual(clientLines);
    await server.process.kill('SIGINT');
  }, TEST_MS);
});

describe('rxtls server, robustness and shutdown', () => {
  it('serves many connections at once', async () => {
    const server = await startRxtlsServer([...serverIdentity(), '--echo']);
    const messages = Array.from({ length: 8 }, (_, i) => Buffer.from(`connection ${i} `.repeat(2000)));
    const echoes = await Promise.all(messages.map((m) => nodeRoundTrip(server.port, m)));
    echoes.forEach((e, i) => expect(e.equals(messages[i]!)).toBe(true));
    await server.process.kill('SIGINT');
  }, TEST_MS);

  it('survives garbage clients: each gets an alert or a close, one stderr line, and a good client still works', async () => {
    const server = await startRxtlsServer([...serverIdentity(), '--echo']);
    // Plain HTTP on the TLS port: the server answers with an alert record and closes.
    const http = net.connect({ host: '127.0.0.1', port: server.port });
    const answer = collect(http);
    http.write(GET);
    await answer.close(10_000);
    expect(answer.data[0]).toBe(0x15); // an alert record
    // A handshake record header announcing 64 KiB, then a reset mid-record.
    const reset = net.connect({ host: '127.0.0.1', port: server.port });
    collect(reset);
    await new Promise<void>((r) => reset.once('connect', () => r()));
    reset.write(Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff, 1, 2, 3]));
    await sleep(100);
    reset.resetAndDestroy();
    await server.process.waitFor((o) => o.stderr.toString().split('\n').filter((l) => l.startsWith('rxtls: 127.0.0.1:')).length >= 2, { timeoutMs: 10_000 });
    const errors = server.stderr().split('\n').filter((l) => l.startsWith('rxtls: '));
    expect(errors).toHaveLength(2);
    expect(server.process.running).toBe(true);
    // A good connection afterwards.
    expect(await nodeRoundTrip(server.port, 'after the garbage')).toEqual(Buffer.from('after the garbage'));
    const r = await runRxtls(['client', `localhost:${server.port}`, '--ca', pki.caCertPath, '-q'], 'and rxtls too');
    expect(r.status.code).toBe(0);
    expect(r.stdout.toString()).toBe('and rxtls too');
    expect(r.stderr).toBe('');
    await server.process.kill('SIGINT');
  }, TEST_MS);

  it('exits 0 on Ctrl-C (SIGINT), closing open connections with close_notify', async () => {
    const server = await startRxtlsServer([...serverIdentity(), '--echo']);
    const s = await nodeClient(server.port);
    const got = collect(s);
    s.write('before ^C');
    await got.bytes(9, 10_000);
    process.kill(server.process.pid, 'SIGINT'); // the `timeout` wrapper passes it on to rxtls
    expect(await server.process.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    expect((await got.end(5_000)).toString()).toBe('before ^C'); // 'end': the server's close_notify
    s.destroy();
    expect(server.stderr()).toMatch(/SIGINT: closing 1 connection\n/);
    await expect(nodeClient(server.port)).rejects.toThrow(/ECONNREFUSED/);
  }, TEST_MS);

  it('exits 0 on SIGTERM too', async () => {
    const server = await startRxtlsServer(['--www', '-q']);
    process.kill(server.process.pid, 'SIGTERM');
    expect(await server.process.waitForExit(10_000)).toEqual({ code: 0, signal: null });
  }, TEST_MS);
});

describe('rxtls command line', () => {
  it('takes client-certificate flags, and refuses incomplete ones with a usage error (exit 2)', async () => {
    for (const [args, message] of [
      [['server', '--verify-client'], /^rxtls: --verify-client needs --ca FILE/],
      [['server', '--ca', pki.caCertPath], /^rxtls: --ca checks client certificates: add --verify-client/],
      [['client', 'localhost:4433', '--cert', pki.client.certPath], /^rxtls: --cert and --key go together/],
    ] as const) {
      const r = await runRxtls(args);
      expect(r.status.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(/not supported yet/);
    }
  }, TEST_MS);

  it('reports usage errors in one line and exit status 2', async () => {
    const r = await runRxtls(['server', '--port', 'http']);
    expect(r.status.code).toBe(2);
    expect(r.stderr).toMatch(/^rxtls: --port "http" is not a port number/);
    const h = await runRxtls(['client', '--help']);
    expect(h.status.code).toBe(0);
    expect(h.stdout.toString()).toMatch(/^usage: rxtls client HOST:PORT/);
  }, TEST_MS);

  it('generates a self-signed identity when given no --cert/--key, and prints its pin', async () => {
    const server = await startRxtlsServer(['--echo']);
    const pin = /certificate pin: (sha256\/\S+)/.exec(server.stderr())![1]!;
    const r = await runRxtls(['client', `127.0.0.1:${server.port}`, '--pin', pin], 'pinned');
    expect(r.status.code).toBe(0);
    expect(r.stdout.toString()).toBe('pinned');
    await server.process.kill('SIGINT');
  }, TEST_MS);
});
