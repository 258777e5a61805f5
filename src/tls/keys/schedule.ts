/**
 * The TLS 1.3 key schedule of one connection (RFC 8446 section 7.1): Early Secret, then
 * Handshake Secret, then Master Secret, and the secrets Derive-Secret takes from each.
 *
 * ```
 *            0
 *            |
 *  PSK -> HKDF-Extract = Early Secret      early(psk?)
 *            |-- binder_key, c e traffic, e exp master
 *      Derive-Secret(., "derived", "")
 *            |
 * (EC)DHE -> HKDF-Extract = Handshake Secret   handshake(sharedSecret)
 *            |-- c hs traffic, s hs traffic
 *      Derive-Secret(., "derived", "")
 *            |
 *    0 -> HKDF-Extract = Master Secret     master()
 *            |-- c ap traffic, s ap traffic, exp master, res master
 * ```
 */
import type { CryptoProvider, HashName } from '../crypto/provider.js';
import { TlsMisuseError } from '../errors.js';
import { deriveSecret, hkdfExtract } from './hkdf.js';

/** Where a {@link KeySchedule} stands: which of the three secrets it currently holds. */
export type KeyScheduleStage = 'initial' | 'early' | 'handshake' | 'master' | 'destroyed';

/**
 * The key schedule of one connection (RFC 8446 section 7.1). It walks forward only:
 * `early()` → `handshake()` → `master()`; each derivation method may be called only while
 * the schedule holds the secret it derives from, and throws TlsMisuseError otherwise. When it
 * moves on, the previous secret is overwritten with zeros ("Once all the values which are to
 * be derived from a given secret have been computed, that secret SHOULD be erased", 7.1).
 *
 * Transcript hashes (`th`) are Transcript-Hash(Messages) as defined in RFC 8446 section 4.4.1,
 * computed by the caller over the messages the RFC names for each secret.
 *
 * A client offering several PSKs computes one Early Secret per PSK (7.1); it uses one
 * KeySchedule per candidate.
 */
export class KeySchedule {
  /** The output length of the schedule's hash (Hash.length in RFC 8446). */
  readonly hashLength: number;
  private readonly emptyHash: Uint8Array;
  private secret: Uint8Array | null = null;
  private current: KeyScheduleStage = 'initial';

  /** A schedule for `hash`, the hash of the negotiated cipher suite. */
  constructor(
    private readonly provider: CryptoProvider,
    readonly hash: HashName,
  ) {
    const h = provider.hash(hash);
    this.hashLength = h.outputLength;
    this.emptyHash = h.digest(new Uint8Array(0));
  }

  /** The current stage. */
  get stage(): KeyScheduleStage {
    return this.current;
  }

  /**
   * Early Secret = HKDF-Extract(0, PSK) (7.1). Without a PSK, the PSK is Hash.length zero
   * bytes ("if PSK is not in use, Early Secret will still be HKDF-Extract(0, 0)").
   * Allowed only at the start.
   */
  early(psk?: Uint8Array): void {
    this.expect('initial', 'early()');
    const ikm = psk ?? new Uint8Array(this.hashLength);
    this.secret = hkdfExtract(this.provider, this.hash, new Uint8Array(this.hashLength), ikm);
    this.current = 'early';
  }

  /**
   * binder_key = Derive-Secret(Early Secret, "ext binder" | "res binder", "") (7.1):
   * `'ext'` for an external PSK, `'res'` for a resumption PSK (section 4.2.11.2).
   */
  binderKey(kind: 'ext' | 'res'): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.need('early', 'binderKey()'), `${kind} binder`, this.emptyHash);
  }

  /** client_early_traffic_secret = Derive-Secret(Early Secret, "c e traffic", ClientHello) (7.1). */
  clientEarlyTrafficSecret(th: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.need('early', 'clientEarlyTrafficSecret()'), 'c e traffic', th);
  }

  /** early_exporter_master_secret = Derive-Secret(Early Secret, "e exp master", ClientHello) (7.1). */
  earlyExporterMasterSecret(th: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.need('early', 'earlyExporterMasterSecret()'), 'e exp master', th);
  }

  /**
   * Handshake Secret = HKDF-Extract(Derive-Secret(Early Secret, "derived", ""), (EC)DHE) (7.1).
   * `sharedSecret` is the (EC)DHE shared secret of section 7.4. Allowed only after `early()`;
   * erases the Early Secret.
   */
  handshake(sharedSecret: Uint8Array): void {
    const early = this.need('early', 'handshake()');
    const salt = deriveSecret(this.provider, this.hash, early, 'derived', this.emptyHash);
    this.secret = hkdfExtract(this.provider, this.hash, salt, sharedSecret);
    early.fill(0);
    salt.fill(0);
    this.current = 'handshake';
  }

  /** client_handshake_traffic_secret = Derive-Secret(Handshake Secret, "c hs traffic", ClientHello...ServerHello) (7.1). */
  clientHandshakeTrafficSecret(th: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.need('handshake', 'clientHandshakeTrafficSecret()'), 'c hs traffic', th);
  }

  /** server_handshake_traffic_secret = Derive-Secret(Handshake Secret, "s hs traffic", ClientHello...ServerHello) (7.1). */
  serverHandshakeTrafficSecret(th: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.need('handshake', 'serverHandshakeTrafficSecret()'), 's hs traffic', th);
  }

  /**
   * Master Secret = HKDF-Extract(Derive-Secret(Handshake Secret, "derived", ""), 0) (7.1).
   * Allowed only after `handshake()`; erases the Handshake Secret.
   */
  master(): void {
    const hs = this.need('handshake', 'master()');
    const salt = deriveSecret(this.provider, this.hash, hs, 'derived', this.emptyHash);
    this.secret = hkdfExtract(this.provider, this.hash, salt, new Uint8Array(this.hashLength));
    hs.fill(0);
    salt.fill(0);
    this.current = 'master';
  }

  /** client_application_traffic_secret_0 = Derive-Secret(Master Secret, "c ap traffic", ClientHello...server Finished) (7.1). */
  clientApplicationTrafficSecret(th: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.need('master', 'clientApplicationTrafficSecret()'), 'c ap traffic', th);
  }

  /** server_application_traffic_secret_0 = Derive-Secret(Master Secret, "s ap traffic", ClientHello...server Finished) (7.1). */
  serverApplicationTrafficSecret(th: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.need('master', 'serverApplicationTrafficSecret()'), 's ap traffic', th);
  }

  /** exporter_master_secret = Derive-Secret(Master Secret, "exp master", ClientHello...server Finished) (7.1). */
  exporterMasterSecret(th: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.need('master', 'exporterMasterSecret()'), 'exp master', th);
  }

  /** resumption_master_secret = Derive-Secret(Master Secret, "res master", ClientHello...client Finished) (7.1). */
  resumptionMasterSecret(th: Uint8Array): Uint8Array {
    return deriveSecret(this.provider, this.hash, this.need('master', 'resumptionMasterSecret()'), 'res master', th);
  }

  /** Overwrites the held secret with zeros; every later call throws TlsMisuseError. */
  destroy(): void {
    this.secret?.fill(0);
    this.secret = null;
    this.current = 'destroyed';
  }

  private expect(stage: KeyScheduleStage, what: string): void {
    if (this.current !== stage) throw new TlsMisuseError(`tls: key schedule: ${what} called in stage '${this.current}', needs '${stage}'`);
  }

  private need(stage: KeyScheduleStage, what: string): Uint8Array {
    this.expect(stage, what);
    return this.secret!;
  }
}

/** The per-secret derivations of traffic.ts, re-exported so that one import serves the engine. */
export { exportKeyingMaterial, finishedKey, finishedVerifyData, nextTrafficSecret, resumptionPsk, trafficKeys, type TrafficKeys } from './traffic.js';
