/**
 * Free loopback ports for peers that cannot report the port they bound.
 *
 * Prefer letting the peer bind port 0 and report it (`openssl s_server -accept
 * 127.0.0.1:0` prints `ACCEPT 127.0.0.1:<port>`): a port found here is free when this
 * returns, but another process may take it before the peer binds it.
 *
 * @module
 */
import net from 'node:net';

/**
 * Returns a TCP port that was free on `host` a moment ago: binds `host:0`, reads the
 * port the kernel chose, and closes the listener.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`freePort: unexpected listener address ${String(address)}`));
        return;
      }
      server.close((err) => (err ? reject(err) : resolve(address.port)));
    });
  });
}
