/**
 * Values derived from a single traffic or exporter secret: record protection keys
 * (RFC 8446 section 7.3), Finished and binder values (4.4.4, 4.2.11.2), key updates (7.2),
 * exported keying material (7.5) and resumption PSKs (4.6.1).
 */
import { utf8 } from '../codec/bytes.js';
import type { CryptoProvider, HashName } from '../crypto/provider.js';
import { TlsMisuseError } from '../errors.js';
import type { CipherSuiteInfo } from '../suites.js';
import { deriveSecret, hkdfExpandLabel } from './hkdf.js';

/** An AEAD key and the static IV its per-record nonces are made from (RFC 8446 section 5.3). */
export interface TrafficKeys {
  /** `[sender]_write_key`, `suite.keyLength` bytes. */
  readonly key: Uint8Array;
  /** `[sender]_write_iv`, `suite.ivLength` bytes. */
  readonly iv: Uint8Array;
}

/**
 * The record protection key and IV of a traffic secret (RFC 8446 section 7.3):
 * key = HKDF-Expand-Label(Secret, "key", "", key_length),
 * iv = HKDF-Expand-Label(Secret, "iv", "", iv_length).
 */
export function trafficKeys(p: CryptoProvider, suite: CipherSuiteInfo, secret: Uint8Array): TrafficKeys {
  const empty = new Uint8Array(0);
  return {
    key: hkdfExpandLabel(p, suite.hash, secret, 'key', empty, suite.keyLength),
    iv: hkdfExpandLabel(p, suite.hash, secret, 'iv', empty, suite.ivLength),
  };
}

/**
 * finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length)
 * (RFC 8446 section 4.4.4).
 */
export function finishedKey(p: CryptoProvider, hash: HashName, baseKey: Uint8Array): Uint8Array {
  return hkdfExpandLabel(p, hash, baseKey, 'finished', new Uint8Array(0), p.hash(hash).outputLength);
}

/**
 * Finished.verify_data = HMAC(finished_key, Transcript-Hash(Handshake Context, Certificate*,
 * CertificateVerify*)) (RFC 8446 section 4.4.4). `baseKey` is the sender's handshake traffic
 * secret (or, for post-handshake authentication, its application traffic secret). The same
 * computation with the binder_key as BaseKey and the partial-ClientHello hash gives a PSK
 * binder (section 4.2.11.2).
 */
export function finishedVerifyData(p: CryptoProvider, hash: HashName, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  const key = finishedKey(p, hash, baseKey);
  const mac = p.hmac(hash, key, transcriptHash);
  key.fill(0);
  return mac;
}

/**
 * application_traffic_secret_N+1 = HKDF-Expand-Label(application_traffic_secret_N,
 * "traffic upd", "", Hash.length) (RFC 8446 section 7.2, used on KeyUpdate).
 */
export function nextTrafficSecret(p: CryptoProvider, hash: HashName, secret: Uint8Array): Uint8Array {
  return hkdfExpandLabel(p, hash, secret, 'traffic upd', new Uint8Array(0), p.hash(hash).outputLength);
}

/**
 * TLS-Exporter(label, context_value, key_length) = HKDF-Expand-Label(Derive-Secret(Secret,
 * label, ""), "exporter", Hash(context_value), key_length) (RFC 8446 section 7.5).
 * `exporterSecret` is the exporter_master_secret (or the early_exporter_master_secret for
 * 0-RTT exporters). RFC 8446 section 7.5 makes "no context" and an empty context the same,
 * so an undefined `context` hashes the empty string. `label` is encoded as UTF-8 and gets
 * the `"tls13 "` prefix of HKDF-Expand-Label, so it may be at most 249 bytes.
 */
export function exportKeyingMaterial(
  p: CryptoProvider,
  hash: HashName,
  exporterSecret: Uint8Array,
  label: string,
  context: Uint8Array | undefined,
  length: number,
): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * p.hash(hash).outputLength) {
    throw new TlsMisuseError(`tls: exporter length ${length} outside 0..${255 * p.hash(hash).outputLength}`);
  }
  if (utf8(label).length === 0) throw new TlsMisuseError('tls: exporter label is empty');
  const h = p.hash(hash);
  const secret = deriveSecret(p, hash, exporterSecret, label, h.digest(new Uint8Array(0)));
  const out = hkdfExpandLabel(p, hash, secret, 'exporter', h.digest(context ?? new Uint8Array(0)), length);
  secret.fill(0);
  return out;
}

/**
 * The PSK of a NewSessionTicket: HKDF-Expand-Label(resumption_master_secret, "resumption",
 * ticket_nonce, Hash.length) (RFC 8446 section 4.6.1).
 */
export function resumptionPsk(p: CryptoProvider, hash: HashName, resumptionMasterSecret: Uint8Array, ticketNonce: Uint8Array): Uint8Array {
  return hkdfExpandLabel(p, hash, resumptionMasterSecret, 'resumption', ticketNonce, p.hash(hash).outputLength);
}
