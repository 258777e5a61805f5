/**
 * Peer processes with a bounded lifetime, for interop tests.
 *
 * `startProcess` spawns a command (never through a shell), captures its stdout and
 * stderr, and resolves once it is ready: every `readyPattern` has appeared in its
 * output, `readyPort` accepts TCP connections, and/or `readyListening` is listening.
 * Every wait here is bounded by a timeout, and a timeout error quotes the tail of the
 * process's stderr and stdout, so a failing test says why the peer did not come up.
 *
 * Lifetime, three layers deep:
 * - each process is spawned detached (its own process group) and `kill()` signals that
 *   group only (`kill(-pgid)`), so helpers it started go with it, and nothing else does;
 * - each process runs under coreutils `timeout --kill-after`, so it dies after
 *   `maxLifetimeMs` even if the test runner itself is killed;
 * - every process joins a {@link ProcessRegistry} (by default {@link processes});
 *   call {@link stopProcessesAfterAll} once per spec file: its `afterAll` stops them
 *   all and fails if any process, or any member of its process group, is still alive.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import type { Writable } from 'node:stream';

/** How a process ended: its exit code, or the signal that ended it. */
export interface ExitStatus {
  /** Exit code, or `null` when a signal ended the process. */
  readonly code: number | null;
  /** The terminating signal, or `null` on a normal exit. */
  readonly signal: NodeJS.Signals | null;
}

/** Options of {@link startProcess}. */
export interface StartProcessOptions {
  /** A name for messages; defaults to the command's base name. */
  name?: string;
  /**
   * Output that means "ready". With several patterns, all must have appeared (in any
   * order, in stdout or stderr). Omit all `ready*` options to resolve at spawn.
   */
  readyPattern?: RegExp | readonly RegExp[];
  /** A loopback TCP port that must accept a connection before the process is ready. */
  readyPort?: number;
  /**
   * A TCP port that must be in LISTEN state (checked in /proc, without connecting; see
   * {@link waitForListening}) before the process is ready.
   */
  readyListening?: number;
  /** Bound on the wait for readiness, in milliseconds (default 10 000). */
  timeoutMs?: number;
  /**
   * Hard bound on the process's life in milliseconds (default 120 000), enforced by
   * coreutils `timeout -k 2` so it holds even if this Node process dies. The process
   * then exits with code 124 (or is killed with SIGKILL two seconds later).
   */
  maxLifetimeMs?: number;
  /** Environment; defaults to this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Working directory. */
  cwd?: string;
  /** Registry the process joins (default {@link processes}). */
  registry?: ProcessRegistry;
  /** Bytes kept per output stream; later output is dropped and counted (default 64 MiB). */
  maxOutputBytes?: number;
  /** Directories (trace files, sockets) to delete when the registry stops this process. */
  tempDirs?: readonly string[];
}

/** What {@link PeerProcess.waitFor} waits on: a pattern, or a predicate of the output. */
export type OutputMatcher =
  | RegExp
  | string
  | Uint8Array
  | ((output: { stdout: Buffer; stderr: Buffer }) => boolean);

/** Which captured stream(s) a matcher looks at. */
export type StreamChoice = 'stdout' | 'stderr' | 'both';

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_LIFETIME_MS = 120_000;
const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
const KILL_GRACE_MS = 2_000;
const POLL_MS = 50;

/**
 * An output buffer that grows by doubling, so appending is amortised O(1) and reading
 * the whole output is a view, not a copy (peers like gnutls-cli write one byte per
 * syscall: a megabyte arrives in tens of thousands of chunks).
 */
class Capture {
  private store = Buffer.alloc(4096);
  private size = 0;
  dropped = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const kept = Math.min(chunk.length, this.limit - this.size);
    this.dropped += chunk.length - kept;
    if (kept <= 0) return;
    if (this.size + kept > this.store.length) {
      const grown = Buffer.alloc(Math.min(this.limit, Math.max(this.store.length * 2, this.size + kept)));
      this.store.copy(grown, 0, 0, this.size);
      this.store = grown;
    }
    chunk.copy(this.store, this.size, 0, kept);
    this.size += kept;
  }

  /** The output so far: a view; later output is appended beyond it, never changes it. */
  get buffer(): Buffer {
    return this.store.subarray(0, this.size);
  }

  tail(bytes: number): string {
    const b = this.buffer;
    const t = b.subarray(Math.max(0, b.length - bytes)).toString('utf8');
    return (b.length > bytes ? '…' : '') + t;
  }
}

function describeMatcher(m: OutputMatcher): string {
  if (m instanceof RegExp) return String(m);
  if (typeof m === 'string') return JSON.stringify(m);
  if (m instanceof Uint8Array) return `${m.length} bytes`;
  return m.name ? `predicate ${m.name}` : 'predicate';
}

function matches(m: OutputMatcher, stdout: Buffer, stderr: Buffer, which: StreamChoice): boolean {
  if (typeof m === 'function') return m({ stdout, stderr });
  const bufs = which === 'both' ? [stdout, stderr] : [which === 'stdout' ? stdout : stderr];
  return bufs.some((b) => {
    if (m instanceof RegExp) return new RegExp(m.source, m.flags.replace('g', '')).test(b.toString('latin1'));
    return b.includes(typeof m === 'string' ? Buffer.from(m) : Buffer.from(m.buffer, m.byteOffset, m.byteLength));
  });
}

/**
 * A running peer process. Created by {@link startProcess}; owns the child, its captured
 * output and the promise of its exit.
 */
export class PeerProcess {
  /** The name used in messages. */
  readonly name: string;
  /** The child's PID (the `timeout` wrapper's; also the process group id). */
  readonly pid: number;
  /** The child's stdin. Prefer {@link PeerProcess.write}, which honours backpressure. */
  readonly stdin: Writable;
  /** Settles when the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  /** Directories deleted by {@link ProcessRegistry.stopAll} once the process is gone. */
  readonly tempDirs: string[] = [];

  private readonly out: Capture;
  private readonly err: Capture;
  private status: ExitStatus | undefined;
  private readonly listeners = new Set<() => void>();

  /** @internal Use {@link startProcess}. */
  constructor(
    child: ChildProcess,
    name: string,
    maxOutputBytes: number,
  ) {
    if (child.pid === undefined) throw new Error(`${name}: spawn returned no pid`);
    this.name = name;
    this.pid = child.pid;
    this.stdin = child.stdin!;
    this.out = new Capture(maxOutputBytes);
    this.err = new Capture(maxOutputBytes);
    // A peer that exits while we write must not crash the test runner with EPIPE.
    this.stdin.on('error', () => {});
    child.stdout!.on('data', (c: Buffer) => {
      this.out.push(c);
      this.notify();
    });
    child.stderr!.on('data', (c: Buffer) => {
      this.err.push(c);
      this.notify();
    });
    this.exited = new Promise<ExitStatus>((resolve) => {
      child.on('close', (code, signal) => {
        this.status = { code, signal };
        this.notify();
        resolve(this.status);
      });
      child.on('error', (e) => {
        this.err.push(Buffer.from(`\n[spawn error] ${e.message}\n`));
        // 'close' may never come for a failed spawn; make sure the status settles.
        if (child.pid === undefined) {
          this.status = { code: -1, signal: null };
          this.notify();
          resolve(this.status);
        }
      });
    });
  }

  /**
   * Everything the process wrote to stdout so far (up to `maxOutputBytes`), as a view
   * (no copy) that later output does not change.
   */
  stdout(): Buffer {
    return this.out.buffer;
  }

  /** Everything the process wrote to stderr so far (up to `maxOutputBytes`); a view, as `stdout()`. */
  stderr(): Buffer {
    return this.err.buffer;
  }

  /** The exit status, once the process has exited. */
  get exitStatus(): ExitStatus | undefined {
    return this.status;
  }

  /** True until the process has exited. */
  get running(): boolean {
    return this.status === undefined;
  }

  /**
   * PIDs of live (non-zombie) processes still in this process's group, read from
   * /proc (Linux). Empty once the process and everything it started are gone.
   */
  groupMembers(): number[] {
    const members: number[] = [];
    let entries: string[];
    try {
      entries = fs.readdirSync('/proc');
    } catch {
      return members;
    }
    for (const e of entries) {
      if (!/^\d+$/.test(e)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${e}/stat`, 'latin1');
      } catch {
        continue;
      }
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (f[0] !== 'Z' && f[0] !== 'X' && Number(f[2]) === this.pid) members.push(Number(e));
    }
    return members;
  }

  /** A few KiB of the stderr and stdout tails, for error messages. */
  diagnostics(bytes = 2048): string {
    const st = this.status ? `exited ${this.status.signal ?? `code ${this.status.code}`}` : 'running';
    const dropped = this.out.dropped + this.err.dropped;
    return (
      `${this.name} (pid ${this.pid}, ${st}${dropped ? `, ${dropped} output bytes dropped` : ''})\n` +
      `--- stderr tail ---\n${this.err.tail(bytes)}\n--- stdout tail ---\n${this.out.tail(bytes)}`
    );
  }

  private notifyScheduled = false;

  /** Runs the waiters' checks once per burst of output (not once per chunk). */
  private notify(): void {
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      for (const l of [...this.listeners]) l();
    });
  }

  /**
   * Waits until `matcher` matches the captured output (default: stdout and stderr),
   * checking on new output, on exit, and every 50 ms. Rejects on timeout, or when the
   * process exits without a match; the error quotes the output tails.
   */
  waitFor(matcher: OutputMatcher, opts: { timeoutMs?: number; stream?: StreamChoice } = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const stream = opts.stream ?? 'both';
    const what = describeMatcher(matcher);
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (matches(matcher, this.stdout(), this.stderr(), stream)) {
          done();
          resolve();
        } else if (this.status) {
          done();
          reject(new Error(`${this.name} exited before ${what} appeared in ${stream}: ${this.diagnostics()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} in ${stream} of ${this.diagnostics()}`));
      }, timeoutMs);
      // Predicates may watch state outside the captured output (a file): re-check on a timer too.
      const poll = setInterval(check, POLL_MS);
      const done = (): void => {
        clearTimeout(timer);
        clearInterval(poll);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Writes to stdin and resolves once the data was handed to the pipe (backpressure). */
  write(data: string | Uint8Array, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    return bounded(
      new Promise<void>((resolve, reject) => {
        this.stdin.write(data, (e) => (e ? reject(new Error(`${this.name}: stdin write failed: ${e.message}`)) : resolve()));
      }),
      timeoutMs,
      () => `timed out after ${timeoutMs} ms writing ${data.length} bytes to stdin of ${this.diagnostics()}`,
    );
  }

  /** Closes stdin (the peer reads EOF). */
  endStdin(): void {
    this.stdin.end();
  }

  /** Waits for the process to exit; rejects on timeout (the process keeps running). */
  waitForExit(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<ExitStatus> {
    return bounded(this.exited, timeoutMs, () => `timed out after ${timeoutMs} ms waiting for ${this.diagnostics()} to exit`);
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      // Negative pid: the whole process group this child leads (spawned detached), and
      // nothing outside it.
      process.kill(-this.pid, signal);
    } catch {
      // ESRCH: the group is gone already.
    }
  }

  /**
   * Stops the process and everything in its process group: `signal` (default SIGTERM),
   * then SIGKILL after a grace period. Resolves with the exit status. Safe to call twice.
   */
  async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = KILL_GRACE_MS): Promise<ExitStatus> {
    this.stdin.destroy();
    // Signal the group even when the leader has exited: helpers may linger in it.
    this.signalGroup(signal);
    const timedOut = Symbol('timeout');
    let timer: NodeJS.Timeout | undefined;
    const first = await Promise.race([
      this.exited,
      new Promise<typeof timedOut>((r) => (timer = setTimeout(() => r(timedOut), graceMs))),
    ]);
    clearTimeout(timer);
    if (first !== timedOut) {
      this.signalGroup('SIGKILL');
      return first;
    }
    this.signalGroup('SIGKILL');
    return this.waitForExit(graceMs);
  }
}

/** Races `p` against a timer; the timer is always cleared. */
function bounded<T>(p: Promise<T>, timeoutMs: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), timeoutMs);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Every process a test file started, so `afterAll` can stop them and prove none is
 * left. {@link startProcess} adds to {@link processes} unless told otherwise.
 */
export class ProcessRegistry {
  private readonly all = new Set<PeerProcess>();
  private readonly finished = new Set<PeerProcess>();
  private readonly everyone: PeerProcess[] = [];

  /** Adds a process; it stays listed in {@link ProcessRegistry.live} until it has exited. */
  add(p: PeerProcess): void {
    this.everyone.push(p);
    this.all.add(p);
    void p.exited.then(() => {
      this.all.delete(p);
      this.finished.add(p);
    });
  }

  /** Every process ever added, exited or not. */
  started(): readonly PeerProcess[] {
    return this.everyone;
  }

  /**
   * What is still alive: processes that have not exited, and members of their process
   * groups (helpers they started) that linger. Empty after a clean {@link stopAll}.
   */
  leftovers(): string[] {
    const out: string[] = [];
    for (const p of this.everyone) {
      const members = p.groupMembers();
      if (p.running || members.length > 0) out.push(`${p.name} (pid ${p.pid}${p.running ? ', running' : ''}${members.length ? `, group members ${members.join(' ')}` : ''})`);
    }
    return out;
  }

  /** Processes that have not exited yet. */
  live(): PeerProcess[] {
    return [...this.all].filter((p) => p.running);
  }

  /**
   * Kills every process (SIGTERM, then SIGKILL, to each whole process group), waits
   * for all to exit, and deletes their `tempDirs`.
   */
  async stopAll(graceMs = KILL_GRACE_MS): Promise<void> {
    const all = [...this.all, ...this.finished];
    this.finished.clear();
    await Promise.all(all.map((p) => p.kill('SIGTERM', graceMs)));
    for (const p of all) for (const d of p.tempDirs) fs.rmSync(d, { recursive: true, force: true });
  }
}

/** The default registry: every process started by {@link startProcess} in this test file. */
export const processes = new ProcessRegistry();

/**
 * Registers an `afterAll` hook that stops every process in `registry` and fails if any
 * process, or any member of its process group, is still alive afterwards. Call once at
 * the top level of a spec file.
 */
export function stopProcessesAfterAll(registry: ProcessRegistry = processes): void {
  afterAll(async () => {
    await registry.stopAll();
    const left = registry.leftovers();
    if (left.length > 0) throw new Error(`processes outlived the test file: ${left.join('; ')}`);
  }, 15_000);
}

/**
 * Resolves once something accepts TCP connections on `host:port` (each attempt closes
 * at once). Rejects after `timeoutMs` with the last connect error.
 */
export async function waitForPort(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt';
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      const t = setTimeout(() => {
        s.destroy();
        last = 'connect attempt timed out';
        resolve(false);
      }, Math.max(50, Math.min(1000, deadline - Date.now())));
      s.once('connect', () => {
        clearTimeout(t);
        s.destroy();
        resolve(true);
      });
      s.once('error', (e) => {
        clearTimeout(t);
        last = e.message;
        resolve(false);
      });
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${host}:${port} to accept connections (${last})`);
}

/** True if /proc/net/tcp or tcp6 lists a socket in LISTEN state on `port`. */
function listeningInProc(port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] = local address "0100007F:1F90", f[3] = state, 0A = LISTEN
      if (f.length > 3 && f[3] === '0A' && f[1]!.endsWith(`:${hexPort}`)) return true;
    }
  }
  return false;
}

/**
 * Resolves once some socket of this network namespace listens on TCP `port`, read from
 * `/proc/net/tcp{,6}` (Linux). Unlike {@link waitForPort} it makes no connection, so
 * it suits one-shot servers (`openssl s_server -naccept 1`) that a probe would use up.
 */
export async function waitForListening(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!listeningInProc(port)) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for a listener on TCP port ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Spawns `cmd args` (no shell) in its own process group under `timeout`, and resolves
 * once it is ready (see {@link StartProcessOptions}). If readiness fails (timeout, or
 * the process exits first) the process is killed and the promise rejects with its
 * output tails.
 */
export async function startProcess(cmd: string, args: readonly string[], opts: StartProcessOptions = {}): Promise<PeerProcess> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const lifetimeS = Math.max(1, Math.ceil((opts.maxLifetimeMs ?? DEFAULT_LIFETIME_MS) / 1000));
  const name = opts.name ?? cmd.split('/').pop()!;
  const child = spawn('timeout', ['--kill-after=2', `${lifetimeS}s`, cmd, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: opts.env ?? process.env,
    cwd: opts.cwd,
  });
  if (child.pid === undefined) {
    const err = await new Promise<Error>((r) => child.once('error', r));
    throw new Error(`${name}: could not spawn timeout ${cmd}: ${err.message}`);
  }
  const p = new PeerProcess(child, name, opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT);
  p.tempDirs.push(...(opts.tempDirs ?? []));
  (opts.registry ?? processes).add(p);
  const patterns = opts.readyPattern === undefined ? [] : opts.readyPattern instanceof RegExp ? [opts.readyPattern] : [...opts.readyPattern];
  try {
    const started = Date.now();
    const left = (): number => Math.max(1, timeoutMs - (Date.now() - started));
    for (const re of patterns) await p.waitFor(re, { timeoutMs: left() });
    const untilExit = (wait: Promise<void>, what: string): Promise<void> =>
      Promise.race([
        wait,
        p.exited.then(() => {
          throw new Error(`exited before ${what}`);
        }),
      ]).catch((e: Error) => {
        throw new Error(`${name}: ${e.message}: ${p.diagnostics()}`);
      });
    if (opts.readyPort !== undefined) await untilExit(waitForPort(opts.readyPort, left()), `port ${opts.readyPort} accepted a connection`);
    if (opts.readyListening !== undefined) await untilExit(waitForListening(opts.readyListening, left()), `port ${opts.readyListening} was listening`);
  } catch (e) {
    await p.kill('SIGKILL');
    throw e;
  }
  return p;
}
