/**
 * Engine behaviour: client authentication in the handshake (RFC 8446 sections 4.3.2, 4.4.2,
 * 4.4.2.4, 4.4.3). The server asks with requestCert and checks the client's chain with `ca`
 * (purpose clientAuth), `pins` or a verifier; the client answers with cert/key or
 * selectCertificate. Every refusal is checked on both ends: the failing end's alert and the
 * same alert received by the peer.
 */
import {
  AlertDescription, TlsCertificateError, TlsMisuseError, TlsServer, nobleProvider, nodeProvider, type CertificateVerifier,
  type ClientConfig, type CryptoProvider, type ServerConfig, type VerifyContext,
} from '../../../src/tls/index.js';
import { disposeTestPki, testPki } from '../../interop/support/certs.js';
import { disposeIdentities, exchange, identity, sameBytes, testData, type KeyKind } from './support.js';
import { certificateNames, corruptSigner, expectAlert, pemCertDer, utf8, text, join } from './peers-support.js';

afterAll(() => {
  disposeIdentities();
  disposeTestPki();
});

const PROVIDERS = [
  ['node', nodeProvider],
  ['noble', nobleProvider],
] as const;

/** A server with the PKI's P-256 certificate asking for a client certificate, validated against the PKI's CA. */
function caServer(extra: Partial<ServerConfig> = {}): ServerConfig {
  const pki = testPki();
  return { cert: pki.server['ecdsa-p256'].chainPem, key: pki.server['ecdsa-p256'].keyPem, requestCert: true, ca: pki.caCertPem, ...extra };
}

/** A client validating the PKI's server, with `extra` (its identity) on top. */
function caClient(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { servername: 'localhost', ca: testPki().caCertPem, ...extra };
}


describe.each(PROVIDERS)('with the %s provider', (_name, provider: CryptoProvider) => {
  test('a CA-issued client certificate (EKU clientAuth) is accepted; the server sees the chain as sent', () => {
    const pki = testPki();
    const wire = join(caClient({ provider, cert: pki.client.chainPem, key: pki.client.keyPem }), caServer({ provider }));
    if (wire.errors.length) throw wire.errors[0]!.error;
    const s = wire.server.session!;
    expect(s.peerCertificates.length).toBe(2);
    expect(sameBytes(s.peerCertificates[0]!, pemCertDer(pki.client.certPem))).toBe(true);
    expect(sameBytes(s.peerCertificates[1]!, pemCertDer(pki.caCertPem))).toBe(true);
    expect(s.peerSignatureScheme).toBe('ecdsa_secp256r1_sha256');
    expect(s.authorizationError).toBeUndefined();
    expect(s.certificateType).toBe('x509');
    expect(s.resumed).toBe(false);
    // The client's view is unchanged by its own authentication.
    expect(wire.client.session!.peerCertificates.length).toBe(2);
    expect(wire.client.session!.authorizationError).toBeUndefined();
    const got = exchange(wire, testData(5000, 1), testData(7000, 2));
    expect(sameBytes(got.atServer, testData(5000, 1))).toBe(true);
    expect(sameBytes(got.atClient, testData(7000, 2))).toBe(true);
  });

  test('the client CertificateVerify is checked: a corrupted signature gets decrypt_error, which the client receives', () => {
    const pki = testPki();
    const key = corruptSigner(provider.loadPrivateKey(pki.client.keyPem));
    const wire = join(caClient({ provider, cert: pki.client.certPem, key }), caServer({ provider }));
    const err = expectAlert(wire, 'server', AlertDescription.decrypt_error);
    expect(err.message).toMatch(/client CertificateVerify/);
    expect(wire.server.handshakeComplete).toBe(false);
    expect(wire.readByServer.length).toBe(0);
  });

  test('the same key, signing honestly, is accepted (control for the corrupted signature)', () => {
    const pki = testPki();
    const key = provider.loadPrivateKey(pki.client.keyPem);
    const wire = join(caClient({ provider, cert: pki.client.certPem, key }), caServer({ provider }));
    expect(wire.errors).toEqual([]);
    expect(wire.server.session!.peerCertificates.length).toBe(1);
  });
});

describe('refusals', () => {
  test('no client certificate: the server refuses with certificate_required (116), which the client receives', () => {
    const wire = join(caClient(), caServer());
    const err = expectAlert(wire, 'server', AlertDescription.certificate_required);
    expect(err).toBeInstanceOf(TlsCertificateError);
    expect((err as TlsCertificateError).code).toBe('CERT_MISSING');
    expect(wire.server.handshakeComplete).toBe(false);
  });

  test('no client certificate with rejectUnauthorized false: the handshake completes, session.authorizationError says why', () => {
    const wire = join(caClient(), caServer({ rejectUnauthorized: false }));
    expect(wire.errors).toEqual([]);
    const s = wire.server.session!;
    expect(s.peerCertificates).toEqual([]);
    expect(s.authorizationError).toBeInstanceOf(TlsCertificateError);
    expect(s.authorizationError!.code).toBe('CERT_MISSING');
    expect(s.authorizationError!.alert).toBe(AlertDescription.certificate_required);
    const got = exchange(wire, utf8('hi'), utf8('there'));
    expect(Buffer.from(got.atServer).toString()).toBe('hi');
  });

  test('a client certificate from an unknown CA (self-signed): unknown_ca (48)', () => {
    const rogue = identity('ed25519');
    const wire = join(caClient({ cert: rogue.certPem, key: rogue.keyPem }), caServer());
    const err = expectAlert(wire, 'server', AlertDescription.unknown_ca);
    expect((err as TlsCertificateError).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
  });

  test('an unknown-CA client certificate with rejectUnauthorized false: completes, authorizationError, chain kept', () => {
    const rogue = identity('ed25519');
    const wire = join(caClient({ cert: rogue.certPem, key: rogue.keyPem }), caServer({ rejectUnauthorized: false }));
    expect(wire.errors).toEqual([]);
    const s = wire.server.session!;
    expect(s.authorizationError!.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(s.authorizationError!.alert).toBe(AlertDescription.unknown_ca);
    expect(sameBytes(s.peerCertificates[0]!, rogue.certDer)).toBe(true);
    expect(s.peerSignatureScheme).toBe('ed25519');
  });

  test('a certificate for the wrong purpose (EKU serverAuth only) as client certificate: unsupported_certificate (43)', () => {
    const pki = testPki();
    const wrong = pki.server['ecdsa-p256'];
    const wire = join(caClient({ cert: wrong.certPem, key: wrong.keyPem }), caServer());
    const err = expectAlert(wire, 'server', AlertDescription.unsupported_certificate);
    expect((err as TlsCertificateError).code).toBe('INVALID_PURPOSE');
  });

  test('a CA-issued client certificate with a pinned SPKI that does not match: bad_certificate (42)', () => {
    const pki = testPki();
    const wire = join(
      caClient({ cert: pki.client.certPem, key: pki.client.keyPem }),
      caServer({ pins: { spkiSha256: [identity('ecdsa-p256').spkiSha256] } }),
    );
    const err = expectAlert(wire, 'server', AlertDescription.bad_certificate);
    expect((err as TlsCertificateError).code).toBe('ERR_TLS_PIN_MISMATCH');
  });

  test('requestCert without ca, pins or verifier is a TlsMisuseError', () => {
    const id = identity('ecdsa-p256');
    expect(() => new TlsServer({ cert: id.certPem, key: id.keyPem, requestCert: true })).toThrow(TlsMisuseError);
  });
});

describe('pins', () => {
  const KINDS: [KeyKind, string][] = [
    ['ecdsa-p256', 'ecdsa_secp256r1_sha256'],
    ['ecdsa-p384', 'ecdsa_secp384r1_sha384'],
    ['rsa-2048', 'rsa_pss_rsae_sha256'],
    ['ed25519', 'ed25519'],
  ];

  test.each(KINDS)('a pinned self-signed %s client certificate is accepted (%s)', (kind, scheme) => {
    const sid = identity('ecdsa-p256');
    const cid = identity(kind);
    const wire = join(
      { servername: 'localhost', pins: { certSha256: [sid.certSha256] }, cert: cid.certPem, key: cid.keyPem },
      { cert: sid.certPem, key: sid.keyPem, requestCert: true, pins: { certSha256: [cid.certSha256] } },
    );
    expect(wire.errors).toEqual([]);
    expect(wire.server.session!.peerSignatureScheme).toBe(scheme);
    expect(sameBytes(wire.server.session!.peerCertificates[0]!, cid.certDer)).toBe(true);
  });

  test('an SPKI pin of the client key is accepted too', () => {
    const sid = identity('ecdsa-p256');
    const cid = identity('ed25519');
    const wire = join(
      { servername: 'localhost', pins: { certSha256: [sid.certSha256] }, cert: cid.certPem, key: cid.keyPem },
      { cert: sid.certPem, key: sid.keyPem, requestCert: true, pins: { spkiSha256: [cid.spkiSha256] } },
    );
    expect(wire.errors).toEqual([]);
  });

  test('an unpinned client certificate: bad_certificate (42), received by the client', () => {
    const sid = identity('ecdsa-p256');
    const cid = identity('ed25519');
    const wire = join(
      { servername: 'localhost', pins: { certSha256: [sid.certSha256] }, cert: cid.certPem, key: cid.keyPem },
      { cert: sid.certPem, key: sid.keyPem, requestCert: true, pins: { certSha256: [identity('ecdsa-p384').certSha256] } },
    );
    const err = expectAlert(wire, 'server', AlertDescription.bad_certificate);
    expect((err as TlsCertificateError).code).toBe('ERR_TLS_PIN_MISMATCH');
  });

  test('a custom verifier sees the client chain with peer "client" and no server name', () => {
    const sid = identity('ecdsa-p256');
    const cid = identity('ecdsa-p384');
    const seen: { chain: readonly Uint8Array[]; ctx: VerifyContext }[] = [];
    const verifier: CertificateVerifier = { verify: (chain, ctx) => void seen.push({ chain, ctx }) };
    const wire = join(
      { servername: 'localhost', pins: { certSha256: [sid.certSha256] }, cert: cid.certPem, key: cid.keyPem },
      { cert: sid.certPem, key: sid.keyPem, requestCert: true, verifier, now: () => 1_700_000_123_000 },
    );
    expect(wire.errors).toEqual([]);
    expect(seen.length).toBe(1);
    expect(sameBytes(seen[0]!.chain[0]!, cid.certDer)).toBe(true);
    expect(seen[0]!.ctx.peer).toBe('client');
    expect(seen[0]!.ctx.serverName).toBeUndefined();
    expect(seen[0]!.ctx.now).toBe(1_700_000_123_000);
  });
});

describe('selectCertificate', () => {
  test('sees the certificate_authorities names from ca, the signature schemes, and postHandshake false', () => {
    const pki = testPki();
    const calls: { authorities: readonly Uint8Array[]; signatureSchemes: readonly string[]; postHandshake: boolean }[] = [];
    const wire = join(
      caClient({
        selectCertificate: (req) => {
          calls.push({ authorities: req.authorities.map((a) => a.slice()), signatureSchemes: [...req.signatureSchemes], postHandshake: req.postHandshake });
          return { cert: pki.client.certPem, key: pki.client.keyPem };
        },
      }),
      caServer(),
    );
    expect(wire.errors).toEqual([]);
    expect(calls.length).toBe(1);
    const { authorities, signatureSchemes, postHandshake } = calls[0]!;
    const caNames = certificateNames(pemCertDer(pki.caCertPem));
    expect(authorities.length).toBe(1);
    expect(sameBytes(authorities[0]!, caNames.subject)).toBe(true);
    expect(sameBytes(authorities[0]!, certificateNames(pemCertDer(pki.client.certPem)).issuer)).toBe(true);
    expect(signatureSchemes).toEqual(expect.arrayContaining(['ecdsa_secp256r1_sha256', 'ed25519', 'rsa_pss_rsae_sha256']));
    expect(postHandshake).toBe(false);
  });

  test('picks, among two identities, the one issued by a listed authority', () => {
    const pki = testPki();
    const rogue = identity('ed25519');
    const candidates = [
      { cert: rogue.certPem, key: rogue.keyPem },
      { cert: pki.client.certPem, key: pki.client.keyPem },
    ];
    const wire = join(
      caClient({
        selectCertificate: (req) =>
          candidates.find((c) => req.authorities.some((a) => sameBytes(a, certificateNames(pemCertDer(c.cert)).issuer))) ?? null,
      }),
      caServer(),
    );
    expect(wire.errors).toEqual([]);
    expect(sameBytes(wire.server.session!.peerCertificates[0]!, pemCertDer(pki.client.certPem))).toBe(true);
  });

  test('with pins only (no ca), certificate_authorities is absent: authorities is empty', () => {
    const sid = identity('ecdsa-p256');
    const cid = identity('ed25519');
    let authorities: readonly Uint8Array[] | undefined;
    const wire = join(
      {
        servername: 'localhost', pins: { certSha256: [sid.certSha256] },
        selectCertificate: (req) => {
          authorities = req.authorities;
          return { cert: cid.certPem, key: cid.keyPem };
        },
      },
      { cert: sid.certPem, key: sid.keyPem, requestCert: true, pins: { certSha256: [cid.certSha256] } },
    );
    expect(wire.errors).toEqual([]);
    expect(authorities).toEqual([]);
  });

  test('returning null sends an empty Certificate: certificate_required (116)', () => {
    let called = 0;
    const wire = join(
      caClient({
        selectCertificate: () => {
          called++;
          return null;
        },
      }),
      caServer(),
    );
    expect(called).toBe(1);
    expectAlert(wire, 'server', AlertDescription.certificate_required);
  });

  test('is not called when the server asks for no certificate, and the server sees none', () => {
    const sid = identity('ecdsa-p256');
    let called = 0;
    const wire = join(
      {
        servername: 'localhost', pins: { certSha256: [sid.certSha256] },
        selectCertificate: () => {
          called++;
          return null;
        },
      },
      { cert: sid.certPem, key: sid.keyPem },
    );
    expect(wire.errors).toEqual([]);
    expect(called).toBe(0);
    expect(wire.server.session!.peerCertificates).toEqual([]);
    expect(wire.server.session!.authorizationError).toBeUndefined();
    // Data goes through as usual.
    wire.client.write(utf8('ping'));
    wire.pump({ read: true });
    expect(text(wire.readByServer)).toBe('ping');
  });
});
