/**
 * Memory figures, each measured in a fresh process (see run.ts `--child`), so that one
 * implementation's garbage and high-water marks do not count against another.
 *
 * - stalled-reader-rss: the server never gives read credit (node:tls: never reads); the client
 *   offers 256 MiB as fast as `writable$` (node:tls: `'drain'`) lets it, until it stalls.
 *   Figure: RSS growth from a baseline taken after the handshake to the stalled state, both
 *   after a full GC: the memory the stalled pipeline holds. The peak before collection (which
 *   adds the garbage of the records sent before the stall) is logged beside it.
 * - idle-conn-heap: a server holding `count` idle connections (each with a reader and a writer
 *   subscribed, as an echo server would have), the clients in another process. Figure: V8 heap
 *   growth per connection after a full GC, in KiB, from a baseline taken after a warm-up batch
 *   of connections has come and gone (so one-time compilation and lazy tables are not counted).
 *   Array buffer contents are not V8 heap, and for node:tls OpenSSL's per-connection memory is
 *   not either.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { NEVER, Observable, firstValueFrom, of } from 'rxjs';
import { type Impl, type Result, type Scale, deferred, identity, now, providerOf, settle, sleep, withTimeout } from './support/common.js';
import { nodeConnect, nodeServer } from './support/node-tls.js';
import { quiet, rxConnect, rxServer, writer } from './support/rx.js';
import type { TlsDuplex } from '../src/index.js';

const MiB = 1024 * 1024;
const OFFER = 256 * MiB;
/** Bytes moved through a first, flowing connection before the stalled one is measured. */
const WARM_UP = 4 * MiB;
const CHUNK = 64 * 1024;

/** Tracks the peak RSS while running. */
function rssSampler(): { stop(): number } {
  let peak = process.memoryUsage.rss();
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, process.memoryUsage.rss());
    },
  };
}

/**
 * Waits while `progress()` keeps changing, for at most `maxMs`; returns once it has not changed
 * for `quietMs` (the writer is stalled) and then `holdMs` more have passed.
 */
async function untilStalled(progress: () => number, maxMs: number, quietMs: number, holdMs: number): Promise<void> {
  const t0 = now();
  let last = progress();
  let since = now();
  while (now() - t0 < maxMs) {
    await sleep(25);
    const p = progress();
    if (p !== last) {
      last = p;
      since = now();
    } else if (now() - since >= quietMs) {
      await sleep(holdMs);
      return;
    }
  }
}

/** RSS growth of a stalled pipeline: held after a full GC (the figure), and peak. */
interface Growth {
  held: number;
  peak: number;
}

/**
 * Stalled reader, rxtls: MiB of RSS growth. A first connection moves `WARM_UP` bytes with a
 * flowing reader (so the data path's code and tables exist before the baseline); the second
 * one is never read.
 */
async function stalledRx(impl: Impl, scale: Scale): Promise<Growth> {
  const provider = providerOf(impl);
  let handshook = deferred();
  let warmed = deferred();
  let stalled = true;
  let serverTls: TlsDuplex | undefined;
  const server = await rxServer({ provider }, (tls) => {
    if (stalled) {
      // A reader that never gives credit: the layer still runs the handshake, then holds off.
      tls.read(new Observable<number>(() => undefined)).subscribe(quiet);
      serverTls = tls;
    } else {
      let n = 0;
      tls.read(of(Infinity)).subscribe({ next: (c) => (n += c.length) >= WARM_UP && warmed.resolve(), error: () => undefined });
    }
    tls.session$.subscribe({ next: () => handshook.resolve(), error: () => undefined });
  });
  try {
    stalled = false;
    const w = await rxConnect(server.port, { provider });
    w.tls.write(writer(w.tls, randomBytes(CHUNK), WARM_UP)).subscribe(quiet);
    await withTimeout(warmed.promise, 60_000, 'rxtls warm-up');
    w.socket.close();
    stalled = true;
    handshook = deferred();
    warmed = deferred();
    const c = await rxConnect(server.port, { provider });
    try {
      await withTimeout(firstValueFrom(c.tls.session$), 30_000, 'rxtls handshake');
      await withTimeout(handshook.promise, 30_000, 'rxtls server handshake');
      await settle();
      const base = process.memoryUsage.rss();
      const sampler = rssSampler();
      let sent = 0;
      c.tls.write(writer(c.tls, randomBytes(CHUNK), OFFER, (n) => (sent = n))).subscribe(quiet);
      await untilStalled(() => sent, scale.quick ? 2000 : 8000, 500, scale.quick ? 300 : 2000);
      const peak = sampler.stop();
      await settle();
      const held = process.memoryUsage.rss();
      const cs = c.tls.stats();
      const ss = serverTls?.stats();
      process.stderr.write(
        `  ${impl}: offered ${(sent / MiB).toFixed(1)} MiB before stalling; held in rxtls: client write ${cs.writeBuffered} B, ` +
          `server read ${ss?.readBuffered ?? 0} B (plaintext ${ss?.plaintextBuffered ?? 0} B); socket buffers ${c.socket.stats().writeBuffered} B\n`,
      );
      return { held: (held - base) / MiB, peak: (peak - base) / MiB };
    } finally {
      c.socket.close();
    }
  } finally {
    server.close();
  }
}

/** Stalled reader, node:tls: MiB of RSS growth, after a warm-up connection as for rxtls. */
async function stalledNode(scale: Scale): Promise<Growth> {
  let handshook = deferred();
  const warmed = deferred();
  let stalled = false;
  const server = await nodeServer({}, (s) => {
    if (stalled) s.pause(); // never read
    else {
      let n = 0;
      s.on('data', (d: Buffer) => (n += d.length) >= WARM_UP && warmed.resolve());
    }
    handshook.resolve();
  });
  const w = await nodeConnect(server.port, {});
  const chunk = randomBytes(CHUNK);
  for (let i = 0; i < WARM_UP; i += CHUNK) if (!w.write(chunk)) await new Promise((r) => w.once('drain', r));
  await withTimeout(warmed.promise, 60_000, 'node:tls warm-up');
  w.destroy();
  stalled = true;
  handshook = deferred();
  const c = await nodeConnect(server.port, {});
  try {
    await withTimeout(handshook.promise, 30_000, 'node:tls server handshake');
    await settle();
    const base = process.memoryUsage.rss();
    const sampler = rssSampler();
    const chunk = randomBytes(CHUNK);
    let sent = 0;
    const pump = (): void => {
      while (sent < OFFER) {
        sent += CHUNK;
        if (!c.write(chunk)) {
          c.once('drain', pump);
          return;
        }
      }
    };
    pump();
    await untilStalled(() => sent, scale.quick ? 2000 : 8000, 500, scale.quick ? 300 : 2000);
    const peak = sampler.stop();
    await settle();
    return { held: (process.memoryUsage.rss() - base) / MiB, peak: (peak - base) / MiB };
  } finally {
    c.destroy();
    server.close();
  }
}

/** Starts the idle clients in their own process; resolves with how many connected, and a way to end them. */
async function idleClients(port: number, count: number): Promise<{ connected: number; end(): Promise<void> }> {
  const script = fileURLToPath(new URL('./support/idle-clients.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, String(port), String(count)], {
    env: { ...process.env, BENCH_CA_PEM: identity().certPem },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ready = deferred<number>();
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const m = /ready (\d+)/.exec(out);
    if (m) ready.resolve(Number(m[1]));
  });
  child.on('exit', (code) => ready.reject(new Error(`bench: idle clients exited (${code}) before connecting`)));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const connected = await withTimeout(ready.promise, 120_000, 'idle clients');
  return {
    connected,
    async end() {
      child.stdin.end();
      await withTimeout(exited, 10_000, 'idle clients exit').catch(() => child.kill());
    },
  };
}

/** Idle connections: KiB of V8 heap per connection, server side. */
async function idle(impl: Impl, count: number): Promise<number> {
  let established = 0;
  identity();
  const server =
    impl === 'node-tls'
      ? await nodeServer({}, (s) => {
          established++;
          s.on('data', () => undefined);
        })
      : await rxServer({ provider: providerOf(impl) }, (tls) => {
          tls.read(of(Infinity)).subscribe(quiet);
          tls.write(NEVER).subscribe(quiet);
          tls.session$.subscribe({ next: () => established++, error: () => undefined });
        });
  try {
    // Warm-up: a batch of connections made and closed, so that code compiled and tables built
    // on first use are in the baseline.
    const warm = await idleClients(server.port, Math.min(50, count));
    await warm.end();
    const t = now();
    while (established < warm.connected && now() - t < 30_000) await sleep(20);
    await sleep(200);
    await settle();
    established = 0;
    const base = process.memoryUsage().heapUsed;
    const clients = await idleClients(server.port, count);
    try {
      const t0 = now();
      while (established < clients.connected && now() - t0 < 30_000) await sleep(20);
      await settle();
      const heap = process.memoryUsage().heapUsed;
      if (established === 0) throw new Error('bench: no idle connection was established');
      return (heap - base) / established / 1024;
    } finally {
      await clients.end();
    }
  } finally {
    server.close();
  }
}

/** Runs one memory figure for one implementation in this process (a `--child` of run.ts). */
export async function memoryChild(bench: 'stalled-reader-rss' | 'idle-conn-heap', impl: Impl, scale: Scale): Promise<Result> {
  if (bench === 'stalled-reader-rss') {
    const g = impl === 'node-tls' ? await stalledNode(scale) : await stalledRx(impl, scale);
    process.stderr.write(`  ${impl}: stalled-reader RSS growth ${g.held.toFixed(2)} MiB held after GC, ${g.peak.toFixed(2)} MiB peak before GC\n`);
    return { bench, impl, value: g.held, unit: 'MiB' };
  }
  const v = await idle(impl, scale.quick ? 150 : 1000);
  return { bench, impl, value: v, unit: 'KiB/conn' };
}
