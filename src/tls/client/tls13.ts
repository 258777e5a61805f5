/**
 * The TLS 1.3 client state machine (RFC 8446 section 2, figure 1; HelloRetryRequest per
 * section 4.1.4). Each handshake message is checked against what the client offered; every
 * failure is a TlsError carrying the alert the RFC prescribes.
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
import { CERTIFICATE_VERIFY_SCHEMES, OFFERED_SIGNATURE_SCHEMES, certificateVerifyContent } from '../handshake/verify.js';
import { KeySchedule, finishedVerifyData } from '../keys/schedule.js';
import { encodeHandshake } from '../messages/handshake.js';
import { encodeClientHello } from '../messages/client-hello.js';
import { decodeServerHello } from '../messages/server-hello.js';
import { decodeEncryptedExtensions } from '../messages/encrypted-extensions.js';
import { decodeCertificate, encodeCertificate } from '../messages/certificate.js';
import { decodeCertificateRequest } from '../messages/certificate-request.js';
import { decodeCertificateVerify } from '../messages/certificate-verify.js';
import { decodeFinished, encodeFinished } from '../messages/finished.js';
import { decodeNewSessionTicket } from '../messages/new-session-ticket.js';
import {
  decodeCookie, decodeKeyShareHelloRetryRequest, decodeRecordSizeLimit, decodeSelectedAlpn, decodeKeyShareServerHello, decodeSupportedVersionsServer,
  encodeAlpn, encodeKeyShareClientHello, encodeSupportedVersionsClient, encodeCookie, encodeSupportedGroups, encodePskKeyExchangeModes,
  encodeRecordSizeLimit, encodeServerName, encodeSignatureAlgorithms, findExtension,
} from '../messages/index.js';
import type { CertificateRequest, Extension } from '../messages/types.js';
import type { SessionInfo } from '../session.js';
import { cipherSuiteInfo, type CipherSuiteInfo } from '../suites.js';
import { certificateSpki } from '../x509/spki.js';
import type { CertificateVerifier } from '../x509/verifier.js';
import { clientVerifier, isIpAddress, type ClientConfig } from './config.js';

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
  private readonly verifier: CertificateVerifier;
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

  private suite: CipherSuiteInfo | undefined;
  private schedule: KeySchedule | undefined;
  private group: number | undefined;
  private clientHandshakeSecret: Uint8Array | undefined;
  private serverHandshakeSecret: Uint8Array | undefined;
  private alpn: string | undefined;
  private certificateRequest: CertificateRequest | undefined;
  private peerChain: Uint8Array[] = [];
  private peerKey: VerifyingKey | undefined;
  private peerScheme: number | undefined;

  constructor(config: ClientConfig) {
    const cfg = resolveCommon(config);
    super(cfg);
    this.verifier = clientVerifier(config);
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
    this.sendClientHello();
    this.flushHandshake(ProtocolVersion.TLS10); // RFC 8446 section 5.1: 0x0301 for the first ClientHello
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
    exts.push({ type: ExtensionType.psk_key_exchange_modes, data: encodePskKeyExchangeModes([PskKeyExchangeMode.psk_dhe_ke]) });
    if (c.alpn.length > 0) exts.push({ type: ExtensionType.application_layer_protocol_negotiation, data: encodeAlpn(c.alpn) });
    exts.push({ type: ExtensionType.record_size_limit, data: encodeRecordSizeLimit(c.recordSizeLimit) });
    if (c.extensionHook) exts = c.extensionHook(HandshakeType.client_hello, exts, this.helloRetry);
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
    this.transcript.add(raw);
    this.queueHandshake(raw);
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
        return this.onPostHandshake(type, body);
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

    const ks = findExtension(sh.extensions, ExtensionType.key_share);
    if (!ks) throw new TlsProtocolError('tls: ServerHello has no key_share (PSK-only modes were not offered)', AlertDescription.missing_extension);
    const entry = decodeKeyShareServerHello(ks);
    const share = this.shares.find((s) => s.group === entry.group);
    if (!share) throw illegalParameter(`server key share for group ${nameOf(NamedGroup, entry.group)}, which has no share of ours`);
    const shared = share.agree(entry.keyExchange);

    this.suite = suite;
    this.group = entry.group;
    this.transcript.start(suite.hash);
    this.transcript.add(raw);
    const ks2 = new KeySchedule(this.provider, suite.hash);
    ks2.early();
    ks2.handshake(shared);
    const th = this.transcript.current();
    this.clientHandshakeSecret = ks2.clientHandshakeTrafficSecret(th);
    this.serverHandshakeSecret = ks2.serverHandshakeTrafficSecret(th);
    this.schedule = ks2;
    this.keyLog('CLIENT_HANDSHAKE_TRAFFIC_SECRET', this.clientHandshakeSecret);
    this.keyLog('SERVER_HANDSHAKE_TRAFFIC_SECRET', this.serverHandshakeSecret);
    this.setReadSecret(suite, this.serverHandshakeSecret);
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
    this.transcript.start(suite.hash);
    this.transcript.rewriteForHelloRetry();
    this.transcript.add(raw);
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
    this.transcript.add(raw);
    this.state = 'wait_cert_cr';
  }

  private onCertificateRequest(body: Uint8Array, raw: Uint8Array): void {
    const cr = decodeCertificateRequest(body);
    // RFC 8446 section 4.3.2: the context is empty during the handshake.
    if (cr.context.length !== 0) throw illegalParameter('CertificateRequest context must be empty during the handshake');
    checkPeerExtensions('certificate_request', cr.extensions, this.offered);
    if (!findExtension(cr.extensions, ExtensionType.signature_algorithms)) {
      throw new TlsProtocolError('tls: CertificateRequest without signature_algorithms', AlertDescription.missing_extension);
    }
    this.certificateRequest = cr;
    this.transcript.add(raw);
    this.state = 'wait_cert';
  }

  private onCertificate(body: Uint8Array, raw: Uint8Array): void {
    const cert = decodeCertificate(body);
    if (cert.context.length !== 0) throw illegalParameter('server Certificate has a non-empty request context');
    // RFC 8446 section 4.4.2.4: an empty server Certificate is a decode_error.
    if (cert.entries.length === 0) throw decodeError('server sent an empty Certificate message');
    for (const e of cert.entries) checkPeerExtensions('certificate', e.extensions, new Set());
    this.peerChain = cert.entries.map((e) => e.data.slice());
    try {
      this.verifier.verify(this.peerChain, { serverName: this.servername, now: this.cfg.now(), peer: 'server', provider: this.provider });
    } catch (e) {
      // rejectUnauthorized: false (Node's semantics): note the refusal, finish the handshake.
      if (this.rejectUnauthorized || !(e instanceof TlsCertificateError)) throw e;
      this.authorizationError = e;
    }
    this.peerKey = this.provider.publicKeyFromSpki(certificateSpki(this.peerChain[0]!));
    this.transcript.add(raw);
    this.state = 'wait_cv';
  }

  private onCertificateVerify(body: Uint8Array, raw: Uint8Array): void {
    const cv = decodeCertificateVerify(body);
    if (!CERTIFICATE_VERIFY_SCHEMES.includes(cv.scheme)) {
      throw illegalParameter(`CertificateVerify uses scheme ${nameOf(SignatureScheme, cv.scheme)}, which was not offered for it`);
    }
    const content = certificateVerifyContent('server', this.transcript.current());
    if (!this.peerKey!.verify(cv.scheme as SignatureScheme, content, cv.signature)) {
      throw new TlsProtocolError(`tls: server CertificateVerify signature (${nameOf(SignatureScheme, cv.scheme)}) does not verify`, AlertDescription.decrypt_error);
    }
    this.peerScheme = cv.scheme;
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

    if (this.compat) this.sendCcsOnce();
    this.setWriteSecret(suite, this.clientHandshakeSecret!);
    if (this.certificateRequest) {
      // No client certificate configured: an empty Certificate (RFC 8446 section 4.4.2).
      const c = encodeHandshake(HandshakeType.certificate, encodeCertificate({ context: this.certificateRequest.context, entries: [] }));
      this.transcript.add(c);
      this.queueHandshake(c);
    }
    const mine = encodeHandshake(
      HandshakeType.finished,
      encodeFinished({ verifyData: finishedVerifyData(this.provider, suite.hash, this.clientHandshakeSecret!, this.transcript.current()) }),
    );
    this.transcript.add(mine);
    this.queueHandshake(mine);
    this.setWriteSecret(suite, clientApp);
    schedule.resumptionMasterSecret(this.transcript.current());
    this.state = 'connected';
    this.completeHandshake(this.describe());
  }

  private onPostHandshake(type: number, body: Uint8Array): void {
    switch (type) {
      case HandshakeType.new_session_ticket: {
        // Resumption is not offered yet: a well-formed ticket is reported and dropped.
        const t = decodeNewSessionTicket(body);
        checkPeerExtensions('new_session_ticket', t.extensions, new Set());
        this.emit({ type: 'newSessionTicket', lifetime: t.lifetime });
        return;
      }
      case HandshakeType.key_update:
        return this.onKeyUpdate(body);
      default:
        // post_handshake_auth was not offered, so a CertificateRequest is unexpected too.
        throw unexpectedMessage(`unexpected ${nameOf(HandshakeType, type)} after the handshake`);
    }
  }

  private sendCcsOnce(): void {
    if (this.ccsSent) return;
    this.ccsSent = true;
    this.sendChangeCipherSpec();
  }

  private describe(): SessionInfo {
    return {
      version: 'TLSv1.3',
      cipherSuite: this.suite!.name,
      group: nameOf(NamedGroup, this.group!),
      peerSignatureScheme: this.peerScheme === undefined ? undefined : nameOf(SignatureScheme, this.peerScheme),
      alpnProtocol: this.alpn,
      serverName: this.servername,
      peerCertificates: this.peerChain,
      helloRetry: this.helloRetry,
      ...(this.authorizationError ? { authorizationError: this.authorizationError } : {}),
    };
  }
}
