/**
 * The rxtls TLS engine: sans-I/O, synchronous, deterministic given `random` and `now`.
 * It never touches a socket, a timer or a promise: bytes in through `feed()`, bytes out of
 * `takeOutput()`, plaintext through `write()` and `read()`.
 */
export { TlsClient } from './client/tls13.js';
export type { ClientConfig } from './client/config.js';
export { TlsServer } from './server/tls13.js';
export type { ServerConfig } from './server/config.js';
export { TlsConnection } from './connection.js';
export type { CommonConfig } from './config.js';
export type { SessionInfo, TlsEvent } from './session.js';
export * from './errors.js';
export {
  AlertDescription, CipherSuite, ContentType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme, nameOf,
} from './constants.js';
export type { CryptoProvider, SigningKey, VerifyingKey } from './crypto/provider.js';
export { nobleProvider } from './crypto/noble.js';
export { nodeProvider } from './crypto/node.js';
export { defaultProvider } from './config.js';
export { pinningVerifier, type PinOptions, type Pin } from './x509/pinning.js';
export type { CertificateVerifier, VerifyContext } from './x509/verifier.js';
export { caVerifier, type CaVerifierOptions, type CaOption, type CheckServerIdentity } from './x509/ca-verifier.js';
export type { PeerCertificate, CertificateNames } from './x509/peer-certificate.js';
export { CertificateVerifyError, VERIFY_ERRORS, type VerifyCode, type PathProblem } from './x509/verify-error.js';
export type { PathLimits } from './x509/path.js';
export type { Extension } from './messages/types.js';
export { generateSigningKey } from './crypto/generate.js';
export { selfSignedCertificate, type SelfSignedOptions } from './x509/self-signed.js';
export { pemDecode, pemEncode } from './crypto/pem.js';
export { certificateSpki } from './x509/spki.js';
export type { ExternalPsk, CertificateRequestInfo } from './client/config.js';
export type { PskMode } from './handshake/psk-modes.js';
export type { CertificateOption, PrivateKeyOption } from './identity.js';
export {
  TicketKeys, type TicketKeysOptions, MemorySessionStore, type MemorySessionStoreOptions, type SessionStore, type StoredSession, type SessionParameters,
  encodeStoredSession, decodeStoredSession, SingleUseTickets, type SingleUseTicketsOptions, type AntiReplay, MAX_TICKET_PLAINTEXT, MAX_TICKET_LENGTH,
} from './resumption/index.js';
