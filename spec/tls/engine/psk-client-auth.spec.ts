/**
 * A server requiring a client certificate in the handshake (requestCert: true,
 * rejectUnauthorized by default) takes no external PSK, whose handshakes carry no certificate
 * (RFC 8446 section 4.3.2), as it takes no ticket of a session without one.
 */
import { AlertDescription, TlsClient, TlsMisuseError, TlsServer, type ServerConfig } from '../../../src/tls/index.js';
import { Wire, disposeIdentities, identity } from './support.js';

afterAll(disposeIdentities);

const KEY = new Uint8Array(32).map((_, i) => i * 7 + 1);

function server(extra: Partial<ServerConfig> = {}): TlsServer {
  const sid = identity('ecdsa-p256');
  return new TlsServer({
    cert: sid.certPem, key: sid.keyPem, requestCert: true, pins: { spkiSha256: [identity('ed25519').spkiSha256] },
    pskCallback: (id) => (id === 'device-7' ? KEY : null), ...extra,
  });
}

test('requestCert true (required): the external PSK is not taken; a PSK-only client gets no PSK handshake and refuses the certificate one', () => {
  const wire = new Wire(new TlsClient({ psk: { identity: 'device-7', key: KEY } }), server());
  wire.pump({ read: true });
  expect(wire.server.handshakeComplete).toBe(false);
  const clientErr = wire.errors.find((e) => e.end === 'client');
  expect((clientErr?.error as { alert?: number } | undefined)?.alert).toBe(AlertDescription.handshake_failure);
  expect((clientErr!.error as Error).message).toMatch(/did not accept our PSK/);
});

test('requestCert true with rejectUnauthorized false: the external PSK is taken, and no certificate is asked for (control)', () => {
  const wire = new Wire(new TlsClient({ psk: { identity: 'device-7', key: KEY } }), server({ rejectUnauthorized: false }));
  wire.handshake();
  expect(wire.server.session!.psk).toBe('external');
});

test('a PSK-only server that would require client certificates is a TlsMisuseError', () => {
  expect(() => new TlsServer({ requestCert: true, pins: { spkiSha256: [identity('ed25519').spkiSha256] }, pskCallback: () => KEY })).toThrow(TlsMisuseError);
});
