/**
 * The TLS 1.3 server state machine (RFC 8446 section 2): ClientHello checks and negotiation,
 * HelloRetryRequest when the client's key shares miss our groups, the server flight, and the
 * client's Finished.
 */
import {
  AlertDescription, ExtensionType, HandshakeType, HELLO_RETRY_REQUEST_RANDOM, NamedGroup, ProtocolVersion, SignatureScheme, nameOf,
} from '../constants.js';
import { equalBytes } from '../codec/bytes.js';
import { resolveCommon } from '../config.js';
import { TlsConnection } from '../connection.js';
import { TlsProtocolError, illegalParameter, unexpectedMessage } from '../errors.js';
import { Transcript } from '../handshake/transcript.js';
import { certificateVerifyContent } from '../handshake/verify.js';
import { KeySchedule, finishedVerifyData } from '../keys/schedule.js';
import { encodeHandshake } from '../messages/handshake.js';
import { decodeClientHello } from '../messages/client-hello.js';
import { encodeServerHello } from '../messages/server-hello.js';
import { encodeEncryptedExtensions } from '../messages/encrypted-extensions.js';
import { encodeCertificate } from '../messages/certificate.js';
import { encodeCertificateVerify } from '../messages/certificate-verify.js';
import { decodeFinished, encodeFinished } from '../messages/finished.js';
import {
  decodeAlpn, decodeKeyShareClientHello, decodeSupportedVersionsClient, decodeCookie, decodeSupportedGroups, decodeRecordSizeLimit,
  decodeServerName, decodeSignatureAlgorithms, encodeAlpn, encodeKeyShareHelloRetryRequest, encodeRecordSizeLimit,
  encodeKeyShareServerHello, encodeSupportedVersionsServer, findExtension,
} from '../messages/index.js';
import type { ClientHello, Extension } from '../messages/types.js';
import type { SessionInfo } from '../session.js';
import { cipherSuiteInfo, type CipherSuiteInfo } from '../suites.js';
import { loadServerIdentity, type ServerConfig, type ServerIdentity } from './config.js';

type State = 'wait_ch' | 'wait_ch2' | 'wait_finished' | 'connected';

/** Early data we skip when we ignore a client's 0-RTT (RFC 8446 section 4.2.10). */
const EARLY_DATA_SKIP_LIMIT = 1 << 16;

/** What the server chose from a ClientHello. */
interface Choice {
  suite: CipherSuiteInfo;
  group: NamedGroup;
  clientShare: Uint8Array | undefined;
  scheme: SignatureScheme;
  alpn: string | undefined;
  serverName: string | undefined;
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
  private readonly identity: ServerIdentity;
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

  constructor(config: ServerConfig) {
    const cfg = resolveCommon(config);
    super(cfg);
    this.identity = loadServerIdentity(config, cfg.provider);
    this.transcript = new Transcript(cfg.provider);
  }

  protected onHandshakeMessage(type: number, body: Uint8Array, raw: Uint8Array): void {
    switch (this.state) {
      case 'wait_ch':
      case 'wait_ch2':
        if (type !== HandshakeType.client_hello) throw unexpectedMessage(`expected client_hello, got ${nameOf(HandshakeType, type)}`);
        return this.onClientHello(body, raw);
      case 'wait_finished':
        if (type !== HandshakeType.finished) throw unexpectedMessage(`expected finished, got ${nameOf(HandshakeType, type)}`);
        return this.onFinished(body, raw);
      case 'connected':
        if (type === HandshakeType.key_update) return this.onKeyUpdate(body);
        throw unexpectedMessage(`unexpected ${nameOf(HandshakeType, type)} after the handshake`);
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
    const choice = this.negotiate(ch, retry);
    if (findExtension(ch.extensions, ExtensionType.early_data)) this.skipEarlyData(EARLY_DATA_SKIP_LIMIT);
    if (!choice.clientShare) return this.sendHelloRetryRequest(ch, choice, raw);
    if (retry && choice.group !== this.choice!.group) throw illegalParameter('second ClientHello changed the requested group');
    this.choice = choice;
    this.transcript.start(choice.suite.hash);
    this.transcript.add(raw);
    this.sendServerFlight(ch, choice);
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

  /** Chooses suite, group, signature scheme and ALPN from a ClientHello. */
  private negotiate(ch: ClientHello, retry: boolean): Choice {
    const c = this.cfg;
    const suiteId = c.cipherSuites.find((s) => ch.cipherSuites.includes(s));
    if (suiteId === undefined) throw new TlsProtocolError('tls: no cipher suite in common', AlertDescription.handshake_failure);
    const suite = cipherSuiteInfo(suiteId)!;
    if (retry && suite.id !== this.choice!.suite.id) throw illegalParameter('second ClientHello no longer offers the chosen cipher suite');

    const sa = findExtension(ch.extensions, ExtensionType.signature_algorithms);
    if (!sa) throw new TlsProtocolError('tls: ClientHello has no signature_algorithms', AlertDescription.missing_extension);
    const offeredSchemes = decodeSignatureAlgorithms(sa);
    const scheme = offeredSchemes.find((s) => this.identity.key.schemes.includes(s as SignatureScheme));
    if (scheme === undefined) throw new TlsProtocolError(`tls: client accepts no signature scheme our ${this.identity.key.type} key can make`, AlertDescription.handshake_failure);

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
      const want = this.choice!.group;
      if (shares.length !== 1 || shares[0]!.group !== want) throw illegalParameter(`second ClientHello must carry one key share, for ${nameOf(NamedGroup, want)}`);
    }
    // Prefer a group the client already sent a share for; fall back to a retry.
    let group = c.groups.find((g) => shares.some((s) => s.group === g));
    let clientShare = group === undefined ? undefined : shares.find((s) => s.group === group)!.keyExchange;
    if (group === undefined) {
      group = c.groups.find((g) => clientGroups.includes(g));
      if (group === undefined) throw new TlsProtocolError('tls: no key exchange group in common', AlertDescription.handshake_failure);
      if (retry) throw illegalParameter('second ClientHello still has no usable key share');
    }

    let alpn: string | undefined;
    const alpnExt = findExtension(ch.extensions, ExtensionType.application_layer_protocol_negotiation);
    if (alpnExt && c.alpn.length > 0) {
      const offered = decodeAlpn(alpnExt);
      alpn = c.alpn.find((p) => offered.includes(p));
      // RFC 7301 section 3.2.
      if (alpn === undefined) throw new TlsProtocolError(`tls: client offers none of our ALPN protocols (${offered.join(', ')})`, AlertDescription.no_application_protocol);
    }
    const sni = findExtension(ch.extensions, ExtensionType.server_name);
    const serverName = sni ? decodeServerName(sni) : undefined;
    const rsl = findExtension(ch.extensions, ExtensionType.record_size_limit);
    if (rsl) {
      this.peerRecordSizeLimit = Math.min(decodeRecordSizeLimit(rsl), 16385);
      this.ownRecordSizeLimit = this.cfg.recordSizeLimit;
    }
    return { suite, group, clientShare, scheme: scheme as SignatureScheme, alpn, serverName };
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
        { type: ExtensionType.key_share, data: encodeKeyShareHelloRetryRequest(choice.group) },
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
    const { suite } = choice;
    // Draw order (fixed, so injected randomness reproduces traces): key share, then random.
    const share = this.provider.keyExchange(choice.group)!.generate(this.cfg.random);
    const shared = share.agree(choice.clientShare!);
    const random = this.cfg.random(32);
    const shExts = this.hook(
      HandshakeType.server_hello,
      [
        { type: ExtensionType.key_share, data: encodeKeyShareServerHello({ group: choice.group, keyExchange: share.publicKey }) },
        { type: ExtensionType.supported_versions, data: encodeSupportedVersionsServer(ProtocolVersion.TLS13) },
      ],
      false,
    );
    const sh = encodeHandshake(
      HandshakeType.server_hello,
      encodeServerHello({
        legacyVersion: ProtocolVersion.TLS12, random, legacySessionId: ch.legacySessionId, cipherSuite: suite.id,
        compressionMethod: 0, extensions: shExts, isHelloRetryRequest: false,
      }),
    );
    this.transcript.add(sh);
    this.queueHandshake(sh);
    this.flushHandshake();
    if (this.compat) this.sendCcsOnce();

    const schedule = new KeySchedule(this.provider, suite.hash);
    schedule.early();
    schedule.handshake(shared);
    let th = this.transcript.current();
    const clientHs = schedule.clientHandshakeTrafficSecret(th);
    const serverHs = schedule.serverHandshakeTrafficSecret(th);
    this.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', clientHs);
    this.keyLog('SERVER_HANDSHAKE_TRAFFIC_SECRET', serverHs);
    this.setWriteSecret(suite, serverHs);
    this.setReadSecret(suite, clientHs);

    const eeExts: Extension[] = [];
    if (choice.alpn !== undefined) eeExts.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn([choice.alpn]) });
    if (findExtension(ch.extensions, ExtensionType.record_size_limit)) {
      eeExts.push({ type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(this.cfg.recordSizeLimit) });
    }
    if (choice.serverName !== undefined) eeExts.push({ type: ExtensionType.server_name, data: new Uint8Array(0) });
    this.sendMessage(HandshakeType.encrypted_extensions, encodeEncryptedExtensions({ extensions: this.hook(HandshakeType.encrypted_extensions, eeExts, false) }));
    this.sendMessage(HandshakeType.certificate, encodeCertificate({ context: new Uint8Array(0), entries: this.identity.chain.map((data) => ({ data, extensions: [] })) }));
    // Only an injected random is passed: signatures must then be reproducible (RFC 6979 ECDSA,
    // RSA-PSS salt from it); otherwise the key may use its own randomness (OpenSSL's ECDSA).
    const signature = this.identity.key.sign(choice.scheme, certificateVerifyContent('server', this.transcript.current()), this.cfg.injectedRandom);
    this.sendMessage(HandshakeType.certificate_verify, encodeCertificateVerify({ scheme: choice.scheme, signature }));
    this.sendMessage(HandshakeType.finished, encodeFinished({ verifyData: finishedVerifyData(this.provider, suite.hash, serverHs, this.transcript.current()) }));

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
    this.state = 'wait_finished';
  }

  private sendMessage(type: number, body: Uint8Array): void {
    const raw = encodeHandshake(type, body);
    this.transcript.add(raw);
    this.queueHandshake(raw);
  }

  private onFinished(body: Uint8Array, raw: Uint8Array): void {
    const suite = this.choice!.suite;
    const fin = decodeFinished(body);
    const expected = finishedVerifyData(this.provider, suite.hash, this.clientHandshakeSecret!, this.transcript.current());
    if (!equalBytes(fin.verifyData, expected)) throw new TlsProtocolError('tls: client Finished does not verify', AlertDescription.decrypt_error);
    this.transcript.add(raw);
    this.setReadSecret(suite, this.clientAppSecret!);
    this.schedule!.resumptionMasterSecret(this.transcript.current());
    this.state = 'connected';
    this.completeHandshake(this.describe());
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
      group: nameOf(NamedGroup, c.group),
      peerSignatureScheme: undefined,
      alpnProtocol: c.alpn,
      serverName: c.serverName,
      peerCertificates: [],
      helloRetry: this.helloRetry,
    };
  }
}
