/**
 * Options of the reactive TLS layer, apart from the engine's: water marks, the hard write
 * limit, truncation handling and the protocol version range.
 *
 * @module
 */
import type { CommonConfig } from '../tls/config.js';
import { TlsMisuseError } from '../tls/errors.js';

/** A protocol version name, in Node's spelling. */
export type TlsVersionName = 'TLSv1.2' | 'TLSv1.3';

/** Options of the reactive layer, common to {@link tlsClient} and {@link tlsServer}. */
export interface TlsLayerOptions {
  /**
   * Decrypted plaintext bytes held for the reader before the layer stops pulling ciphertext
   * (the engine's `maxPlaintextBuffer`); default 64 KiB. The engine may overshoot by up to one
   * record, and the layer holds at most one partly fed ciphertext chunk besides.
   */
  readHighWaterMark?: number;
  /** Plaintext `writable$` turns false when bytes pending in this layer reach this; default 64 KiB. */
  writeHighWaterMark?: number;
  /** Plaintext `writable$` turns true again when bytes pending fall to this; below the high mark; default half of it. */
  writeLowWaterMark?: number;
  /** A plaintext chunk that would take the pending bytes past this errors the write; default 1 MiB. */
  maxWriteBuffer?: number;
  /**
   * When true, a transport end of stream without close_notify after the handshake completes
   * the plaintext read instead of erroring it with TlsTruncationError. Default false.
   */
  allowTruncation?: boolean;
  /** Lowest protocol version; only `'TLSv1.3'` is supported for now. */
  minVersion?: TlsVersionName;
  /** Highest protocol version; only `'TLSv1.3'` is supported for now. */
  maxVersion?: TlsVersionName;
}

/** Layer options with defaults applied (see {@link TlsLayerOptions} for each). */
export interface ResolvedLayerOptions {
  /** Plaintext `writable$` turns false at this many pending bytes. */
  readonly writeHighWaterMark: number;
  /** Plaintext `writable$` turns true again at this many pending bytes. */
  readonly writeLowWaterMark: number;
  /** Hard limit on pending plaintext bytes. */
  readonly maxWriteBuffer: number;
  /** Transport EOF without close_notify completes the read instead of erroring it. */
  readonly allowTruncation: boolean;
}

/**
 * Checks the layer options, splits them from the engine's, and maps `readHighWaterMark` to the
 * engine's `maxPlaintextBuffer` (it wins over a `maxPlaintextBuffer` given too). Throws
 * TlsMisuseError naming a bad option, `'TLSv1.2'` included (not supported yet). The result
 * is remembered per options object (weakly): options are read once, so changing the object
 * afterwards has no effect on operators made from it.
 *
 * @example
 * const { engine, layer } = splitLayerOptions({ pins, readHighWaterMark: 32768, allowTruncation: true });
 * // engine: { pins, maxPlaintextBuffer: 32768 }; layer: { allowTruncation: true, writeHighWaterMark: 65536, ... }
 */
export function splitLayerOptions<C extends CommonConfig>(options: C & TlsLayerOptions): { engine: C; layer: ResolvedLayerOptions } {
  // One split per options object: the engine keeps its per-options state (session store,
  // ticket keys, anti-replay) by the identity of the engine options, so every operator made
  // from the same options object resumes the others' sessions.
  const hit = splits.get(options);
  if (hit) return hit as { engine: C; layer: ResolvedLayerOptions };
  const split = splitOnce(options);
  splits.set(options, split);
  return split;
}

const splits = new WeakMap<object, { engine: CommonConfig; layer: ResolvedLayerOptions }>();

function splitOnce<C extends CommonConfig>(options: C & TlsLayerOptions): { engine: C; layer: ResolvedLayerOptions } {
  const { readHighWaterMark, writeHighWaterMark, writeLowWaterMark, maxWriteBuffer, allowTruncation, minVersion, maxVersion, ...rest } = options;
  for (const [name, v] of [['minVersion', minVersion], ['maxVersion', maxVersion]] as const) {
    if (v === undefined || v === 'TLSv1.3') continue;
    if (v === 'TLSv1.2') throw new TlsMisuseError(`tls: ${name} 'TLSv1.2' is not supported yet; only 'TLSv1.3' is`);
    throw new TlsMisuseError(`tls: ${name} ${JSON.stringify(v)} is not a known version; use 'TLSv1.3'`);
  }
  const high = count(writeHighWaterMark, 64 * 1024, 'writeHighWaterMark', 1);
  const low = count(writeLowWaterMark, Math.floor(high / 2), 'writeLowWaterMark', 0);
  if (low >= high) throw new TlsMisuseError(`tls: writeLowWaterMark ${low} must be below writeHighWaterMark ${high}`);
  const max = count(maxWriteBuffer, Math.max(1024 * 1024, high), 'maxWriteBuffer', 1);
  if (max < high) throw new TlsMisuseError(`tls: maxWriteBuffer ${max} is below writeHighWaterMark ${high}`);
  const engine = { ...rest } as unknown as C;
  if (readHighWaterMark !== undefined) engine.maxPlaintextBuffer = count(readHighWaterMark, 0, 'readHighWaterMark', 1);
  return { engine, layer: { writeHighWaterMark: high, writeLowWaterMark: low, maxWriteBuffer: max, allowTruncation: allowTruncation ?? false } };
}

function count(v: number | undefined, dflt: number, name: string, min: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min) throw new TlsMisuseError(`tls: ${name} must be an integer >= ${min}, got ${v}`);
  return v;
}
