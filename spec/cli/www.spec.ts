/**
 * The `--www` page and the end of an HTTP request head.
 */
import { requestHeadEnd, wwwResponse } from '../../src/cli/www.js';
import { TlsCertificateError, generateSigningKey, selfSignedCertificate, type SessionInfo } from '../../src/index.js';

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
    expect(body).toMatch(/Client certificate:\s+\(none\)\n/);
  });

  it('names the client certificate, says why it was refused, and what became of early data', () => {
    const cert = selfSignedCertificate(generateSigningKey('ecdsa-p256'), { commonName: 'alice' });
    const session = {
      version: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', group: 'x25519', alpnProtocol: undefined, serverName: undefined,
      helloRetry: false, peerCertificates: [cert], certificateType: 'x509', resumed: true, earlyData: 'accepted',
      authorizationError: new TlsCertificateError('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'tls: unknown issuer'),
    } as unknown as SessionInfo;
    const text = new TextDecoder().decode(wwwResponse({ session, peer: '127.0.0.1:5', requestLine: undefined }));
    expect(text).toMatch(/Resumed:\s+yes\n/);
    expect(text).toMatch(/Client certificate:\s+CN=alice, refused: UNABLE_TO_GET_ISSUER_CERT_LOCALLY\n/);
    expect(text).toMatch(/Early data:\s+accepted\n/);
  });
});
