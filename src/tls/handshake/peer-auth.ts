/**
 * Certificate authentication, the same for both roles (RFC 8446 sections 4.4.2 and 4.4.3):
 * checking the Certificate and CertificateVerify a peer sends, and making our own. Certificate
 * entries hold an X.509 certificate, or with RFC 7250 a raw SubjectPublicKeyInfo.
 */
import { AlertDescription, HandshakeType, SignatureScheme, nameOf } from '../constants.js';
import type { CryptoProvider, VerifyingKey } from '../crypto/provider.js';
import { TlsCertificateError, TlsProtocolError, decodeError, illegalParameter } from '../errors.js';
import type { Identity } from '../identity.js';
import { encodeCertificate } from '../messages/certificate.js';
import { decodeCertificateVerify, encodeCertificateVerify } from '../messages/certificate-verify.js';
import { encodeHandshake } from '../messages/handshake.js';
import type { CertificateMessage } from '../messages/types.js';
import { certificateSpki } from '../x509/spki.js';
import type { CertificateVerifier } from '../x509/verifier.js';
import { checkPeerExtensions } from './extension-rules.js';
import { CERTIFICATE_VERIFY_SCHEMES, certificateVerifyContent } from './verify.js';

/** X.509 certificates or RFC 7250 raw public keys. */
export type CertificateKind = 'x509' | 'raw';

/** What a verified peer Certificate message yielded. */
export interface PeerIdentity {
  /** DER certificates, leaf first; for a raw public key, the one SubjectPublicKeyInfo. */
  readonly chain: Uint8Array[];
  /** The key its CertificateVerify must verify under. */
  readonly key: VerifyingKey;
  /** Set when the verifier refused but the policy lets the handshake go on. */
  readonly authorizationError: TlsCertificateError | undefined;
}

/** How to judge a peer's Certificate message. */
export interface PeerCheck {
  readonly peer: 'server' | 'client';
  readonly kind: CertificateKind;
  readonly verifier: CertificateVerifier;
  /** When false, a refusal is recorded as `authorizationError` instead of thrown. */
  readonly reject: boolean;
  readonly serverName: string | undefined;
  readonly now: number;
  readonly provider: CryptoProvider;
}

/**
 * Checks a non-empty Certificate message: entry extensions (none were offered), the verifier's
 * verdict, and that the leaf's key can be loaded. Returns the chain as copies.
 */
export function checkPeerCertificate(cert: CertificateMessage, check: PeerCheck): PeerIdentity {
  if (cert.entries.length === 0) throw decodeError(`the ${check.peer} sent an empty Certificate message`);
  for (const e of cert.entries) checkPeerExtensions('certificate', e.extensions, new Set());
  const chain = cert.entries.map((e) => e.data.slice());
  const ctx = { serverName: check.serverName, now: check.now, peer: check.peer, provider: check.provider } as const;
  let authorizationError: TlsCertificateError | undefined;
  try {
    if (check.kind === 'raw') {
      // RFC 7250 section 3: exactly one entry, a SubjectPublicKeyInfo.
      if (chain.length !== 1) throw illegalParameter(`raw public key Certificate with ${chain.length} entries`);
      if (!check.verifier.verifyRawPublicKey) {
        throw new TlsCertificateError('ERR_TLS_RAW_KEY_UNTRUSTED', `tls: no way to verify the ${check.peer}'s raw public key`, AlertDescription.bad_certificate);
      }
      check.verifier.verifyRawPublicKey(chain[0]!, ctx);
    } else {
      check.verifier.verify(chain, ctx);
    }
  } catch (e) {
    if (check.reject || !(e instanceof TlsCertificateError)) throw e;
    authorizationError = e;
  }
  const spki = check.kind === 'raw' ? chain[0]! : certificateSpki(chain[0]!);
  let key: VerifyingKey;
  try {
    key = check.provider.publicKeyFromSpki(spki);
  } catch (e) {
    throw new TlsProtocolError(`tls: the ${check.peer}'s public key is unusable: ${e instanceof Error ? e.message : String(e)}`, AlertDescription.bad_certificate);
  }
  return { chain, key, authorizationError };
}

/**
 * Checks a peer's CertificateVerify against `transcriptHash` (the transcript up to its
 * Certificate). `accepted` lists the schemes we offered for it. Returns the scheme used.
 */
export function checkCertificateVerify(
  body: Uint8Array, signer: 'server' | 'client', key: VerifyingKey, transcriptHash: Uint8Array, accepted: readonly number[] = CERTIFICATE_VERIFY_SCHEMES,
): number {
  const cv = decodeCertificateVerify(body);
  if (!accepted.includes(cv.scheme) || !CERTIFICATE_VERIFY_SCHEMES.includes(cv.scheme)) {
    throw illegalParameter(`CertificateVerify uses scheme ${nameOf(SignatureScheme, cv.scheme)}, which was not offered for it`);
  }
  if (!key.verify(cv.scheme as SignatureScheme, certificateVerifyContent(signer, transcriptHash), cv.signature)) {
    throw new TlsProtocolError(`tls: ${signer} CertificateVerify signature (${nameOf(SignatureScheme, cv.scheme)}) does not verify`, AlertDescription.decrypt_error);
  }
  return cv.scheme;
}

/** Our Certificate message (header included) for `identity`, as X.509 chain or raw key. */
export function ownCertificateMessage(identity: Identity | undefined, kind: CertificateKind, context: Uint8Array): Uint8Array {
  const entries =
    identity === undefined ? [] : kind === 'raw' ? [{ data: identity.key.spki, extensions: [] }] : identity.chain.map((data) => ({ data, extensions: [] }));
  return encodeHandshake(HandshakeType.certificate, encodeCertificate({ context, entries }));
}

/**
 * Our CertificateVerify message (header included) over `transcriptHash`. Only an injected
 * random is passed to the key: signatures must then be reproducible (RFC 6979 ECDSA, RSA-PSS
 * salt from it); otherwise the key may use its own randomness.
 */
export function ownCertificateVerify(
  identity: Identity, scheme: SignatureScheme, signer: 'server' | 'client', transcriptHash: Uint8Array, random: ((n: number) => Uint8Array) | undefined,
): Uint8Array {
  const signature = identity.key.sign(scheme, certificateVerifyContent(signer, transcriptHash), random);
  return encodeHandshake(HandshakeType.certificate_verify, encodeCertificateVerify({ scheme, signature }));
}

/** The first scheme of `offered` (peer's preference order) that `identity`'s key can sign with. */
export function chooseScheme(identity: Identity, offered: readonly number[]): SignatureScheme | undefined {
  return offered.find((s) => identity.key.schemes.includes(s as SignatureScheme)) as SignatureScheme | undefined;
}
