/**
 * What `rxtls` prints: one-line errors, summaries, pins.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { clientSummary, describeError, errorLine, formatAddress, oneLine, sessionLine, spkiPin } from '../../src/cli/output.js';
import {
  AlertDescription, TlsAlertError, TlsCertificateError, TlsProtocolError, generateSigningKey, selfSignedCertificate, type SessionInfo,
} from '../../src/index.js';

const session: SessionInfo = {
  version: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', group: 'x25519', peerSignatureScheme: 'ed25519',
  alpnProtocol: undefined, serverName: 'localhost', peerCertificates: [], helloRetry: false,
} as unknown as SessionInfo;

describe('error lines', () => {
  it('start with the certificate error code, or say which alert, without the tls: prefix', () => {
    expect(errorLine(new TlsCertificateError('ERR_TLS_CERT_ALTNAME_INVALID', "tls: Hostname/IP does not match certificate's altnames: Host: x."))).toBe(
      "rxtls: ERR_TLS_CERT_ALTNAME_INVALID: Hostname/IP does not match certificate's altnames: Host: x.",
    );
    expect(errorLine(new TlsAlertError(AlertDescription.handshake_failure, true))).toBe('rxtls: peer sent fatal alert handshake_failure (40)');
    expect(errorLine(new TlsProtocolError('tls: bad\nthing', AlertDescription.decode_error))).toBe('rxtls: bad thing');
  });

  it('keep a system error as Node words it, and add a code Node left out', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(describeError(refused)).toBe('connect ECONNREFUSED 127.0.0.1:1');
    expect(describeError(Object.assign(new Error('no such file'), { code: 'ENOENT' }))).toBe('ENOENT: no such file');
    expect(describeError('plain')).toBe('plain');
    expect(oneLine(' a \n\t b ')).toBe('a b');
  });
});

describe('summaries', () => {
  it('describe the session in one line for the server log', () => {
    expect(sessionLine(session)).toBe('TLSv1.3 TLS_AES_128_GCM_SHA256 x25519, ALPN -, SNI localhost');
    expect(formatAddress('::1', 443)).toBe('[::1]:443');
  });

  it("name the server certificate's subject and issuer for the client", () => {
    const key = generateSigningKey('ed25519');
    const cert = selfSignedCertificate(key, { commonName: 'example.test' });
    expect(clientSummary({ ...session, peerCertificates: [cert] }, '127.0.0.1:4433')).toEqual([
      '* connected to 127.0.0.1:4433 (localhost)',
      '* TLSv1.3, TLS_AES_128_GCM_SHA256, x25519',
      '* ALPN: none',
      '* server certificate: CN=example.test; issuer: CN=example.test; signed with ed25519',
    ]);
  });

  it('print the SPKI pin as curl and rxtls client take it', () => {
    const cert = selfSignedCertificate(generateSigningKey('ecdsa-p256'), { commonName: 'x' });
    const spki = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
    expect(spkiPin(cert)).toBe(`sha256/${createHash('sha256').update(spki).digest('base64')}`);
  });
});
