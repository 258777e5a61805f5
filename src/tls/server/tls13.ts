/**
 * The TLS 1.3 server state machine (RFC 8446 section 2): ClientHello checks and negotiation,
 * PSK selection (resumption and external), HelloRetryRequest when the client's key shares miss
 * our groups, the server flight, 0-RTT, client authentication (in the handshake and after
 * it), the client's Finished and session tickets.
 */
import {
  AlertDescription, ExtensionType, HandshakeType, HELLO_RETRY_REQUEST_RANDOM, NamedGroup, ProtocolVersion, SignatureScheme, nameOf,
} from '../constants.js';
import { equalBytes } from '../codec/bytes.js';
import { resolveCommon } from '../config.js';
import { TlsConnection } from '../connection.js';
import { TlsCertificateError, TlsMisuseError, TlsProtocolError, illegalParameter, unexpectedMessage } from '../errors.js';
import { Transcript } from '../handshake/transcript.js';
import { chooseScheme, ownCertificateMessage, ownCertificateVerify, type CertificateKind } from '../handshake/peer-auth.js';
import type { Identity } from '../identity.js';
import { KeySchedule, finishedVerifyData } from '../keys/schedule.js';
import { encodeHandshake } from '../messages/handshake.js';
import { decodeClientHello } from '../messages/client-hello.js';
import { encodeServerHello } from '../messages/server-hello.js';
import { encodeEncryptedExtensions } from '../messages/encrypted-extensions.js';
import { decodeEndOfEarlyData } from '../messages/end-of-early-data.js';
import { decodeFinished, encodeFinished } from '../messages/finished.js';
import {
  CertificateType, decodeAlpn, decodeCertificateTypes, decodeKeyShareClientHello, decodeSupportedVersionsClient, decodeCookie, decodeSupportedGroups,
  decodeRecordSizeLimit, decodeServerName, decodeSignatureAlgorithms, encodeAlpn, encodeEarlyDataIndication,
  encodeKeyShareHelloRetryRequest, encodeRecordSizeLimit, encodeKeyShareServerHello, encodeSelectedCertificateType, encodeSelectedIdentity,
  encodeSupportedVersionsServer, findExtension,
} from '../messages/index.js';
import type { ClientHello, Extension } from '../messages/types.js';
import type { SessionInfo } from '../session.js';
import { cipherSuiteInfo, type CipherSuiteInfo } from '../suites.js';
import { certificateRequestMessage, ClientCertificateExchange } from './client-auth.js';
import { loadServerIdentity, resolveServer, type ResolvedServer, type ServerConfig } from './config.js';
import { acceptsEarlyData, choosePsk, type PskChoice } from './psk.js';
import { newSessionTickets } from './tickets.js';

type State = 'wait_ch' | 'wait_ch2' | 'wait_eoed' | 'wait_cert' | 'wait_cv' | 'wait_finished' | 'connected';

/** Early data we skip when we ignore a client's 0-RTT (RFC 8446 section 4.2.10). */
const EARLY_DATA_SKIP_LIMIT = 1 << 16;

/** What the server chose from a ClientHello. */
interface Choice {
  suite: CipherSuiteInfo;
  group: NamedGroup | undefined;
  clientShare: Uint8Array | undefined;
  scheme: SignatureScheme | undefined;
  alpn: string | undefined;
  serverName: string | undefined;
  psk: PskChoice | undefined;
  /** Our certificate type (RFC 7250), when we authenticate with one. */
  serverCertType: CertificateKind;
  /** Set when a client certificate type was negotiated by extension. */
  clientCertType: CertificateKind;
  /** Whether client_certificate_type / server_certificate_type are answered in EncryptedExtensions. */
  answerServerCertType: boolean;
  answerClientCertType: boolean;
  /** Schemes the client accepts for signatures (signature_algorithms). */
  clientSchemes: readonly number[];
}

/**
 * A TLS 1.3 server connection: `feed()` it the client's bytes, send what `takeOutput()`
 * returns.
 *
 * @example
 * const tls = new TlsServer({ cert: certPem, key: keyPem });
 * tls.feed(bytesFromClient);
 * for (let c = tls.takeOutput(); c; c = tls.takeOutput()) socket.write(c);
 */
export class TlsServer extends TlsConnection {
  /** This end's role. */
  readonly role = 'server' as const;
  private state: State = 'wait_ch';
  private readonly identity: Identity | undefined;
  private readonly server: ResolvedServer;
  private readonly transcript: Transcript;
  private choice: Choice | undefined;
  private hrrCookie: Uint8Array | undefined;
  private compat = false;
  private ccsSent = false;
  private schedule: KeySchedule | undefined;
  private clientHandshakeSecret: Uint8Array | undefined;
  private clientAppSecret: Uint8Array | undefined;
  private firstSessionId: Uint8Array | undefined;
  private helloRetry = false;
  private earlyData: 'accepted' | 'rejected' | 'none' = 'none';
  private clientOffersPha = false;
  /** A client certificate exchange in progress; `postHandshake` tells which kind. */
  private auth: ClientCertificateExchange | undefined;
  private authAfterHandshake = false;
  private peerChain: Uint8Array[] = [];
  private peerScheme: number | undefined;
  private authorizationError: TlsCertificateError | undefined;
  private phaCount = 0;

  constructor(config: ServerConfig) {
    const cfg = resolveCommon(config);
    super(cfg);
    this.server = resolveServer(config, cfg.provider);
    this.identity = loadServerIdentity(config, cfg.provider);
    if (!this.identity && this.server.clientAuth?.required && this.server.clientAuth.inHandshake) {
      throw new TlsMisuseError('tls: requiring client certificates needs cert and key: external PSK handshakes carry no certificates');
    }
    this.transcript = new Transcript(cfg.provider);
  }

  /**
   * Post-handshake client authentication (RFC 8446 section 4.6.2): sends a CertificateRequest;
   * the client's answer arrives as a `peerCertificate` event (or ends the connection with an
   * alert, by the same rules as in the handshake). Needs `requestCert`'s verification options
   * (`ca`, `pins` or `verifier`) and a client that offered post_handshake_auth.
   */
  requestCertificate(): void {
    this.throwIfFailed();
    if (!this.handshakeComplete) throw new TlsMisuseError('tls: requestCertificate() before the handshake completed');
    if (!this.server.clientAuth) throw new TlsMisuseError('tls: requestCertificate() needs requestCert with ca, pins or a verifier');
    if (!this.clientOffersPha) throw new TlsMisuseError('tls: the client did not offer post-handshake authentication');
    if (this.auth) throw new TlsMisuseError('tls: a certificate request is already outstanding');
    if (this.writeClosed) throw new TlsMisuseError('tls: requestCertificate() after closeWrite()');
    if (this.peerClosed) throw new TlsMisuseError('tls: requestCertificate() after the client closed: it could not answer');
    const context = Uint8Array.of(++this.phaCount, ...this.cfg.random(7));
    const cr = certificateRequestMessage(this.server.clientAuth, context);
    const transcript = this.transcript.clone();
    transcript.add(cr);
    this.auth = new ClientCertificateExchange(context, transcript, this.server.clientAuth, this.choice!.clientCertType);
    this.authAfterHandshake = true;
    this.queueHandshake(cr);
    this.flushHandshake();
  }

  protected onHandshakeMessage(type: number, body: Uint8Array, raw: Uint8Array): void {
    const expect = (t: number): void => {
      if (type !== t) throw unexpectedMessage(`expected ${nameOf(HandshakeType, t)} in state ${this.state}, got ${nameOf(HandshakeType, type)}`);
    };
    switch (this.state) {
      case 'wait_ch':
      case 'wait_ch2':
        expect(HandshakeType.client_hello);
        return this.onClientHello(body, raw);
      case 'wait_eoed':
        expect(HandshakeType.end_of_early_data);
        return this.onEndOfEarlyData(body, raw);
      case 'wait_cert':
        expect(HandshakeType.certificate);
        this.auth!.onCertificate(body, raw, this.cfg.now(), this.provider);
        this.state = this.auth!.stage === 'cv' ? 'wait_cv' : 'wait_finished';
        return;
      case 'wait_cv':
        expect(HandshakeType.certificate_verify);
        this.auth!.onCertificateVerify(body, raw);
        this.state = 'wait_finished';
        return;
      case 'wait_finished':
        expect(HandshakeType.finished);
        return this.onFinished(body, raw);
      case 'connected':
        return this.onPostHandshake(type, body, raw);
    }
  }

  private onClientHello(body: Uint8Array, raw: Uint8Array): void {
    const ch = decodeClientHello(body);
    const retry = this.state === 'wait_ch2';
    this.ccsAllowed = true;
    this.checkClientHello(ch);
    if (retry) this.checkSecondClientHello(ch);
    else {
      this.clientRandom = ch.random;
      this.firstSessionId = ch.legacySessionId;
      // A client that sends a session id wants middlebox compatibility mode (RFC 8446 appendix D.4).
      this.compat = ch.legacySessionId.length > 0;
    }
    const choice = this.negotiate(ch, raw, retry);
    const offersEarly = findExtension(ch.extensions, ExtensionType.early_data) !== undefined;
    if (choice.group !== undefined && !choice.clientShare) {
      if (offersEarly) {
        this.earlyData = 'rejected';
        this.skipEarlyData(this.earlySkipLimit());
      }
      return this.sendHelloRetryRequest(ch, choice, raw);
    }
    if (retry && choice.group !== this.choice!.group) throw illegalParameter('second ClientHello changed the requested group');
    // Only a first ClientHello gets here with early_data: checkSecondClientHello refuses it in a
    // second one, and one that leads to a HelloRetryRequest returned above.
    if (offersEarly) {
      const accept = choice.psk !== undefined && acceptsEarlyData(choice.psk, choice.alpn, this.server, this.cfg.now());
      this.earlyData = accept ? 'accepted' : 'rejected';
      if (!accept) this.skipEarlyData(this.earlySkipLimit());
    }
    this.choice = choice;
    this.transcript.start(choice.suite.hash);
    this.transcript.add(raw);
    this.sendServerFlight(ch, choice);
  }

  /**
   * How much refused 0-RTT data we skip (RFC 8446 section 4.2.10 asks for max_early_data_size;
   * a ticket of ours allows at most our `maxEarlyData`, and a foreign one is given 64 KiB).
   */
  private earlySkipLimit(): number {
    return Math.max(EARLY_DATA_SKIP_LIMIT, this.server.maxEarlyData);
  }

  /** Checks that hold for every ClientHello. */
  private checkClientHello(ch: ClientHello): void {
    const sv = findExtension(ch.extensions, ExtensionType.supported_versions);
    if (!sv || !decodeSupportedVersionsClient(sv).includes(ProtocolVersion.TLS13)) {
      throw new TlsProtocolError('tls: client does not offer TLS 1.3', AlertDescription.protocol_version);
    }
    // RFC 8446 section 4.1.2: TLS 1.3 requires exactly the null compression method.
    if (ch.compressionMethods.length !== 1 || ch.compressionMethods[0] !== 0) throw illegalParameter('ClientHello compression methods must be exactly [null]');
    // RFC 8446 section 4.2.11: pre_shared_key must be the last extension.
    const psk = ch.extensions.findIndex((e) => e.type === ExtensionType.pre_shared_key);
    if (psk >= 0 && psk !== ch.extensions.length - 1) throw illegalParameter('pre_shared_key is not the last extension');
  }

  /** RFC 8446 section 4.1.2: the second ClientHello repeats the first but for the retry's changes. */
  private checkSecondClientHello(ch: ClientHello): void {
    if (!equalBytes(ch.legacySessionId, this.firstSessionId!)) throw illegalParameter('second ClientHello changed legacy_session_id');
    if (!equalBytes(ch.random, this.clientRandom)) throw illegalParameter('second ClientHello changed the random');
    const cookie = findExtension(ch.extensions, ExtensionType.cookie);
    if (this.hrrCookie && (!cookie || !equalBytes(decodeCookie(cookie), this.hrrCookie))) throw illegalParameter('second ClientHello does not echo the cookie');
    if (findExtension(ch.extensions, ExtensionType.early_data)) throw illegalParameter('early_data in the second ClientHello');
  }

  /** Chooses PSK, suite, group, signature scheme, certificate types and ALPN from a ClientHello. */
  private negotiate(ch: ClientHello, raw: Uint8Array, retry: boolean): Choice {
    const c = this.cfg;
    const sni = findExtension(ch.extensions, ExtensionType.server_name);
    const serverName = sni ? decodeServerName(sni) : undefined;
    const retrySuite = retry ? this.choice!.suite : undefined;
    const psk = choosePsk({
      ch, raw, transcript: this.transcript, retrySuite, suites: c.cipherSuites, serverName, server: this.server,
      provider: this.provider, now: c.now(), pskOnly: this.identity === undefined,
    });

    let suite: CipherSuiteInfo;
    if (psk) suite = psk.suite;
    else {
      const suiteId = c.cipherSuites.find((s) => ch.cipherSuites.includes(s));
      if (suiteId === undefined) throw new TlsProtocolError('tls: no cipher suite in common', AlertDescription.handshake_failure);
      suite = cipherSuiteInfo(suiteId)!;
      if (retry && suite.id !== this.choice!.suite.id) throw illegalParameter('second ClientHello no longer offers the chosen cipher suite');
    }
    if (!psk && this.identity === undefined) {
      throw new TlsProtocolError('tls: client offers no PSK and we have no certificate', AlertDescription.handshake_failure);
    }

    const sa = findExtension(ch.extensions, ExtensionType.signature_algorithms);
    const clientSchemes = sa ? decodeSignatureAlgorithms(sa) : [];
    let scheme: SignatureScheme | undefined;
    if (!psk) {
      // RFC 8446 section 4.2.3: certificate authentication needs signature_algorithms.
      if (!sa) throw new TlsProtocolError('tls: ClientHello has no signature_algorithms', AlertDescription.missing_extension);
      scheme = chooseScheme(this.identity!, clientSchemes);
      if (scheme === undefined) throw new TlsProtocolError(`tls: client accepts no signature scheme our ${this.identity!.key.type} key can make`, AlertDescription.handshake_failure);
    }

    const { group, clientShare } = psk && !psk.dhe ? { group: undefined, clientShare: undefined } : this.chooseGroup(ch, retry);
    const types = this.certificateTypes(ch, psk !== undefined);

    let alpn: string | undefined;
    const alpnExt = findExtension(ch.extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpnExt && c.alpn.length > 0) {
      const offered = decodeAlpn(alpnExt);
      alpn = c.alpn.find((p) => offered.includes(p));
      // RFC 7301 section 3.2.
      if (alpn === undefined) throw new TlsProtocolError(`tls: client offers none of our ALPN protocols (${offered.join(', ')})`, AlertDescription.no_application_protocol);
    }
    const rsl = findExtension(ch.extensions, ExtensionType.record_size_limit);
    if (rsl) {
      this.peerRecordSizeLimit = Math.min(decodeRecordSizeLimit(rsl), 16385);
      this.ownRecordSizeLimit = this.cfg.recordSizeLimit;
    }
    if (!retry) this.clientOffersPha = findExtension(ch.extensions, ExtensionType.post_handshake_auth) !== undefined;
    return { suite, group, clientShare, scheme, alpn, serverName, psk, clientSchemes, ...types };
  }

  /** The (EC)DHE group and the client's share for it, if it sent one. */
  private chooseGroup(ch: ClientHello, retry: boolean): { group: NamedGroup; clientShare: Uint8Array | undefined } {
    const c = this.cfg;
    const sg = findExtension(ch.extensions, ExtensionType.supported_groups);
    const ks = findExtension(ch.extensions, ExtensionType.key_share);
    // RFC 8446 section 9.2: key_share and supported_groups go together; we need (EC)DHE.
    if (!sg || !ks) throw new TlsProtocolError('tls: ClientHello lacks supported_groups or key_share', AlertDescription.missing_extension);
    const clientGroups = decodeSupportedGroups(sg);
    const shares = decodeKeyShareClientHello(ks);
    for (const s of shares) {
      if (!clientGroups.includes(s.group)) throw illegalParameter(`key share for group ${nameOf(NamedGroup, s.group)}, which is not in supported_groups`);
    }
    if (retry) {
      const want = this.choice!.group!;
      if (shares.length !== 1 || shares[0]!.group !== want) throw illegalParameter(`second ClientHello must carry one key share, for ${nameOf(NamedGroup, want)}`);
    }
    // Prefer a group the client already sent a share for; fall back to a retry.
    let group = c.groups.find((g) => shares.some((s) => s.group === g));
    const clientShare = group === undefined ? undefined : shares.find((s) => s.group === group)!.keyExchange;
    if (group === undefined) {
      group = c.groups.find((g) => clientGroups.includes(g));
      if (group === undefined) throw new TlsProtocolError('tls: no key exchange group in common', AlertDescription.handshake_failure);
      if (retry) throw illegalParameter('second ClientHello still has no usable key share');
    }
    return { group, clientShare };
  }

  /** RFC 7250 section 4.2: the certificate types for each side, from what the client supports. */
  private certificateTypes(ch: ClientHello, psk: boolean): Pick<Choice, 'serverCertType' | 'clientCertType' | 'answerServerCertType' | 'answerClientCertType'> {
    const s = findExtension(ch.extensions, ExtensionType.server_certificate_type);
    const cl = findExtension(ch.extensions, ExtensionType.client_certificate_type);
    let serverCertType: CertificateKind = 'x509';
    let answerServerCertType = false;
    if (s && !psk) {
      const types = decodeCertificateTypes(s);
      const raw = this.server.rawPublicKey && types.includes(CertificateType.RawPublicKey);
      const x509 = types.includes(CertificateType.X509) && this.identity!.chain.length > 0;
      if (raw && (types.indexOf(CertificateType.RawPublicKey) < types.indexOf(CertificateType.X509) || !x509)) serverCertType = 'raw';
      else if (!x509) throw new TlsProtocolError('tls: no server certificate type in common', AlertDescription.unsupported_certificate);
      answerServerCertType = true;
    } else if (!psk && this.identity!.chain.length === 0) {
      throw new TlsProtocolError('tls: we have only a raw public key and the client does not accept one', AlertDescription.unsupported_certificate);
    }
    let clientCertType: CertificateKind = 'x509';
    let answerClientCertType = false;
    if (cl && this.server.clientAuth && !psk) {
      const types = decodeCertificateTypes(cl);
      const raw = this.server.rawPublicKey && types.includes(CertificateType.RawPublicKey) && this.server.clientAuth.verifier.verifyRawPublicKey !== undefined;
      if (raw) clientCertType = 'raw';
      else if (!types.includes(CertificateType.X509)) throw new TlsProtocolError('tls: no client certificate type in common', AlertDescription.unsupported_certificate);
      answerClientCertType = true;
    }
    return { serverCertType, clientCertType, answerServerCertType, answerClientCertType };
  }

  private hook(type: number, exts: Extension[], helloRetry: boolean): Extension[] {
    return this.cfg.extensionHook ? this.cfg.extensionHook(type, exts, helloRetry) : exts;
  }

  private sendHelloRetryRequest(ch: ClientHello, choice: Choice, raw: Uint8Array): void {
    if (this.state === 'wait_ch2') throw illegalParameter('second ClientHello still has no usable key share');
    this.choice = choice;
    this.helloRetry = true;
    const exts = this.hook(
      HandshakeType.server_hello,
      [
        { type: ExtensionType.key_share, data: encodeKeyShareHelloRetryRequest(choice.group!) },
        { type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(ProtocolVersion.TLS13) },
      ],
      true,
    );
    const cookie = findExtension(exts, ExtensionType.cookie);
    this.hrrCookie = cookie ? decodeCookie(cookie) : undefined;
    const hrr = encodeHandshake(
      HandshakeType.server_hello,
      encodeServerHello({
        legacyVersion: ProtocolVersion.TLS12, random: HELLO_RETRY_REQUEST_RANDOM, legacySessionId: ch.legacySessionId,
        cipherSuite: choice.suite.id, compressionMethod: 0, extensions: exts, isHelloRetryRequest: true,
      }),
    );
    this.transcript.start(choice.suite.hash);
    this.transcript.add(raw);
    this.transcript.rewriteForHelloRetry();
    this.transcript.add(hrr);
    this.queueHandshake(hrr);
    this.flushHandshake();
    if (this.compat) this.sendCcsOnce();
    this.state = 'wait_ch2';
  }

  private sendServerFlight(ch: ClientHello, choice: Choice): void {
    const { suite, psk } = choice;
    // Draw order (fixed, so injected randomness reproduces traces): key share, then random.
    let shared: Uint8Array | undefined;
    const shExts: Extension[] = [];
    if (choice.group !== undefined) {
      const share = this.provider.keyExchange(choice.group)!.generate(this.cfg.random);
      shared = share.agree(choice.clientShare!);
      shExts.push({ type: ExtensionType.key_share, data: encodeKeyShareServerHello({ group: choice.group, keyExchange: share.publicKey }) });
    }
    const random = this.cfg.random(32);
    shExts.push({ type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(ProtocolVersion.TLS13) });
    if (psk) shExts.push({ type: ExtensionType.pre_shared_key, data: encodeSelectedIdentity(psk.index) });
    const sh = encodeHandshake(
      HandshakeType.server_hello,
      encodeServerHello({
        legacyVersion: ProtocolVersion.TLS12, random, legacySessionId: ch.legacySessionId, cipherSuite: suite.id,
        compressionMethod: 0, extensions: this.hook(HandshakeType.server_hello, shExts, false), isHelloRetryRequest: false,
      }),
    );
    const schedule = new KeySchedule(this.provider, suite.hash);
    schedule.early(psk?.psk);
    if (this.earlyData === 'accepted') {
      const early = schedule.clientEarlyTrafficSecret(this.transcript.current());
      this.keyLog('CLIENT_EARLY_TRAFFIC_SECRET', early);
      this.setReadSecret(suite, early);
      this.acceptEarlyData(Math.min(this.server.maxEarlyData, psk!.ticket!.maxEarlyData));
    }
    this.transcript.add(sh);
    this.queueHandshake(sh);
    this.flushHandshake();
    if (this.compat) this.sendCcsOnce();

    schedule.handshake(shared ?? new Uint8Array(schedule.hashLength));
    let th = this.transcript.current();
    const clientHs = schedule.clientHandshakeTrafficSecret(th);
    const serverHs = schedule.serverHandshakeTrafficSecret(th);
    this.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', clientHs);
    this.keyLog('SERVER_HANDSHAKE_TRAFFIC_SECRET', serverHs);
    this.setWriteSecret(suite, serverHs);
    if (this.earlyData !== 'accepted') this.setReadSecret(suite, clientHs);

    this.sendMessage(encodeHandshake(HandshakeType.encrypted_extensions, encodeEncryptedExtensions({ extensions: this.hook(HandshakeType.encrypted_extensions, this.encryptedExtensions(ch, choice), false) })));
    if (!psk) {
      if (this.server.clientAuth?.inHandshake) {
        this.sendMessage(certificateRequestMessage(this.server.clientAuth, new Uint8Array(0)));
        this.auth = new ClientCertificateExchange(new Uint8Array(0), this.transcript, this.server.clientAuth, choice.clientCertType);
      }
      this.sendMessage(ownCertificateMessage(this.identity, choice.serverCertType, new Uint8Array(0)));
      this.sendMessage(ownCertificateVerify(this.identity!, choice.scheme!, 'server', this.transcript.current(), this.cfg.injectedRandom));
    }
    this.sendMessage(encodeHandshake(HandshakeType.finished, encodeFinished({ verifyData: finishedVerifyData(this.provider, suite.hash, serverHs, this.transcript.current()) })));

    schedule.master();
    th = this.transcript.current();
    this.clientAppSecret = schedule.clientApplicationTrafficSecret(th);
    const serverApp = schedule.serverApplicationTrafficSecret(th);
    const exporter = schedule.exporterMasterSecret(th);
    this.keyLog('CLIENT_TRAFFIC_SECRET_0', this.clientAppSecret);
    this.keyLog('SERVER_TRAFFIC_SECRET_0', serverApp);
    this.keyLog('EXPORTER_SECRET', exporter);
    this.setExporterSecret(exporter);
    this.setWriteSecret(suite, serverApp);
    this.schedule = schedule;
    this.clientHandshakeSecret = clientHs;
    this.state = this.earlyData === 'accepted' ? 'wait_eoed' : this.auth ? 'wait_cert' : 'wait_finished';
  }

  private encryptedExtensions(ch: ClientHello, choice: Choice): Extension[] {
    const ee: Extension[] = [];
    if (choice.alpn !== undefined) ee.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn([choice.alpn]) });
    if (findExtension(ch.extensions, ExtensionType.record_size_limit)) {
      ee.push({ type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(this.cfg.recordSizeLimit) });
    }
    if (choice.serverName !== undefined) ee.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    if (this.earlyData === 'accepted') ee.push({ type: ExtensionType.early_data, data: encodeEarlyDataIndication() });
    const typeOf = (k: CertificateKind): number => (k === 'raw' ? CertificateType.RawPublicKey : CertificateType.X509);
    if (choice.answerServerCertType) ee.push({ type: ExtensionType.server_certificate_type, data: encodeSelectedCertificateType(typeOf(choice.serverCertType)) });
    if (choice.answerClientCertType) ee.push({ type: ExtensionType.client_certificate_type, data: encodeSelectedCertificateType(typeOf(choice.clientCertType)) });
    return ee;
  }

  private sendMessage(raw: Uint8Array): void {
    this.transcript.add(raw);
    this.queueHandshake(raw);
  }

  private onEndOfEarlyData(body: Uint8Array, raw: Uint8Array): void {
    // RFC 8446 section 4.5: the switch to the client's handshake keys.
    decodeEndOfEarlyData(body);
    this.transcript.add(raw);
    this.endEarlyRead();
    this.setReadSecret(this.choice!.suite, this.clientHandshakeSecret!);
    this.state = 'wait_finished';
  }

  private onFinished(body: Uint8Array, raw: Uint8Array): void {
    const suite = this.choice!.suite;
    const fin = decodeFinished(body);
    const expected = finishedVerifyData(this.provider, suite.hash, this.clientHandshakeSecret!, this.transcript.current());
    if (!equalBytes(fin.verifyData, expected)) throw new TlsProtocolError('tls: client Finished does not verify', AlertDescription.decrypt_error);
    this.transcript.add(raw);
    this.setReadSecret(suite, this.clientAppSecret!);
    const rms = this.schedule!.resumptionMasterSecret(this.transcript.current());
    if (this.auth) {
      this.peerChain = this.auth.chain;
      this.peerScheme = this.auth.scheme;
      this.authorizationError = this.auth.authorizationError;
      this.auth = undefined;
    } else if (this.choice!.psk?.ticket) {
      this.peerChain = this.choice!.psk.ticket.peerCertificates.map((c) => c.slice());
    }
    this.state = 'connected';
    this.sendTickets(rms);
    this.completeHandshake(this.describe());
  }

  private sendTickets(rms: Uint8Array): void {
    // A client let in by rejectUnauthorized: false is not given a way back in without a check.
    if (this.authorizationError) return;
    const c = this.choice!;
    const clientType = this.choice!.psk?.ticket?.certificateType ?? c.clientCertType;
    const tickets = newSessionTickets(
      this.server, this.provider, c.suite.hash, rms,
      { suite: c.suite.id, alpn: c.alpn, serverName: c.serverName, peerCertificates: this.peerChain, certificateType: clientType },
      this.cfg.random, this.cfg.now(),
    );
    for (const t of tickets) this.queueHandshake(t);
  }

  private onPostHandshake(type: number, body: Uint8Array, raw: Uint8Array): void {
    if (type === HandshakeType.key_update) return this.onKeyUpdate(body);
    const a = this.authAfterHandshake ? this.auth : undefined;
    if (!a) throw unexpectedMessage(`unexpected ${nameOf(HandshakeType, type)} after the handshake`);
    // RFC 8446 section 4.6.2: Certificate, CertificateVerify (if it is not empty), Finished.
    const expected = { cert: HandshakeType.certificate, cv: HandshakeType.certificate_verify, finished: HandshakeType.finished }[a.stage];
    if (type !== expected) throw unexpectedMessage(`expected ${nameOf(HandshakeType, expected)}, got ${nameOf(HandshakeType, type)}`);
    if (a.stage === 'cert') return a.onCertificate(body, raw, this.cfg.now(), this.provider);
    if (a.stage === 'cv') return a.onCertificateVerify(body, raw);
    a.checkFinished(body, this.provider, this.choice!.suite.hash, this.readSecret);
    this.auth = undefined;
    this.authAfterHandshake = false;
    this.peerChain = a.chain;
    this.peerScheme = a.scheme;
    this.authorizationError = a.authorizationError;
    this.updateSession(this.describe());
    this.emit({ type: 'peerCertificate', chain: a.chain, ...(a.authorizationError ? { authorizationError: a.authorizationError } : {}) });
  }

  private sendCcsOnce(): void {
    if (this.ccsSent) return;
    this.ccsSent = true;
    this.sendChangeCipherSpec();
  }

  private describe(): SessionInfo {
    const c = this.choice!;
    return {
      version: 'TLSv1.3',
      cipherSuite: c.suite.name,
      group: c.group === undefined ? undefined : nameOf(NamedGroup, c.group),
      peerSignatureScheme: this.peerScheme === undefined ? undefined : nameOf(SignatureScheme, this.peerScheme),
      alpnProtocol: c.alpn,
      serverName: c.serverName,
      peerCertificates: this.peerChain,
      certificateType: c.psk?.ticket?.certificateType ?? c.clientCertType,
      helloRetry: this.helloRetry,
      resumed: c.psk?.kind === 'resumption',
      psk: c.psk?.kind,
      pskIdentity: c.psk?.identityText,
      earlyData: this.earlyData,
      ...(this.authorizationError ? { authorizationError: this.authorizationError } : {}),
    };
  }
}
