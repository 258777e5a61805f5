/**
 * Runs the `rxtls` command (bin/rxtls.js, as `npx rxtls` does) and the demos (through tsx) as
 * child processes, on top of the interop harness (../../interop/support/process.ts): every
 * process joins its registry (stopped by PID, process group and all, in `afterAll`), lives
 * under `timeout`, and every wait is bounded.
 *
 * @module
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, type ExitStatus, type PeerProcess, type StartProcessOptions } from '../../interop/support/process.js';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The launcher that package.json's "bin" names. */
export const BIN = path.join(ROOT, 'bin', 'rxtls.js');
/** tsx, which runs the demos (`npm run demo` does the same). */
export const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');

/** Starting a process through tsx takes about a second; under a loaded test run, more. */
export const START_MS = 20_000;

/** The environment for a child: this one, minus a SSLKEYLOGFILE that would leak into every run. */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('SSLKEYLOGFILE' in extra)) delete env['SSLKEYLOGFILE'];
  return env;
}

/** A running `rxtls server`, with the port it reported. */
export interface RxtlsServer {
  readonly process: PeerProcess;
  readonly port: number;
  /** Its stderr so far, as text. */
  stderr(): string;
}

/**
 * Starts `rxtls server --host 127.0.0.1 --port 0 ...args` and resolves once it printed
 * `listening on 127.0.0.1:N`.
 */
export async function startRxtlsServer(args: readonly string[], opts: StartProcessOptions = {}): Promise<RxtlsServer> {
  const proc = await startProcess(process.execPath, [BIN, 'server', '--host', '127.0.0.1', '--port', '0', ...args], {
    name: 'rxtls server',
    readyPattern: /listening on 127\.0\.0\.1:\d+\n/,
    timeoutMs: START_MS,
    cwd: ROOT,
    env: childEnv(),
    ...opts,
  });
  const m = /listening on 127\.0\.0\.1:(\d+)\n/.exec(proc.stderr().toString());
  if (!m) throw new Error(`no port in ${proc.diagnostics()}`);
  return { process: proc, port: Number(m[1]), stderr: () => proc.stderr().toString() };
}

/** How a finished command went. */
export interface Finished {
  readonly status: ExitStatus;
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly process: PeerProcess;
}

/**
 * Runs `cmd args` to its end with `input` on stdin (then EOF, unless `keepStdinOpen`), and
 * returns its exit status and output. Bounded by `timeoutMs` (default 20 s): a command still
 * running then is killed and the promise rejects with its output tails.
 */
export async function runToEnd(
  cmd: string,
  args: readonly string[],
  input: string | Uint8Array = '',
  opts: StartProcessOptions & { keepStdinOpen?: boolean } = {},
): Promise<Finished> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const proc = await startProcess(cmd, args, { cwd: ROOT, env: childEnv(), ...opts, maxLifetimeMs: opts.maxLifetimeMs ?? timeoutMs + 5_000 });
  if (input.length > 0) await proc.write(input, timeoutMs);
  if (!opts.keepStdinOpen) proc.endStdin();
  try {
    const status = await proc.waitForExit(timeoutMs);
    return { status, stdout: proc.stdout(), stderr: proc.stderr().toString(), process: proc };
  } catch (e) {
    await proc.kill('SIGKILL');
    throw e;
  }
}

/** Runs `rxtls ...args` to its end; see {@link runToEnd}. */
export function runRxtls(args: readonly string[], input: string | Uint8Array = '', opts: StartProcessOptions & { keepStdinOpen?: boolean } = {}): Promise<Finished> {
  return runToEnd(process.execPath, [BIN, ...args], input, { name: `rxtls ${args[0] ?? ''}`.trim(), ...opts });
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
