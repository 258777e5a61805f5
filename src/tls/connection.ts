/**
 * The part of a TLS 1.3 connection both roles share: the record layer plumbing, alerts,
 * change_cipher_spec rules, key changes, KeyUpdate, close_notify and the bounded plaintext
 * buffers. Synchronous and free of I/O: bytes go in through {@link TlsConnection.feed} and
 * come out of {@link TlsConnection.takeOutput}.
 */
import { AlertDescription, ContentType, HandshakeType, KeyUpdateRequest, MAX_PLAINTEXT, nameOf } from './constants.js';
import type { CryptoProvider } from './crypto/provider.js';
import type { ResolvedCommon } from './config.js';
import { TlsAlertError, TlsError, TlsMisuseError, TlsProtocolError, TlsTruncationError, decodeError, unexpectedMessage } from './errors.js';
import { RecordDeframer, type RawRecord } from './record/deframer.js';
import { RecordDecrypter, RecordEncrypter } from './record/protection.js';
import { encodePlaintextRecord } from './record/plaintext.js';
import { HandshakeReassembler, encodeHandshake } from './messages/handshake.js';
import { decodeKeyUpdate, encodeKeyUpdate } from './messages/key-update.js';
import type { CipherSuiteInfo } from './suites.js';
import { exportKeyingMaterial, nextTrafficSecret } from './keys/schedule.js';
import { toHex } from './codec/bytes.js';
import type { SessionInfo, TlsEvent } from './session.js';

/** KeyUpdates accepted in a row with no application data between them (flood guard). */
const MAX_KEY_UPDATES_IN_A_ROW = 32;
/** change_cipher_spec records tolerated during one handshake (RFC 8446 section 5). */
const MAX_CCS_RECORDS = 4;
/** Records sealed under one key before we update it ourselves (RFC 8446 section 5.5 limits AES-GCM to 2^24.5). */
const AUTO_KEY_UPDATE_RECORDS = 1 << 23;
/**
 * Messages after which the receiving keys change (every setReadSecret follows one of these),
 * so nothing may follow them in their record (RFC 8446 section 5.1).
 */
const KEY_CHANGING = new Set<number>([
  HandshakeType.client_hello, HandshakeType.server_hello, HandshakeType.end_of_early_data, HandshakeType.finished, HandshakeType.key_update,
]);

/** A connection's traffic direction keys and the secret they came from. */
interface Direction<T> {
  cipher: T;
  secret: Uint8Array;
}

/**
 * A TLS 1.3 connection, either role. Subclasses drive the handshake; this class owns every
 * byte buffer, and keeps each bounded: at most one partial record in, `maxPlaintextBuffer`
 * of decrypted plaintext, `maxPendingWrite` of pending output.
 */
export abstract class TlsConnection {
  /** The role of this end. */
  abstract readonly role: 'client' | 'server';
  protected readonly cfg: ResolvedCommon;
  protected readonly provider: CryptoProvider;
  protected readonly handshakeIn: HandshakeReassembler;
  private readonly deframer = new RecordDeframer();

  private decrypter: Direction<RecordDecrypter> | undefined;
  private encrypter: Direction<RecordEncrypter> | undefined;
  private trafficSuite: CipherSuiteInfo | undefined;
  private exporterSecret: Uint8Array | undefined;

  private out: Uint8Array[] = [];
  private outBytes = 0;
  private handshakeOut: Uint8Array[] = [];
  private plainIn: Uint8Array[] = [];
  private plainInBytes = 0;
  private plainOut: Uint8Array[] = [];
  private plainOutBytes = 0;
  private events: TlsEvent[] = [];

  private error: TlsError | undefined;
  private established = false;
  private gotCloseNotify = false;
  private closeRequested = false;
  private sentCloseNotify = false;
  private keyUpdatesInARow = 0;
  private ccsSeen = 0;
  private earlyDataSkip = 0;
  /** Server: bytes of 0-RTT data still acceptable, while reading accepted early data. */
  private earlyReadBudget: number | undefined;
  /** Client: bytes of 0-RTT data still sendable, and copies of what was sent, while writing early data. */
  private earlyWrite: { budget: number; sent: Uint8Array[] } | undefined;
  /** Whether a plaintext change_cipher_spec may be dropped now (RFC 8446 section 5). */
  protected ccsAllowed = false;
  /** The peer's record_size_limit (RFC 8449): the largest TLSInnerPlaintext it accepts. */
  protected peerRecordSizeLimit = MAX_PLAINTEXT + 1;
  /**
   * The largest TLSInnerPlaintext we accept: our configured record_size_limit once the peer
   * has shown it supports the extension (RFC 8449 section 4), the protocol maximum until then.
   */
  protected ownRecordSizeLimit = MAX_PLAINTEXT + 1;
  /** What was negotiated, once the handshake is done. */
  protected sessionInfo: SessionInfo | undefined;
  /** The ClientHello.random, for key log lines. */
  protected clientRandom: Uint8Array = new Uint8Array(32);

  protected constructor(cfg: ResolvedCommon) {
    this.cfg = cfg;
    this.provider = cfg.provider;
    this.handshakeIn = new HandshakeReassembler({ maxMessageSize: cfg.maxHandshakeMessage });
  }

  // ------------------------------------------------------------------ public API

  /**
   * Hands ciphertext from the transport to the engine. Returns how many bytes were taken:
   * fewer than given when the decrypted-plaintext buffer is full (call again after
   * {@link read}). Throws a TlsError when the input is invalid; the alert for the peer is then
   * queued in the output, and every later call throws the same error.
   */
  feed(data: Uint8Array): number {
    this.throwIfFailed();
    let off = 0;
    try {
      while (off < data.length) {
        if (this.gotCloseNotify) return data.length; // RFC 8446 section 6.1: data after close_notify is ignored
        if (this.plainInBytes >= this.cfg.maxPlaintextBuffer) break;
        off += this.deframer.push(data.subarray(off));
        const rec = this.deframer.take();
        if (rec) this.processRecord(rec);
      }
      this.flushHandshake();
    } catch (e) {
      throw this.fail(e);
    }
    return off;
  }

  /**
   * The transport reached end of stream. Fine after the peer's close_notify; otherwise the
   * data may have been cut short, and this throws (and keeps) a TlsTruncationError.
   */
  feedEnd(): void {
    this.throwIfFailed();
    if (this.gotCloseNotify) return;
    const what = this.deframer.buffered > 0 ? `inside a record (${this.deframer.buffered} bytes of it held)` : 'without close_notify';
    throw this.fail(new TlsTruncationError(`tls: transport closed ${what}; data may be truncated`));
  }

  /** True while the engine would take more input: no error, no close_notify, plaintext buffer not full. */
  get wantsInput(): boolean {
    return !this.error && !this.gotCloseNotify && this.plainInBytes < this.cfg.maxPlaintextBuffer;
  }

  /** The next chunk of ciphertext to send, or null when nothing is queued. */
  takeOutput(): Uint8Array | null {
    const c = this.out.shift();
    if (!c) return null;
    this.outBytes -= c.length;
    return c;
  }

  /** Bytes of ciphertext queued for the transport. */
  get pendingOutput(): number {
    return this.outBytes;
  }

  /**
   * Queues plaintext for the peer. Before the handshake completes it is held; after, it is
   * encrypted at once. Returns how many bytes were accepted: fewer than given when plaintext
   * held plus ciphertext untaken reach `maxPendingWrite`.
   */
  write(data: Uint8Array): number {
    this.throwIfFailed();
    if (this.closeRequested) throw new TlsMisuseError('tls: write after closeWrite()');
    const room = this.cfg.maxPendingWrite - this.outBytes - this.plainOutBytes;
    const n = Math.max(0, Math.min(room, data.length));
    if (n === 0) return 0;
    const chunk = data.subarray(0, n);
    try {
      if (this.established) this.sealApplicationData(chunk);
      else if (this.earlyWrite && this.plainOutBytes === 0) this.sendEarlyOrHold(chunk);
      else {
        this.plainOut.push(chunk.slice());
        this.plainOutBytes += n;
      }
    } catch (e) {
      throw this.fail(e);
    }
    return n;
  }

  /**
   * Client: bytes {@link write} would still send as 0-RTT early data now (before the
   * handshake completes); 0 when early data is not on offer or its limit is reached.
   */
  get earlyDataRoom(): number {
    return this.earlyWrite && !this.error && !this.closeRequested ? Math.max(0, this.earlyWrite.budget - this.plainOutBytes) : 0;
  }

  /** Room left for {@link write}, in bytes. */
  get writableBytes(): number {
    if (this.error || this.closeRequested) return 0;
    return Math.max(0, this.cfg.maxPendingWrite - this.outBytes - this.plainOutBytes);
  }

  /**
   * The next chunk of decrypted plaintext, at most `max` bytes, or null when none is buffered.
   * The chunk is a view the engine will not touch again.
   */
  read(max = Infinity): Uint8Array | null {
    const c = this.plainIn[0];
    if (!c) return null;
    if (c.length <= max) {
      this.plainIn.shift();
      this.plainInBytes -= c.length;
      return c;
    }
    const head = c.subarray(0, max);
    this.plainIn[0] = c.subarray(max);
    this.plainInBytes -= max;
    return head;
  }

  /** Bytes of decrypted plaintext waiting for {@link read}. */
  get readableBytes(): number {
    return this.plainInBytes;
  }

  /**
   * Closes our sending direction: queues close_notify after any pending plaintext (at once if
   * the handshake is done, else when it completes). The receiving direction stays open
   * (TLS 1.3 half-close, RFC 8446 section 6.1).
   */
  closeWrite(): void {
    this.throwIfFailed();
    if (this.closeRequested) return;
    this.closeRequested = true;
    if (this.established) this.sendCloseNotify();
  }

  /**
   * Sends a KeyUpdate and switches to the next sending key (RFC 8446 section 4.6.3); with
   * `requestPeer`, asks the peer to update its sending key too.
   */
  updateKeys(requestPeer = false): void {
    this.throwIfFailed();
    if (!this.established) throw new TlsMisuseError('tls: updateKeys() before the handshake completed');
    if (this.sentCloseNotify) throw new TlsMisuseError('tls: updateKeys() after closeWrite()');
    this.sendKeyUpdate(requestPeer ? KeyUpdateRequest.update_requested : KeyUpdateRequest.update_not_requested);
  }

  /**
   * Keying material exported from the connection (RFC 8446 section 7.5), with Node's argument
   * order.
   */
  exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Uint8Array {
    this.throwIfFailed();
    if (!this.established || !this.exporterSecret || !this.trafficSuite) throw new TlsMisuseError('tls: exportKeyingMaterial() before the handshake completed');
    return exportKeyingMaterial(this.provider, this.trafficSuite.hash, this.exporterSecret, label, context, length);
  }

  /** Events since the last call, oldest first. */
  takeEvents(): TlsEvent[] {
    const e = this.events;
    this.events = [];
    return e;
  }

  /** True once the handshake is complete in both directions for this end. */
  get handshakeComplete(): boolean {
    return this.established;
  }

  /** The negotiated parameters, once the handshake is complete. */
  get session(): SessionInfo | undefined {
    return this.sessionInfo;
  }

  /** True once the peer's close_notify arrived: no more plaintext will come. */
  get peerClosed(): boolean {
    return this.gotCloseNotify;
  }

  /** True once our close_notify is queued. */
  get writeClosed(): boolean {
    return this.sentCloseNotify;
  }

  /** The error that ended the connection, if any. */
  get failure(): TlsError | undefined {
    return this.error;
  }

  /**
   * Ends the connection from the application's side and makes every later call throw
   * `reason`. By default it sends user_canceled followed by close_notify (RFC 8446 section
   * 6.1); a `reason` with another alert sends that alert as fatal; a TlsMisuseError sends
   * nothing.
   */
  abort(reason: TlsError = new TlsAlertError(AlertDescription.user_canceled, false, 'aborted by the application')): void {
    if (this.error) return;
    this.fail(reason);
  }

  // ------------------------------------------------------------ for the roles

  /** Handles one complete handshake message (raw includes its 4-byte header). */
  protected abstract onHandshakeMessage(type: number, body: Uint8Array, raw: Uint8Array): void;

  /** Queues a handshake message (header included) for the current sending keys. */
  protected queueHandshake(raw: Uint8Array): void {
    this.handshakeOut.push(raw);
  }

  /** Frames queued handshake messages into records under the current sending keys. */
  protected flushHandshake(legacyRecordVersion = 0x0303): void {
    if (this.handshakeOut.length === 0) return;
    let total = 0;
    for (const m of this.handshakeOut) total += m.length;
    const all = new Uint8Array(total);
    let at = 0;
    for (const m of this.handshakeOut) {
      all.set(m, at);
      at += m.length;
    }
    this.handshakeOut = [];
    const max = this.maxRecordContent();
    for (let i = 0; i < all.length; i += max) {
      this.emitRecord(ContentType.handshake, all.subarray(i, Math.min(all.length, i + max)), legacyRecordVersion);
    }
  }

  /** Sends the middlebox-compatibility change_cipher_spec record (RFC 8446 appendix D.4). */
  protected sendChangeCipherSpec(): void {
    this.flushHandshake();
    this.pushOut(encodePlaintextRecord(ContentType.change_cipher_spec, Uint8Array.of(1)));
  }

  /** Switches the receiving direction to keys from `secret`. */
  protected setReadSecret(suite: CipherSuiteInfo, secret: Uint8Array): void {
    this.trafficSuite = suite;
    this.decrypter = {
      cipher: new RecordDecrypter(this.provider, suite, secret, this.ownRecordSizeLimit),
      secret,
    };
  }

  /** Switches the sending direction to keys from `secret`, after flushing what the old keys cover. */
  protected setWriteSecret(suite: CipherSuiteInfo, secret: Uint8Array): void {
    this.flushHandshake();
    this.trafficSuite = suite;
    this.encrypter = { cipher: new RecordEncrypter(this.provider, suite, secret), secret };
  }

  /** The secret the current receiving keys came from (the client_application_traffic_secret_N of post-handshake Finished). */
  protected get readSecret(): Uint8Array {
    return this.decrypter!.secret;
  }

  /** The secret the current sending keys came from. */
  protected get writeSecret(): Uint8Array {
    return this.encrypter!.secret;
  }

  /**
   * Client: starts 0-RTT (RFC 8446 section 4.2.10) under the early keys just set for sending:
   * held plaintext, then what is written until {@link endEarlyWrite}, goes out as early data,
   * up to `limit` bytes.
   */
  protected startEarlyWrite(limit: number): void {
    this.earlyWrite = { budget: limit, sent: [] };
    const held = this.plainOut;
    this.plainOut = [];
    this.plainOutBytes = 0;
    for (const c of held) this.sendEarlyOrHold(c);
  }

  /**
   * Client: ends 0-RTT. When the server rejected it, what was sent early goes back in front of
   * the held plaintext, to be sent again once the handshake completes: the peer application
   * sees it once either way. Returns the bytes put back.
   */
  protected endEarlyWrite(accepted: boolean): number {
    const w = this.earlyWrite;
    if (!w) return 0;
    this.earlyWrite = undefined;
    if (accepted || w.sent.length === 0) return 0;
    let bytes = 0;
    for (const c of w.sent) bytes += c.length;
    this.plainOutBytes += bytes;
    this.plainOut = [...w.sent, ...this.plainOut];
    return bytes;
  }

  /**
   * Sends as much of `c` as the 0-RTT budget allows; holds the rest for after the handshake
   * (once something is held, the budget is spent, so order is kept).
   */
  /** Client: bytes sent as 0-RTT data so far (while early data is on). */
  protected get earlyBytesSent(): number {
    let n = 0;
    for (const c of this.earlyWrite?.sent ?? []) n += c.length;
    return n;
  }

  private sendEarlyOrHold(c: Uint8Array): void {
    const n = Math.min(c.length, this.earlyWrite!.budget);
    if (n > 0) this.sendEarly(c.subarray(0, n));
    if (n < c.length) {
      this.plainOut.push(c.slice(n));
      this.plainOutBytes += c.length - n;
    }
  }

  private sendEarly(data: Uint8Array): void {
    const w = this.earlyWrite!;
    w.budget -= data.length;
    w.sent.push(data.slice());
    this.flushHandshake();
    const max = this.maxRecordContent();
    for (let i = 0; i < data.length; i += max) this.emitRecord(ContentType.application_data, data.subarray(i, Math.min(data.length, i + max)));
  }

  /** Server: accepts up to `limit` bytes of 0-RTT application data under the current read keys. */
  protected acceptEarlyData(limit: number): void {
    this.earlyReadBudget = limit;
  }

  /** Server: the client's EndOfEarlyData arrived; no more early data. */
  protected endEarlyRead(): void {
    this.earlyReadBudget = undefined;
  }

  /** Replaces the reported session (after post-handshake authentication). */
  protected updateSession(session: SessionInfo): void {
    this.sessionInfo = session;
  }

  /**
   * Client: back to unprotected records for the second ClientHello after 0-RTT was sent under
   * early keys (RFC 8446 section 4.1.4: early data is then abandoned).
   */
  protected clearWriteSecret(): void {
    this.flushHandshake();
    this.encrypter = undefined;
  }

  /** Records the exporter master secret. */
  protected setExporterSecret(secret: Uint8Array): void {
    this.exporterSecret = secret;
  }

  /** Writes an NSS key log line when key logging is on. */
  protected keyLog(label: string, secret: Uint8Array): void {
    if (this.cfg.keyLog) this.cfg.keyLog(`${label} ${toHex(this.clientRandom)} ${toHex(secret)}`);
  }

  /** Marks the handshake complete, releases held plaintext and a pending close. */
  protected completeHandshake(session: SessionInfo): void {
    this.flushHandshake();
    this.established = true;
    this.ccsAllowed = false;
    this.sessionInfo = session;
    this.events.push({ type: 'handshake', session });
    const held = this.plainOut;
    this.plainOut = [];
    this.plainOutBytes = 0;
    for (const c of held) this.sealApplicationData(c);
    if (this.closeRequested) this.sendCloseNotify();
  }

  /** Reports an event to the application. */
  protected emit(event: TlsEvent): void {
    this.events.push(event);
  }

  /** Handles a post-handshake KeyUpdate (RFC 8446 section 4.6.3). */
  protected onKeyUpdate(body: Uint8Array): void {
    const ku = decodeKeyUpdate(body);
    if (++this.keyUpdatesInARow > MAX_KEY_UPDATES_IN_A_ROW) {
      throw unexpectedMessage(`more than ${MAX_KEY_UPDATES_IN_A_ROW} KeyUpdates with no data between them`);
    }
    const d = this.decrypter!;
    const next = nextTrafficSecret(this.provider, this.trafficSuite!.hash, d.secret);
    this.setReadSecret(this.trafficSuite!, next);
    this.emit({ type: 'keyUpdate', direction: 'read' });
    // Answer update_requested unless we can no longer send (RFC 8446 section 4.6.3).
    if (ku.requestUpdate === KeyUpdateRequest.update_requested && !this.sentCloseNotify) {
      this.sendKeyUpdate(KeyUpdateRequest.update_not_requested);
    }
  }

  // ------------------------------------------------------------------ internals

  /** Throws the error that ended the connection, if any. */
  protected throwIfFailed(): void {
    if (this.error) throw this.error;
  }

  private maxRecordContent(): number {
    // RFC 8449 section 4: in TLS 1.3 the limit counts the content type byte too.
    return Math.min(MAX_PLAINTEXT, this.peerRecordSizeLimit - (this.encrypter ? 1 : 0));
  }

  private pushOut(rec: Uint8Array): void {
    this.out.push(rec);
    this.outBytes += rec.length;
  }

  private emitRecord(type: ContentType, content: Uint8Array, legacyVersion = 0x0303): void {
    const e = this.encrypter;
    if (!e) {
      this.pushOut(encodePlaintextRecord(type, content, legacyVersion));
      return;
    }
    this.pushOut(e.cipher.seal(type, content));
    if (this.established && type === ContentType.application_data && e.cipher.sequence >= AUTO_KEY_UPDATE_RECORDS && !this.sentCloseNotify) {
      this.sendKeyUpdate(KeyUpdateRequest.update_not_requested);
    }
  }

  /**
   * Seals application data into records of the largest allowed size. When every record fits
   * under the current key, they are sealed back to back into one output chunk (one allocation,
   * one transport write); otherwise one at a time, so that the automatic KeyUpdate lands
   * between records.
   */
  private sealApplicationData(data: Uint8Array): void {
    const max = this.maxRecordContent();
    const e = this.encrypter!;
    const records = Math.ceil(data.length / max);
    if (records > 1 && e.cipher.sequence + records < AUTO_KEY_UPDATE_RECORDS) {
      this.pushOut(e.cipher.sealRecords(ContentType.application_data, data, max));
      return;
    }
    for (let i = 0; i < data.length; i += max) {
      this.emitRecord(ContentType.application_data, data.subarray(i, Math.min(data.length, i + max)));
    }
  }

  private sendKeyUpdate(request: number): void {
    this.flushHandshake();
    this.emitRecord(ContentType.handshake, encodeHandshake(HandshakeType.key_update, encodeKeyUpdate({ requestUpdate: request as 0 | 1 })));
    const e = this.encrypter!;
    this.setWriteSecret(this.trafficSuite!, nextTrafficSecret(this.provider, this.trafficSuite!.hash, e.secret));
    this.emit({ type: 'keyUpdate', direction: 'write' });
  }

  private sendCloseNotify(): void {
    if (this.sentCloseNotify) return;
    this.sentCloseNotify = true;
    this.flushHandshake();
    this.emitRecord(ContentType.alert, Uint8Array.of(1, AlertDescription.close_notify));
  }

  private processRecord(rec: RawRecord): void {
    if (rec.type === ContentType.change_cipher_spec) {
      // RFC 8446 section 5: an unencrypted 0x01 is dropped during the handshake; anything else is fatal.
      if (this.ccsAllowed && rec.fragment.length === 1 && rec.fragment[0] === 1 && ++this.ccsSeen <= MAX_CCS_RECORDS) return;
      throw unexpectedMessage('unexpected change_cipher_spec record');
    }
    let type: number = rec.type;
    let content = rec.fragment;
    if (this.earlyDataSkip > 0 && rec.type === ContentType.application_data) {
      const opened = this.openOrSkipEarlyData(rec);
      if (!opened) return;
      type = opened.type;
      content = opened.content;
    } else if (this.decrypter && !(rec.type === ContentType.alert && !this.established)) {
      if (rec.type !== ContentType.application_data) {
        throw unexpectedMessage(`unencrypted ${nameOf(ContentType, rec.type)} record after keys were set`);
      }
      const opened = this.decrypter.cipher.open(rec);
      type = opened.type;
      content = opened.content;
    } else if (rec.type === ContentType.application_data) {
      throw unexpectedMessage('application data before the handshake keys were set');
    }
    if (type !== ContentType.handshake && this.handshakeIn.hasPartial) {
      // RFC 8446 section 5.1: handshake messages must not be interleaved with other records.
      throw unexpectedMessage(`${nameOf(ContentType, type)} record inside a fragmented handshake message`);
    }
    switch (type) {
      case ContentType.handshake:
        return this.processHandshakeRecord(content);
      case ContentType.alert:
        return this.processAlert(content);
      case ContentType.application_data:
        return this.processApplicationData(content);
      default:
        throw unexpectedMessage(`unexpected ${nameOf(ContentType, type)} inner content type`);
    }
  }

  /**
   * While skipping a client's 0-RTT data we chose not to accept (RFC 8446 section 4.2.10):
   * returns null when `rec` is such a record and was dropped, else the record opened. Without
   * read keys (after a HelloRetryRequest) every application_data record is early data; with
   * handshake keys, a record that fails to decrypt is. The first record that decrypts ends
   * the skipping. A failed decryption does not advance the sequence number.
   */
  private openOrSkipEarlyData(rec: RawRecord): { type: number; content: Uint8Array } | null {
    if (this.decrypter) {
      try {
        const opened = this.decrypter.cipher.open(rec);
        this.earlyDataSkip = 0;
        return opened;
      } catch (e) {
        if (!(e instanceof TlsError) || e.alert !== AlertDescription.bad_record_mac) throw e;
      }
    }
    // Count the least plaintext the record can hold (RFC 8446 section 4.2.10 counts early data,
    // not its record overhead): the fragment less the content type byte and a 16-byte tag; at
    // least one byte a record, so that a flood of tiny records ends too.
    this.earlyDataSkip -= Math.max(1, rec.fragment.length - 17);
    if (this.earlyDataSkip < 0) throw unexpectedMessage('more skipped early data than allowed');
    return null;
  }

  /** Drops up to `limit` bytes of early data the client sends (see {@link openOrSkipEarlyData}). */
  protected skipEarlyData(limit: number): void {
    this.earlyDataSkip = limit;
  }

  private processHandshakeRecord(content: Uint8Array): void {
    this.handshakeIn.push(content);
    for (let m = this.handshakeIn.next(); m; m = this.handshakeIn.next()) {
      if (this.established && m.type !== HandshakeType.key_update) this.keyUpdatesInARow = 0;
      if (KEY_CHANGING.has(m.type) && (this.handshakeIn.hasPartial || this.handshakeIn.hasMessage)) {
        // Refuse before acting on it: answering first would send a flight the peer never earned.
        throw unexpectedMessage(`${nameOf(HandshakeType, m.type)} is not the last message of its record (RFC 8446 section 5.1)`);
      }
      this.onHandshakeMessage(m.type, m.body, m.raw);
    }
  }

  private processAlert(content: Uint8Array): void {
    // RFC 8446 section 5.1: alerts are never fragmented or coalesced.
    if (content.length !== 2) throw decodeError(`alert record of ${content.length} bytes, expected 2`);
    const desc = content[1]! as AlertDescription;
    if (desc === AlertDescription.close_notify) {
      this.gotCloseNotify = true;
      this.emit({ type: 'alert', alert: desc, fromPeer: true });
      this.emit({ type: 'peerClosed' });
      return;
    }
    if (desc === AlertDescription.user_canceled) {
      this.emit({ type: 'alert', alert: desc, fromPeer: true });
      return;
    }
    // RFC 8446 section 6.2: every other alert is fatal whatever its level.
    throw new TlsAlertError(desc, true);
  }

  private processApplicationData(content: Uint8Array): void {
    if (!this.established) {
      if (this.earlyReadBudget === undefined) throw unexpectedMessage('application data before the handshake completed');
      // RFC 8446 section 4.2.10: more than max_early_data_size is unexpected_message.
      this.earlyReadBudget -= content.length;
      if (this.earlyReadBudget < 0) throw unexpectedMessage('more 0-RTT data than max_early_data_size');
    }
    this.keyUpdatesInARow = 0;
    if (content.length === 0) return;
    this.plainIn.push(content);
    this.plainInBytes += content.length;
  }

  private fail(e: unknown): TlsError {
    if (this.error) return this.error;
    const err =
      e instanceof TlsError
        ? e
        : new TlsProtocolError(`tls: internal error: ${e instanceof Error ? e.message : String(e)}`, AlertDescription.internal_error);
    this.error = err;
    if (err instanceof TlsAlertError && err.fromPeer) {
      this.emit({ type: 'alert', alert: err.alert, fromPeer: true });
    } else if (!(err instanceof TlsMisuseError) && !(err instanceof TlsTruncationError)) {
      this.handshakeOut = [];
      try {
        if (err.alert === AlertDescription.user_canceled) {
          // RFC 8446 section 6.1: user_canceled is a warning, followed by close_notify.
          this.emitRecord(ContentType.alert, Uint8Array.of(1, AlertDescription.user_canceled));
          if (!this.sentCloseNotify) this.emitRecord(ContentType.alert, Uint8Array.of(1, AlertDescription.close_notify));
          this.sentCloseNotify = true;
        } else {
          this.emitRecord(ContentType.alert, Uint8Array.of(2, err.alert));
        }
        this.emit({ type: 'alert', alert: err.alert, fromPeer: false });
      } catch {
        // No keys to send it under: the alert is lost, the error stands.
      }
    }
    return err;
  }
}
