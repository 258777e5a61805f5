/**
 * Engine behaviour: authenticating the server by pins, a custom verifier or, by default, CA
 * validation with a host name check; the alert a refusal sends; rejectUnauthorized: false; and
 * the misuse errors for configurations that cannot authenticate.
 */
import {
  AlertDescription, CertificateVerifyError, TlsAlertError, TlsCertificateError, TlsClient, TlsMisuseError, TlsServer, type PeerCertificate,
  type VerifyContext,
} from '../../../src/tls/index.js';
import { Wire, connected, disposeIdentities, identity, makeClient, makeServer, sha256Hex, thrown } from './support.js';

afterAll(disposeIdentities);

describe('pins', () => {
  test('a wrong certificate pin: client fails with ERR_TLS_PIN_MISMATCH, server gets bad_certificate', () => {
    const id = identity('ecdsa-p256');
    const other = identity('ecdsa-p384');
    const wire = new Wire(makeClient(id, { pins: { certSha256: [other.certSha256] } }), makeServer(id));
    wire.pump();
    const c = wire.client.failure;
    expect(c).toBeInstanceOf(TlsCertificateError);
    expect((c as TlsCertificateError).code).toBe('ERR_TLS_PIN_MISMATCH');
    expect(c!.alert).toBe(AlertDescription.bad_certificate);
    const s = wire.server.failure;
    expect(s).toBeInstanceOf(TlsAlertError);
    expect((s as TlsAlertError).fromPeer).toBe(true);
    expect(s!.alert).toBe(42);
    expect(wire.client.handshakeComplete).toBe(false);
    expect(wire.server.handshakeComplete).toBe(false);
    // Every later call rethrows the same error.
    expect(thrown(() => wire.client.write(new Uint8Array(1)))).toBe(c);
  });

  test('a wrong SPKI pin fails the same way', () => {
    const id = identity('ed25519');
    const wire = new Wire(makeClient(id, { pins: { spkiSha256: [identity('ecdsa-p256').spkiSha256] } }), makeServer(id));
    wire.pump();
    expect((wire.client.failure as TlsCertificateError).code).toBe('ERR_TLS_PIN_MISMATCH');
    expect(wire.server.failure!.alert).toBe(42);
  });

  test('an SPKI pin (hex, colon-separated hex, base64) is accepted', () => {
    const id = identity('rsa-2048');
    const colons = id.spkiSha256.match(/../g)!.join(':').toUpperCase();
    const b64 = Buffer.from(id.spkiSha256, 'hex').toString('base64');
    for (const pin of [id.spkiSha256, colons, b64]) {
      const wire = connected(id, { pins: { spkiSha256: [pin] } });
      expect(wire.client.session!.peerSignatureScheme).toBe('rsa_pss_rsae_sha256');
    }
  });

  test('any one matching pin among several is enough', () => {
    const id = identity('ecdsa-p256');
    const wire = connected(id, { pins: { certSha256: [sha256Hex(Uint8Array.of(1)), id.certSha256], spkiSha256: [sha256Hex(Uint8Array.of(2))] } });
    expect(wire.client.handshakeComplete).toBe(true);
  });

  test('a client with neither pins, verifier nor servername throws TlsMisuseError at construction', () => {
    // Default validation checks the server's name, so it needs one.
    expect(() => new TlsClient({})).toThrow(/servername/);
    expect(() => new TlsClient({ ca: identity().certPem })).toThrow(TlsMisuseError);
  });

  test('a client with both pins and a verifier throws TlsMisuseError', () => {
    const id = identity();
    expect(() => new TlsClient({ pins: { certSha256: [id.certSha256] }, verifier: { verify() {} } })).toThrow(TlsMisuseError);
  });

  test('empty pin lists throw TlsMisuseError', () => {
    expect(() => new TlsClient({ pins: {} })).toThrow(TlsMisuseError);
    expect(() => new TlsClient({ pins: { certSha256: ['not a pin'] } })).toThrow(TlsMisuseError);
  });

  test('a server whose key does not match its certificate throws TlsMisuseError', () => {
    const a = identity('ecdsa-p256');
    const b = identity('ed25519');
    expect(() => new TlsServer({ cert: a.certPem, key: b.keyPem })).toThrow(TlsMisuseError);
    expect(() => new TlsServer({ cert: a.certPem, key: identity('ecdsa-p384').keyPem })).toThrow(TlsMisuseError);
  });
});

describe('default validation (no pins, no verifier)', () => {
  test('a self-signed server is refused against the default roots: DEPTH_ZERO_SELF_SIGNED_CERT, unknown_ca reaches the server', () => {
    const id = identity('ecdsa-p256');
    const wire = new Wire(new TlsClient({ servername: 'localhost' }), makeServer(id));
    wire.pump();
    const c = wire.client.failure;
    expect(c).toBeInstanceOf(CertificateVerifyError);
    expect((c as TlsCertificateError).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(c!.message).toMatch(/^self-signed certificate \(depth 0: CN=localhost ecdsa-p256/);
    expect(c!.alert).toBe(AlertDescription.unknown_ca);
    const s = wire.server.failure;
    expect(s).toBeInstanceOf(TlsAlertError);
    expect((s as TlsAlertError).fromPeer).toBe(true);
    expect(s!.alert).toBe(AlertDescription.unknown_ca);
    expect(wire.client.handshakeComplete).toBe(false);
  });

  test('the same server is accepted when its certificate is given as ca', () => {
    const id = identity('ed25519');
    const wire = connected(id, { pins: undefined, ca: id.certPem });
    expect(wire.client.session!.authorizationError).toBeUndefined();
    expect(wire.client.session!.peerSignatureScheme).toBe('ed25519');
  });

  test('ca accepted but the name does not match: ERR_TLS_CERT_ALTNAME_INVALID, bad_certificate reaches the server', () => {
    const id = identity('ecdsa-p256');
    const wire = new Wire(new TlsClient({ servername: 'other.test', ca: id.certPem }), makeServer(id));
    wire.pump();
    const c = wire.client.failure as TlsCertificateError;
    expect(c.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(c.message).toBe("Hostname/IP does not match certificate's altnames: Host: other.test. is not in the cert's altnames: DNS:localhost");
    expect(wire.server.failure!.alert).toBe(AlertDescription.bad_certificate);
  });

  test('an expired certificate sends certificate_expired', () => {
    const id = identity('ecdsa-p256');
    const later = Date.now() + 365 * 86400_000;
    const wire = new Wire(new TlsClient({ servername: 'localhost', ca: id.certPem, now: () => later }), makeServer(id));
    wire.pump();
    expect((wire.client.failure as TlsCertificateError).code).toBe('CERT_HAS_EXPIRED');
    expect(wire.server.failure!.alert).toBe(AlertDescription.certificate_expired);
  });

  test('rejectUnauthorized: false completes the handshake and reports the refusal as authorizationError', () => {
    const id = identity('ecdsa-p384');
    const wire = new Wire(new TlsClient({ servername: 'localhost', rejectUnauthorized: false }), makeServer(id)).handshake();
    const err = wire.client.session!.authorizationError;
    expect(err).toBeInstanceOf(TlsCertificateError);
    expect(err!.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(wire.server.failure).toBeUndefined();
    const named = new Wire(new TlsClient({ servername: 'other.test', ca: id.certPem, rejectUnauthorized: false }), makeServer(id)).handshake();
    expect(named.client.session!.authorizationError!.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  test('checkServerIdentity replaces the name check and gets a Node-shaped certificate', () => {
    const id = identity('ecdsa-p256');
    const seen: { host: string; cn: unknown; san: unknown }[] = [];
    const checkServerIdentity = (host: string, cert: PeerCertificate) => {
      seen.push({ host, cn: cert.subject.CN, san: cert.subjectaltname });
      return host === 'localhost' ? undefined : Object.assign(new Error('not you'), { code: 'MY_CODE' });
    };
    connected(id, { pins: undefined, ca: id.certPem, checkServerIdentity });
    expect(seen).toEqual([{ host: 'localhost', cn: 'localhost ecdsa-p256', san: 'DNS:localhost' }]);
    const wire = new Wire(new TlsClient({ servername: 'x.test', ca: id.certPem, checkServerIdentity }), makeServer(id));
    wire.pump();
    expect((wire.client.failure as TlsCertificateError).code).toBe('MY_CODE');
    expect(wire.client.failure!.message).toBe('not you');
    expect(wire.server.failure!.alert).toBe(AlertDescription.bad_certificate);
  });

  test('ca with an SPKI pin: both must hold', () => {
    const id = identity('ecdsa-p256');
    expect(connected(id, { pins: { spkiSha256: [id.spkiSha256] }, ca: id.certPem }).client.handshakeComplete).toBe(true);
    const wire = new Wire(new TlsClient({ servername: 'localhost', ca: id.certPem, pins: { spkiSha256: [identity('ed25519').spkiSha256] } }), makeServer(id));
    wire.pump();
    expect((wire.client.failure as TlsCertificateError).code).toBe('ERR_TLS_PIN_MISMATCH');
    expect(() => new TlsClient({ servername: 'localhost', ca: id.certPem, pins: { certSha256: [id.certSha256] } })).toThrow(TlsMisuseError);
  });

  test('a verifier together with ca is a misuse', () => {
    expect(() => new TlsClient({ servername: 'localhost', ca: identity().certPem, verifier: { verify() {} } })).toThrow(TlsMisuseError);
  });

  test('a ca that is not a certificate is a misuse', () => {
    expect(() => new TlsClient({ servername: 'localhost', ca: 'not PEM' })).toThrow(/ca entry 0 holds no CERTIFICATE/);
    expect(() => new TlsClient({ servername: 'localhost', ca: Uint8Array.of(0x30, 0x82, 0x01, 0x00, 0x02) })).toThrow(/ca entry 0 is not a certificate/);
  });
});

describe('custom verifier', () => {
  test('receives the chain, the server name, the role and the injected clock', () => {
    const id = identity('ecdsa-p384');
    const calls: { chain: readonly Uint8Array[]; ctx: VerifyContext }[] = [];
    const wire = new Wire(
      new TlsClient({ servername: 'example.test', now: () => 1_700_000_000_000, verifier: { verify: (chain, ctx) => void calls.push({ chain, ctx }) } }),
      makeServer(id),
    ).handshake();
    expect(calls).toHaveLength(1);
    const { chain, ctx } = calls[0]!;
    expect(chain).toHaveLength(1);
    expect(Buffer.from(chain[0]!).equals(Buffer.from(id.certDer))).toBe(true);
    expect(ctx.serverName).toBe('example.test');
    expect(ctx.peer).toBe('server');
    expect(ctx.now).toBe(1_700_000_000_000);
    expect(wire.server.session!.serverName).toBe('example.test');
  });

  test("its TlsCertificateError's alert reaches the server", () => {
    const id = identity('ecdsa-p256');
    const refusal = new TlsCertificateError('CERT_HAS_EXPIRED', 'tls: expired', AlertDescription.certificate_expired);
    const wire = new Wire(
      new TlsClient({
        servername: 'localhost',
        verifier: {
          verify() {
            throw refusal;
          },
        },
      }),
      makeServer(id),
    );
    wire.pump();
    expect(wire.client.failure).toBe(refusal);
    const s = wire.server.failure;
    expect(s).toBeInstanceOf(TlsAlertError);
    expect((s as TlsAlertError).fromPeer).toBe(true);
    expect(s!.alert).toBe(AlertDescription.certificate_expired);
  });

  test('a verifier throwing a plain Error ends the handshake with internal_error', () => {
    const id = identity('ecdsa-p256');
    const wire = new Wire(
      new TlsClient({
        verifier: {
          verify() {
            throw new Error('boom');
          },
        },
      }),
      makeServer(id),
    );
    wire.pump();
    expect(wire.client.failure!.alert).toBe(AlertDescription.internal_error);
    expect(wire.server.failure!.alert).toBe(AlertDescription.internal_error);
    expect((wire.server.failure as TlsAlertError).fromPeer).toBe(true);
  });
});
