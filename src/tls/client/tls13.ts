/**
 * The TLS 1.3 client state machine (RFC 8446 section 2, figure 1; HelloRetryRequest per
 * section 4.1.4; resumption and 0-RTT per sections 2.2 and 2.3). Each handshake message is
 * checked against what the client offered; every failure is a TlsError carrying the alert
 * the RFC prescribes.
 */
import {
  AlertDescription, ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, PskKeyExchangeMode, SignatureScheme, nameOf,
} from '../constants.js';
import { equalBytes } from '../codec/bytes.js';
import { resolveCommon } from '../config.js';
import { TlsConnection } from '../connection.js';
import type { KeyShare, VerifyingKey } from '../crypto/provider.js';
import { TlsCertificateError, TlsMisuseError, TlsProtocolError, decodeError, illegalParameter, unexpectedMessage } from '../errors.js';
import { checkPeerExtensions } from '../handshake/extension-rules.js';
import { Transcript } from '../handshake/transcript.js';
import { OFFERED_SIGNATURE_SCHEMES } from '../handshake/verify.js';
import {
  checkCertificateVerify, checkPeerCertificate, chooseScheme, ownCertificateMessage, ownCertificateVerify, type CertificateKind,
} from '../handshake/peer-auth.js';
import { KeySchedule, finishedVerifyData, resumptionPsk } from '../keys/schedule.js';
import { encodeHandshake } from '../messages/handshake.js';
import { encodeClientHello } from '../messages/client-hello.js';
import { decodeServerHello } from '../messages/server-hello.js';
import { decodeEncryptedExtensions } from '../messages/encrypted-extensions.js';
import { decodeCertificate } from '../messages/certificate.js';
import { decodeCertificateRequest } from '../messages/certificate-request.js';
import { encodeEndOfEarlyData } from '../messages/end-of-early-data.js';
import { decodeFinished, encodeFinished } from '../messages/finished.js';
import { decodeNewSessionTicket } from '../messages/new-session-ticket.js';
import {
  CertificateType, decodeCertificateAuthorities, decodeCookie, decodeEarlyDataIndication, decodeKeyShareHelloRetryRequest, decodeMaxEarlyDataSize,
  decodeRecordSizeLimit, decodeSelectedAlpn, decodeSelectedCertificateType, decodeSelectedIdentity, decodeSignatureAlgorithms,
  decodeKeyShareServerHello, decodeSupportedVersionsServer, encodeAlpn, encodeCertificateTypes, encodeEarlyDataIndication, encodeKeyShareClientHello,
  encodePostHandshakeAuth, encodeSupportedVersionsClient, encodeCookie, encodeSupportedGroups, encodePskKeyExchangeModes, encodeRecordSizeLimit,
  encodeServerName, encodeSignatureAlgorithms, findExtension,
} from '../messages/index.js';
import type { CertificateRequest, Extension } from '../messages/types.js';
import { MAX_TICKET_LIFETIME, type StoredSession } from '../resumption/index.js';
import type { SessionInfo } from '../session.js';
import { cipherSuiteInfo, type CipherSuiteInfo } from '../suites.js';
import { clientIdentity, isIpAddress, resolveClient, type ClientConfig, type ResolvedClient } from './config.js';
import { pskExtension, pskOffers, writeBinders, type PskOffer } from './psk.js';

type State = 'wait_sh' | 'wait_ee' | 'wait_cert_cr' | 'wait_cert' | 'wait_cv' | 'wait_finished' | 'connected';

/**
 * A TLS 1.3 client connection. The ClientHello is queued on construction: call
 * `takeOutput()` and send it, then `feed()` what the server answers.
 *
 * @example
 * const tls = new TlsClient({ servername: 'example.com', pins: { spkiSha256: [pin] } });
 * socket.write(tls.takeOutput()!);
 */
export class TlsClient extends TlsConnection {
  /** This end's role. */
  readonly role = 'client' as const;
  private state: State = 'wait_sh';
  private readonly config: ClientConfig;
  private readonly client: ResolvedClient;
  private readonly rejectUnauthorized: boolean;
  private authorizationError: TlsCertificateError | undefined;
  private readonly servername: string | undefined;
  private readonly compat: boolean;
  private readonly transcript: Transcript;
  private readonly sessionId: Uint8Array;
  private shares: KeyShare[] = [];
  private offered = new Set<number>();
  private helloRetry = false;
  private hrrSuite: number | undefined;
  private cookie: Uint8Array | undefined;
  private ccsSent = false;
  private psks: PskOffer[] = [];
  private selectedPsk: PskOffer | undefined;
  /** The 0-RTT offer: sent early data under this suite (the ticket's). */
  private earlyOffer: { suite: CipherSuiteInfo; limit: number } | undefined;
  private earlyData: 'accepted' | 'rejected' | 'none' = 'none';
  /** Bytes of refused early data waiting to be sent again after a HelloRetryRequest. */
  private resendAfterRetry = 0;
  /** The ALPN protocol of the ticket our 0-RTT data was written for. */
  private earlyAlpn: string | undefined;
  /** The client certificate types we offered (RFC 7250), if any. */
  private offeredClientTypes: readonly number[] = [];
  /** The first ClientHello as sent, for the 0-RTT key (derived before the suite is known). */
  private firstHello: Uint8Array | undefined;
  private serverCertType: CertificateKind = 'x509';
  private clientCertType: CertificateKind = 'x509';

  private suite: CipherSuiteInfo | undefined;
  private schedule: KeySchedule | undefined;
  private group: number | undefined;
  private clientHandshakeSecret: Uint8Array | undefined;
  private serverHandshakeSecret: Uint8Array | undefined;
  private resumptionSecret: Uint8Array | undefined;
  private alpn: string | undefined;
  private certificateRequest: CertificateRequest | undefined;
  private peerChain: Uint8Array[] = [];
  private peerKey: VerifyingKey | undefined;
  private peerScheme: number | undefined;

  constructor(config: ClientConfig) {
    const cfg = resolveCommon(config);
    super(cfg);
    this.config = config;
    this.client = resolveClient(config);
    this.rejectUnauthorized = config.rejectUnauthorized ?? true;
    this.servername = config.servername;
    this.compat = config.middleboxCompat ?? true;
    this.transcript = new Transcript(cfg.provider);
    this.ccsAllowed = true;
    const count = config.keyShareCount ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > cfg.groups.length) {
      throw new TlsMisuseError(`tls: keyShareCount ${count} outside 1..${cfg.groups.length}`);
    }
    // Draw order (fixed, so injected randomness reproduces traces): key shares, random, session id.
    this.shares = cfg.groups.slice(0, count).map((g) => cfg.provider.keyExchange(g)!.generate(cfg.random));
    this.clientRandom = cfg.random(32);
    this.sessionId = this.compat ? cfg.random(32) : new Uint8Array(0);
    const now = cfg.now();
    // RFC 8446 section 4.6.1: resume only with the server name the session was made with.
    const stored = this.client.store?.take(this.client.sessionKey, now);
    const session = stored && stored.serverName === this.servername ? stored : undefined;
    this.psks = pskOffers(this.client, session, cfg.cipherSuites, now);
    const first = this.psks[0];
    if (this.client.earlyData && first?.session && first.session.maxEarlyData > 0 && (first.session.alpn === undefined || cfg.alpn[0] === first.session.alpn)) {
      // The copies kept for a re-send are bounded by maxPendingWrite, whatever the ticket allows.
      this.earlyOffer = { suite: cipherSuiteInfo(first.session.suite)!, limit: Math.min(first.session.maxEarlyData, cfg.maxPendingWrite) };
    }
    this.sendClientHello();
    this.flushHandshake(ProtocolVersion.TLS10); // RFC 8446 section 5.1: 0x0301 for the first ClientHello
    if (this.earlyOffer) this.startEarlyData(first!);
  }

  private sendClientHello(): void {
    const c = this.cfg;
    let exts: Extension[] = [];
    if (this.servername && !isIpAddress(this.servername)) exts.push({ type: ExtensionType.server_name, data: encodeServerName(this.servername) });
    exts.push({ type: ExtensionType.supported_groups, data: encodeSupportedGroups(c.groups) });
    exts.push({ type: ExtensionType.key_share, data: encodeKeyShareClientHello(this.shares.map((s) => ({ group: s.group, keyExchange: s.publicKey }))) });
    exts.push({ type: ExtensionType.supported_versions, data: encodeSupportedVersionsClient([ProtocolVersion.TLS13]) });
    exts.push({ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(OFFERED_SIGNATURE_SCHEMES) });
    if (this.cookie) exts.push({ type: ExtensionType.cookie, data: encodeCookie(this.cookie) });
    exts.push({ type: ExtensionType.psk_key_exchange_modes, data: encodePskKeyExchangeModes(this.client.pskModes) });
    if (c.alpn.length > 0) exts.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn(c.alpn) });
    exts.push({ type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(c.recordSizeLimit) });
    if (this.client.postHandshakeAuth) exts.push({ type: ExtensionType.post_handshake_auth, data: encodePostHandshakeAuth() });
    if (this.client.rawPublicKey) {
      // RFC 7250 section 4.1: the types we accept from the server, and can present, preferred first.
      exts.push({ type: ExtensionType.server_certificate_type, data: encodeCertificateTypes([CertificateType.RawPublicKey, CertificateType.X509]) });
      if (this.client.hasIdentity) {
        const types = this.config.cert === undefined && !this.config.selectCertificate ? [CertificateType.RawPublicKey] : [CertificateType.RawPublicKey, CertificateType.X509];
        exts.push({ type: ExtensionType.client_certificate_type, data: encodeCertificateTypes(types) });
        this.offeredClientTypes = types;
      }
    }
    if (this.earlyOffer && !this.helloRetry) exts.push({ type: ExtensionType.early_data, data: encodeEarlyDataIndication() });
    if (c.extensionHook) exts = c.extensionHook(HandshakeType.client_hello, exts, this.helloRetry);
    // RFC 8446 section 4.2.11: pre_shared_key goes last, after any rewriting.
    exts = exts.filter((e) => e.type !== ExtensionType.pre_shared_key);
    if (this.psks.length > 0) exts.push(pskExtension(this.psks, this.provider));
    this.offered = new Set(exts.map((e) => e.type));
    const body = encodeClientHello({
      legacyVersion: ProtocolVersion.TLS12,
      random: this.clientRandom,
      legacySessionId: this.sessionId,
      cipherSuites: [...c.cipherSuites],
      compressionMethods: Uint8Array.of(0),
      extensions: exts,
    });
    const raw = encodeHandshake(HandshakeType.client_hello, body);
    if (this.psks.length > 0) writeBinders(raw, this.psks, this.transcript, this.provider);
    this.firstHello ??= raw;
    this.transcript.add(raw);
    this.queueHandshake(raw);
  }

  /** Sends what was written so far as 0-RTT data under the first PSK's early keys (RFC 8446 section 4.2.10). */
  private startEarlyData(offer: PskOffer): void {
    const { suite, limit } = this.earlyOffer!;
    // Appendix D.4: with early data, the compatibility change_cipher_spec comes right after the first ClientHello.
    if (this.compat) this.sendCcsOnce();
    const ks = new KeySchedule(this.provider, suite.hash);
    ks.early(offer.psk);
    // The transcript itself waits for the server's choice of suite: a full handshake may use another hash.
    const early = ks.clientEarlyTrafficSecret(this.provider.hash(suite.hash).digest(this.firstHello!));
    ks.destroy();
    this.keyLog('CLIENT_EARLY_TRAFFIC_SECRET', early);
    this.setWriteSecret(suite, early);
    this.earlyData = 'rejected'; // until EncryptedExtensions says otherwise
    this.earlyAlpn = offer.session!.alpn;
    this.startEarlyWrite(limit);
  }

  protected onHandshakeMessage(type: number, body: Uint8Array, raw: Uint8Array): void {
    const expect = (t: number): void => {
      if (type !== t) throw unexpectedMessage(`expected ${nameOf(HandshakeType, t)} in state ${this.state}, got ${nameOf(HandshakeType, type)}`);
    };
    switch (this.state) {
      case 'wait_sh':
        expect(HandshakeType.server_hello);
        return this.onServerHello(body, raw);
      case 'wait_ee':
        expect(HandshakeType.encrypted_extensions);
        return this.onEncryptedExtensions(body, raw);
      case 'wait_cert_cr':
        if (type === HandshakeType.certificate_request) return this.onCertificateRequest(body, raw);
        expect(HandshakeType.certificate);
        return this.onCertificate(body, raw);
      case 'wait_cert':
        expect(HandshakeType.certificate);
        return this.onCertificate(body, raw);
      case 'wait_cv':
        expect(HandshakeType.certificate_verify);
        return this.onCertificateVerify(body, raw);
      case 'wait_finished':
        expect(HandshakeType.finished);
        return this.onFinished(body, raw);
      case 'connected':
        return this.onPostHandshake(type, body, raw);
    }
  }

  private onServerHello(body: Uint8Array, raw: Uint8Array): void {
    const sh = decodeServerHello(body);
    const sv = findExtension(sh.extensions, ExtensionType.supported_versions);
    // RFC 8446 section 4.1.3: without supported_versions the server negotiated TLS 1.2 or older.
    if (!sv) throw new TlsProtocolError('tls: server does not speak TLS 1.3 (no supported_versions in ServerHello)', AlertDescription.protocol_version);
    const version = decodeSupportedVersionsServer(sv);
    if (version !== ProtocolVersion.TLS13) throw illegalParameter(`server selected version 0x${version.toString(16)}, which was not offered`);
    if (sh.legacyVersion !== ProtocolVersion.TLS12) throw illegalParameter(`ServerHello legacy_version 0x${sh.legacyVersion.toString(16)}`);
    if (!equalBytes(sh.legacySessionId, this.sessionId)) throw illegalParameter('ServerHello legacy_session_id_echo differs from ours');
    if (sh.compressionMethod !== 0) throw illegalParameter(`ServerHello compression method ${sh.compressionMethod}`);
    const suite = cipherSuiteInfo(sh.cipherSuite);
    if (!suite || !this.cfg.cipherSuites.includes(suite.id)) throw illegalParameter(`server selected cipher suite 0x${sh.cipherSuite.toString(16)}, which was not offered`);
    if (this.hrrSuite !== undefined && this.hrrSuite !== suite.id) throw illegalParameter('ServerHello cipher suite differs from the HelloRetryRequest');
    if (sh.isHelloRetryRequest) return this.onHelloRetryRequest(sh.extensions, suite, raw);
    checkPeerExtensions('server_hello', sh.extensions, this.offered);

    const pskExt = findExtension(sh.extensions, ExtensionType.pre_shared_key);
    let psk: PskOffer | undefined;
    if (pskExt) {
      const index = decodeSelectedIdentity(pskExt);
      psk = this.psks[index];
      // RFC 8446 section 4.2.11: an index we did not offer, or a suite of another hash, is illegal_parameter.
      if (!psk) throw illegalParameter(`server selected PSK ${index}, of ${this.psks.length} offered`);
      if (psk.hash !== suite.hash) throw illegalParameter(`server selected a PSK for ${psk.hash} with a ${suite.hash} cipher suite`);
    } else if (this.client.verifier === undefined) {
      throw new TlsProtocolError('tls: the server did not accept our PSK, and no certificate verification is configured', AlertDescription.handshake_failure);
    }
    const ks = findExtension(sh.extensions, ExtensionType.key_share);
    let shared: Uint8Array | undefined;
    if (ks) {
      // RFC 8446 section 4.2.9: a server must not pick a PSK mode we did not list.
      if (psk && !this.client.pskModes.includes(PskKeyExchangeMode.psk_dhe_ke)) throw illegalParameter('server used psk_dhe_ke, which was not offered');
      const entry = decodeKeyShareServerHello(ks);
      const share = this.shares.find((s) => s.group === entry.group);
      if (!share) throw illegalParameter(`server key share for group ${nameOf(NamedGroup, entry.group)}, which has no share of ours`);
      shared = share.agree(entry.keyExchange);
      this.group = entry.group;
    } else if (!psk || !this.client.pskModes.includes(PskKeyExchangeMode.psk_ke)) {
      throw new TlsProtocolError('tls: ServerHello has no key_share (PSK-only key exchange was not offered)', AlertDescription.missing_extension);
    }

    this.suite = suite;
    this.selectedPsk = psk;
    this.transcript.start(suite.hash);
    this.transcript.add(raw);
    const ks2 = new KeySchedule(this.provider, suite.hash);
    ks2.early(psk?.psk);
    ks2.handshake(shared ?? new Uint8Array(ks2.hashLength));
    const th = this.transcript.current();
    this.clientHandshakeSecret = ks2.clientHandshakeTrafficSecret(th);
    this.serverHandshakeSecret = ks2.serverHandshakeTrafficSecret(th);
    this.schedule = ks2;
    this.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.clientHandshakeSecret);
    this.keyLog('SERVER_HANDSHAKE_TRAFFIC_SECRET', this.serverHandshakeSecret);
    this.setReadSecret(suite, this.serverHandshakeSecret);
    if (psk?.session) {
      this.peerChain = psk.session.peerCertificates.map((c) => c.slice());
      this.serverCertType = psk.session.certificateType;
    }
    this.state = 'wait_ee';
  }

  private onHelloRetryRequest(exts: readonly Extension[], suite: CipherSuiteInfo, raw: Uint8Array): void {
    // RFC 8446 section 4.1.4.
    if (this.helloRetry) throw unexpectedMessage('second HelloRetryRequest');
    checkPeerExtensions('hello_retry_request', exts, this.offered);
    const ks = findExtension(exts, ExtensionType.key_share);
    const cookie = findExtension(exts, ExtensionType.cookie);
    let group: number | undefined;
    if (ks) {
      group = decodeKeyShareHelloRetryRequest(ks);
      if (!this.cfg.groups.includes(group as NamedGroup)) throw illegalParameter(`HelloRetryRequest asks for group ${nameOf(NamedGroup, group)}, which was not offered`);
      if (this.shares.some((s) => s.group === group)) throw illegalParameter(`HelloRetryRequest asks for group ${nameOf(NamedGroup, group)}, which already has a share`);
    }
    if (group === undefined && !cookie) throw illegalParameter('HelloRetryRequest would not change the ClientHello');
    this.helloRetry = true;
    this.hrrSuite = suite.id;
    if (this.earlyOffer) {
      // 0-RTT is abandoned after a retry: back to plaintext records, early data to be sent again later.
      this.resendAfterRetry = this.endEarlyWrite(false);
      this.clearWriteSecret();
      this.earlyData = 'rejected';
      this.earlyOffer = undefined;
    }
    this.transcript.start(suite.hash);
    this.transcript.rewriteForHelloRetry();
    this.transcript.add(raw);
    // RFC 8446 section 4.1.4: keep only PSKs usable with the retry's suite.
    this.psks = this.psks.filter((p) => p.hash === suite.hash);
    if (cookie) this.cookie = decodeCookie(cookie);
    if (group !== undefined) this.shares = [this.provider.keyExchange(group as NamedGroup)!.generate(this.cfg.random)];
    if (this.compat) this.sendCcsOnce();
    this.sendClientHello();
  }

  private onEncryptedExtensions(body: Uint8Array, raw: Uint8Array): void {
    const ee = decodeEncryptedExtensions(body);
    checkPeerExtensions('encrypted_extensions', ee.extensions, this.offered);
    const sni = findExtension(ee.extensions, ExtensionType.server_name);
    if (sni && sni.length !== 0) throw decodeError('server_name acknowledgement in EncryptedExtensions must be empty');
    const alpn = findExtension(ee.extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpn) {
      const chosen = decodeSelectedAlpn(alpn);
      // RFC 7301 section 3.2: the server must choose one of the client's protocols.
      if (!this.cfg.alpn.includes(chosen)) throw illegalParameter(`server chose ALPN protocol ${JSON.stringify(chosen)}, which was not offered`);
      this.alpn = chosen;
    }
    const rsl = findExtension(ee.extensions, ExtensionType.record_size_limit);
    if (rsl) {
      this.peerRecordSizeLimit = Math.min(decodeRecordSizeLimit(rsl), 16385);
      this.ownRecordSizeLimit = this.cfg.recordSizeLimit;
    }
    const early = findExtension(ee.extensions, ExtensionType.early_data);
    if (early) {
      decodeEarlyDataIndication(early);
      // RFC 8446 section 4.2.10: acceptance is only valid for the first PSK, resumed with the ticket's suite and ALPN.
      const first = this.psks[0];
      if (this.selectedPsk !== first || this.suite!.id !== this.earlyOffer!.suite.id || this.alpn !== first!.session!.alpn) {
        throw illegalParameter('server accepted 0-RTT data for a different PSK, cipher suite or ALPN protocol');
      }
      this.earlyData = 'accepted';
    }
    const sct = findExtension(ee.extensions, ExtensionType.server_certificate_type);
    const cct = findExtension(ee.extensions, ExtensionType.client_certificate_type);
    // With a PSK no certificate follows: there is no certificate type to choose (RFC 7250 section 4.2).
    if ((sct || cct) && this.selectedPsk) throw illegalParameter('certificate type chosen in a PSK handshake, which has no certificates');
    if (sct) this.serverCertType = certificateKind(decodeSelectedCertificateType(sct), [CertificateType.RawPublicKey, CertificateType.X509], 'server');
    if (cct) this.clientCertType = certificateKind(decodeSelectedCertificateType(cct), this.offeredClientTypes, 'client');
    this.checkEarlyResend();
    this.transcript.add(raw);
    this.state = this.selectedPsk ? 'wait_finished' : 'wait_cert_cr';
  }

  private onCertificateRequest(body: Uint8Array, raw: Uint8Array): void {
    const cr = decodeCertificateRequest(body);
    // RFC 8446 section 4.3.2: the context is empty during the handshake.
    if (cr.context.length !== 0) throw illegalParameter('CertificateRequest context must be empty during the handshake');
    this.checkCertificateRequest(cr);
    this.certificateRequest = cr;
    this.transcript.add(raw);
    this.state = 'wait_cert';
  }

  private checkCertificateRequest(cr: CertificateRequest): void {
    checkPeerExtensions('certificate_request', cr.extensions, this.offered);
    if (!findExtension(cr.extensions, ExtensionType.signature_algorithms)) {
      throw new TlsProtocolError('tls: CertificateRequest without signature_algorithms', AlertDescription.missing_extension);
    }
  }

  private onCertificate(body: Uint8Array, raw: Uint8Array): void {
    const cert = decodeCertificate(body);
    if (cert.context.length !== 0) throw illegalParameter('server Certificate has a non-empty request context');
    // RFC 8446 section 4.4.2.4: an empty server Certificate is a decode_error.
    if (cert.entries.length === 0) throw decodeError('server sent an empty Certificate message');
    const peer = checkPeerCertificate(cert, {
      peer: 'server', kind: this.serverCertType, verifier: this.client.verifier!, reject: this.rejectUnauthorized,
      serverName: this.servername, now: this.cfg.now(), provider: this.provider,
    });
    this.peerChain = peer.chain;
    this.peerKey = peer.key;
    this.authorizationError = peer.authorizationError;
    this.transcript.add(raw);
    this.state = 'wait_cv';
  }

  private onCertificateVerify(body: Uint8Array, raw: Uint8Array): void {
    this.peerScheme = checkCertificateVerify(body, 'server', this.peerKey!, this.transcript.current());
    this.transcript.add(raw);
    this.state = 'wait_finished';
  }

  private onFinished(body: Uint8Array, raw: Uint8Array): void {
    const suite = this.suite!;
    const fin = decodeFinished(body);
    const expected = finishedVerifyData(this.provider, suite.hash, this.serverHandshakeSecret!, this.transcript.current());
    if (!equalBytes(fin.verifyData, expected)) throw new TlsProtocolError('tls: server Finished does not verify', AlertDescription.decrypt_error);
    this.transcript.add(raw);

    const schedule = this.schedule!;
    schedule.master();
    const th = this.transcript.current();
    const clientApp = schedule.clientApplicationTrafficSecret(th);
    const serverApp = schedule.serverApplicationTrafficSecret(th);
    const exporter = schedule.exporterMasterSecret(th);
    this.keyLog('CLIENT_TRAFFIC_SECRET_0', clientApp);
    this.keyLog('SERVER_TRAFFIC_SECRET_0', serverApp);
    this.keyLog('EXPORTER_SECRET', exporter);
    this.setExporterSecret(exporter);
    this.setReadSecret(suite, serverApp);

    if (this.earlyData === 'accepted') {
      // RFC 8446 section 4.5: EndOfEarlyData, under the early keys, ends 0-RTT.
      const eoed = encodeHandshake(HandshakeType.end_of_early_data, encodeEndOfEarlyData());
      this.transcript.add(eoed);
      this.queueHandshake(eoed);
    }
    this.endEarlyWrite(this.earlyData === 'accepted');
    if (this.compat) this.sendCcsOnce();
    this.setWriteSecret(suite, this.clientHandshakeSecret!);
    if (this.certificateRequest) this.answerCertificateRequest(this.certificateRequest, this.transcript, false);
    const mine = encodeHandshake(
      HandshakeType.finished,
      encodeFinished({ verifyData: finishedVerifyData(this.provider, suite.hash, this.clientHandshakeSecret!, this.transcript.current()) }),
    );
    this.transcript.add(mine);
    this.queueHandshake(mine);
    this.setWriteSecret(suite, clientApp);
    this.resumptionSecret = schedule.resumptionMasterSecret(this.transcript.current());
    this.state = 'connected';
    this.completeHandshake(this.describe());
  }

  /** Certificate and (when not empty) CertificateVerify answering `cr`, added to `transcript` and queued. */
  private answerCertificateRequest(cr: CertificateRequest, transcript: Transcript, postHandshake: boolean): void {
    const sa = findExtension(cr.extensions, ExtensionType.signature_algorithms)!;
    const schemes = decodeSignatureAlgorithms(sa);
    const ca = findExtension(cr.extensions, ExtensionType.certificate_authorities);
    // OpenSSL (-no_ca_names) sends an empty list, which RFC 8446 section 4.2.4 does not allow;
    // OpenSSL and Node clients read it as "no names", and so do we.
    const authorities = ca && !(ca.length === 2 && ca[0] === 0 && ca[1] === 0) ? decodeCertificateAuthorities(ca).map((n) => n.slice()) : [];
    // RFC 8446 section 4.4.2: a negotiated certificate type holds for post-handshake requests too.
    const kind: CertificateKind = this.clientCertType;
    let identity = clientIdentity(this.config, { authorities, signatureSchemes: schemes.map((s) => nameOf(SignatureScheme, s)), postHandshake }, this.provider);
    if (identity && kind === 'x509' && identity.chain.length === 0) identity = undefined;
    const scheme = identity ? chooseScheme(identity, schemes) : undefined;
    // RFC 8446 section 4.4.2: no suitable certificate, an empty Certificate message.
    const use = scheme === undefined ? undefined : identity;
    const cert = ownCertificateMessage(use, kind, cr.context);
    transcript.add(cert);
    this.queueHandshake(cert);
    if (use) {
      const cv = ownCertificateVerify(use, scheme!, 'client', transcript.current(), this.cfg.injectedRandom);
      transcript.add(cv);
      this.queueHandshake(cv);
    }
  }

  private onPostHandshake(type: number, body: Uint8Array, raw: Uint8Array): void {
    switch (type) {
      case HandshakeType.new_session_ticket:
        return this.onNewSessionTicket(body);
      case HandshakeType.key_update:
        return this.onKeyUpdate(body);
      case HandshakeType.certificate_request:
        return this.onPostHandshakeCertificateRequest(body, raw);
      default:
        throw unexpectedMessage(`unexpected ${nameOf(HandshakeType, type)} after the handshake`);
    }
  }

  /** RFC 8446 section 4.6.1: keeps the ticket, with the PSK it stands for, in the session store. */
  private onNewSessionTicket(body: Uint8Array): void {
    const t = decodeNewSessionTicket(body);
    checkPeerExtensions('new_session_ticket', t.extensions, new Set());
    const early = findExtension(t.extensions, ExtensionType.early_data);
    const maxEarlyData = early ? decodeMaxEarlyDataSize(early) : 0;
    this.emit({ type: 'newSessionTicket', lifetime: t.lifetime });
    const store = this.client.store;
    // A lifetime of zero means "discard at once" (section 4.6.1). A server let through by
    // rejectUnauthorized: false is not resumed, which would skip its refused certificate.
    if (!store || t.lifetime === 0 || this.authorizationError) return;
    const suite = this.suite!;
    const session: StoredSession = {
      ticket: t.ticket.slice(),
      suite: suite.id,
      psk: resumptionPsk(this.provider, suite.hash, this.resumptionSecret!, t.nonce),
      receivedAt: this.cfg.now(),
      lifetime: Math.min(t.lifetime, MAX_TICKET_LIFETIME),
      ageAdd: t.ageAdd,
      maxEarlyData,
      alpn: this.alpn,
      serverName: this.servername,
      peerCertificates: this.peerChain,
      certificateType: this.serverCertType,
    };
    store.put(this.client.sessionKey, session);
  }

  /** RFC 8446 section 4.6.2: answers with Certificate, CertificateVerify and Finished under the application keys. */
  private onPostHandshakeCertificateRequest(body: Uint8Array, raw: Uint8Array): void {
    if (!this.client.postHandshakeAuth) throw unexpectedMessage('CertificateRequest after the handshake, which we did not offer');
    const cr = decodeCertificateRequest(body);
    if (cr.context.length === 0) throw illegalParameter('post-handshake CertificateRequest with an empty context');
    this.checkCertificateRequest(cr);
    if (this.writeClosed) return; // we can no longer answer
    const transcript = this.transcript.clone();
    transcript.add(raw);
    this.answerCertificateRequest(cr, transcript, true);
    const fin = encodeHandshake(
      HandshakeType.finished,
      encodeFinished({ verifyData: finishedVerifyData(this.provider, this.suite!.hash, this.writeSecret, transcript.current()) }),
    );
    this.queueHandshake(fin);
    this.flushHandshake();
  }

  /**
   * RFC 8446 section 4.2.10: refused early data may be sent again automatically only when the
   * connection selects the ALPN protocol it was written for (the ticket's); otherwise the
   * connection fails rather than hand the bytes to another protocol.
   */
  private checkEarlyResend(): void {
    const pending = this.earlyData === 'rejected' ? this.resendAfterRetry + this.earlyBytesSent : 0;
    if (pending === 0 || this.alpn === this.earlyAlpn) return;
    // The server skips records under the early keys it refused: the alert goes under our handshake keys.
    this.endEarlyWrite(false);
    this.setWriteSecret(this.suite!, this.clientHandshakeSecret!);
    throw new TlsProtocolError(
      `tls: the server refused our 0-RTT data and selected ALPN ${JSON.stringify(this.alpn ?? null)}, not the ${JSON.stringify(this.earlyAlpn ?? null)} ` +
        `it was written for; it is not sent again (RFC 8446 section 4.2.10)`,
      AlertDescription.handshake_failure,
    );
  }

  private sendCcsOnce(): void {
    if (this.ccsSent) return;
    this.ccsSent = true;
    this.sendChangeCipherSpec();
  }

  private describe(): SessionInfo {
    const psk = this.selectedPsk;
    return {
      version: 'TLSv1.3',
      cipherSuite: this.suite!.name,
      group: this.group === undefined ? undefined : nameOf(NamedGroup, this.group),
      peerSignatureScheme: this.peerScheme === undefined ? undefined : nameOf(SignatureScheme, this.peerScheme),
      alpnProtocol: this.alpn,
      serverName: this.servername,
      peerCertificates: this.peerChain,
      certificateType: this.serverCertType,
      helloRetry: this.helloRetry,
      resumed: psk?.kind === 'resumption',
      psk: psk?.kind,
      pskIdentity: psk?.kind === 'external' ? new TextDecoder().decode(psk.identity) : undefined,
      earlyData: this.earlyData,
      ...(this.authorizationError ? { authorizationError: this.authorizationError } : {}),
    };
  }
}

/** The certificate type a server chose (RFC 7250 section 4.2): one of those we offered. */
function certificateKind(type: number, offered: readonly number[], whose: string): CertificateKind {
  if (!offered.includes(type)) throw illegalParameter(`server chose ${whose} certificate type ${type}, which was not offered`);
  return type === CertificateType.RawPublicKey ? 'raw' : 'x509';
}
