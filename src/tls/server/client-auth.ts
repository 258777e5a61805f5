/**
 * The server's side of client authentication (RFC 8446 sections 4.3.2, 4.4.2 to 4.4.4 and
 * 4.6.2): the CertificateRequest, then the client's Certificate, CertificateVerify (when the
 * Certificate is not empty) and, after the handshake, its Finished. The same exchange serves
 * the handshake and post-handshake requests; only the transcript and the Finished key differ.
 */
import { equalBytes } from '../codec/bytes.js';
import { AlertDescription, ExtensionType, HandshakeType } from '../constants.js';
import type { CryptoProvider, HashName, VerifyingKey } from '../crypto/provider.js';
import { TlsCertificateError, TlsProtocolError, illegalParameter } from '../errors.js';
import { checkCertificateVerify, checkPeerCertificate, type CertificateKind } from '../handshake/peer-auth.js';
import type { Transcript } from '../handshake/transcript.js';
import { OFFERED_SIGNATURE_SCHEMES } from '../handshake/verify.js';
import { finishedVerifyData } from '../keys/schedule.js';
import { decodeCertificate } from '../messages/certificate.js';
import { encodeCertificateRequest } from '../messages/certificate-request.js';
import { decodeFinished } from '../messages/finished.js';
import { encodeHandshake } from '../messages/handshake.js';
import { encodeCertificateAuthorities, encodeSignatureAlgorithms } from '../messages/index.js';
import type { Extension } from '../messages/types.js';
import type { ClientAuthPolicy } from './config.js';

/** A CertificateRequest (RFC 8446 section 4.3.2), header included: our signature schemes, and the CA names of `policy`. */
export function certificateRequestMessage(policy: ClientAuthPolicy, context: Uint8Array): Uint8Array {
  const exts: Extension[] = [{ type: ExtensionType.signature_algorithms, data: encodeSignatureAlgorithms(OFFERED_SIGNATURE_SCHEMES) }];
  if (policy.authorities.length > 0) exts.push({ type: ExtensionType.certificate_authorities, data: encodeCertificateAuthorities(policy.authorities) });
  return encodeHandshake(HandshakeType.certificate_request, encodeCertificateRequest({ context, extensions: exts }));
}

/** Which message the exchange waits for. */
export type ClientAuthStage = 'cert' | 'cv' | 'finished';

/** One client certificate exchange, from the request to the client's answer. */
export class ClientCertificateExchange {
  /** The message expected next. */
  stage: ClientAuthStage = 'cert';
  /** The client's chain (or raw key), once its Certificate arrived; empty if it sent none. */
  chain: Uint8Array[] = [];
  /** The scheme of the client's CertificateVerify. */
  scheme: number | undefined;
  /** Why the client's certificate was refused, when the policy lets it in anyway. */
  authorizationError: TlsCertificateError | undefined;
  private key: VerifyingKey | undefined;

  /**
   * @param context the certificate_request_context (empty in the handshake)
   * @param transcript the transcript the client's messages are added to (the handshake's, or
   *   for a post-handshake request a copy of it with the request added)
   */
  constructor(
    readonly context: Uint8Array,
    readonly transcript: Transcript,
    private readonly policy: ClientAuthPolicy,
    private readonly kind: CertificateKind,
  ) {}

  /** The client's Certificate: checks the context and the chain; an empty one is refused (certificate_required) when the policy requires one. */
  onCertificate(body: Uint8Array, raw: Uint8Array, now: number, provider: CryptoProvider): void {
    const cert = decodeCertificate(body);
    if (!equalBytes(cert.context, this.context)) throw illegalParameter('client Certificate does not echo the request context');
    this.transcript.add(raw);
    if (cert.entries.length === 0) {
      // RFC 8446 section 4.4.2.4: no certificate; the server decides whether to go on.
      const missing = new TlsCertificateError('CERT_MISSING', 'tls: the client sent no certificate', AlertDescription.certificate_required);
      if (this.policy.required) throw missing;
      this.authorizationError = missing;
      this.stage = 'finished';
      return;
    }
    const peer = checkPeerCertificate(cert, {
      peer: 'client', kind: this.kind, verifier: this.policy.verifier, reject: this.policy.required, serverName: undefined, now, provider,
    });
    this.chain = peer.chain;
    this.key = peer.key;
    this.authorizationError = peer.authorizationError;
    this.stage = 'cv';
  }

  /** The client's CertificateVerify, over the transcript up to its Certificate. */
  onCertificateVerify(body: Uint8Array, raw: Uint8Array): void {
    this.scheme = checkCertificateVerify(body, 'client', this.key!, this.transcript.current(), OFFERED_SIGNATURE_SCHEMES);
    this.transcript.add(raw);
    this.stage = 'finished';
  }

  /** A post-handshake Finished, keyed by the client's current application traffic secret (RFC 8446 section 4.4). */
  checkFinished(body: Uint8Array, provider: CryptoProvider, hash: HashName, baseKey: Uint8Array): void {
    const fin = decodeFinished(body);
    const expected = finishedVerifyData(provider, hash, baseKey, this.transcript.current());
    if (!equalBytes(fin.verifyData, expected)) throw new TlsProtocolError('tls: client post-handshake Finished does not verify', AlertDescription.decrypt_error);
  }
}
