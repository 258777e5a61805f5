/** Node's own tls over loopback: the baseline, configured like the rxtls endpoints. */
import * as tls from 'node:tls';
import { identity } from './common.js';

/** Options both ends of a baseline connection use. */
export interface NodeTlsOptions {
  /** TLS 1.3 suite names in OpenSSL spelling, e.g. `TLS_AES_128_GCM_SHA256`. */
  ciphersuites?: string;
  /** Key exchange groups, e.g. `X25519`. */
  ecdhCurve?: string;
  /** A client session to resume (from a 'session' event of an earlier connection). */
  session?: Buffer;
  /** Receives the client's 'session' events from the start (they may come before 'secureConnect'). */
  onSession?: (session: Buffer) => void;
}

/** A listening node:tls server and a way to close it with every connection. */
export interface NodeServer {
  readonly port: number;
  close(): void;
}

/** A TLS 1.3 server on 127.0.0.1 with the bench identity; `onConnection` gets each secured socket. */
export async function nodeServer(opts: NodeTlsOptions, onConnection: (s: tls.TLSSocket) => void): Promise<NodeServer> {
  const id = identity();
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({
    key: id.keyPem,
    cert: id.certPem,
    minVersion: 'TLSv1.3',
    ...(opts.ciphersuites ? { ciphersuites: opts.ciphersuites } : {}),
    ...(opts.ecdhCurve ? { ecdhCurve: opts.ecdhCurve } : {}),
  });
  server.on('secureConnection', (s) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    onConnection(s);
  });
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 2048, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    close() {
      server.close();
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
  };
}

/** A client connection to the bench server; resolves once the handshake is done. */
export function nodeConnect(port: number, opts: NodeTlsOptions): Promise<tls.TLSSocket> {
  const id = identity();
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: id.certPem,
      minVersion: 'TLSv1.3',
      ...(opts.ciphersuites ? { ciphersuites: opts.ciphersuites } : {}),
      ...(opts.ecdhCurve ? { ecdhCurve: opts.ecdhCurve } : {}),
      ...(opts.session ? { session: opts.session } : {}),
    });
    s.setNoDelay(true);
    if (opts.onSession) s.on('session', opts.onSession);
    s.once('secureConnect', () => {
      s.off('error', reject);
      s.on('error', () => undefined);
      resolve(s);
    });
    s.once('error', reject);
  });
}
