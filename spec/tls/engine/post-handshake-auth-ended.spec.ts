/**
 * Post-handshake authentication on a connection that has ended: the server must not send a
 * CertificateRequest after a fatal alert (RFC 8446 section 6.2), nor one the client can no
 * longer answer.
 */
import { TlsClient } from '../../../src/tls/client/tls13.js';
import { TlsMisuseError } from '../../../src/tls/errors.js';
import { TlsServer } from '../../../src/tls/server/tls13.js';
import { disposeIdentities, identity, Wire } from './support.js';

afterAll(disposeIdentities);

/** A connected pair whose client can answer a post-handshake CertificateRequest. */
function connectedPair(): { c: TlsClient; s: TlsServer; w: Wire } {
  const id = identity('ecdsa-p256');
  const cid = identity('ed25519');
  const s = new TlsServer({ cert: id.certPem, key: id.keyPem, requestCert: true, rejectUnauthorized: false, pins: { certSha256: [cid.certSha256] } });
  const c = new TlsClient({ servername: 'localhost', pins: { certSha256: [id.certSha256] }, cert: cid.certPem, key: cid.keyPem });
  const w = new Wire(c, s).handshake();
  w.pump();
  return { c, s, w };
}

describe('TlsServer.requestCertificate() on a connection that has ended', () => {
  test('after a fatal error it throws that error and queues nothing', () => {
    const { s } = connectedPair();
    // A record that fails authentication: the server fails with bad_record_mac.
    expect(() => s.feed(Uint8Array.of(23, 3, 3, 0, 20, ...new Uint8Array(20)))).toThrow();
    const failure = s.failure;
    while (s.takeOutput()); // the alert
    expect(() => s.requestCertificate()).toThrow(failure!);
    expect(s.takeOutput()).toBeNull(); // RFC 8446 section 6.2: nothing after a fatal alert
  });

  test("after the client's close_notify it throws TlsMisuseError", () => {
    const { c, s, w } = connectedPair();
    c.closeWrite();
    w.pump();
    expect(s.peerClosed).toBe(true);
    expect(() => s.requestCertificate()).toThrow(TlsMisuseError);
  });
});
