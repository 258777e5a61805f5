/**
 * HKDF (RFC 5869) and the two TLS 1.3 functions built on it, HKDF-Expand-Label and
 * Derive-Secret (RFC 8446 section 7.1). Every primitive comes from the {@link CryptoProvider},
 * so these functions are synchronous and provider-agnostic.
 */
import { concat, utf8 } from '../codec/bytes.js';
import type { CryptoProvider, HashName } from '../crypto/provider.js';
import { TlsMisuseError } from '../errors.js';

/** The prefix RFC 8446 section 7.1 puts in front of every HkdfLabel.label. */
const LABEL_PREFIX = utf8('tls13 ');

/**
 * HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 section 2.2). An empty `salt` is
 * replaced by HashLen zero bytes, as the RFC specifies for a salt that is "not provided" (the
 * HMAC result is the same either way).
 */
export function hkdfExtract(p: CryptoProvider, hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  const key = salt.length === 0 ? new Uint8Array(p.hash(hash).outputLength) : salt;
  return p.hmac(hash, key, ikm);
}

/**
 * HKDF-Expand(PRK, info, L) (RFC 5869 section 2.3): `length` bytes of output keying material.
 * Throws TlsMisuseError when `length` is not an integer in 0..255*HashLen or when `prk` is
 * shorter than HashLen.
 */
export function hkdfExpand(p: CryptoProvider, hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hashLen = p.hash(hash).outputLength;
  if (!Number.isInteger(length) || length < 0 || length > 255 * hashLen) {
    throw new TlsMisuseError(`tls: HKDF-Expand length ${length} outside 0..${255 * hashLen} for ${hash}`);
  }
  if (prk.length < hashLen) throw new TlsMisuseError(`tls: HKDF-Expand PRK of ${prk.length} bytes is shorter than ${hash}'s ${hashLen}`);
  const out = new Uint8Array(length);
  let prev: Uint8Array = new Uint8Array(0);
  // T(i) = HMAC-Hash(PRK, T(i-1) | info | i), i = 1..N; OKM = first L octets of T(1) | T(2) | ...
  for (let i = 1, at = 0; at < length; i++) {
    prev = p.hmac(hash, prk, concat(prev, info, Uint8Array.of(i)));
    out.set(prev.subarray(0, Math.min(prev.length, length - at)), at);
    at += prev.length;
  }
  return out;
}

/**
 * HKDF-Expand-Label(Secret, Label, Context, Length) (RFC 8446 section 7.1): HKDF-Expand with
 * info = HkdfLabel { uint16 length; opaque label<7..255> = "tls13 " + Label;
 * opaque context<0..255> = Context }. `label` is given without the `"tls13 "` prefix (for
 * example `'c hs traffic'`) and is encoded as UTF-8 (the RFC's labels are ASCII).
 * Throws TlsMisuseError when a field does not fit its HkdfLabel bounds.
 */
export function hkdfExpandLabel(
  p: CryptoProvider,
  hash: HashName,
  secret: Uint8Array,
  label: string,
  context: Uint8Array,
  length: number,
): Uint8Array {
  const labelBytes = utf8(label);
  const fullLabel = LABEL_PREFIX.length + labelBytes.length;
  if (fullLabel < 7 || fullLabel > 255) throw new TlsMisuseError(`tls: HKDF label "tls13 ${label}" is ${fullLabel} bytes, outside 7..255`);
  if (context.length > 255) throw new TlsMisuseError(`tls: HKDF context of ${context.length} bytes exceeds 255`);
  if (!Number.isInteger(length) || length < 0 || length > 0xffff) throw new TlsMisuseError(`tls: HKDF-Expand-Label length ${length} outside 0..65535`);
  const info = new Uint8Array(2 + 1 + fullLabel + 1 + context.length);
  let at = 0;
  info[at++] = length >>> 8;
  info[at++] = length & 0xff;
  info[at++] = fullLabel;
  info.set(LABEL_PREFIX, at);
  at += LABEL_PREFIX.length;
  info.set(labelBytes, at);
  at += labelBytes.length;
  info[at++] = context.length;
  info.set(context, at);
  return hkdfExpand(p, hash, secret, info, length);
}

/**
 * Derive-Secret(Secret, Label, Messages) = HKDF-Expand-Label(Secret, Label,
 * Transcript-Hash(Messages), Hash.length) (RFC 8446 section 7.1). Unlike the RFC's notation
 * this takes the transcript hash itself, not the messages: callers keep a running hash. For
 * `""` (no messages) pass the hash of the empty string.
 */
export function deriveSecret(
  p: CryptoProvider,
  hash: HashName,
  secret: Uint8Array,
  label: string,
  transcriptHash: Uint8Array,
): Uint8Array {
  const hashLen = p.hash(hash).outputLength;
  if (transcriptHash.length !== hashLen) {
    throw new TlsMisuseError(`tls: Derive-Secret "${label}" given a ${transcriptHash.length}-byte transcript hash, ${hash} needs ${hashLen}`);
  }
  return hkdfExpandLabel(p, hash, secret, label, transcriptHash, hashLen);
}
