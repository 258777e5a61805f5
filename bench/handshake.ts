/**
 * Full handshakes per second, sequential, over loopback, both ends in this process: x25519 and
 * ECDSA P-256 (the bench identity), AES-128-GCM. A handshake counts once both ends report it
 * complete. The noble floor is the sum of the asymmetric primitives one handshake costs with
 * noble: two X25519 key generations and two agreements, one P-256 signature, one verification.
 *
 * `handshake-resumed`: the same with session tickets (psk_dhe_ke), each connection resuming
 * with a ticket the previous one received; a connection counts once it has its own ticket.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { p256 } from '@noble/curves/nist.js';
import { filter, firstValueFrom } from 'rxjs';
import { CipherSuite, type CryptoProvider, NamedGroup } from '../src/index.js';
import { type Impl, type Result, type Scale, deferred, median, now, providerOf, selected, withTimeout } from './support/common.js';
import { nodeConnect, nodeServer } from './support/node-tls.js';
import { rxClientOptions, rxConnect, rxConnectWith, rxServer } from './support/rx.js';
import type { SocketDuplex } from '../src/index.js';

const OPTS = { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256], groups: [NamedGroup.x25519] };

/** Handshakes/s over up to `count` sequential rxtls handshakes or `ms` milliseconds. */
async function rxOnce(provider: CryptoProvider, count: number, ms: number): Promise<number> {
  let serverDone = deferred<SocketDuplex>();
  const server = await rxServer({ provider, ...OPTS }, (tls, socket) => {
    const mine = serverDone;
    tls.session$.subscribe({ next: () => mine.resolve(socket), error: (e) => mine.reject(e) });
  });
  try {
    const t0 = now();
    let n = 0;
    while (n < count && now() - t0 < ms) {
      serverDone = deferred<SocketDuplex>();
      const c = await rxConnect(server.port, { provider, ...OPTS });
      await withTimeout(firstValueFrom(c.tls.session$), 30_000, 'rxtls handshake');
      const serverSocket = await withTimeout(serverDone.promise, 30_000, 'rxtls server handshake');
      c.socket.close();
      serverSocket.close();
      n++;
    }
    return n / ((now() - t0) / 1000);
  } finally {
    server.close();
  }
}

/** Resumed handshakes/s: each rxtls connection resumes from a ticket of the one before. */
async function rxResumedOnce(provider: CryptoProvider, count: number, ms: number): Promise<number> {
  let serverDone = deferred<SocketDuplex>();
  const server = await rxServer({ provider, ...OPTS }, (tls, socket) => {
    const mine = serverDone;
    tls.session$.subscribe({ next: () => mine.resolve(socket), error: (e) => mine.reject(e) });
  });
  const options = rxClientOptions({ provider, ...OPTS }); // one options object: one session store
  const once = async (): Promise<boolean> => {
    serverDone = deferred<SocketDuplex>();
    const c = await rxConnectWith(server.port, options);
    const ticket = firstValueFrom(c.tls.events$.pipe(filter((e) => e.type === 'newSessionTicket')));
    const session = await withTimeout(firstValueFrom(c.tls.session$), 30_000, 'rxtls handshake');
    await withTimeout(ticket, 30_000, 'rxtls session ticket');
    const serverSocket = await withTimeout(serverDone.promise, 30_000, 'rxtls server handshake');
    c.socket.close();
    serverSocket.close();
    return session.resumed;
  };
  try {
    await once(); // the full handshake that brings the first ticket
    const t0 = now();
    let n = 0;
    while (n < count && now() - t0 < ms) {
      if (!(await once())) throw new Error('bench: an rxtls connection did not resume');
      n++;
    }
    return n / ((now() - t0) / 1000);
  } finally {
    server.close();
  }
}

/**
 * Resumed handshakes/s with node:tls: its server issues no new ticket on a resumed connection,
 * so every connection resumes the session of the first (the rxtls client instead takes a
 * fresh ticket each time and waits for it).
 */
async function nodeResumedOnce(count: number, ms: number): Promise<number> {
  let serverDone = deferred<{ destroy(): void }>();
  const opts = { ciphersuites: 'TLS_AES_128_GCM_SHA256', ecdhCurve: 'X25519' };
  const server = await nodeServer(opts, (s) => serverDone.resolve(s));
  let session: Buffer | undefined;
  const once = async (): Promise<boolean> => {
    serverDone = deferred();
    // TLS 1.3 sessions arrive with the server's tickets, around the end of the handshake.
    const got = deferred<Buffer>();
    const c = await withTimeout(nodeConnect(server.port, { ...opts, session, onSession: (b) => got.resolve(b) }), 30_000, 'node:tls handshake');
    c.resume(); // the tickets are read like data: the socket must be reading
    if (!session) session = await withTimeout(got.promise, 30_000, 'node:tls session');
    const s = await withTimeout(serverDone.promise, 30_000, 'node:tls server handshake');
    const reused = c.isSessionReused();
    c.destroy();
    s.destroy();
    return reused;
  };
  try {
    await once();
    const t0 = now();
    let n = 0;
    while (n < count && now() - t0 < ms) {
      if (!(await once())) throw new Error('bench: a node:tls connection did not resume');
      n++;
    }
    return n / ((now() - t0) / 1000);
  } finally {
    server.close();
  }
}

/** Handshakes/s over up to `count` sequential node:tls handshakes or `ms` milliseconds. */
async function nodeOnce(count: number, ms: number): Promise<number> {
  let serverDone = deferred<{ destroy(): void }>();
  const opts = { ciphersuites: 'TLS_AES_128_GCM_SHA256', ecdhCurve: 'X25519' };
  const server = await nodeServer(opts, (s) => serverDone.resolve(s));
  try {
    const t0 = now();
    let n = 0;
    while (n < count && now() - t0 < ms) {
      serverDone = deferred();
      const c = await withTimeout(nodeConnect(server.port, opts), 30_000, 'node:tls handshake');
      const s = await withTimeout(serverDone.promise, 30_000, 'node:tls server handshake');
      c.destroy();
      s.destroy();
      n++;
    }
    return n / ((now() - t0) / 1000);
  } finally {
    server.close();
  }
}

/** 1 / (the noble primitives of one handshake), over up to `count` repetitions or `ms`. */
function nobleRawOnce(count: number, ms: number): number {
  const signer = p256.utils.randomSecretKey();
  const signerPublic = p256.getPublicKey(signer, false);
  const content = new Uint8Array(130).fill(0x20); // 64 spaces, context string, 0, transcript hash
  const t0 = now();
  let n = 0;
  while (n < count && now() - t0 < ms) {
    const a = x25519.utils.randomSecretKey();
    const b = x25519.utils.randomSecretKey();
    const pa = x25519.getPublicKey(a);
    const pb = x25519.getPublicKey(b);
    x25519.getSharedSecret(a, pb);
    x25519.getSharedSecret(b, pa);
    const sig = p256.sign(content, signer, { format: 'der', prehash: true });
    if (!p256.verify(sig, content, signerPublic, { format: 'der', prehash: true, lowS: false })) throw new Error('bench: noble verify failed');
    n++;
  }
  return n / ((now() - t0) / 1000);
}

/** Resumed handshake rates, rxtls against node:tls: each once per round, interleaved; medians. */
export async function handshakeResumed(scale: Scale, log: (s: string) => void): Promise<Result[]> {
  const impls: Impl[] = selected(['rxtls-noble', 'rxtls-node', 'node-tls'], scale);
  const samples = new Map<Impl, number[]>(impls.map((i) => [i, []]));
  const ms = scale.quick ? 700 : 4000;
  for (let r = 0; r < scale.rounds; r++) {
    for (const impl of impls) {
      const count = impl === 'rxtls-noble' ? (scale.quick ? 30 : 150) : scale.quick ? 300 : 1500;
      const v = impl === 'node-tls' ? await nodeResumedOnce(count, ms) : await rxResumedOnce(providerOf(impl), count, ms);
      samples.get(impl)!.push(v);
      log(`handshake-resumed round ${r + 1}/${scale.rounds} ${impl}: ${v.toFixed(1)} handshakes/s`);
    }
  }
  return impls.map((impl) => ({ bench: 'handshake-resumed' as const, impl, value: median(samples.get(impl)!), unit: 'handshakes/s' }));
}

/** Handshake rates: each implementation once per round, interleaved; medians. */
export async function handshake(scale: Scale, log: (s: string) => void): Promise<Result[]> {
  const impls: Impl[] = selected(['rxtls-noble', 'rxtls-node', 'node-tls', 'noble-raw'], scale);
  const samples = new Map<Impl, number[]>(impls.map((i) => [i, []]));
  const ms = scale.quick ? 700 : 4000;
  for (let r = 0; r < scale.rounds; r++) {
    for (const impl of impls) {
      const noble = impl === 'rxtls-noble' || impl === 'noble-raw';
      const count = noble ? (scale.quick ? 20 : 100) : scale.quick ? 200 : 1000;
      let v: number;
      if (impl === 'node-tls') v = await nodeOnce(count, ms);
      else if (impl === 'noble-raw') v = nobleRawOnce(count, ms);
      else v = await rxOnce(providerOf(impl), count, ms);
      samples.get(impl)!.push(v);
      log(`handshake round ${r + 1}/${scale.rounds} ${impl}: ${v.toFixed(1)} handshakes/s`);
    }
  }
  return impls.map((impl) => ({ bench: 'handshake' as const, impl, value: median(samples.get(impl)!), unit: 'handshakes/s' }));
}
