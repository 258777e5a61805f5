/**
 * Helpers for engine behaviour tests: self-signed test identities made with the `openssl` CLI,
 * client/server pairs with sensible defaults, an in-memory wire that shuttles ciphertext
 * between them (bounded), seeded randomness and a record splitter for inspecting raw output.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TlsClient, TlsServer, type ClientConfig, type ServerConfig } from '../../../src/tls/index.js';

/** The leaf key types the tests serve with. */
export const KEY_KINDS = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'ed25519'] as const;
/** One of {@link KEY_KINDS}. */
export type KeyKind = (typeof KEY_KINDS)[number];

/** A self-signed certificate with its key and its pins (hex SHA-256). */
export interface Identity {
  readonly certPem: string;
  readonly keyPem: string;
  readonly certDer: Uint8Array;
  readonly certSha256: string;
  readonly spkiSha256: string;
}

const GENPKEY: Record<KeyKind, string[]> = {
  'ecdsa-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-pkeyopt', 'ec_param_enc:named_curve'],
  'ecdsa-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-pkeyopt', 'ec_param_enc:named_curve'],
  'rsa-2048': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
  ed25519: ['-algorithm', 'ED25519'],
};

const cache = new Map<KeyKind, Identity>();
let dir: string | undefined;

/** A self-signed `localhost` certificate of the given key type, generated once per test file. */
export function identity(kind: KeyKind = 'ecdsa-p256'): Identity {
  const hit = cache.get(kind);
  if (hit) return hit;
  dir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'rxtls-engine-'));
  const keyPath = path.join(dir, `${kind}.key`);
  const certPath = path.join(dir, `${kind}.crt`);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  run(['genpkey', ...GENPKEY[kind], '-out', keyPath]);
  run(['req', '-x509', '-new', '-key', keyPath, '-out', certPath, '-days', '30', '-subj', `/CN=localhost ${kind}`, '-addext', 'subjectAltName=DNS:localhost']);
  const certPem = fs.readFileSync(certPath, 'utf8');
  const keyPem = fs.readFileSync(keyPath, 'utf8');
  const x = new X509Certificate(certPem);
  const certDer = new Uint8Array(x.raw);
  const spki = x.publicKey.export({ type: 'spki', format: 'der' });
  const id: Identity = {
    certPem,
    keyPem,
    certDer,
    certSha256: sha256Hex(certDer),
    spkiSha256: sha256Hex(new Uint8Array(spki)),
  };
  cache.set(kind, id);
  return id;
}

/** Removes the generated files (call from afterAll). */
export function disposeIdentities(): void {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  dir = undefined;
  cache.clear();
}

/** Hex SHA-256. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A client pinned to `id`'s certificate, with `extra` options on top. */
export function makeClient(id: Identity, extra: Partial<ClientConfig> = {}): TlsClient {
  return new TlsClient({ servername: 'localhost', pins: { certSha256: [id.certSha256] }, ...extra });
}

/** A server presenting `id`, with `extra` options on top. */
export function makeServer(id: Identity, extra: Partial<ServerConfig> = {}): TlsServer {
  return new TlsServer({ cert: id.certPem, key: id.keyPem, ...extra });
}

type End = TlsClient | TlsServer;

/**
 * Two engines joined in memory. Every chunk each end outputs is logged (`fromClient`,
 * `fromServer`) and queued for the other; `pump()` moves bytes until nothing moves.
 * A feed that takes fewer bytes than given (receiver's plaintext buffer full) leaves the rest
 * queued. A feed that throws is recorded in `errors`; the failed end's queued alert still
 * travels, and bytes for a failed end are dropped.
 */
export class Wire {
  readonly fromClient: Uint8Array[] = [];
  readonly fromServer: Uint8Array[] = [];
  readonly errors: { end: 'client' | 'server'; error: unknown }[] = [];
  /** Plaintext read by each end when `pump({ read: true })` drains it. */
  readonly readByClient: Uint8Array[] = [];
  readonly readByServer: Uint8Array[] = [];
  private readonly toServer: Uint8Array[] = [];
  private readonly toClient: Uint8Array[] = [];

  /**
   * @param pieceSize when given, each queued chunk is fed in pieces of `pieceSize()` bytes
   *   (at least 1), to exercise reassembly across feed() calls.
   */
  constructor(
    readonly client: TlsClient,
    readonly server: TlsServer,
    private readonly pieceSize?: () => number,
  ) {}

  /** Bytes queued for each end but not yet fed. */
  get inFlight(): { toServer: number; toClient: number } {
    const sum = (q: Uint8Array[]) => q.reduce((n, c) => n + c.length, 0);
    return { toServer: sum(this.toServer), toClient: sum(this.toClient) };
  }

  /**
   * Moves bytes both ways until a round moves nothing. With `read`, drains both ends'
   * plaintext into `readByClient` / `readByServer` each round. Throws when still busy after
   * `maxRounds` rounds.
   */
  pump(opts: { read?: boolean; maxRounds?: number } = {}): void {
    const maxRounds = opts.maxRounds ?? 10_000;
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      moved = this.collect(this.client, this.fromClient, this.toServer) || moved;
      moved = this.collect(this.server, this.fromServer, this.toClient) || moved;
      moved = this.deliver(this.toServer, this.server, 'server') || moved;
      moved = this.deliver(this.toClient, this.client, 'client') || moved;
      if (opts.read) {
        moved = drain(this.client, this.readByClient) || moved;
        moved = drain(this.server, this.readByServer) || moved;
      }
      if (!moved) return;
    }
    throw new Error(`Wire.pump: still moving after ${maxRounds} rounds`);
  }

  /** Runs the handshake to completion, failing the test when either end fails. */
  handshake(): this {
    this.pump();
    if (this.errors.length > 0) throw this.errors[0]!.error;
    if (!this.client.handshakeComplete || !this.server.handshakeComplete) throw new Error('handshake did not complete');
    return this;
  }

  private collect(end: End, log: Uint8Array[], queue: Uint8Array[]): boolean {
    let moved = false;
    for (let c = end.takeOutput(), i = 0; c && i < 1_000_000; c = end.takeOutput(), i++) {
      log.push(c);
      queue.push(c);
      moved = true;
    }
    return moved;
  }

  private deliver(queue: Uint8Array[], end: End, name: 'client' | 'server'): boolean {
    let moved = false;
    while (queue.length > 0) {
      if (end.failure) {
        queue.length = 0;
        return moved;
      }
      const chunk = queue[0]!;
      const piece = this.pieceSize ? chunk.subarray(0, Math.max(1, this.pieceSize())) : chunk;
      let n: number;
      try {
        n = end.feed(piece);
      } catch (error) {
        this.errors.push({ end: name, error });
        queue.length = 0;
        return true;
      }
      if (n > 0) moved = true;
      if (n < chunk.length) {
        queue[0] = chunk.subarray(n);
        if (n < piece.length) return moved; // receiver full
        continue;
      }
      queue.shift();
    }
    return moved;
  }
}

/** Reads everything `end` has buffered into `sink`. */
export function drain(end: End, sink: Uint8Array[]): boolean {
  let moved = false;
  for (let c = end.read(), i = 0; c && i < 1_000_000; c = end.read(), i++) {
    sink.push(c.slice());
    moved = true;
  }
  return moved;
}

/** A client and server of the given identity, joined and handshaken. */
export function connected(id: Identity, client: Partial<ClientConfig> = {}, server: Partial<ServerConfig> = {}): Wire {
  return new Wire(makeClient(id, client), makeServer(id, server)).handshake();
}

/** Concatenates chunks. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** One record as it appeared on the wire. */
export interface WireRecord {
  readonly type: number;
  /** The header's length field. */
  readonly length: number;
  readonly body: Uint8Array;
}

/** Splits raw output (chunks as taken) into records; throws on a trailing partial record. */
export function splitRecords(chunks: readonly Uint8Array[]): WireRecord[] {
  const all = concat(chunks);
  const out: WireRecord[] = [];
  let at = 0;
  while (at < all.length) {
    if (all.length - at < 5) throw new Error(`partial record header at ${at}`);
    const length = (all[at + 3]! << 8) | all[at + 4]!;
    if (all.length - at - 5 < length) throw new Error(`partial record body at ${at}`);
    out.push({ type: all[at]!, length, body: all.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return out;
}

/** A deterministic `random(n)`: SHA-256 of (seed, counter) blocks. */
export function seededRandom(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let at = 0; at < n; at += 32) {
      const block = createHash('sha256').update(`${seed}/${counter++}`).digest();
      out.set(block.subarray(0, Math.min(32, n - at)), at);
    }
    return out;
  };
}

/** A small deterministic PRNG for test data and chunk sizes (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` bytes of deterministic test data. */
export function testData(n: number, seed: number): Uint8Array {
  const r = prng(seed);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 256) | 0;
  return out;
}

/**
 * Sends `toServer` from the client and `toClient` from the server at the same time, in
 * random-sized writes (1..maxChunk bytes, as much as each end accepts), pumping and reading
 * both ends as it goes. Returns what each end read. Bounded by `maxIterations`.
 */
export function exchange(
  wire: Wire,
  toServer: Uint8Array,
  toClient: Uint8Array,
  opts: { seed?: number; maxChunk?: number; maxIterations?: number } = {},
): { atServer: Uint8Array; atClient: Uint8Array } {
  const r = prng(opts.seed ?? 1);
  const maxChunk = opts.maxChunk ?? 20_000;
  const sent = { c: 0, s: 0 };
  const startC = wire.readByServer.length;
  const startS = wire.readByClient.length;
  const writeSome = (end: End, data: Uint8Array, key: 'c' | 's') => {
    for (let i = 0; i < 64 && sent[key] < data.length; i++) {
      const size = 1 + Math.floor(r() * maxChunk);
      const n = end.write(data.subarray(sent[key], Math.min(data.length, sent[key] + size)));
      sent[key] += n;
      if (n === 0) break;
    }
  };
  const received = () => ({
    atServer: concat(wire.readByServer.slice(startC)),
    atClient: concat(wire.readByClient.slice(startS)),
  });
  for (let it = 0; it < (opts.maxIterations ?? 10_000); it++) {
    writeSome(wire.client, toServer, 'c');
    writeSome(wire.server, toClient, 's');
    wire.pump({ read: true });
    if (wire.errors.length > 0) throw wire.errors[0]!.error;
    if (sent.c === toServer.length && sent.s === toClient.length) {
      const got = received();
      if (got.atServer.length >= toServer.length && got.atClient.length >= toClient.length) return got;
    }
  }
  throw new Error(`exchange: not done after ${opts.maxIterations ?? 10_000} iterations`);
}

/** Byte-for-byte equality with a short message (jest's toEqual on 200 KiB arrays is slow). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}

/** The thrown value of `f`, or a failure when it returns. */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an exception');
}

