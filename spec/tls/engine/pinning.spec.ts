/**
 * Engine behaviour: authenticating the server by pins or a custom verifier, and the misuse
 * errors for configurations that cannot authenticate.
 */
import {
  AlertDescription, TlsAlertError, TlsCertificateError, TlsClient, TlsMisuseError, TlsServer, type VerifyContext,
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

  test('a client with neither pins nor verifier throws TlsMisuseError at construction', () => {
    expect(() => new TlsClient({ servername: 'localhost' })).toThrow(TlsMisuseError);
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
