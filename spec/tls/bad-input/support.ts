/**
 * Helpers for the bad-input specs: an honest client and server wired together in memory, a
 * certificate made with the `openssl` CLI, record and handshake splitting, re-encryption of
 * forged messages under secrets taken from the key log, and the three checks every bad input
 * must pass: the right error class and alert, the same alert queued for the peer, and the
 * error sticking to every later call.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { TlsClient } from '../../../src/tls/client/tls13.js';
import type { ClientConfig } from '../../../src/tls/client/config.js';
import { TlsServer } from '../../../src/tls/server/tls13.js';
import type { ServerConfig } from '../../../src/tls/server/config.js';
import type { TlsConnection } from '../../../src/tls/connection.js';
import { ContentType } from '../../../src/tls/constants.js';
import { nobleProvider } from '../../../src/tls/crypto/noble.js';
import { pemDecode } from '../../../src/tls/crypto/pem.js';
import type { SigningKey } from '../../../src/tls/crypto/provider.js';
import { TlsAlertError, TlsError } from '../../../src/tls/errors.js';
import { fromHex } from '../../../src/tls/codec/bytes.js';
import { encodeHandshake } from '../../../src/tls/messages/handshake.js';
import { encodePlaintextRecord } from '../../../src/tls/record/plaintext.js';
import { RecordDecrypter, RecordEncrypter, recordNonce } from '../../../src/tls/record/protection.js';
import { trafficKeys } from '../../../src/tls/keys/traffic.js';
import { cipherSuiteInfo, type CipherSuiteInfo } from '../../../src/tls/suites.js';

// ------------------------------------------------------------------ identity

/** A server certificate and key (ECDSA P-256, CN/SAN localhost) and the certificate's SHA-256. */
export interface Identity {
  readonly certPem: string;
  readonly keyPem: string;
  readonly certSha256: string;
}

let cachedIdentity: Identity | undefined;

/** Makes (once per test file) a self-signed P-256 certificate with the openssl CLI, in a temp dir removed at once. */
export function identity(): Identity {
  if (cachedIdentity) return cachedIdentity;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtls-bad-input-'));
  try {
    const keyPath = path.join(dir, 'key.pem');
    const certPath = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyPath], { stdio: 'pipe' });
    execFileSync(
      'openssl',
      ['req', '-new', '-x509', '-key', keyPath, '-out', certPath, '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'],
      { stdio: 'pipe' },
    );
    const certPem = fs.readFileSync(certPath, 'utf8');
    const keyPem = fs.readFileSync(keyPath, 'utf8');
    const certSha256 = createHash('sha256').update(new X509Certificate(certPem).raw).digest('hex');
    cachedIdentity = { certPem, keyPem, certSha256 };
    return cachedIdentity;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ randomness

/** A deterministic byte source (mulberry32), so transcripts can be replayed. */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
    return out;
  };
}

/** A seeded integer source in [0, n). */
export function seededInt(seed: number): (n: number) => number {
  const r = seededRandom(seed);
  return (n: number) => {
    const b = r(4);
    return (((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) % n;
  };
}

// ------------------------------------------------------------------ engines

/** Key log secrets by label (both ends log the same values). */
export type Secrets = Map<string, Uint8Array>;

function logInto(secrets: Secrets): (line: string) => void {
  return (line) => {
    const [label, , hex] = line.split(' ');
    secrets.set(label!, fromHex(hex!));
  };
}

/** An honest client pinned to {@link identity}; its key log goes to `secrets`. */
export function makeClient(opts: Partial<ClientConfig> = {}, secrets: Secrets = new Map(), seed = 1): TlsClient {
  return new TlsClient({
    servername: 'localhost',
    pins: { certSha256: [identity().certSha256] },
    random: seededRandom(seed),
    now: () => Date.now(),
    keyLog: logInto(secrets),
    ...opts,
  });
}

let loaded: { chain: Uint8Array[]; key: SigningKey } | undefined;

/**
 * An honest server with {@link identity} (key and chain parsed once); its key log goes to
 * `secrets`. It sends no session tickets unless `opts` asks, so that records crafted under
 * its application keys start at sequence number 0.
 */
export function makeServer(opts: Partial<ServerConfig> = {}, secrets: Secrets = new Map(), seed = 2): TlsServer {
  const id = identity();
  loaded ??= { chain: pemDecode(id.certPem).map((b) => b.der), key: nobleProvider.loadPrivateKey(id.keyPem) };
  return new TlsServer({ cert: loaded.chain, key: loaded.key, random: seededRandom(seed), keyLog: logInto(secrets), tickets: 0, ...opts });
}

/** A client and a server sharing one key log. */
export interface Pair {
  readonly client: TlsClient;
  readonly server: TlsServer;
  readonly secrets: Secrets;
}

/** A fresh client/server pair; nothing has been exchanged yet (the ClientHello is queued). */
export function makePair(opts: { client?: Partial<ClientConfig>; server?: Partial<ServerConfig> } = {}): Pair {
  const secrets: Secrets = new Map();
  return { client: makeClient(opts.client, secrets), server: makeServer(opts.server, secrets), secrets };
}

/** Everything `conn` has queued, as one array (empty when nothing). */
export function drain(conn: TlsConnection): Uint8Array {
  const parts: Uint8Array[] = [];
  for (let c = conn.takeOutput(); c; c = conn.takeOutput()) parts.push(c);
  return concat(...parts);
}

/** Runs the handshake to completion (bounded), returning the pair. */
export function handshake(p: Pair): Pair {
  for (let i = 0; i < 10 && !(p.client.handshakeComplete && p.server.handshakeComplete); i++) {
    const c = drain(p.client);
    if (c.length) p.server.feed(c);
    const s = drain(p.server);
    if (s.length) p.client.feed(s);
  }
  if (!p.client.handshakeComplete || !p.server.handshakeComplete) throw new Error('handshake did not complete in 10 rounds');
  const rest = drain(p.client);
  if (rest.length) p.server.feed(rest);
  return p;
}

/** The secret logged under `label`, or an error naming it. */
export function secret(p: { secrets: Secrets }, label: string): Uint8Array {
  const s = p.secrets.get(label);
  if (!s) throw new Error(`no ${label} in the key log (have ${[...p.secrets.keys()].join(', ')})`);
  return s;
}

// ------------------------------------------------------------------ bytes and records

import { concat } from '../../../src/tls/codec/bytes.js';

export { concat };

/** Splits a stream of whole records into records (header included). */
export function records(stream: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let at = 0;
  while (at + 5 <= stream.length) {
    const end = at + 5 + ((stream[at + 3]! << 8) | stream[at + 4]!);
    if (end > stream.length) throw new Error(`stream ends inside a record at ${at}`);
    out.push(stream.slice(at, end));
    at = end;
  }
  if (at !== stream.length) throw new Error(`stream has ${stream.length - at} stray bytes`);
  return out;
}

/** One handshake message: type, body, and the whole message with its header. */
export interface Msg {
  type: number;
  body: Uint8Array;
  raw: Uint8Array;
}

/** Splits concatenated handshake messages. */
export function messages(bytes: Uint8Array): Msg[] {
  const out: Msg[] = [];
  let at = 0;
  while (at + 4 <= bytes.length) {
    const len = (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const raw = bytes.slice(at, at + 4 + len);
    out.push({ type: raw[0]!, body: raw.subarray(4), raw });
    at += 4 + len;
  }
  if (at !== bytes.length) throw new Error('handshake bytes end inside a message');
  return out;
}

/** A whole handshake message. */
export const hs = encodeHandshake;

/** A plaintext record. */
export function plain(type: number, fragment: Uint8Array): Uint8Array {
  return encodePlaintextRecord(type as ContentType, fragment);
}

/** The suite every spec negotiates unless it says otherwise (both ends prefer it). */
export const AES128 = cipherSuiteInfo(0x1301)!;

/** Decrypts protected records (CCS and plaintext records skipped) under `secret` from sequence 0; returns their contents, concatenated. */
export function openRecords(recs: Uint8Array[], sec: Uint8Array, suite: CipherSuiteInfo = AES128): { type: number; content: Uint8Array }[] {
  const d = new RecordDecrypter(nobleProvider, suite, sec);
  const out: { type: number; content: Uint8Array }[] = [];
  for (const r of recs) {
    if (r[0] !== ContentType.application_data) continue;
    const o = d.open({ type: r[0]!, version: 0x0303, header: r.subarray(0, 5), fragment: r.subarray(5) });
    out.push({ type: o.type, content: o.content.slice() });
  }
  return out;
}

/** The handshake messages in a flight of protected records. */
export function openFlight(recs: Uint8Array[], sec: Uint8Array, suite: CipherSuiteInfo = AES128): Msg[] {
  return messages(concat(...openRecords(recs, sec, suite).filter((r) => r.type === ContentType.handshake).map((r) => r.content)));
}

/**
 * Protects `contents` (one record each) under `secret`, the first at sequence `startSeq`.
 * The encrypter accepts inner plaintexts up to 65519 bytes so oversize records can be forged.
 */
export function seal(sec: Uint8Array, contents: Uint8Array[], type: number = ContentType.handshake, startSeq = 0, suite: CipherSuiteInfo = AES128): Uint8Array {
  const e = new RecordEncrypter(nobleProvider, suite, sec, 0xffff - 16);
  for (let i = 0; i < startSeq; i++) e.seal(ContentType.application_data, new Uint8Array(0));
  return concat(...contents.map((c) => e.seal(type as ContentType, c)));
}

/** A protected record whose TLSInnerPlaintext is exactly `inner` (no content type added): for forging bad framing. */
export function sealRawInner(sec: Uint8Array, inner: Uint8Array, seq = 0, suite: CipherSuiteInfo = AES128): Uint8Array {
  const { key, iv } = trafficKeys(nobleProvider, suite, sec);
  const length = inner.length + 16;
  const header = Uint8Array.of(ContentType.application_data, 3, 3, length >> 8, length & 0xff);
  const ct = nobleProvider.aead(suite.aead).importKey(key).seal(recordNonce(iv, seq), header, inner);
  return concat(header, ct);
}

// ------------------------------------------------------------------ hang guard

const guardBox: { fn: () => unknown; out: unknown } = { fn: () => undefined, out: undefined };
const guardContext = vm.createContext({ box: guardBox });
const guardScript = new vm.Script('box.out = box.fn()');

/**
 * Runs `fn` and returns its result, or fails the test when it has not returned after `ms`
 * milliseconds: V8 interrupts even a synchronous endless loop inside the engine, so a hang is a
 * test failure instead of a stuck test run. Errors thrown by `fn` pass through unchanged.
 */
export function bounded<T>(fn: () => T, ms = 5000): T {
  guardBox.fn = fn;
  guardBox.out = undefined;
  try {
    guardScript.runInContext(guardContext, { timeout: ms });
  } catch (e) {
    if ((e as { code?: string } | null)?.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw new Error(`no answer within ${ms} ms: the engine hangs`);
    throw e;
  }
  return guardBox.out as T;
}

// ------------------------------------------------------------------ the three checks

type ErrorClass = abstract new (...args: never[]) => TlsError;

/**
 * Feeds `bytes` to `victim` and checks (a) it throws `cls` with `alert`, (b) the output holds
 * exactly that alert (plaintext, or protected and then checked through `peer`), (c) later
 * feed() and write() throw the same object. With a `peer` engine, the victim's output is fed
 * to it and must surface as TlsAlertError(fromPeer) with the same alert; with a secret instead,
 * the protected alert is decrypted under it. Returns the error.
 */
export function expectRejected(
  victim: TlsConnection,
  bytes: Uint8Array,
  cls: ErrorClass,
  alert: number,
  peer?: TlsConnection | Uint8Array,
): TlsError {
  let err: unknown;
  try {
    bounded(() => victim.feed(bytes));
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error(`feed() accepted the bad input; expected ${cls.name} with alert ${alert}`);
  if (!(err instanceof cls) || (err as TlsError).alert !== alert) {
    const e = err as Error & { alert?: number };
    throw new Error(`expected ${cls.name} with alert ${alert}, got ${e?.constructor?.name} alert ${e?.alert}: ${e?.message}`);
  }
  const error = err as TlsError;
  expect(victim.failure).toBe(error);
  expectAlertOutput(victim, alert, peer);
  expectSticky(victim, error);
  return error;
}

/** (b): the victim queued exactly one alert record carrying `alert`. */
export function expectAlertOutput(victim: TlsConnection, alert: number, peer?: TlsConnection | Uint8Array): void {
  const out = drain(victim);
  const recs = records(out);
  if (recs.length !== 1) {
    const seen = recs.map((r) => `type ${r[0]} (${r.length - 5} bytes)`).join(', ');
    throw new Error(`expected the victim to send exactly one alert record, it sent ${recs.length} records: ${seen}`);
  }
  const rec = recs[0]!;
  if (rec[0] === ContentType.alert) {
    expect([...rec]).toEqual([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, alert]);
  } else {
    // A protected alert: 2 bytes of alert, the type byte, the 16-byte tag.
    expect(rec[0]).toBe(ContentType.application_data);
    expect(rec.length).toBe(5 + 2 + 1 + 16);
    if (!peer) throw new Error('a protected alert needs a peer (or the sending secret) to decrypt it');
  }
  if (peer instanceof Uint8Array) {
    // The victim's first record under this secret: decrypt it at sequence 0.
    expect(openRecords([rec], peer)).toEqual([{ type: ContentType.alert, content: Uint8Array.of(2, alert) }]);
  } else if (peer) expectPeerSees(peer, out, alert);
}

/** Feeding `bytes` to `peer` surfaces the alert as TlsAlertError(fromPeer) and makes the peer send nothing. */
export function expectPeerSees(peer: TlsConnection, bytes: Uint8Array, alert: number): void {
  let err: unknown;
  try {
    bounded(() => peer.feed(bytes));
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TlsAlertError);
  expect((err as TlsAlertError).fromPeer).toBe(true);
  expect((err as TlsAlertError).alert).toBe(alert);
}

/** (c): every later feed() and write() throws the very same error. */
export function expectSticky(conn: TlsConnection, err: TlsError): void {
  const calls: (() => unknown)[] = [
    () => conn.feed(Uint8Array.of(0x16, 0x03, 0x03, 0x00, 0x01, 0x01)),
    () => conn.feed(new Uint8Array(0)),
    () => conn.write(Uint8Array.of(1, 2, 3)),
  ];
  for (const call of calls) {
    let got: unknown;
    try {
      call();
    } catch (e) {
      got = e;
    }
    expect(got).toBe(err);
  }
  expect(conn.takeOutput()).toBeNull();
}
