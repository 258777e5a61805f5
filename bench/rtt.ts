/**
 * Round-trip time: one connection, the client sends 1 byte, the server echoes it, the client
 * waits for it before the next; both ends in this process, TCP_NODELAY on both. The figure is
 * the median round trip of a long-lived connection: each implementation first makes
 * {@link Warmup} round trips that are not counted (rxtls's JavaScript takes a few thousand
 * round trips to be fully optimised; Node's tls, mostly C++, warms up too).
 */
import { Subject, firstValueFrom, of } from 'rxjs';
import type { CryptoProvider } from '../src/index.js';
import { type Impl, type Result, type Scale, median, now, providerOf, selected, withTimeout } from './support/common.js';
import { nodeConnect, nodeServer } from './support/node-tls.js';
import { quiet, rxConnect, rxServer } from './support/rx.js';

const ONE = Uint8Array.of(0x2a);

/** Round trips made before sampling: up to `count`, for at most `ms` milliseconds. */
interface Warmup {
  count: number;
  ms: number;
}

/** Round trips in µs, up to `count` or `ms` milliseconds, after `warm`. */
async function rxOnce(provider: CryptoProvider, count: number, ms: number, warm: Warmup): Promise<number[]> {
  const server = await rxServer({ provider }, (tls) => {
    tls.write(tls.read(of(Infinity))).subscribe(quiet); // echo
  });
  const c = await rxConnect(server.port, { provider });
  try {
    const out = new Subject<Uint8Array>();
    let waiter: (() => void) | undefined;
    c.tls.read(of(Infinity)).subscribe({ next: () => waiter?.(), error: () => undefined });
    c.tls.write(out).subscribe(quiet);
    await withTimeout(firstValueFrom(c.tls.session$), 30_000, 'rxtls handshake');
    const once = async (): Promise<number> => {
      const t = now();
      const got = new Promise<void>((r) => (waiter = r));
      out.next(ONE);
      await withTimeout(got, 10_000, 'rxtls echo');
      return (now() - t) * 1000;
    };
    return await sample(once, count, ms, warm);
  } finally {
    c.socket.close();
    server.close();
  }
}

async function nodeOnce(count: number, ms: number, warm: Warmup): Promise<number[]> {
  const server = await nodeServer({}, (s) => s.on('data', (d: Buffer) => s.write(d)));
  const c = await nodeConnect(server.port, {});
  try {
    let waiter: (() => void) | undefined;
    c.on('data', () => waiter?.());
    const once = async (): Promise<number> => {
      const t = now();
      const got = new Promise<void>((r) => (waiter = r));
      c.write(ONE);
      await withTimeout(got, 10_000, 'node:tls echo');
      return (now() - t) * 1000;
    };
    return await sample(once, count, ms, warm);
  } finally {
    c.destroy();
    server.close();
  }
}

/** `warm` uncounted round trips, then up to `count` samples (µs) within `ms` milliseconds. */
async function sample(once: () => Promise<number>, count: number, ms: number, warm: Warmup): Promise<number[]> {
  const w0 = now();
  for (let i = 0; i < warm.count && now() - w0 < warm.ms; i++) await once();
  const samples: number[] = [];
  const t0 = now();
  while (samples.length < count && now() - t0 < ms) samples.push(await once());
  return samples;
}

/** Median RTTs: each implementation once per round, interleaved; the median of round medians. */
export async function rtt(scale: Scale, log: (s: string) => void): Promise<Result[]> {
  const impls: Impl[] = selected(['rxtls-noble', 'rxtls-node', 'node-tls'], scale);
  const samples = new Map<Impl, number[]>(impls.map((i) => [i, []]));
  const count = scale.quick ? 300 : 2000;
  const ms = scale.quick ? 1000 : 5000;
  const warm: Warmup = scale.quick ? { count: 3000, ms: 1500 } : { count: 5000, ms: 3000 };
  for (let r = 0; r < scale.rounds; r++) {
    for (const impl of impls) {
      const xs = impl === 'node-tls' ? await nodeOnce(count, ms, warm) : await rxOnce(providerOf(impl), count, ms, warm);
      const m = median(xs);
      samples.get(impl)!.push(m);
      log(`rtt round ${r + 1}/${scale.rounds} ${impl}: ${m.toFixed(1)} µs median of ${xs.length}`);
    }
  }
  return impls.map((impl) => ({ bench: 'rtt' as const, impl, value: median(samples.get(impl)!), unit: 'µs' }));
}
