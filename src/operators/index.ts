/** Transport-agnostic Duplex operators: framing, lifting RxJS operators, consuming and forwarding. */
export { lengthPrefixed, FrameTooLargeError, FrameTruncatedError, type LengthPrefixedOptions } from './length-prefixed.js';
export { bidi } from './bidi.js';
export { consume, type ConsumeOptions } from './consume.js';
export { forward, pipeBoth, type ForwardOptions } from './forward.js';
export { tlsClient, type TlsClientOptions } from './tls-client.js';
export { tlsServer, type TlsServerOptions, type TlsServerDuplex, type TlsServerOperator, type PeerCertificateEvent } from './tls-server.js';
export type { TlsDuplex, TlsOperator, TlsStats } from './tls-duplex.js';
export type { TlsLayerOptions, TlsVersionName } from './tls-options.js';
