/**
 * Bulk transfer: one connection over loopback, `total` bytes one way (client to server), both
 * ends in this process. rxtls on each provider against Node's tls, and the raw noble AEAD
 * (seal and open of every 16 KiB record, what one process must do when it runs both ends) as
 * the floor for rxtls-noble.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { gcm } from '@noble/ciphers/aes.js';
import { randomBytes } from 'node:crypto';
import { of } from 'rxjs';
import { CipherSuite, type CryptoProvider } from '../src/index.js';
import { type BenchName, type Impl, type Result, type Scale, deferred, median, now, providerOf, selected, withTimeout } from './support/common.js';
import { nodeConnect, nodeServer } from './support/node-tls.js';
import { quiet, rxConnect, rxServer, writer } from './support/rx.js';

/** Plaintext bytes per record (RFC 8446 section 5.1). */
const RECORD = 16384;
/** Application write size. */
const CHUNK = 64 * 1024;
const MB = 1e6;

type BulkBench = Extract<BenchName, 'bulk-aes128gcm' | 'bulk-chacha20'>;

const SUITES: Record<BulkBench, { suite: CipherSuite; openssl: string; noble: 'gcm' | 'chacha' }> = {
  'bulk-aes128gcm': { suite: CipherSuite.TLS_AES_128_GCM_SHA256, openssl: 'TLS_AES_128_GCM_SHA256', noble: 'gcm' },
  'bulk-chacha20': { suite: CipherSuite.TLS_CHACHA20_POLY1305_SHA256, openssl: 'TLS_CHACHA20_POLY1305_SHA256', noble: 'chacha' },
};

/** Bytes per round: the full run moves 256 MiB each time; quick runs move less, noble least. */
function totalFor(impl: Impl, scale: Scale): number {
  if (!scale.quick) return 256 * 1024 * 1024;
  return impl === 'rxtls-noble' || impl === 'noble-raw' ? 4 * 1024 * 1024 : 32 * 1024 * 1024;
}

/** MB/s of one rxtls transfer. */
async function rxOnce(provider: CryptoProvider, suite: CipherSuite, total: number, timeoutMs: number): Promise<number> {
  const done = deferred<number>();
  const server = await rxServer({ provider, cipherSuites: [suite] }, (tls) => {
    let n = 0;
    tls.read(of(Infinity)).subscribe({
      next: (c) => {
        n += c.length;
        if (n >= total) done.resolve(now());
      },
      error: (e) => done.reject(e),
    });
  });
  const client = await rxConnect(server.port, { provider, cipherSuites: [suite] });
  try {
    await withTimeout(new Promise((resolve, reject) => client.tls.session$.subscribe({ next: resolve, error: reject })), 30_000, 'rxtls handshake');
    const chunk = randomBytes(CHUNK);
    const t0 = now();
    client.tls.write(writer(client.tls, chunk, total)).subscribe(quiet);
    const t1 = await withTimeout(done.promise, timeoutMs, `rxtls ${provider.name} transfer`);
    return total / ((t1 - t0) / 1000) / MB;
  } finally {
    client.socket.close();
    server.close();
  }
}

/** MB/s of one node:tls transfer. */
async function nodeOnce(ciphersuites: string, total: number, timeoutMs: number): Promise<number> {
  const done = deferred<number>();
  const server = await nodeServer({ ciphersuites }, (s) => {
    let n = 0;
    s.on('data', (d: Buffer) => {
      n += d.length;
      if (n >= total) done.resolve(now());
    });
  });
  const c = await nodeConnect(server.port, { ciphersuites });
  try {
    const chunk = randomBytes(CHUNK);
    const t0 = now();
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        const n = Math.min(CHUNK, total - sent);
        sent += n;
        if (!c.write(n === CHUNK ? chunk : chunk.subarray(0, n))) {
          c.once('drain', pump);
          return;
        }
      }
    };
    pump();
    const t1 = await withTimeout(done.promise, timeoutMs, 'node:tls transfer');
    return total / ((t1 - t0) / 1000) / MB;
  } finally {
    c.destroy();
    server.close();
  }
}

/** MB/s of the raw noble AEAD: seal then open each full record (16384 + 1 bytes, 5-byte AAD). */
function nobleRawOnce(kind: 'gcm' | 'chacha', total: number): number {
  const key = randomBytes(kind === 'gcm' ? 16 : 32);
  const iv = randomBytes(12);
  const aad = Uint8Array.of(23, 3, 3, 0x40, 0x11);
  const inner = randomBytes(RECORD + 1);
  const cipher = kind === 'gcm' ? gcm : chacha20poly1305;
  const records = Math.max(1, Math.floor(total / RECORD));
  const nonce = new Uint8Array(12);
  const t0 = now();
  for (let seq = 0; seq < records; seq++) {
    nonce.set(iv);
    nonce[11]! ^= seq & 0xff;
    nonce[10]! ^= (seq >>> 8) & 0xff;
    nonce[9]! ^= (seq >>> 16) & 0xff;
    const sealed = cipher(key, nonce, aad).encrypt(inner);
    cipher(key, nonce, aad).decrypt(sealed);
  }
  return (records * RECORD) / ((now() - t0) / 1000) / MB;
}

/** The bulk figures for one suite: each implementation once per round, interleaved; medians. */
export async function bulk(bench: BulkBench, scale: Scale, log: (s: string) => void): Promise<Result[]> {
  const { suite, openssl, noble } = SUITES[bench];
  const impls: Impl[] = selected(['rxtls-noble', 'rxtls-node', 'node-tls', 'noble-raw'], scale);
  const samples = new Map<Impl, number[]>(impls.map((i) => [i, []]));
  const timeoutMs = scale.quick ? 30_000 : 180_000;
  for (let r = 0; r < scale.rounds; r++) {
    for (const impl of impls) {
      const total = totalFor(impl, scale);
      let v: number;
      if (impl === 'node-tls') v = await nodeOnce(openssl, total, timeoutMs);
      else if (impl === 'noble-raw') v = nobleRawOnce(noble, total);
      else v = await rxOnce(providerOf(impl), suite, total, timeoutMs);
      samples.get(impl)!.push(v);
      log(`${bench} round ${r + 1}/${scale.rounds} ${impl}: ${v.toFixed(1)} MB/s (${(total / 1048576).toFixed(0)} MiB)`);
    }
  }
  return impls.map((impl) => ({ bench, impl, value: median(samples.get(impl)!), unit: 'MB/s' }));
}
