/**
 * Engine behaviour: RFC 7250 raw public keys. A client with `rawPublicKey` offers
 * server_certificate_type [RawPublicKey, X509] (and client_certificate_type when it has a
 * key); a server with `rawPublicKey` presents its key alone as a SubjectPublicKeyInfo, and
 * accepts a client's raw key checked against `pins.spkiSha256`. Without a type in common the
 * server refuses with unsupported_certificate (RFC 7250 section 4.2, outcome 2); with X.509 in
 * common it falls back to X.509 (outcome 3).
 */
import {
  AlertDescription, TlsCertificateError, TlsClient, TlsMisuseError, TlsServer, nobleProvider, nodeProvider, type ClientConfig,
  type CryptoProvider, type ServerConfig,
} from '../../../src/tls/index.js';
import { ExtensionType } from '../../../src/tls/constants.js';
import {
  CertificateType, decodeCertificateTypes, decodeSelectedCertificateType, encodeCertificateTypes, findExtension,
} from '../../../src/tls/messages/index.js';
import { Wire, disposeIdentities, identity, sameBytes } from './support.js';
import { clientHellos, encryptedExtensionsOf, expectAlert, keyLogger, spkiDer, text, utf8, join } from './peers-support.js';

afterAll(disposeIdentities);

const sid = () => identity('ecdsa-p256');
const cid = () => identity('ed25519');


/** The certificate types the server chose, as answered in EncryptedExtensions (undefined when not answered). */
function chosenTypes(wire: Wire, serverHsSecret: Uint8Array): { server?: number; client?: number } {
  const ee = encryptedExtensionsOf(wire.fromServer, serverHsSecret);
  const s = findExtension(ee, ExtensionType.server_certificate_type);
  const c = findExtension(ee, ExtensionType.client_certificate_type);
  return { server: s && decodeSelectedCertificateType(s), client: c && decodeSelectedCertificateType(c) };
}

describe.each([
  ['node', nodeProvider],
  ['noble', nobleProvider],
] as const)('with the %s provider', (_n, provider: CryptoProvider) => {
  test('a server raw public key, pinned by the client: certificateType raw, the SPKI as peerCertificates', () => {
    const log = keyLogger();
    const wire = join(
      { provider, rawPublicKey: true, pins: { spkiSha256: [sid().spkiSha256] } },
      { provider, key: sid().keyPem, rawPublicKey: true, keyLog: log.keyLog },
    );
    expect(wire.errors).toEqual([]);
    const s = wire.client.session!;
    expect(s.certificateType).toBe('raw');
    expect(s.peerCertificates.length).toBe(1);
    expect(sameBytes(s.peerCertificates[0]!, spkiDer(sid().certPem))).toBe(true);
    expect(s.peerSignatureScheme).toBe('ecdsa_secp256r1_sha256');
    expect(chosenTypes(wire, log.secret('SERVER_HANDSHAKE_TRAFFIC_SECRET')!)).toEqual({ server: CertificateType.RawPublicKey, client: undefined });
    const ch = clientHellos(wire.fromClient)[0]!.ch;
    expect(decodeCertificateTypes(findExtension(ch.extensions, ExtensionType.server_certificate_type)!)).toEqual([
      CertificateType.RawPublicKey, CertificateType.X509,
    ]);
    // No identity of its own: no client_certificate_type.
    expect(findExtension(ch.extensions, ExtensionType.client_certificate_type)).toBeUndefined();
  });

  test('raw public keys both ways, each pinned by the other', () => {
    const log = keyLogger();
    const wire = join(
      { provider, rawPublicKey: true, key: cid().keyPem, pins: { spkiSha256: [sid().spkiSha256] } },
      { provider, key: sid().keyPem, rawPublicKey: true, requestCert: true, pins: { spkiSha256: [cid().spkiSha256] }, keyLog: log.keyLog },
    );
    expect(wire.errors).toEqual([]);
    const s = wire.server.session!;
    expect(s.certificateType).toBe('raw');
    expect(sameBytes(s.peerCertificates[0]!, spkiDer(cid().certPem))).toBe(true);
    expect(s.peerSignatureScheme).toBe('ed25519');
    expect(wire.client.session!.certificateType).toBe('raw');
    expect(chosenTypes(wire, log.secret('SERVER_HANDSHAKE_TRAFFIC_SECRET')!)).toEqual({
      server: CertificateType.RawPublicKey, client: CertificateType.RawPublicKey,
    });
    wire.client.write(utf8('raw hello'));
    wire.pump({ read: true });
    expect(text(wire.readByServer)).toBe('raw hello');
  });
});

describe('pin mismatches', () => {
  test("the server's raw key matches no client pin: the client sends bad_certificate (42), the server receives it", () => {
    const wire = join(
      { rawPublicKey: true, pins: { spkiSha256: [cid().spkiSha256] } },
      { key: sid().keyPem, rawPublicKey: true },
    );
    const err = expectAlert(wire, 'client', AlertDescription.bad_certificate);
    expect((err as TlsCertificateError).code).toBe('ERR_TLS_PIN_MISMATCH');
  });

  test("the client's raw key matches no server pin: the server sends bad_certificate (42), the client receives it", () => {
    const wire = join(
      { rawPublicKey: true, key: cid().keyPem, pins: { spkiSha256: [sid().spkiSha256] } },
      { key: sid().keyPem, rawPublicKey: true, requestCert: true, pins: { spkiSha256: [identity('ecdsa-p384').spkiSha256] } },
    );
    const err = expectAlert(wire, 'server', AlertDescription.bad_certificate);
    expect((err as TlsCertificateError).code).toBe('ERR_TLS_PIN_MISMATCH');
  });

  test('with rejectUnauthorized false on the server, an unpinned raw client key completes with authorizationError', () => {
    const wire = join(
      { rawPublicKey: true, key: cid().keyPem, pins: { spkiSha256: [sid().spkiSha256] } },
      { key: sid().keyPem, rawPublicKey: true, requestCert: true, rejectUnauthorized: false, pins: { spkiSha256: [identity('ecdsa-p384').spkiSha256] } },
    );
    expect(wire.errors).toEqual([]);
    expect(wire.server.session!.authorizationError!.code).toBe('ERR_TLS_PIN_MISMATCH');
    expect(wire.server.session!.certificateType).toBe('raw');
  });
});

describe('negotiation of the certificate type', () => {
  test('a server with a certificate and rawPublicKey gives a raw key to a client that asks, X.509 to one that does not', () => {
    const scfg: ServerConfig = { cert: sid().certPem, key: sid().keyPem, rawPublicKey: true };
    const raw = join({ rawPublicKey: true, pins: { spkiSha256: [sid().spkiSha256] } }, scfg);
    expect(raw.errors).toEqual([]);
    expect(raw.client.session!.certificateType).toBe('raw');
    const x509 = join({ servername: 'localhost', pins: { certSha256: [sid().certSha256] } }, scfg);
    expect(x509.errors).toEqual([]);
    expect(x509.client.session!.certificateType).toBe('x509');
    expect(sameBytes(x509.client.session!.peerCertificates[0]!, sid().certDer)).toBe(true);
  });

  test('a server without rawPublicKey falls back to X.509, which the client offered too (RFC 7250 section 4.2, outcome 3)', () => {
    const log = keyLogger();
    const wire = join(
      { rawPublicKey: true, pins: { spkiSha256: [sid().spkiSha256] } },
      { cert: sid().certPem, key: sid().keyPem, keyLog: log.keyLog },
    );
    expect(wire.errors).toEqual([]);
    expect(wire.client.session!.certificateType).toBe('x509');
    expect(sameBytes(wire.client.session!.peerCertificates[0]!, sid().certDer)).toBe(true);
    expect(chosenTypes(wire, log.secret('SERVER_HANDSHAKE_TRAFFIC_SECRET')!).server).toBe(CertificateType.X509);
  });

  test('a client accepting only raw keys and a server without rawPublicKey: unsupported_certificate (43) (outcome 2)', () => {
    const onlyRaw = (_t: number, exts: { type: number; data: Uint8Array }[]) =>
      exts.map((e) => (e.type === ExtensionType.server_certificate_type ? { type: e.type, data: encodeCertificateTypes([CertificateType.RawPublicKey]) } : e));
    const wire = join(
      { rawPublicKey: true, pins: { spkiSha256: [sid().spkiSha256] }, extensionHook: onlyRaw },
      { cert: sid().certPem, key: sid().keyPem },
    );
    expectAlert(wire, 'server', AlertDescription.unsupported_certificate);
  });

  test('a server with only a raw key and a client that does not ask for one: unsupported_certificate (43)', () => {
    const wire = join({ servername: 'localhost', pins: { spkiSha256: [sid().spkiSha256] } }, { key: sid().keyPem, rawPublicKey: true });
    expectAlert(wire, 'server', AlertDescription.unsupported_certificate);
  });

  test('a client with only a raw key and a server accepting X.509 client certificates only: unsupported_certificate (43)', () => {
    const wire = join(
      { rawPublicKey: true, key: cid().keyPem, pins: { spkiSha256: [sid().spkiSha256] } },
      { cert: sid().certPem, key: sid().keyPem, requestCert: true, pins: { spkiSha256: [cid().spkiSha256] } },
    );
    const ch = clientHellos(wire.fromClient)[0]!.ch;
    expect(decodeCertificateTypes(findExtension(ch.extensions, ExtensionType.client_certificate_type)!)).toEqual([CertificateType.RawPublicKey]);
    expectAlert(wire, 'server', AlertDescription.unsupported_certificate);
  });

  test('a client with a certificate and rawPublicKey presents X.509 to a server without rawPublicKey', () => {
    const wire = join(
      { rawPublicKey: true, cert: cid().certPem, key: cid().keyPem, pins: { spkiSha256: [sid().spkiSha256] } },
      { cert: sid().certPem, key: sid().keyPem, requestCert: true, pins: { certSha256: [cid().certSha256] } },
    );
    expect(wire.errors).toEqual([]);
    expect(wire.server.session!.certificateType).toBe('x509');
    expect(sameBytes(wire.server.session!.peerCertificates[0]!, cid().certDer)).toBe(true);
  });

  test('a client with rawPublicKey and CA validation (no way to check a raw key) is a TlsMisuseError', () => {
    expect(() => new TlsClient({ rawPublicKey: true, servername: 'localhost' })).toThrow(/rawPublicKey needs pins.spkiSha256/);
  });

  test('a client with rawPublicKey and certificate pins only (no pins.spkiSha256) is a TlsMisuseError', () => {
    // ClientConfig.rawPublicKey: "checked against pins.spkiSha256"; with certSha256 pins alone
    // every raw key would be refused, so the client would fail against any raw-key server.
    expect(() => new TlsClient({ rawPublicKey: true, pins: { certSha256: [sid().certSha256] } })).toThrow(TlsMisuseError);
  });

  test('a server with cert but no key is a TlsMisuseError', () => {
    expect(() => new TlsServer({ cert: sid().certPem })).toThrow(TlsMisuseError);
  });
});

describe('resumption', () => {
  test('a resumed session keeps the raw keys and their type on both ends', () => {
    const ccfg: ClientConfig = { rawPublicKey: true, key: cid().keyPem, pins: { spkiSha256: [sid().spkiSha256] } };
    const scfg: ServerConfig = { key: sid().keyPem, rawPublicKey: true, requestCert: true, pins: { spkiSha256: [cid().spkiSha256] } };
    join(ccfg, scfg);
    const wire = join(ccfg, scfg);
    expect(wire.errors).toEqual([]);
    expect(wire.client.session!.resumed).toBe(true);
    expect(wire.client.session!.certificateType).toBe('raw');
    expect(sameBytes(wire.client.session!.peerCertificates[0]!, spkiDer(sid().certPem))).toBe(true);
    expect(wire.server.session!.certificateType).toBe('raw');
    expect(sameBytes(wire.server.session!.peerCertificates[0]!, spkiDer(cid().certPem))).toBe(true);
  });
});
