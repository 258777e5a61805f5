/**
 * Cross-checks against OpenSSL (through node:tls) for all three suites, which RFC 8448 (only
 * TLS_AES_128_GCM_SHA256) cannot give: a real TLS 1.3 connection runs through a recording TCP
 * proxy; with the traffic secrets from node's key log, every protected record in both
 * directions is decrypted by RecordDecrypter and re-sealed byte for byte by RecordEncrypter,
 * and exportKeyingMaterial is compared with TLSSocket.exportKeyingMaterial.
 * The server certificate is a throw-away self-signed one (the client does not verify it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { ContentType } from '../../../src/tls/constants.js';
import { nobleProvider as p } from '../../../src/tls/crypto/noble.js';
import { exportKeyingMaterial } from '../../../src/tls/keys/traffic.js';
import { RecordDeframer } from '../../../src/tls/record/deframer.js';
import { RecordDecrypter, RecordEncrypter } from '../../../src/tls/record/protection.js';
import { CIPHER_SUITES, type CipherSuiteInfo } from '../../../src/tls/suites.js';

const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * A throw-away ECDSA P-256 key and self-signed certificate from the openssl CLI. (RFC 8448's
 * own 1024-bit RSA key is refused by OpenSSL 3's default security level.)
 */
function credentials(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-interop-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost',
    ], { stdio: 'pipe' });
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const creds = credentials();

interface Session {
  c2s: Buffer;
  s2c: Buffer;
  keylog: Map<string, Uint8Array>;
  exported: { label: string; context: Uint8Array | undefined; length: number; value: Uint8Array }[];
}

const EXPORTS: { label: string; context: Uint8Array | undefined; length: number }[] = [
  { label: 'EXPERIMENTAL rxtls', context: new TextEncoder().encode('context'), length: 32 },
  { label: 'EXPERIMENTAL rxtls', context: new Uint8Array(0), length: 32 },
  { label: 'EXPERIMENTAL rxtls', context: undefined, length: 32 },
  { label: 'EXPERIMENTAL other', context: Uint8Array.of(1, 2, 3), length: 100 },
];

/** One TLS 1.3 connection with `suite`, node client to node server through a recording proxy. */
async function session(suite: CipherSuiteInfo, serverData: Buffer, clientData: Buffer): Promise<Session> {
  const { key, cert } = creds;
  const c2s: Buffer[] = [];
  const s2c: Buffer[] = [];
  const keylog = new Map<string, Uint8Array>();
  const exported: Session['exported'] = [];
  // node:tls takes TLS 1.3 suite names in `ciphers`.
  const opts = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', ciphers: suite.name } as const;

  let serverGot = Buffer.alloc(0);
  let serverDone!: () => void;
  const serverReceived = new Promise<void>((r) => (serverDone = r));
  const server = tls.createServer({ ...opts, key, cert }, (sock) => {
    sock.write(serverData);
    sock.on('data', (d: Buffer) => {
      serverGot = Buffer.concat([serverGot, d]);
      if (serverGot.length >= clientData.length) serverDone();
    });
    sock.on('error', () => {});
  });
  const sockets: net.Socket[] = [];
  const proxy = net.createServer((down) => {
    const up = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    sockets.push(down, up);
    down.on('data', (d) => (c2s.push(d), up.write(d)));
    up.on('data', (d) => (s2c.push(d), down.write(d)));
    down.on('error', () => {});
    up.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  try {
    const client = tls.connect({ ...opts, host: '127.0.0.1', port: (proxy.address() as net.AddressInfo).port, rejectUnauthorized: false });
    client.on('keylog', (line: Buffer) => {
      const [name, , secret] = line.toString('latin1').trim().split(' ');
      keylog.set(name!, new Uint8Array(Buffer.from(secret!, 'hex')));
    });
    let clientGot = Buffer.alloc(0);
    let negotiated = '';
    await new Promise<void>((res, rej) => {
      client.on('error', rej);
      client.on('secureConnect', () => {
        negotiated = client.getCipher().standardName;
        for (const e of EXPORTS) {
          // The context is optional at run time (node's docs), though @types/node requires it.
          const noContext = client as unknown as { exportKeyingMaterial(length: number, label: string): Buffer };
          const v = e.context === undefined ? noContext.exportKeyingMaterial(e.length, e.label) : client.exportKeyingMaterial(e.length, e.label, Buffer.from(e.context));
          exported.push({ ...e, value: new Uint8Array(v) });
        }
        client.write(clientData);
      });
      client.on('data', (d: Buffer) => {
        clientGot = Buffer.concat([clientGot, d]);
        if (clientGot.length >= serverData.length) res();
      });
    });
    await serverReceived;
    expect(negotiated).toBe(suite.name);
    expect(clientGot.equals(serverData)).toBe(true);
    expect(serverGot.equals(clientData)).toBe(true);
    client.destroy();
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => proxy.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  }
  return { c2s: Buffer.concat(c2s), s2c: Buffer.concat(s2c), keylog, exported };
}

/**
 * Decrypts one direction's records with the handshake then the application secret, switching
 * after the record holding Finished, re-sealing each record and comparing it byte for byte.
 * Returns the application data and the number of protected records checked.
 */
function replay(stream: Uint8Array, suite: CipherSuiteInfo, hsSecret: Uint8Array, apSecret: Uint8Array) {
  const d = new RecordDeframer();
  let dec = new RecordDecrypter(p, suite, hsSecret);
  let enc = new RecordEncrypter(p, suite, hsSecret);
  let handshake = Buffer.alloc(0);
  let inHandshakeEpoch = true;
  const appData: Buffer[] = [];
  let checked = 0;
  for (let at = 0; at < stream.length; ) {
    at += d.push(stream.subarray(at));
    const rec = d.take();
    if (!rec) break;
    if (rec.type !== ContentType.application_data) continue; // ClientHello/ServerHello, compatibility CCS
    const wire = toHex(Buffer.concat([rec.header, rec.fragment]));
    const { type, content } = dec.open(rec);
    expect(toHex(enc.seal(type, content))).toBe(wire);
    checked++;
    if (type === ContentType.application_data) appData.push(Buffer.from(content));
    if (type === ContentType.handshake && inHandshakeEpoch) {
      handshake = Buffer.concat([handshake, content]);
      let finished = false;
      for (let i = 0; i + 4 <= handshake.length; i += 4 + handshake.readUIntBE(i + 1, 3)) if (handshake[i] === 20) finished = true;
      if (finished) {
        inHandshakeEpoch = false;
        dec = new RecordDecrypter(p, suite, apSecret);
        enc = new RecordEncrypter(p, suite, apSecret);
      }
    }
  }
  expect(inHandshakeEpoch).toBe(false);
  return { appData: Buffer.concat(appData), checked };
}

describe.each(CIPHER_SUITES.map((s) => [s.name, s] as const))('OpenSSL interop, %s', (_, suite) => {
  const serverData = Buffer.from('server says hello '.repeat(2000)); // spans several records
  const clientData = Buffer.from('client answers');
  let s: Session;
  beforeAll(async () => {
    s = await session(suite, serverData, clientData);
  });

  test('the key log has every TLS 1.3 secret', () => {
    for (const name of ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET']) {
      expect(s.keylog.get(name)).toHaveLength(suite.hash === 'sha384' ? 48 : 32);
    }
  });

  test('server → client: every protected record decrypts and re-seals byte for byte', () => {
    const { appData, checked } = replay(s.s2c, suite, s.keylog.get('SERVER_HANDSHAKE_TRAFFIC_SECRET')!, s.keylog.get('SERVER_TRAFFIC_SECRET_0')!);
    expect(appData.equals(serverData)).toBe(true);
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  test('client → server: every protected record decrypts and re-seals byte for byte', () => {
    const { appData, checked } = replay(s.c2s, suite, s.keylog.get('CLIENT_HANDSHAKE_TRAFFIC_SECRET')!, s.keylog.get('CLIENT_TRAFFIC_SECRET_0')!);
    expect(appData.equals(clientData)).toBe(true);
    expect(checked).toBeGreaterThanOrEqual(2);
  });

  test('exportKeyingMaterial equals OpenSSL\'s, with a context, an empty one and none (RFC 8446 section 7.5)', () => {
    const secret = s.keylog.get('EXPORTER_SECRET')!;
    expect(s.exported).toHaveLength(EXPORTS.length);
    for (const e of s.exported) {
      expect(toHex(exportKeyingMaterial(p, suite.hash, secret, e.label, e.context, e.length))).toBe(toHex(e.value));
    }
    // OpenSSL, too, gives no context and an empty context the same value in TLS 1.3.
    expect(s.exported[1]!.value).toEqual(s.exported[2]!.value);
    expect(s.exported[0]!.value).not.toEqual(s.exported[1]!.value);
  });
});
