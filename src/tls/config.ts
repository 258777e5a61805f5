/**
 * Engine configuration shared by both roles. Option names follow Node's `tls` where the
 * concept is the same (`servername`, `ALPNProtocols`, `cert`, `key`).
 */
import { CipherSuite, NamedGroup } from './constants.js';
import type { CryptoProvider } from './crypto/provider.js';
import type { Extension } from './messages/types.js';
import { TlsMisuseError } from './errors.js';
import { nobleProvider } from './crypto/noble.js';
import { nodeProvider } from './crypto/node.js';
import { cipherSuiteInfo } from './suites.js';

/** True on Node itself (not on Bun or Deno, which imitate parts of node:crypto). */
const ON_NODE =
  typeof globalThis.process?.versions?.node === 'string' && !('Bun' in globalThis) && !('Deno' in globalThis);

/**
 * The provider used when none is configured: {@link nodeProvider} (node:crypto, OpenSSL) on
 * Node, for speed; {@link nobleProvider} (pure JavaScript) anywhere else.
 */
export function defaultProvider(): CryptoProvider {
  return ON_NODE ? nodeProvider : nobleProvider;
}

/** Options common to clients and servers. */
export interface CommonConfig {
  /**
   * Cryptographic primitives. Default: `nodeProvider` (node:crypto) when running on Node,
   * `nobleProvider` (pure JavaScript) elsewhere; see {@link defaultProvider}. Either gives the
   * same bytes on the wire for the same injected `random`.
   */
  provider?: CryptoProvider;
  /**
   * Randomness for hello randoms, ephemeral keys and signature salts; default the provider's.
   * Inject it for deterministic tests: with `random` given, everything the engine sends is a
   * pure function of its inputs (ECDSA then signs with RFC 6979 nonces even on the node
   * provider, which otherwise uses OpenSSL's random nonces).
   */
  random?: (n: number) => Uint8Array;
  /** Current time in milliseconds since the epoch; default `Date.now`. */
  now?: () => number;
  /** TLS 1.3 cipher suites in preference order; default AES-128-GCM, AES-256-GCM, ChaCha20-Poly1305. */
  cipherSuites?: readonly CipherSuite[];
  /** Key exchange groups in preference order; default x25519, secp256r1, secp384r1. */
  groups?: readonly NamedGroup[];
  /** ALPN protocol names, most preferred first (RFC 7301). */
  ALPNProtocols?: readonly string[];
  /**
   * The largest TLSInnerPlaintext we accept, advertised as record_size_limit (RFC 8449);
   * 64 to 16385, default 16385 (full-size records).
   */
  recordSizeLimit?: number;
  /** Bytes of decrypted plaintext held for the reader before input is refused; default 64 KiB. */
  maxPlaintextBuffer?: number;
  /**
   * Bytes of plaintext (held) plus ciphertext (not yet taken) at which write() stops accepting;
   * default 256 KiB. Record overhead (22 bytes a record) may take pending output slightly past it.
   */
  maxPendingWrite?: number;
  /** Largest handshake message accepted; default 64 KiB. */
  maxHandshakeMessage?: number;
  /** Receives NSS key log lines (`CLIENT_HANDSHAKE_TRAFFIC_SECRET <random> <secret>`), for Wireshark. */
  keyLog?: (line: string) => void;
  /**
   * Rewrites the extensions of an outgoing hello before it is sent (ClientHello for a client;
   * ServerHello, HelloRetryRequest and EncryptedExtensions for a server), for fingerprint control
   * and for reproducing recorded traces. The engine still checks the peer's answers against what
   * it really supports.
   */
  extensionHook?: (messageType: number, extensions: Extension[], helloRetry: boolean) => Extension[];
}

/** Defaults applied, validated. */
export interface ResolvedCommon {
  provider: CryptoProvider;
  random: (n: number) => Uint8Array;
  /** The caller's own `random`, if any: passed to signing keys, which must then be reproducible. */
  injectedRandom: ((n: number) => Uint8Array) | undefined;
  now: () => number;
  cipherSuites: readonly CipherSuite[];
  groups: readonly NamedGroup[];
  alpn: readonly string[];
  recordSizeLimit: number;
  maxPlaintextBuffer: number;
  maxPendingWrite: number;
  maxHandshakeMessage: number;
  keyLog: ((line: string) => void) | undefined;
  extensionHook: CommonConfig['extensionHook'];
}

/** Checks common options and fills in defaults; throws TlsMisuseError naming a bad option. */
export function resolveCommon(c: CommonConfig): ResolvedCommon {
  const provider = c.provider ?? defaultProvider();
  const cipherSuites = c.cipherSuites ?? [
    CipherSuite.TLS_AES_128_GCM_SHA256,
    CipherSuite.TLS_AES_256_GCM_SHA384,
    CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
  ];
  if (cipherSuites.length === 0) throw new TlsMisuseError('tls: cipherSuites is empty');
  for (const s of cipherSuites) if (!cipherSuiteInfo(s)) throw new TlsMisuseError(`tls: unsupported cipher suite 0x${s.toString(16)}`);
  const groups = c.groups ?? [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1];
  if (groups.length === 0) throw new TlsMisuseError('tls: groups is empty');
  for (const g of groups) if (!provider.keyExchange(g)) throw new TlsMisuseError(`tls: group 0x${g.toString(16)} is not supported by the ${provider.name} provider`);
  const alpn = c.ALPNProtocols ?? [];
  for (const p of alpn) {
    const n = new TextEncoder().encode(p).length;
    if (n < 1 || n > 255) throw new TlsMisuseError(`tls: ALPN protocol name ${JSON.stringify(p)} must be 1 to 255 bytes`);
  }
  const recordSizeLimit = c.recordSizeLimit ?? 16385;
  if (!Number.isInteger(recordSizeLimit) || recordSizeLimit < 64 || recordSizeLimit > 16385) {
    throw new TlsMisuseError(`tls: recordSizeLimit ${recordSizeLimit} outside 64..16385`);
  }
  return {
    provider,
    random: c.random ?? ((n) => provider.random(n)),
    injectedRandom: c.random,
    now: c.now ?? (() => Date.now()),
    cipherSuites,
    groups,
    alpn,
    recordSizeLimit,
    maxPlaintextBuffer: positive(c.maxPlaintextBuffer, 64 * 1024, 'maxPlaintextBuffer'),
    maxPendingWrite: positive(c.maxPendingWrite, 256 * 1024, 'maxPendingWrite'),
    maxHandshakeMessage: positive(c.maxHandshakeMessage, 64 * 1024, 'maxHandshakeMessage'),
    keyLog: c.keyLog,
    extensionHook: c.extensionHook,
  };
}

function positive(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1) throw new TlsMisuseError(`tls: ${name} must be a positive integer, got ${v}`);
  return v;
}
