/**
 * Real TLS peers for interop tests: OpenSSL `s_server`/`s_client`, GnuTLS
 * `gnutls-serv`/`gnutls-cli` (in a private network namespace, see ./netns.ts), and
 * `node:tls` in-process; plus payloads to move through them and check.
 *
 * Behaviour observed here (OpenSSL 3.0.x CLI, GnuTLS 3.7.9, Node 20, Debian 12):
 *
 * OpenSSL `s_server` (default, non-`-brief` mode):
 * - Ready when it prints `ACCEPT` on stdout. With `-accept 127.0.0.1:0` it prints
 *   `ACCEPT 127.0.0.1:<port>`: the kernel picks the port, so there is no port race
 *   (with an explicit port the line is just `ACCEPT`). Unbuffered, the line comes in
 *   several writes: match up to its newline.
 * - Relays stdin to the peer and the peer's bytes to stdout, raw; stdout also carries
 *   status text: `Using default temp DH parameters`, `ACCEPT`, the session/cipher block
 *   after the handshake, sometimes `Read BLOCK`, and at the end `DONE`, `shutting down
 *   SSL`, `CONNECTION CLOSED` and cache statistics. {@link stripOpensslStatus} removes
 *   the lines that can land between data bytes.
 * - Reads stdin in chunks and treats a chunk *starting* with a command as a command:
 *   `Q`, `q`, `K\n`, `k\n` seen here; `P`, `S`, `r\n`, `R\n`, `c\n` per its source.
 *   Hence the payload alphabet ({@link makePayload}).
 *   `K\n` sends KeyUpdate(update_requested), `k\n` KeyUpdate(update_not_requested);
 *   then it prints `SSL_do_handshake -> 1` with printf, i.e. stdio-buffered: only
 *   visible at exit unless stdout is unbuffered, so every OpenSSL peer here runs under
 *   `stdbuf -o0 -e0`, and {@link OpensslPeer.keyUpdate} waits for that line.
 *   A command merged into one read() with data is lost or sent as data: write `K\n`
 *   only once everything written before it has reached the other side.
 * - stdin EOF (like `Q`/`q`) closes the TCP socket WITHOUT sending close_notify (the
 *   peer sees an unexpected EOF), and discards unread data (the peer may get a RST).
 *   So keep its stdin open until the exchange is over.
 * - On receiving close_notify it prints `DONE`, answers with its own close_notify and
 *   (with `-naccept 1`) exits 0. This is the clean way to end a test: close from our side.
 * - `-brief`: stdout is exactly the received data, but there are no stdin commands and
 *   no `ACCEPT` line (readiness then comes from /proc/net/tcp, since a probe connection
 *   would use up `-naccept 1`).
 * - `-trace -msgfile F` logs every record (KeyUpdate with `update_requested (1)`,
 *   `close notify` alerts, `Sent Record`/`Received Record`) to F, which is block-buffered:
 *   complete only after the process exits.
 *
 * OpenSSL `s_client`:
 * - `-brief`: stdout is exactly the received data; stderr gets `CONNECTION ESTABLISHED`
 *   and a summary (`Protocol version: TLSv1.3`, `Ciphersuite: …`, `Server Temp Key:
 *   X25519, 253 bits`, `Verification: OK`) once the handshake is done; stdin commands
 *   still work: a read chunk starting with `K`/`k` sends a KeyUpdate (prints `KEYUPDATE`
 *   on stderr, the message goes out with the next write), `Q`/`R` quit/renegotiate.
 * - stdin EOF: sends close_notify and exits at once, without waiting for the server's
 *   remaining data. To make it wait for the server to finish, either keep stdin open
 *   until the data has arrived (it exits 0 when the server's close_notify comes: it
 *   answers close_notify), or pass `-ign_eof` (then stdin commands are off).
 * - `-verify_return_error` makes a certificate failure abort the handshake (without it
 *   s_client only reports the error and carries on).
 *
 * GnuTLS `gnutls-serv`:
 * - Listens on `0.0.0.0` and `::` of `-p PORT` (no bind address), hence the namespace.
 *   Ready when stderr shows `Echo Server listening on IPv4 0.0.0.0 port N...done`.
 * - `--echo` sends back what it receives (per record; CRLF becomes LF unless `--crlf`;
 *   NUL-terminated internally, so send text) and logs it to stderr (`received cmd: …`,
 *   about twice the data volume). It answers close_notify with close_notify and serves
 *   forever (no `-naccept`): stop it with `kill`. It requests a client certificate
 *   unless `--disable-client-cert`. It has no stdin commands (no way to make it send a
 *   KeyUpdate; its `**REHANDSHAKE**` is TLS 1.2 only).
 *
 * GnuTLS `gnutls-cli`:
 * - `--logfile F` moves all informational text to F: stdout is then exactly the data.
 *   F ends with `- Peer has closed the GnuTLS connection` when the server closed.
 * - It writes received data to stdout ONE BYTE PER write(2) (unbuffered; `stdbuf` does
 *   not help). Into a Node child pipe (a socket pair) that is ~15 KB/s, so its stdout
 *   goes to a file here ({@link GnutlsClient.received}).
 * - Connect to `127.0.0.1` with `--sni-hostname localhost --verify-hostname localhost`.
 * - `--inline-commands`: a line `^rekey^` sends KeyUpdate(update_requested), `^rekey1^`
 *   KeyUpdate(update_not_requested); works even inside a large write (no sync needed);
 *   the log gets `- Rekey was completed`; with `-d 4` stderr shows `HSK[…]: sending key
 *   update (1)` and the peer's answer `received TLS 1.3 key update (0)`.
 * - stdin EOF: sends close_notify (half-close) and keeps reading until the server
 *   closes, then exits 0. The server closing first also ends it (exit 0).
 * - Pitfall: the tail of a large stdin write can sit about 1 s in its stdio buffer
 *   before it is sent (it polls stdin with select on the fd, not the FILE buffer).
 *
 * Node `tls` (OpenSSL inside): answers a KeyUpdate(update_requested) with
 * KeyUpdate(update_not_requested), at the latest with its next write (the traces above
 * show it); `'end'` fires on close_notify or on a bare FIN (Node does not tell them
 * apart); `end()` sends close_notify then FIN. As a TLS 1.3 client it completes the
 * handshake before the server has judged its certificate: a refused client
 * certificate shows up as an alert (`certificate required`) on the first read.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import tls from 'node:tls';
import { startInNetns, type NetnsPeer } from './netns.js';
import { freePort } from './ports.js';
import { startProcess, type PeerProcess, type StartProcessOptions } from './process.js';

// ---------------------------------------------------------------------------------
// Payloads

/** A test payload: text that no peer treats as a command (see {@link makePayload}). */
export interface Payload {
  /** The bytes. */
  readonly data: Buffer;
  /** Their SHA-256, hex. */
  readonly sha256: string;
}

/** SHA-256 of `data`, hex. */
export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Makes `size` bytes of random payload, safe for every peer's stdin and stdout: lines of
 * 64 random lowercase hex digits and `\n`, where the byte before each `\n` is a decimal
 * digit (so no read chunk can start with an OpenSSL command such as `c\n`), no `^` (GnuTLS
 * inline commands), no CR (gnutls-serv echo), no NUL. The last byte is `\n`; the first
 * line is random enough to locate the payload in a peer's noisy output.
 */
export function makePayload(size = 1 << 20): Payload {
  if (size < 2) throw new Error(`makePayload: size ${size} is below 2`);
  const data = Buffer.from(randomBytes(Math.ceil(size / 2)).toString('hex').slice(0, size), 'latin1');
  for (let i = 64; i < size; i += 65) {
    data[i] = 0x0a;
    data[i - 1] = 0x30 + (data[i - 1]! % 10);
  }
  data[size - 1] = 0x0a;
  if (size >= 2 && data[size - 2] !== 0x0a) data[size - 2] = 0x30 + (data[size - 2]! % 10);
  return { data, sha256: sha256(data) };
}

/**
 * Checks that `output` contains `payload` in one piece. Returns `undefined` when it
 * does, otherwise what is wrong (not found, truncated, or the first differing offset),
 * so a spec can write `expect(checkPayload(out, p)).toBeUndefined()`.
 */
export function checkPayload(output: Uint8Array, payload: Payload): string | undefined {
  const out = Buffer.from(output.buffer, output.byteOffset, output.byteLength);
  const head = payload.data.subarray(0, Math.min(64, payload.data.length));
  const at = out.indexOf(head);
  if (at < 0) return `payload (${payload.data.length} bytes) not found in ${out.length} bytes of output; output starts ${JSON.stringify(out.subarray(0, 120).toString('latin1'))}`;
  const got = out.subarray(at, at + payload.data.length);
  if (got.length < payload.data.length) return `payload truncated: ${got.length} of ${payload.data.length} bytes found at offset ${at}`;
  if (sha256(got) === payload.sha256) return undefined;
  let i = 0;
  while (i < got.length && got[i] === payload.data[i]) i++;
  return (
    `payload differs from byte ${i} (output offset ${at + i}): expected ${JSON.stringify(payload.data.subarray(i, i + 40).toString('latin1'))}, ` +
    `got ${JSON.stringify(got.subarray(i, i + 40).toString('latin1'))}`
  );
}

/** OpenSSL status lines that can be printed between two received data chunks. */
const OPENSSL_STATUS = /Read BLOCK\n|read R BLOCK\n|read W BLOCK\n|write R BLOCK\n|write W BLOCK\n|SSL_do_handshake -> -?\d+\n/g;

/**
 * Removes from OpenSSL CLI stdout the status lines that can fall between data chunks
 * (`Read BLOCK`, `SSL_do_handshake -> 1`, …). The payload alphabet cannot contain them.
 */
export function stripOpensslStatus(stdout: Uint8Array): Buffer {
  return Buffer.from(Buffer.from(stdout).toString('latin1').replace(OPENSSL_STATUS, ''), 'latin1');
}

// ---------------------------------------------------------------------------------
// Streams

/** Everything read from a stream so far, and waits on it. Made by {@link collect}. */
export interface Collected {
  /** The bytes received so far. */
  readonly data: Buffer;
  /** True once `'end'` was emitted (Node: close_notify or FIN). */
  readonly ended: boolean;
  /** True once `'close'` was emitted. */
  readonly closed: boolean;
  /** The stream's error, if it emitted one. */
  readonly error: Error | undefined;
  /** Resolves with the data once at least `n` bytes arrived; rejects on timeout, error or early end. */
  bytes(n: number, timeoutMs?: number): Promise<Buffer>;
  /** Resolves with all data once the stream ended; rejects on timeout or error. */
  end(timeoutMs?: number): Promise<Buffer>;
  /** Resolves once the stream closed (with or without error); rejects on timeout. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Starts reading `stream` (flowing mode) and keeps everything it delivers. Attach it as
 * soon as the stream exists; it also records `'error'`, so an error never goes unhandled.
 */
export function collect(stream: Readable): Collected {
  const chunks: Buffer[] = [];
  let size = 0;
  let joined: Buffer | undefined;
  let ended = false;
  let closed = false;
  let error: Error | undefined;
  const waiters = new Set<() => void>();
  const poke = (): void => {
    for (const w of [...waiters]) w();
  };
  stream.on('data', (c: Buffer | string) => {
    const b = typeof c === 'string' ? Buffer.from(c) : c;
    chunks.push(b);
    size += b.length;
    joined = undefined;
    poke();
  });
  stream.on('end', () => {
    ended = true;
    poke();
  });
  stream.on('close', () => {
    closed = true;
    poke();
  });
  stream.on('error', (e: Error) => {
    error = e;
    poke();
  });
  const data = (): Buffer => (joined ??= Buffer.concat(chunks, size));
  const wait = <T>(what: string, timeoutMs: number, check: () => T | undefined): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const run = (): void => {
        let v: T | undefined;
        try {
          v = check();
        } catch (e) {
          finish();
          reject(e as Error);
          return;
        }
        if (v !== undefined) {
          finish();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}: have ${size} bytes, ended=${ended}, closed=${closed}${error ? `, error=${error.message}` : ''}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        waiters.delete(run);
      };
      waiters.add(run);
      run();
    });
  return {
    get data() {
      return data();
    },
    get ended() {
      return ended;
    },
    get closed() {
      return closed;
    },
    get error() {
      return error;
    },
    bytes: (n, timeoutMs = 15_000) =>
      wait(`${n} bytes`, timeoutMs, () => {
        if (size >= n) return data();
        if (error) throw new Error(`stream failed after ${size} of ${n} bytes: ${error.message}`);
        if (ended || closed) throw new Error(`stream ended after ${size} of ${n} bytes`);
        return undefined;
      }),
    end: (timeoutMs = 15_000) =>
      wait('end of stream', timeoutMs, () => {
        if (error) throw new Error(`stream failed before its end (after ${size} bytes): ${error.message}`);
        if (ended) return data();
        if (closed) throw new Error(`stream closed without 'end' after ${size} bytes`);
        return undefined;
      }),
    close: (timeoutMs = 15_000) => wait('close', timeoutMs, () => (closed ? true : undefined)).then(() => undefined),
  };
}

/** Writes `data` and resolves once the stream accepted it (write callback); bounded. */
export function writeAll(stream: Writable, data: string | Uint8Array, timeoutMs = 15_000): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms writing ${data.length} bytes`)), timeoutMs);
    stream.write(data, (e) => {
      clearTimeout(timer);
      if (e) reject(e);
      else resolve();
    });
  });
}

// ---------------------------------------------------------------------------------
// Shared peer bits

/** Paths of a certificate and its key (a `CertAndKey` from ./certs.ts fits). */
export interface CertFiles {
  /** Certificate file (PEM). */
  readonly certPath: string;
  /** Private key file (PEM). */
  readonly keyPath: string;
}

/** Options every CLI peer takes. */
export interface PeerCommonOptions {
  /** Extra command-line arguments, appended last. */
  extraArgs?: readonly string[];
  /** Readiness bound in milliseconds (default 10 000). */
  timeoutMs?: number;
  /** Hard bound on the peer's life in milliseconds (default 120 000). */
  maxLifetimeMs?: number;
}

function peerTempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `rxtls-${prefix}-`));
}

function processOptions(opts: PeerCommonOptions, extra: StartProcessOptions): StartProcessOptions {
  const o: StartProcessOptions = { ...extra };
  if (opts.timeoutMs !== undefined) o.timeoutMs = opts.timeoutMs;
  if (opts.maxLifetimeMs !== undefined) o.maxLifetimeMs = opts.maxLifetimeMs;
  return o;
}

// ---------------------------------------------------------------------------------
// OpenSSL

/** Stdin line: KeyUpdate with update_requested (s_server: `K\n`; s_client: any chunk starting `K`). */
export const OPENSSL_KEY_UPDATE_REQUESTED = 'K\n';
/** Stdin line: KeyUpdate with update_not_requested. */
export const OPENSSL_KEY_UPDATE_NOT_REQUESTED = 'k\n';

/** TLS parameters shared by `s_server` and `s_client`. */
export interface OpensslTlsOptions extends PeerCommonOptions {
  /** Restrict to TLS 1.3 (`-tls1_3`; default true). False: leave versions to `extraArgs`. */
  tls13?: boolean;
  /** `-ciphersuites` (TLS 1.3 suites, e.g. `TLS_CHACHA20_POLY1305_SHA256`). */
  ciphersuites?: string;
  /** `-groups` (e.g. `X25519`, `P-256`, `P-384`, colon-separated). */
  groups?: string;
  /** `-sigalgs` (e.g. `ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256`). */
  sigalgs?: string;
  /** ALPN protocols (`-alpn a,b`). */
  alpn?: readonly string[];
  /** `-trace -msgfile <tmp>`: a record-level log, read with `trace()` (default true). */
  trace?: boolean;
}

/** A running OpenSSL CLI peer. */
export interface OpensslPeer {
  /** The process (its stdin is the data we make the peer send). */
  readonly process: PeerProcess;
  /** The full `openssl` argument vector used, for messages. */
  readonly args: readonly string[];
  /** What the peer received: its stdout, minus status lines ({@link stripOpensslStatus}). */
  received(): Buffer;
  /** The `-trace` log (empty without `trace`); complete only once the process exited. */
  trace(): string;
  /** Makes the peer send `data` (writes its stdin). */
  send(data: string | Uint8Array): Promise<void>;
  /**
   * Makes the peer send a KeyUpdate (writes `K\n` or `k\n`) and waits until it has
   * acted: `SSL_do_handshake -> 1` on stdout (s_server) or `KEYUPDATE` on stderr
   * (s_client, whose KeyUpdate then leaves with the next data it sends). Call it only
   * once the data written before has reached the other side.
   */
  keyUpdate(requestPeerUpdate?: boolean, timeoutMs?: number): Promise<void>;
}

/** One record of an OpenSSL `-trace` log. */
export interface TraceRecord {
  /** `sent` by the OpenSSL peer, or `received` by it. */
  readonly direction: 'sent' | 'received';
  /** The record's trace text (header, inner content type, decoded message). */
  readonly text: string;
}

/**
 * Splits an OpenSSL `-trace` log into records. E.g. the peer sent a KeyUpdate asking
 * for one back: `records.some(r => r.direction === 'sent' && /KeyUpdate[\s\S]*update_requested \(1\)/.test(r.text))`;
 * it received close_notify: `… 'received' && /description=close notify/ …`.
 */
export function opensslTraceRecords(trace: string): TraceRecord[] {
  const parts = trace.split(/^(Sent|Received) Record$/m);
  const out: TraceRecord[] = [];
  for (let i = 1; i + 1 < parts.length; i += 2) out.push({ direction: parts[i] === 'Sent' ? 'sent' : 'received', text: parts[i + 1]! });
  return out;
}

function tlsArgs(o: OpensslTlsOptions, traceFile: string | undefined): string[] {
  const a: string[] = [];
  if (o.tls13 ?? true) a.push('-tls1_3');
  if (o.ciphersuites) a.push('-ciphersuites', o.ciphersuites);
  if (o.groups) a.push('-groups', o.groups);
  if (o.sigalgs) a.push('-sigalgs', o.sigalgs);
  if (o.alpn?.length) a.push('-alpn', o.alpn.join(','));
  if (traceFile) a.push('-trace', '-msgfile', traceFile);
  return a;
}

function countMatches(text: string, re: RegExp): number {
  return (text.match(new RegExp(re.source, 'g')) ?? []).length;
}

function opensslPeer(proc: PeerProcess, args: string[], traceFile: string | undefined, role: 'server' | 'client'): OpensslPeer {
  const marker = role === 'server' ? /SSL_do_handshake -> 1\n/ : /KEYUPDATE\n/;
  const stream = role === 'server' ? 'stdout' : 'stderr';
  return {
    process: proc,
    args,
    received: () => stripOpensslStatus(proc.stdout()),
    trace: () => (traceFile && fs.existsSync(traceFile) ? fs.readFileSync(traceFile, 'utf8') : ''),
    send: (data) => proc.write(data),
    keyUpdate: async (requestPeerUpdate = true, timeoutMs = 10_000) => {
      const text = () => (stream === 'stdout' ? proc.stdout() : proc.stderr()).toString('latin1');
      const before = countMatches(text(), marker);
      await proc.write(requestPeerUpdate ? OPENSSL_KEY_UPDATE_REQUESTED : OPENSSL_KEY_UPDATE_NOT_REQUESTED);
      await proc.waitFor(() => countMatches(text(), marker) > before, { timeoutMs });
    },
  };
}

/** Options of {@link startOpensslServer}. */
export interface OpensslServerOptions extends OpensslTlsOptions {
  /** Server certificate and key. */
  cert: CertFiles;
  /** Listening port on 127.0.0.1; default 0 (the kernel picks, read from `ACCEPT`). */
  port?: number;
  /** Connections to serve before exiting (`-naccept`; default 1). */
  naccept?: number;
  /**
   * `-brief`: stdout is exactly the received data, but no stdin commands (no
   * `keyUpdate`) and no `ACCEPT` line (a free port is chosen; readiness from /proc).
   */
  brief?: boolean;
  /** Request a client certificate verified against this CA (`-Verify 1 -CAfile`). */
  clientCa?: string;
}

/** A running `openssl s_server`. */
export interface OpensslServer extends OpensslPeer {
  /** The port it listens on, on 127.0.0.1. */
  readonly port: number;
}

/**
 * Starts `openssl s_server` on 127.0.0.1 under `stdbuf -o0 -e0`, and resolves once it
 * listens. Defaults: `-tls1_3 -naccept 1`, a kernel-chosen port, trace on. Send data with
 * `send` (keep stdin open: EOF drops the connection without close_notify); end the
 * exchange by closing from our side, which it answers with close_notify and an exit.
 */
export async function startOpensslServer(opts: OpensslServerOptions): Promise<OpensslServer> {
  const dir = peerTempDir('s_server');
  const traceFile = opts.trace ?? true ? path.join(dir, 'trace.log') : undefined;
  const port = opts.brief ? (opts.port || (await freePort())) : (opts.port ?? 0);
  const args = ['s_server', '-accept', `127.0.0.1:${port}`, '-cert', opts.cert.certPath, '-key', opts.cert.keyPath, '-naccept', String(opts.naccept ?? 1)];
  if (opts.brief) args.push('-brief');
  if (opts.clientCa) args.push('-Verify', '1', '-CAfile', opts.clientCa);
  args.push(...tlsArgs(opts, traceFile), ...(opts.extraArgs ?? []));
  const proc = await startProcess(
    'stdbuf',
    ['-o0', '-e0', 'openssl', ...args],
    processOptions(
      opts,
      opts.brief
        ? { name: 's_server', readyListening: port, tempDirs: [dir] }
        : // Port 0: `ACCEPT 127.0.0.1:<port>`; a given port: just `ACCEPT`. Wait for the newline:
          // with unbuffered stdout the line arrives in pieces.
          { name: 's_server', readyPattern: port === 0 ? /ACCEPT 127\.0\.0\.1:\d+\n/ : /ACCEPT\n/, tempDirs: [dir] },
    ),
  );
  let actual = port;
  if (!opts.brief && port === 0) {
    const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(proc.stdout().toString('latin1'));
    if (!m) {
      await proc.kill();
      throw new Error(`s_server printed no 'ACCEPT 127.0.0.1:<port>': ${proc.diagnostics()}`);
    }
    actual = Number(m[1]);
  }
  return { ...opensslPeer(proc, args, traceFile, 'server'), port: actual };
}

/** Options of {@link startOpensslClient}. */
export interface OpensslClientOptions extends OpensslTlsOptions {
  /** Server port (on `host`). */
  port: number;
  /** Server address (default `127.0.0.1`). */
  host?: string;
  /** SNI and the name verified (`-servername`, `-verify_hostname`); default `localhost`; null sends no SNI. */
  servername?: string | null;
  /** Trust anchor file (`-CAfile`); with it, verification failures abort (`-verify_return_error`). */
  caPath?: string;
  /** Client certificate and key (`-cert`, `-key`). */
  cert?: CertFiles;
  /** `-brief` (default true): clean stdout, summary on stderr, commands still work. */
  brief?: boolean;
  /** `-ign_eof`: stdin EOF does not close; waits for the server to close (stdin commands off). */
  ignEof?: boolean;
  /**
   * Resolve only once the handshake is done (`CONNECTION ESTABLISHED` on stderr, brief
   * mode); default true with `brief`. Set false for a handshake expected to fail.
   */
  waitForHandshake?: boolean;
}

/**
 * Starts `openssl s_client` (under `stdbuf -o0 -e0`) connecting to `host:port`.
 * Defaults: `-tls1_3 -brief -servername localhost -verify_hostname localhost`, trace
 * on; resolves when the handshake is done (see `waitForHandshake`).
 */
export async function startOpensslClient(opts: OpensslClientOptions): Promise<OpensslPeer> {
  const dir = peerTempDir('s_client');
  const traceFile = opts.trace ?? true ? path.join(dir, 'trace.log') : undefined;
  const brief = opts.brief ?? true;
  const servername = opts.servername === undefined ? 'localhost' : opts.servername;
  const args = ['s_client', '-connect', `${opts.host ?? '127.0.0.1'}:${opts.port}`];
  if (servername === null) args.push('-noservername');
  else args.push('-servername', servername, '-verify_hostname', servername);
  if (opts.caPath) args.push('-CAfile', opts.caPath, '-verify_return_error');
  if (opts.cert) args.push('-cert', opts.cert.certPath, '-key', opts.cert.keyPath);
  if (brief) args.push('-brief');
  if (opts.ignEof) args.push('-ign_eof');
  args.push(...tlsArgs(opts, traceFile), ...(opts.extraArgs ?? []));
  const wait = opts.waitForHandshake ?? brief;
  const proc = await startProcess(
    'stdbuf',
    ['-o0', '-e0', 'openssl', ...args],
    processOptions(opts, wait ? { name: 's_client', readyPattern: /CONNECTION ESTABLISHED/, tempDirs: [dir] } : { name: 's_client', tempDirs: [dir] }),
  );
  return opensslPeer(proc, args, traceFile, 'client');
}

// ---------------------------------------------------------------------------------
// GnuTLS

/** Inline command line (gnutls-cli `--inline-commands`): KeyUpdate with update_requested. */
export const GNUTLS_REKEY_BOTH = '^rekey^\n';
/** Inline command line: KeyUpdate with update_not_requested (local key change only). */
export const GNUTLS_REKEY_LOCAL = '^rekey1^\n';

/**
 * Builds a GnuTLS priority string pinned to TLS 1.3, optionally to one group and/or one
 * cipher, e.g. `gnutlsTls13Priority({ group: 'X25519' })` =
 * `NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X25519`. Group names: `X25519`,
 * `SECP256R1`, `SECP384R1`; ciphers: `AES-128-GCM`, `AES-256-GCM`, `CHACHA20-POLY1305`.
 */
export function gnutlsTls13Priority(pin: { group?: string; cipher?: string } = {}): string {
  let p = 'NORMAL:-VERS-ALL:+VERS-TLS1.3';
  if (pin.group) p += `:-GROUP-ALL:+GROUP-${pin.group}`;
  if (pin.cipher) p += `:-CIPHER-ALL:+${pin.cipher}`;
  return p;
}

/** TLS parameters shared by gnutls-serv and gnutls-cli. */
export interface GnutlsTlsOptions extends PeerCommonOptions {
  /** `--priority` (default {@link gnutlsTls13Priority}`()`: TLS 1.3 only). */
  priority?: string;
  /** ALPN protocols (`--alpn`, repeated). */
  alpn?: readonly string[];
  /** `-d N` debug level to stderr (4 shows handshake messages, KeyUpdates); default off. */
  debug?: number;
  /** The port used inside the namespace (default 4433; the namespace is private). */
  nsPort?: number;
}

function gnutlsArgs(o: GnutlsTlsOptions): string[] {
  const a = ['--priority', o.priority ?? gnutlsTls13Priority()];
  for (const p of o.alpn ?? []) a.push('--alpn', p);
  if (o.debug) a.push('-d', String(o.debug));
  return a;
}

/** Options of {@link startGnutlsServer}. */
export interface GnutlsServerOptions extends GnutlsTlsOptions {
  /** Server certificate and key. */
  cert: CertFiles;
  /** `--echo` (default true): sends back each record's text. False: `--http`. */
  echo?: boolean;
  /** Require a client certificate verified against this CA; default: none requested. */
  clientCa?: string;
}

/** A running gnutls-serv, in its own namespace, reached through a unix socket. */
export interface GnutlsServer {
  /** The bridge+server process; stderr has gnutls-serv's log. */
  readonly process: PeerProcess;
  /** The namespace handle. */
  readonly netns: NetnsPeer;
  /** The unix socket relaying to the server (use `{ path }` in `net`/`tls.connect`). */
  readonly path: string;
  /** The full gnutls-serv argument vector. */
  readonly args: readonly string[];
  /** Opens a plain connection to the server (through the relay). */
  connect(): net.Socket;
}

/**
 * Starts gnutls-serv in a private network namespace (./netns.ts) and resolves once it
 * listens. Connect through `path`. It serves until killed (the registry does that).
 */
export async function startGnutlsServer(opts: GnutlsServerOptions): Promise<GnutlsServer> {
  const nsPort = opts.nsPort ?? 4433;
  const args = ['-p', String(nsPort), '--x509certfile', opts.cert.certPath, '--x509keyfile', opts.cert.keyPath, opts.echo ?? true ? '--echo' : '--http'];
  if (opts.clientCa) args.push('--require-client-cert', '--verify-client-cert', '--x509cafile', opts.clientCa);
  else args.push('--disable-client-cert');
  args.push(...gnutlsArgs(opts), ...(opts.extraArgs ?? []));
  const ns = await startInNetns('gnutls-serv', args, {
    ...processOptions(opts, {}),
    name: 'gnutls-serv',
    expose: [nsPort],
    readyPattern: /listening on IPv4 .*\.\.\.done/,
  });
  return { process: ns.process, netns: ns, path: ns.socketPath(), args, connect: () => ns.connect() };
}

/** Options of {@link startGnutlsClient}. */
export interface GnutlsClientOptions extends GnutlsTlsOptions {
  /** The unix socket our server listens on; the client reaches it as 127.0.0.1:nsPort. */
  path: string;
  /** SNI and the name verified (default `localhost`). */
  servername?: string;
  /** Trust anchor (`--x509cafile`); without it `--insecure` is passed. */
  caPath?: string;
  /** Client certificate and key. */
  cert?: CertFiles;
  /** `--inline-commands` (default true), for `^rekey^` and friends. */
  inlineCommands?: boolean;
}

/** A running gnutls-cli, in its own namespace. */
export interface GnutlsClient {
  /** The bridge+client process: stdin is what it sends; stdout is unused (see `received`). */
  readonly process: PeerProcess;
  /** The namespace handle. */
  readonly netns: NetnsPeer;
  /** The full gnutls-cli argument vector. */
  readonly args: readonly string[];
  /**
   * What it received: its stdout, which goes to a file (gnutls-cli writes one byte per
   * syscall, too slow through a pipe to Node); informational text goes to `log()`.
   */
  received(): Buffer;
  /** Waits until it has received at least `n` bytes (the process may have exited: fine). */
  waitForReceived(n: number, timeoutMs?: number): Promise<void>;
  /** Its `--logfile` text: certificate status, `- Description: (TLS1.3-X.509)-…`, `- Rekey was completed`, `- Peer has closed…`. */
  log(): string;
  /** Makes it send `data`. */
  send(data: string | Uint8Array): Promise<void>;
  /** Writes `^rekey^` (KeyUpdate, update_requested) or `^rekey1^` (not requested). */
  rekey(requestPeerUpdate?: boolean): Promise<void>;
}

/**
 * Starts gnutls-cli in a private network namespace, connecting to the test's unix
 * listener `path` (seen inside as 127.0.0.1:nsPort). Resolves once it started; our
 * server sees the connection. Stdin EOF half-closes (close_notify) and it then waits
 * for our close.
 */
export async function startGnutlsClient(opts: GnutlsClientOptions): Promise<GnutlsClient> {
  const nsPort = opts.nsPort ?? 4433;
  const dir = peerTempDir('gnutls-cli');
  const logFile = path.join(dir, 'gnutls-cli.log');
  const servername = opts.servername ?? 'localhost';
  const args = ['-p', String(nsPort), '--sni-hostname', servername, '--verify-hostname', servername, '--logfile', logFile];
  args.push(...(opts.caPath ? ['--x509cafile', opts.caPath] : ['--insecure']));
  if (opts.cert) args.push('--x509certfile', opts.cert.certPath, '--x509keyfile', opts.cert.keyPath);
  if (opts.inlineCommands ?? true) args.push('--inline-commands');
  args.push(...gnutlsArgs(opts), ...(opts.extraArgs ?? []), '127.0.0.1');
  const outFile = path.join(dir, 'received.bin');
  const ns = await startInNetns('gnutls-cli', args, {
    ...processOptions(opts, {}),
    name: 'gnutls-cli',
    reach: [{ port: nsPort, path: opts.path }],
    stdoutFile: outFile,
    tempDirs: [dir],
  });
  const proc = ns.process;
  const size = (): number => {
    try {
      return fs.statSync(outFile).size;
    } catch {
      return 0;
    }
  };
  return {
    process: proc,
    netns: ns,
    args,
    received: () => (fs.existsSync(outFile) ? fs.readFileSync(outFile) : Buffer.alloc(0)),
    waitForReceived: async (n, timeoutMs = 15_000) => {
      try {
        await proc.waitFor(function receivedEnough() {
          return size() >= n;
        }, { timeoutMs });
      } catch (e) {
        throw new Error(`gnutls-cli received ${size()} of ${n} bytes: ${(e as Error).message}`);
      }
    },
    log: () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : ''),
    send: (data) => proc.write(data),
    rekey: (requestPeerUpdate = true) => proc.write(requestPeerUpdate ? GNUTLS_REKEY_BOTH : GNUTLS_REKEY_LOCAL),
  };
}

// ---------------------------------------------------------------------------------
// Node tls, in-process

/** Where a {@link startNodeTlsServer} listens: a unix socket path, or a loopback port. */
export type ListenAt = { path: string } | { port?: number; host?: string };

/** A `node:tls` server in this process. */
export interface NodeTlsServer {
  /** The server. */
  readonly server: tls.Server;
  /** The TCP port (when listening on TCP). */
  readonly port: number | undefined;
  /** The unix socket path (when listening on one). */
  readonly path: string | undefined;
  /**
   * The next connection whose handshake completed (connections queue up). Rejects on
   * timeout, or with the TLS error of a connection whose handshake failed.
   */
  nextConnection(timeoutMs?: number): Promise<tls.TLSSocket>;
  /** Stops listening and destroys open connections. */
  close(): Promise<void>;
}

/**
 * Starts a `tls.createServer` (defaults: `minVersion: 'TLSv1.3'`) on 127.0.0.1:0 or
 * on `listen`. Each connection gets a no-op `'error'` listener so a peer's reset cannot
 * crash the runner; use {@link collect} to see errors.
 */
export async function startNodeTlsServer(options: tls.TlsOptions, listen: ListenAt = {}): Promise<NodeTlsServer> {
  const server = tls.createServer({ minVersion: 'TLSv1.3', ...options });
  const ready: tls.TLSSocket[] = [];
  const failures: Error[] = [];
  const open = new Set<net.Socket>();
  const waiters = new Set<() => void>();
  const poke = (): void => {
    for (const w of [...waiters]) w();
  };
  server.on('connection', (s: net.Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  });
  server.on('secureConnection', (s: tls.TLSSocket) => {
    s.on('error', () => {});
    ready.push(s);
    poke();
  });
  server.on('tlsClientError', (e: Error) => {
    failures.push(e);
    poke();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('path' in listen) server.listen(listen.path, resolve);
    else server.listen(listen.port ?? 0, listen.host ?? '127.0.0.1', resolve);
  });
  const addr = server.address();
  return {
    server,
    port: addr !== null && typeof addr === 'object' ? addr.port : undefined,
    path: 'path' in listen ? listen.path : undefined,
    nextConnection: (timeoutMs = 15_000) =>
      new Promise<tls.TLSSocket>((resolve, reject) => {
        const check = (): void => {
          const s = ready.shift();
          const f = s ? undefined : failures.shift();
          if (!s && !f) return;
          finish();
          if (s) resolve(s);
          else reject(new Error(`node tls server: handshake failed: ${f!.message}`));
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`timed out after ${timeoutMs} ms waiting for a TLS connection to the node server`));
        }, timeoutMs);
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Options of {@link connectNodeTls}: `tls.connect` options plus a bound. */
export type NodeTlsConnectOptions = tls.ConnectionOptions & {
  /** Bound on connect plus handshake, in milliseconds (default 10 000). */
  timeoutMs?: number;
};

/**
 * `tls.connect` (defaults: host 127.0.0.1, `servername: 'localhost'`, `minVersion:
 * 'TLSv1.3'`; pass `path` for a unix socket) resolving at `secureConnect`; rejects with
 * the handshake error or on timeout, destroying the socket. The socket gets a no-op
 * `'error'` listener; use {@link collect} to see errors.
 */
export function connectNodeTls(options: NodeTlsConnectOptions): Promise<tls.TLSSocket> {
  const { timeoutMs = 10_000, ...rest } = options;
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', servername: 'localhost', minVersion: 'TLSv1.3', ...rest });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`timed out after ${timeoutMs} ms connecting with node tls`));
    }, timeoutMs);
    const onError = (e: Error): void => {
      clearTimeout(timer);
      s.destroy();
      reject(new Error(`node tls connect failed: ${e.message}`));
    };
    s.once('error', onError);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      s.off('error', onError);
      s.on('error', () => {});
      resolve(s);
    });
  });
}
