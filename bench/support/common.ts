/**
 * What every benchmark shares: the result shape, the implementations, an identity (key and
 * certificate), time and memory helpers, and the bounds every loop obeys.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  type CryptoProvider, certificateSpki, nobleProvider, nodeProvider, pemEncode, selfSignedCertificate,
} from '../../src/index.js';

/** The figures the suite reports. */
export type BenchName = 'bulk-aes128gcm' | 'bulk-chacha20' | 'handshake' | 'handshake-resumed' | 'stalled-reader-rss' | 'idle-conn-heap' | 'rtt';

/** Who is measured: rxtls on each provider, Node's own tls, and raw noble primitives as a floor. */
export type Impl = 'rxtls-noble' | 'rxtls-node' | 'node-tls' | 'noble-raw';

/** One figure, as printed with `--json` (one object per line). */
export interface Result {
  bench: BenchName;
  impl: Impl;
  value: number;
  unit: string;
}

/** The rxtls implementations and their providers. */
export const RXTLS: readonly { impl: Impl; provider: CryptoProvider }[] = [
  { impl: 'rxtls-noble', provider: nobleProvider },
  { impl: 'rxtls-node', provider: nodeProvider },
];

/** The provider of an rxtls implementation name. */
export function providerOf(impl: Impl): CryptoProvider {
  const p = RXTLS.find((r) => r.impl === impl);
  if (!p) throw new Error(`bench: ${impl} is not an rxtls implementation`);
  return p.provider;
}

/** A P-256 server identity: PEM key (loaded by each provider), DER and PEM certificate, SPKI pin. */
export interface Identity {
  readonly keyPem: string;
  readonly certDer: Uint8Array;
  readonly certPem: string;
  readonly spkiPin: string;
}

let cached: Identity | undefined;

/** A self-signed P-256 certificate for `localhost`, made once per process. */
export function identity(): Identity {
  if (cached) return cached;
  const keyPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const certDer = selfSignedCertificate(nobleProvider.loadPrivateKey(keyPem), { commonName: 'localhost', altNames: ['localhost', '127.0.0.1'] });
  const spkiPin = createHash('sha256').update(certificateSpki(certDer)).digest('base64');
  cached = { keyPem, certDer, certPem: pemEncode('CERTIFICATE', certDer), spkiPin };
  return cached;
}

/** Monotonic milliseconds. */
export const now = (): number => performance.now();

/** The median of `xs` (NaN for none). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A full garbage collection (V8's `gc`, exposed at runtime). */
export const gc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/** Collects garbage a few times, letting finalizers and pending I/O callbacks run in between. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Rejects after `ms` with a message naming `what`, unless `p` settles first: no benchmark step
 * may hang the run.
 */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench: ${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** A promise with its resolve and reject. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The run's scale: `quick` for CI smoke runs (well under 60 s), full otherwise. */
export interface Scale {
  readonly quick: boolean;
  /** Rounds per figure; each figure is the median of its rounds. */
  readonly rounds: number;
  /** Only these implementations (for profiling one of them); all when undefined. */
  readonly impls?: readonly Impl[] | undefined;
}

/** `all` restricted to the scale's implementations. */
export function selected(all: readonly Impl[], scale: Scale): Impl[] {
  return all.filter((i) => scale.impls === undefined || scale.impls.includes(i));
}
