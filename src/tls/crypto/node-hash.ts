/**
 * SHA-2 hashes and HMAC (RFC 2104) on node:crypto, shaped as the provider's {@link Hash}.
 * `Hash.copy()` gives the independent contexts that transcript hashes need mid-handshake.
 */
import { createHash, createHmac, type Hash as NodeHashState } from 'node:crypto';
import { TlsMisuseError } from '../errors.js';
import { u8 } from './node-bytes.js';
import type { Hash, HashContext, HashName } from './provider.js';

/** Digest length of each hash, in bytes. */
const OUTPUT_LENGTH: Record<HashName, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** Throws TlsMisuseError for a name the provider lacks. */
function checkName(name: HashName): void {
  if (!Object.hasOwn(OUTPUT_LENGTH, name)) throw new TlsMisuseError(`tls: unsupported hash: ${String(name)}`);
}

/** Wraps a running node:crypto hash so that `clone()` yields an independent context. */
function context(state: NodeHashState): HashContext {
  return {
    update(data) {
      state.update(data);
    },
    digest() {
      return u8(state.digest());
    },
    clone() {
      return context(state.copy());
    },
  };
}

/** The named SHA-2 function on node:crypto as a provider {@link Hash}. */
export function nodeHashOf(name: HashName): Hash {
  checkName(name);
  return {
    name,
    outputLength: OUTPUT_LENGTH[name],
    create: () => context(createHash(name)),
    digest: (data) => u8(createHash(name).update(data).digest()),
  };
}

/** HMAC (RFC 2104) of `data` under `key` with the named SHA-2 function, on node:crypto. */
export function nodeHmac(name: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  checkName(name);
  return u8(createHmac(name, key).update(data).digest());
}
