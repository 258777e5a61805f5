/**
 * The TLS 1.3 handshake message and extension codecs (RFC 8446 section 4 and appendix B).
 *
 * Decoders are strict (every `<min..max>` bound, no trailing bytes) and zero-copy: byte
 * fields of decoded values are views into the input. Malformed input throws
 * `TlsProtocolError` carrying the alert to send; encoders throw `TlsMisuseError` for values
 * the wire format cannot carry. Message encoders return the body only; frame it with
 * {@link encodeHandshake}. Incoming records go through {@link HandshakeReassembler}.
 */
export type {
  Extension,
  ClientHello,
  ServerHello,
  EncryptedExtensions,
  CertificateEntry,
  CertificateMessage,
  CertificateRequest,
  CertificateVerify,
  Finished,
  NewSessionTicket,
  KeyUpdate,
  EndOfEarlyData,
  KeyShareEntry,
  PskIdentity,
  OfferedPsks,
} from './types.js';

export {
  encodeHandshake,
  HandshakeReassembler,
  HANDSHAKE_HEADER_LENGTH,
  DEFAULT_MAX_HANDSHAKE_MESSAGE_SIZE,
} from './handshake.js';
export type { HandshakeMessage, HandshakeReassemblerOptions } from './handshake.js';

export { encodeClientHello, decodeClientHello } from './client-hello.js';
export { encodeServerHello, decodeServerHello } from './server-hello.js';
export type { ServerHelloInit } from './server-hello.js';
export { encodeEncryptedExtensions, decodeEncryptedExtensions } from './encrypted-extensions.js';
export { encodeCertificate, decodeCertificate } from './certificate.js';
export { encodeCertificateRequest, decodeCertificateRequest } from './certificate-request.js';
export { encodeCertificateVerify, decodeCertificateVerify } from './certificate-verify.js';
export { encodeFinished, decodeFinished } from './finished.js';
export { encodeNewSessionTicket, decodeNewSessionTicket } from './new-session-ticket.js';
export { encodeKeyUpdate, decodeKeyUpdate } from './key-update.js';
export { encodeEndOfEarlyData, decodeEndOfEarlyData } from './end-of-early-data.js';

export { findExtension, decodeExtensions, encodeExtensions, writeExtensions } from './extensions.js';
export { encodeServerName, decodeServerName } from './ext-server-name.js';
export { encodeSupportedGroups, decodeSupportedGroups } from './ext-supported-groups.js';
export {
  encodeSignatureAlgorithms,
  decodeSignatureAlgorithms,
  encodeSignatureAlgorithmsCert,
  decodeSignatureAlgorithmsCert,
} from './ext-signature-algorithms.js';
export { encodeAlpn, decodeAlpn, decodeAlpnProtocols, decodeSelectedAlpn } from './ext-alpn.js';
export {
  encodeSupportedVersionsClient,
  decodeSupportedVersionsClient,
  encodeSupportedVersionsServer,
  decodeSupportedVersionsServer,
} from './ext-supported-versions.js';
export {
  encodeKeyShareClientHello,
  decodeKeyShareClientHello,
  encodeKeyShareServerHello,
  decodeKeyShareServerHello,
  encodeKeyShareHelloRetryRequest,
  decodeKeyShareHelloRetryRequest,
} from './ext-key-share.js';
export { encodeCookie, decodeCookie } from './ext-cookie.js';
export { encodePskKeyExchangeModes, decodePskKeyExchangeModes } from './ext-psk-key-exchange-modes.js';
export {
  bindersLength,
  encodeOfferedPsks,
  decodeOfferedPsks,
  encodeSelectedIdentity,
  decodeSelectedIdentity,
} from './ext-pre-shared-key.js';
export {
  encodeEarlyDataIndication,
  decodeEarlyDataIndication,
  encodeMaxEarlyDataSize,
  decodeMaxEarlyDataSize,
} from './ext-early-data.js';
export { MIN_RECORD_SIZE_LIMIT, encodeRecordSizeLimit, decodeRecordSizeLimit } from './ext-record-size-limit.js';
export { encodeCertificateAuthorities, decodeCertificateAuthorities } from './ext-certificate-authorities.js';
export { encodePostHandshakeAuth, decodePostHandshakeAuth } from './ext-post-handshake-auth.js';
export {
  CertificateType,
  encodeCertificateTypes,
  decodeCertificateTypes,
  encodeSelectedCertificateType,
  decodeSelectedCertificateType,
} from './ext-certificate-type.js';
