/**
 * rxtls: a reactive TLS transport. The engine (`TlsClient`, `TlsServer`) is sans-I/O and
 * synchronous; the reactive layer maps it onto observables.
 */
export * from './tls/index.js';
