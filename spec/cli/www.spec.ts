/**
 * The `--www` page and the end of an HTTP request head.
 */
import { requestHeadEnd, wwwResponse } from '../../src/cli/www.js';
import type { SessionInfo } from '../../src/index.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('requestHeadEnd', () => {
  it('finds the blank line, CRLF or bare LF', () => {
    expect(requestHeadEnd(bytes('GET / HTTP/1.0\r\n\r\nbody'))).toBe(18);
    expect(requestHeadEnd(bytes('GET /\n\n'))).toBe(7);
    expect(requestHeadEnd(bytes('GET / HTTP/1.0\r\nHost: x\r\n'))).toBe(-1);
  });
});

describe('wwwResponse', () => {
  it('is an HTTP/1.0 200 page with the parameters, escaped', () => {
    const session = {
      version: 'TLSv1.3', cipherSuite: 'TLS_CHACHA20_POLY1305_SHA256', group: 'secp256r1', alpnProtocol: 'http/1.1',
      serverName: '<b>', helloRetry: true, peerCertificates: [], peerSignatureScheme: undefined,
    } as unknown as SessionInfo;
    const text = new TextDecoder().decode(wwwResponse({ session, peer: '127.0.0.1:5', requestLine: 'GET / HTTP/1.1' }));
    const [head, body] = text.split('\r\n\r\n');
    expect(head).toBe(`HTTP/1.0 200 ok\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body!)}\r\nConnection: close`);
    for (const re of [/Protocol version:\s+TLSv1\.3\n/, /Cipher suite:\s+TLS_CHACHA20_POLY1305_SHA256\n/, /Key exchange group:\s+secp256r1\n/,
      /ALPN protocol:\s+http\/1\.1\n/, /Server name \(SNI\):\s+&#60;b&#62;\n/, /HelloRetryRequest:\s+yes\n/, /Client address:\s+127\.0\.0\.1:5\n/]) {
      expect(body).toMatch(re);
    }
  });
});
