/**
 * SHA-2 hashes and HMAC (RFC 2104) on @noble/hashes, shaped as the provider's {@link Hash}.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import { TlsMisuseError } from '../errors.js';
import type { Hash, HashContext, HashName } from './provider.js';

/** The noble hash function behind each name. */
const NOBLE = { sha256, sha384, sha512 } as const;

/** The structural part of a noble hash instance that this module uses. */
interface NobleHashState {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
  clone(): NobleHashState;
}

/** Wraps a running noble hash so that `clone()` yields an independent context. */
function context(state: NobleHashState): HashContext {
  return {
    update(data) {
      state.update(data);
    },
    digest() {
      return state.digest();
    },
    clone() {
      return context(state.clone());
    },
  };
}

/** The noble function for `name`; throws TlsMisuseError for a name the provider lacks. */
function nobleHash(name: HashName): (typeof NOBLE)[HashName] {
  const fn = NOBLE[name];
  if (fn === undefined) throw new TlsMisuseError(`tls: unsupported hash: ${String(name)}`);
  return fn;
}

/** The named SHA-2 function as a provider {@link Hash}. */
export function nobleHashOf(name: HashName): Hash {
  const fn = nobleHash(name);
  return {
    name,
    outputLength: fn.outputLen,
    create: () => context(fn.create()),
    digest: (data) => fn(data),
  };
}

/** HMAC (RFC 2104) of `data` under `key` with the named SHA-2 function. */
export function nobleHmac(name: HashName, key: Uint8Array, data: Uint8Array): Uint8Array {
  return hmac(nobleHash(name), key, data);
}
