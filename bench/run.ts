/**
 * rxtls benchmarks, side by side with Node's tls, every figure from the same run:
 *
 *   npm run bench                  full run (a few minutes), a table with ratios and targets
 *   npm run bench -- --quick       a smaller run, under 60 s
 *   npm run bench -- --json        one JSON object per line: { bench, impl, value, unit }
 *   npm run bench -- --only rtt,handshake --impl rxtls-node,node-tls --rounds 1
 *
 * Implementations: rxtls-noble and rxtls-node (rxtls through connect/listen + tlsClient/tlsServer
 * with each crypto provider), node-tls (node:tls), noble-raw (noble primitives alone, the floor
 * for rxtls-noble). Throughput figures run in this process, each implementation once per round,
 * interleaved, and report the median of the rounds; memory figures run in a fresh process per
 * implementation. Both ends of every connection live in the measuring process, over
 * 127.0.0.1, TCP_NODELAY. Never part of `npm test`.
 *
 * Figures (each file's header has the details):
 * - bulk-aes128gcm, bulk-chacha20 (bulk.ts): MB/s (10^6 bytes) of 256 MiB one way (quick: 4
 *   or 32 MiB), written in 64 KiB chunks as `writable$` allows. noble-raw: noble sealing and
 *   opening 16 KiB records, the work one process does per byte when it runs both ends.
 * - handshake (handshake.ts): full handshakes/s, sequential, x25519 + ECDSA P-256. noble-raw:
 *   1 / the noble cost of 2 X25519 key generations, 2 agreements, 1 P-256 signature, 1 check.
 * - handshake-resumed (handshake.ts): the same, each connection resuming with a ticket of the
 *   one before (psk_dhe_ke); rxtls against node:tls.
 * - stalled-reader-rss, idle-conn-heap (memory.ts): MiB held by a pipeline whose reader gives
 *   no credit, and KiB of V8 heap per idle server-side connection.
 * - rtt (rtt.ts): median µs of a 1-byte request and its 1-byte echo.
 *
 * Machines shared with other work make wall-clock figures noisy: compare the ratios, which
 * come from interleaved rounds of one run.
 */
import { spawn } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { bulk } from './bulk.js';
import { handshake, handshakeResumed } from './handshake.js';
import { memoryChild } from './memory.js';
import { rtt } from './rtt.js';
import { type BenchName, type Impl, type Result, type Scale, median, selected, withTimeout } from './support/common.js';

const ALL: BenchName[] = ['bulk-aes128gcm', 'bulk-chacha20', 'handshake', 'handshake-resumed', 'stalled-reader-rss', 'idle-conn-heap', 'rtt'];

interface Args {
  quick: boolean;
  json: boolean;
  only: BenchName[];
  rounds: number | undefined;
  impls: Impl[] | undefined;
  child: { bench: BenchName; impl: Impl } | undefined;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, json: false, only: ALL, rounds: undefined, impls: undefined, child: undefined };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i]!;
    if (x === '--quick') a.quick = true;
    else if (x === '--json') a.json = true;
    else if (x === '--only') a.only = argv[++i]!.split(',') as BenchName[];
    else if (x === '--rounds') a.rounds = Number(argv[++i]);
    else if (x === '--impl') a.impls = argv[++i]!.split(',') as Impl[];
    else if (x === '--child') a.child = { bench: argv[++i] as BenchName, impl: argv[++i] as Impl };
    else throw new Error(`bench: unknown argument ${x} (use --quick, --json, --only a,b, --rounds n)`);
  }
  for (const b of a.only) if (!ALL.includes(b)) throw new Error(`bench: unknown benchmark ${b}; one of ${ALL.join(', ')}`);
  return a;
}

/** Runs one memory figure in a fresh process; resolves with its result line. */
async function inChild(bench: BenchName, impl: Impl, quick: boolean): Promise<Result> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...process.execArgv, self, '--child', bench, impl, ...(quick ? ['--quick'] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await withTimeout(new Promise<number | null>((r) => child.on('exit', r)), 300_000, `${bench} ${impl} child`).catch((e) => {
    child.kill();
    throw e;
  });
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`bench: ${bench} ${impl} child failed (exit ${code})`);
  return JSON.parse(line) as Result;
}

/** Memory figures: each implementation in its own process, `rounds` times; medians. */
async function memory(bench: BenchName, scale: Scale, log: (s: string) => void): Promise<Result[]> {
  const impls: Impl[] = selected(['rxtls-noble', 'rxtls-node', 'node-tls'], scale);
  const out: Result[] = [];
  const samples = new Map<Impl, Result[]>(impls.map((i) => [i, []]));
  for (let r = 0; r < scale.rounds; r++) {
    for (const impl of impls) {
      const res = await inChild(bench, impl, scale.quick);
      samples.get(impl)!.push(res);
      log(`${bench} round ${r + 1}/${scale.rounds} ${impl}: ${res.value.toFixed(2)} ${res.unit}`);
    }
  }
  for (const impl of impls) {
    const rs = samples.get(impl)!;
    out.push({ bench, impl, value: median(rs.map((x) => x.value)), unit: rs[0]!.unit });
  }
  return out;
}

/** A target: `impl`'s figure against another implementation's (`vs`) or an absolute bound. */
interface Target {
  bench: BenchName;
  impl: Impl;
  vs?: Impl;
  /** At least (throughput) or at most (memory, latency). */
  op: '>=' | '<=';
  bound: number;
}

const TARGETS: Target[] = [
  { bench: 'bulk-aes128gcm', impl: 'rxtls-node', vs: 'node-tls', op: '>=', bound: 0.8 },
  { bench: 'bulk-aes128gcm', impl: 'rxtls-noble', vs: 'noble-raw', op: '>=', bound: 0.85 },
  { bench: 'bulk-chacha20', impl: 'rxtls-node', vs: 'node-tls', op: '>=', bound: 0.8 },
  { bench: 'bulk-chacha20', impl: 'rxtls-noble', vs: 'noble-raw', op: '>=', bound: 0.85 },
  { bench: 'handshake', impl: 'rxtls-node', vs: 'node-tls', op: '>=', bound: 0.7 },
  { bench: 'handshake', impl: 'rxtls-noble', vs: 'noble-raw', op: '>=', bound: 0.8 },
  // Not in the original list of targets: the full-handshake bound, applied to resumption.
  { bench: 'handshake-resumed', impl: 'rxtls-node', vs: 'node-tls', op: '>=', bound: 0.7 },
  { bench: 'stalled-reader-rss', impl: 'rxtls-noble', op: '<=', bound: 8 },
  { bench: 'stalled-reader-rss', impl: 'rxtls-node', op: '<=', bound: 8 },
  { bench: 'idle-conn-heap', impl: 'rxtls-noble', op: '<=', bound: 40 },
  { bench: 'idle-conn-heap', impl: 'rxtls-node', op: '<=', bound: 40 },
  { bench: 'rtt', impl: 'rxtls-noble', vs: 'node-tls', op: '<=', bound: 1.5 },
  { bench: 'rtt', impl: 'rxtls-node', vs: 'node-tls', op: '<=', bound: 1.5 },
];

function fmt(v: number): string {
  if (!Number.isFinite(v)) return 'n/a';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

/** The results as a table, each row with its ratio and target where one applies. */
function table(results: Result[]): string {
  const value = (b: BenchName, i: Impl) => results.find((r) => r.bench === b && r.impl === i)?.value ?? NaN;
  const rows: string[][] = [['bench', 'impl', 'value', 'unit', 'ratio', 'target', 'met']];
  for (const r of results) {
    const t = TARGETS.find((x) => x.bench === r.bench && x.impl === r.impl);
    let ratio = '';
    let target = '';
    let met = '';
    if (t) {
      const measured = t.vs ? r.value / value(t.bench, t.vs) : r.value;
      if (t.vs) ratio = `${measured.toFixed(2)}x ${t.vs}`;
      target = t.vs ? `${t.op} ${t.bound}x` : `${t.op} ${t.bound} ${r.unit}`;
      met = !Number.isFinite(measured) ? '?' : (t.op === '>=' ? measured >= t.bound : measured <= t.bound) ? 'yes' : 'NO';
    }
    rows.push([r.bench, r.impl, fmt(r.value), r.unit, ratio, target, met]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function machine(): string {
  const c = cpus();
  return `${c[0]?.model ?? 'cpu'} x${c.length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}, OpenSSL ${process.versions.openssl}, ${process.platform}/${process.arch}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scale: Scale = { quick: args.quick, rounds: args.rounds ?? (args.quick ? 3 : 5), impls: args.impls };
  if (args.child) {
    const res = await memoryChild(args.child.bench as 'stalled-reader-rss' | 'idle-conn-heap', args.child.impl, scale);
    process.stdout.write(`${JSON.stringify(res)}\n`);
    return;
  }
  const log = (s: string) => process.stderr.write(`${s}\n`);
  const started = performance.now();
  log(`rxtls bench${args.quick ? ' --quick' : ''}: ${machine()}`);
  const results: Result[] = [];
  for (const bench of args.only) {
    let rs: Result[];
    if (bench === 'bulk-aes128gcm' || bench === 'bulk-chacha20') rs = await bulk(bench, { ...scale, rounds: args.rounds ?? (args.quick ? 3 : 3) }, log);
    else if (bench === 'handshake') rs = await handshake(scale, log);
    else if (bench === 'handshake-resumed') rs = await handshakeResumed(scale, log);
    else if (bench === 'rtt') rs = await rtt(scale, log);
    else rs = await memory(bench, { ...scale, rounds: args.rounds ?? (args.quick ? 1 : 3) }, log);
    results.push(...rs);
    if (args.json) for (const r of rs) process.stdout.write(`${JSON.stringify(r)}\n`);
  }
  if (!args.json) {
    process.stdout.write(`\nrxtls benchmarks${args.quick ? ' (quick)' : ''}, ${((performance.now() - started) / 1000).toFixed(0)} s\n${machine()}\n\n`);
    process.stdout.write(`${table(results)}\n`);
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
