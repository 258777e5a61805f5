/**
 * Node's own verdict on a certificate chain: a node:tls server on loopback serves `chain` (leaf
 * first) with the leaf's key, and a node:tls client (default `rejectUnauthorized`) with `ca`
 * and `servername` connects and reports `'OK'` or the error's code and message. This is the
 * oracle the validation tests compare against.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { TestCert } from './pki-builder.js';

/** What Node decided. */
export interface NodeVerdict {
  /** `'OK'`, or `err.code` (`CERT_HAS_EXPIRED`, `UNSPECIFIED`, `ERR_TLS_CERT_ALTNAME_INVALID`, ...). */
  readonly code: string;
  /** `err.message` when refused. */
  readonly message?: string;
}

/** Node's verdict on `chain` against `ca` (replacing the default roots) for `host` (a name or an IP). */
export async function nodeVerdict(chain: readonly TestCert[], ca: readonly TestCert[], host = 'example.com'): Promise<NodeVerdict> {
  const server = tls.createServer({
    cert: chain.map((c) => c.pem).join(''),
    key: chain[0]!.key.pem,
    minVersion: 'TLSv1.3',
    // Security level 0 on the serving side only, so that it can serve weak test chains.
    ciphers: 'DEFAULT:@SECLEVEL=0',
  });
  server.on('tlsClientError', () => {});
  server.on('secureConnection', (s) => s.on('error', () => {}));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    return await new Promise<NodeVerdict>((resolve) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        servername: net.isIP(host) ? undefined : host,
        ca: ca.map((c) => c.pem),
        checkServerIdentity: (_h, cert) => tls.checkServerIdentity(host, cert),
      });
      socket.on('secureConnect', () => {
        socket.destroy();
        resolve({ code: 'OK' });
      });
      socket.on('error', (e: Error & { code?: string }) => {
        socket.destroy();
        resolve({ code: e.code ?? 'NO CODE', message: e.message });
      });
    });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
