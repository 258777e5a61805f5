/**
 * What `rxtls` prints: one-line errors, summaries, pins.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { clientSummary, describeError, errorLine, formatAddress, oneLine, rawKeyPin, sessionLine, spkiPin } from '../../src/cli/output.js';
import {
  AlertDescription, TlsAlertError, TlsCertificateError, TlsProtocolError, certificateSpki, generateSigningKey, selfSignedCertificate, type SessionInfo,
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

  it('add to the server log line the client certificate, why it was refused, the PSK and 0-RTT', () => {
    const client = selfSignedCertificate(generateSigningKey('ecdsa-p256'), { commonName: 'alice' });
    const refused = new TlsCertificateError('CERT_MISSING', 'tls: the client sent no certificate');
    const base = { ...session, certificateType: 'x509', resumed: false, earlyData: 'none' } as SessionInfo;
    expect(sessionLine({ ...base, peerCertificates: [client] })).toBe('TLSv1.3 TLS_AES_128_GCM_SHA256 x25519, ALPN -, SNI localhost, client CN=alice');
    expect(sessionLine({ ...base, authorizationError: refused })).toBe('TLSv1.3 TLS_AES_128_GCM_SHA256 x25519, ALPN -, SNI localhost, no client certificate (refused: CERT_MISSING)');
    expect(sessionLine({ ...base, group: undefined, resumed: true, psk: 'external', pskIdentity: 'dev-7', earlyData: 'accepted' })).toBe(
      'TLSv1.3 TLS_AES_128_GCM_SHA256 psk_ke resumed, ALPN -, SNI localhost, PSK dev-7, early data accepted',
    );
    const spki = certificateSpki(client);
    expect(sessionLine({ ...base, certificateType: 'raw', peerCertificates: [spki] })).toBe(
      `TLSv1.3 TLS_AES_128_GCM_SHA256 x25519, ALPN -, SNI localhost, client raw key ${rawKeyPin(spki)}`,
    );
  });

  it('tell the client about a raw server key, the PSK and what became of its early data', () => {
    const spki = certificateSpki(selfSignedCertificate(generateSigningKey('ed25519'), { commonName: 'x' }));
    const base = { ...session, resumed: true, earlyData: 'rejected', certificateType: 'raw', peerCertificates: [spki] } as SessionInfo;
    expect(clientSummary(base, '127.0.0.1:4433').slice(1)).toEqual([
      '* TLSv1.3, TLS_AES_128_GCM_SHA256, x25519, resumed',
      '* ALPN: none',
      `* server raw public key: ${rawKeyPin(spki)}; signed with ed25519`,
      '* early data: rejected (sent again after the handshake)',
    ]);
    expect(clientSummary({ ...base, peerCertificates: [], certificateType: 'x509', psk: 'external', pskIdentity: 'dev-7', earlyData: 'accepted' }, 'h:1').slice(3)).toEqual([
      '* PSK: dev-7 (external)',
      '* early data: accepted',
    ]);
  });

  it('print the SPKI pin as curl and rxtls client take it', () => {
    const cert = selfSignedCertificate(generateSigningKey('ecdsa-p256'), { commonName: 'x' });
    const spki = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
    expect(spkiPin(cert)).toBe(`sha256/${createHash('sha256').update(spki).digest('base64')}`);
  });
});
