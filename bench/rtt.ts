/**
 * Round-trip time: one connection, the client sends 1 byte, the server echoes it, the client
 * waits for it before the next; both ends in this process, TCP_NODELAY on both. The figure is
 * the median round trip.
 */
import { Subject, firstValueFrom, of } from 'rxjs';
import type { CryptoProvider } from '../src/index.js';
import { type Impl, type Result, type Scale, median, now, providerOf, selected, withTimeout } from './support/common.js';
import { nodeConnect, nodeServer } from './support/node-tls.js';
import { quiet, rxConnect, rxServer } from './support/rx.js';

const ONE = Uint8Array.of(0x2a);

/** Round trips in µs, up to `count` or `ms` milliseconds. */
async function rxOnce(provider: CryptoProvider, count: number, ms: number): Promise<number[]> {
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
    const samples: number[] = [];
    const t0 = now();
    while (samples.length < count && now() - t0 < ms) {
      const t = now();
      const got = new Promise<void>((r) => (waiter = r));
      out.next(ONE);
      await withTimeout(got, 10_000, 'rxtls echo');
      samples.push((now() - t) * 1000);
    }
    return samples;
  } finally {
    c.socket.close();
    server.close();
  }
}

async function nodeOnce(count: number, ms: number): Promise<number[]> {
  const server = await nodeServer({}, (s) => s.on('data', (d: Buffer) => s.write(d)));
  const c = await nodeConnect(server.port, {});
  try {
    let waiter: (() => void) | undefined;
    c.on('data', () => waiter?.());
    const samples: number[] = [];
    const t0 = now();
    while (samples.length < count && now() - t0 < ms) {
      const t = now();
      const got = new Promise<void>((r) => (waiter = r));
      c.write(ONE);
      await withTimeout(got, 10_000, 'node:tls echo');
      samples.push((now() - t) * 1000);
    }
    return samples;
  } finally {
    c.destroy();
    server.close();
  }
}

/** Median RTTs: each implementation once per round, interleaved; the median of round medians. */
export async function rtt(scale: Scale, log: (s: string) => void): Promise<Result[]> {
  const impls: Impl[] = selected(['rxtls-noble', 'rxtls-node', 'node-tls'], scale);
  const samples = new Map<Impl, number[]>(impls.map((i) => [i, []]));
  const count = scale.quick ? 300 : 2000;
  const ms = scale.quick ? 1000 : 5000;
  for (let r = 0; r < scale.rounds; r++) {
    for (const impl of impls) {
      const xs = impl === 'node-tls' ? await nodeOnce(count, ms) : await rxOnce(providerOf(impl), count, ms);
      const m = median(xs.slice(Math.min(20, xs.length >> 2))); // drop warm-up
      samples.get(impl)!.push(m);
      log(`rtt round ${r + 1}/${scale.rounds} ${impl}: ${m.toFixed(1)} µs median of ${xs.length}`);
    }
  }
  return impls.map((impl) => ({ bench: 'rtt' as const, impl, value: median(samples.get(impl)!), unit: 'µs' }));
}
