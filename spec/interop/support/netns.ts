/**
 * Peers in a private network namespace, reached through unix sockets.
 *
 * Why: `gnutls-serv` has no bind-address option; it listens on every address (IPv4
 * `0.0.0.0` and IPv6 `::`) of a fixed port. On a shared machine (parallel Jest workers,
 * CI) that collides and exposes the server, so it runs in a network namespace of its
 * own, where every port is free and only a loopback interface exists.
 *
 * How (the approach, tested on Debian 12 as root):
 *
 *     timeout … unshare -n -- node -e <BRIDGE> <config>
 *       └─ bridge: `ip link set lo up`, opens its listeners, prints
 *          "[rxtls-netns] ready", then spawns the peer with inherited stdio
 *
 * A namespace cannot be entered by TCP from outside, but a unix socket is a file: the
 * namespace shares the filesystem, so a unix socket created inside is reachable from
 * outside, and the other way round. The bridge is a small Node relay that runs inside
 * the namespace beside the peer:
 *
 * - `expose: [port]` (a server peer): the bridge listens on a unix socket in a temp
 *   dir; each connection the test makes there is relayed to `127.0.0.1:port` inside
 *   the namespace (retrying until the peer listens, up to `connectTimeoutMs`).
 * - `reach: [{ port, path }]` (a client peer): the bridge listens on `127.0.0.1:port`
 *   inside the namespace; each connection the peer makes is relayed to the unix socket
 *   `path`, where the test's server listens (`server.listen(path)`).
 *
 * The relay copies bytes unchanged and keeps both halves of a connection independent
 * (`allowHalfOpen`), so TLS half-close (close_notify, then FIN) passes through, and a
 * reset on one side becomes a reset on the other. The peer's stdin, stdout and stderr
 * are the spawned process's own (the bridge writes only `[rxtls-netns]` lines, to
 * stderr), except that stdout may go to a file (`stdoutFile`). When the peer exits, the bridge lets open relays drain (up to 2 s), removes
 * its sockets and exits with the peer's status (128 + signal number after a signal).
 * The whole tree is one process group under `timeout`, so `kill()` and the lifetime
 * bound stop the bridge and the peer together (see ./process.ts).
 *
 * Needs `unshare` (util-linux) and `ip` (iproute2), and permission to create a network
 * namespace: root (as in CI), or else an unprivileged user namespace (`unshare -r -n`).
 * When neither works, {@link requireNetns} throws with the reason: interop tests fail
 * loudly rather than skip.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startProcess, type ExitStatus, type PeerProcess, type StartProcessOptions } from './process.js';

/** Whether private network namespaces work here, and with which `unshare` flags. */
export interface NetnsSupport {
  /** True when a namespace with a working loopback could be created. */
  readonly ok: boolean;
  /** The `unshare` flags that worked: `['-n']` (root) or `['-r', '-n']` (user namespace). */
  readonly unshareArgs: readonly string[];
  /** Why namespaces are unavailable (when `ok` is false). */
  readonly reason?: string;
}

let support: NetnsSupport | undefined;

/**
 * Probes (once per module) whether `unshare -n -- ip link set lo up` works, falling
 * back to `unshare -r -n` for unprivileged users.
 */
export function netnsSupport(): NetnsSupport {
  if (support) return support;
  const failures: string[] = [];
  for (const flags of [['-n'], ['-r', '-n']]) {
    try {
      execFileSync('unshare', [...flags, '--', 'ip', 'link', 'set', 'lo', 'up'], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
      support = { ok: true, unshareArgs: flags };
      return support;
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      failures.push(`unshare ${flags.join(' ')} -- ip link set lo up: ${(err.stderr?.toString() || err.message).trim()}`);
    }
  }
  support = {
    ok: false,
    unshareArgs: [],
    reason:
      'cannot create a private network namespace (needs root or unprivileged user namespaces, ' +
      'plus util-linux `unshare` and iproute2 `ip`; CI runs .ci/run as root): ' +
      failures.join('; '),
  };
  return support;
}

/**
 * Returns the working `unshare` flags, or throws an error naming why network
 * namespaces are unavailable. Call it in `beforeAll` so the tests fail, not skip.
 */
export function requireNetns(): readonly string[] {
  const s = netnsSupport();
  if (!s.ok) throw new Error(s.reason);
  return s.unshareArgs;
}

/** A connection the test side listens for, reachable from inside the namespace. */
export interface ReachSpec {
  /** The port the peer connects to, as `127.0.0.1:port`, inside the namespace. */
  readonly port: number;
  /** The unix socket the test listens on (e.g. from {@link unixSocketPath}). */
  readonly path: string;
}

/** Options of {@link startInNetns}. */
export interface NetnsOptions extends Omit<StartProcessOptions, 'readyPort'> {
  /** Ports the peer listens on inside the namespace, each exposed as a unix socket. */
  expose?: readonly number[];
  /** Test-side unix listeners the peer reaches as `127.0.0.1:port` in the namespace. */
  reach?: readonly ReachSpec[];
  /** How long the relay retries connecting to its target (default 10 000 ms). */
  connectTimeoutMs?: number;
  /**
   * Send the peer's stdout to this file instead of the process's stdout pipe. Needed
   * for gnutls-cli, which writes what it receives one byte per write(2): through a
   * socket pair (what Node's `spawn` gives a child) that costs an event-loop turn per
   * byte, about 15 KB/s; into a file it is cheap.
   */
  stdoutFile?: string;
}

/** A peer running in its own network namespace. */
export interface NetnsPeer {
  /** The `timeout`/`unshare`/bridge process; its stdio is the peer's. */
  readonly process: PeerProcess;
  /** Temp dir holding the exposed unix sockets (removed when the process exits). */
  readonly dir: string;
  /** The unix socket that relays to namespace port `port` (default: the first exposed). */
  socketPath(port?: number): string;
  /** Opens a plain connection to an exposed port (`net.connect({ path })`). */
  connect(port?: number): net.Socket;
  /** Kills the bridge and the peer and removes the temp dir. */
  stop(): Promise<ExitStatus>;
}

/** Marker the bridge prints (to stderr) once its listeners are open. */
export const NETNS_READY = /\[rxtls-netns\] ready/;

/**
 * The relay, run as `node -e BRIDGE_SOURCE <json config>` inside the namespace. Plain
 * CommonJS in a string, so no TypeScript transform or coverage instrumentation reaches
 * it. Config: `{ peer: [cmd, ...args], expose: [{ port, path }], reach: [{ port, path }],
 * connectTimeoutMs, stdoutFile }`.
 */
const BRIDGE_SOURCE = String.raw`
'use strict';
const net = require('net'), cp = require('child_process'), fs = require('fs'), os = require('os');
const cfg = JSON.parse(process.argv[1]);
const log = (m) => process.stderr.write('[rxtls-netns] ' + m + '\n');
const relays = new Set();
const servers = [];
function relay(a, b) {
  const r = { open: 2 };
  relays.add(r);
  const closed = () => { if (--r.open === 0) { relays.delete(r); maybeExit(); } };
  for (const [x, y] of [[a, b], [b, a]]) {
    x.pipe(y);
    x.on('error', () => { if (typeof y.resetAndDestroy === 'function') y.resetAndDestroy(); else y.destroy(); });
    x.once('close', closed);
  }
}
function connectWithRetry(opts, deadline, done) {
  const s = net.connect(Object.assign({ allowHalfOpen: true }, opts));
  s.once('connect', () => { s.removeAllListeners('error'); done(null, s); });
  s.once('error', (e) => {
    if (Date.now() < deadline && (e.code === 'ECONNREFUSED' || e.code === 'ENOENT')) setTimeout(() => connectWithRetry(opts, deadline, done), 20);
    else done(e);
  });
}
function listen(listenOpts, target, what) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (inbound) => {
      connectWithRetry(target, Date.now() + cfg.connectTimeoutMs, (err, outbound) => {
        if (err) { log(what + ': cannot connect: ' + err.message); inbound.destroy(); return; }
        relay(inbound, outbound);
        inbound.resume();
      });
    });
    srv.once('error', reject);
    srv.listen(listenOpts, () => { servers.push(srv); resolve(); });
  });
}
let peerStatus = null;
function maybeExit() {
  if (peerStatus === null || relays.size > 0) return;
  for (const e of cfg.expose) { try { fs.unlinkSync(e.path); } catch {} }
  process.exit(peerStatus);
}
async function main() {
  cp.execFileSync('ip', ['link', 'set', 'lo', 'up']);
  for (const e of cfg.expose) {
    try { fs.unlinkSync(e.path); } catch {}
    await listen({ path: e.path }, { host: '127.0.0.1', port: e.port }, 'unix ' + e.path + ' -> ns 127.0.0.1:' + e.port);
  }
  for (const r of cfg.reach) await listen({ host: '127.0.0.1', port: r.port }, { path: r.path }, 'ns 127.0.0.1:' + r.port + ' -> unix ' + r.path);
  log('ready');
  const out = cfg.stdoutFile ? fs.openSync(cfg.stdoutFile, 'w') : 'inherit';
  const peer = cp.spawn(cfg.peer[0], cfg.peer.slice(1), { stdio: ['inherit', out, 'inherit'] });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(sig, () => { try { peer.kill(sig); } catch {} setTimeout(() => process.exit(128 + os.constants.signals[sig]), 2000).unref(); });
  peer.on('error', (e) => { log('cannot start ' + cfg.peer[0] + ': ' + e.message); peerStatus = 127; maybeExit(); });
  peer.on('exit', (code, signal) => {
    peerStatus = code !== null ? code : 128 + (os.constants.signals[signal] || 0);
    for (const s of servers) s.close();
    setTimeout(() => { log('relays still open 2 s after the peer exited; closing them'); relays.clear(); maybeExit(); }, 2000).unref();
    maybeExit();
  });
}
main().catch((e) => { log('failed: ' + (e && e.stack || e)); process.exit(70); });
`;

/**
 * Makes a temp dir for test-side unix sockets and returns a socket path in it (short
 * enough for the 108-byte `sun_path` limit). The caller removes the dir when done.
 */
export function unixSocketPath(name = 'test.sock'): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rxtls-sock-')), name);
}

/**
 * Starts `cmd args` in a private network namespace beside the relay described in the
 * module comment, and resolves once the relay's listeners are open and every
 * `readyPattern` of the peer has appeared. Throws (with the peer's output) on timeout,
 * and throws {@link requireNetns}'s reason when namespaces are unavailable.
 */
export async function startInNetns(cmd: string, args: readonly string[], opts: NetnsOptions = {}): Promise<NetnsPeer> {
  const unshareArgs = requireNetns();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtls-ns-'));
  const expose = (opts.expose ?? []).map((port) => ({ port, path: path.join(dir, `port-${port}.sock`) }));
  const config = {
    peer: [cmd, ...args],
    expose,
    reach: opts.reach ?? [],
    connectTimeoutMs: opts.connectTimeoutMs ?? 10_000,
    stdoutFile: opts.stdoutFile ?? null,
  };
  const user = opts.readyPattern === undefined ? [] : opts.readyPattern instanceof RegExp ? [opts.readyPattern] : [...opts.readyPattern];
  let proc: PeerProcess;
  try {
    proc = await startProcess('unshare', [...unshareArgs, '--', process.execPath, '-e', BRIDGE_SOURCE, JSON.stringify(config)], {
      ...opts,
      name: opts.name ?? `netns:${cmd.split('/').pop()!}`,
      readyPattern: [NETNS_READY, ...user],
    });
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  void proc.exited.then(() => fs.rmSync(dir, { recursive: true, force: true }));
  const socketPath = (port?: number): string => {
    const e = port === undefined ? expose[0] : expose.find((x) => x.port === port);
    if (!e) throw new Error(`netns: port ${port ?? '(default)'} is not exposed (exposed: ${expose.map((x) => x.port).join(', ') || 'none'})`);
    return e.path;
  };
  return {
    process: proc,
    dir,
    socketPath,
    connect: (port?: number) => net.connect({ path: socketPath(port), allowHalfOpen: true }),
    stop: async () => {
      const status = await proc.kill();
      fs.rmSync(dir, { recursive: true, force: true });
      return status;
    },
  };
}
