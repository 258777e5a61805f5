/**
 * Engine behaviour: post-handshake client authentication (RFC 8446 sections 4.2.6, 4.6.2):
 * `server.requestCertificate()` sends a CertificateRequest with a fresh context; a client that
 * offered post_handshake_auth answers with Certificate, CertificateVerify (if not empty) and
 * Finished under its application keys; the server reports a `peerCertificate` event or ends
 * the connection with the alert the in-handshake rules give.
 */
import {
  AlertDescription, TlsCertificateError, TlsClient, TlsMisuseError, TlsServer, nobleProvider, nodeProvider, type ClientConfig,
  type CryptoProvider, type ServerConfig, type TlsEvent,
} from '../../../src/tls/index.js';
import { ExtensionType, HandshakeType } from '../../../src/tls/constants.js';
import type { CertificateRequestInfo } from '../../../src/tls/client/config.js';
import { decodeCertificate, decodeCertificateRequest } from '../../../src/tls/messages/index.js';
import { Wire, disposeIdentities, exchange, identity, sameBytes, testData } from './support.js';
import {
  clientHellos, corruptSigner, expectAlert, feed, hasExtension, keyLogger, messageOffset, move, resealRecords, serverSuite, spkiDer, splitMessages, text, utf8,
} from './peers-support.js';

afterAll(disposeIdentities);

const sid = () => identity('ecdsa-p256');
const cidA = () => identity('ed25519');
const cidB = () => identity('ecdsa-p384');

/** A server that asks for client certificates pinned to A or B. */
function phaServer(extra: Partial<ServerConfig> = {}): ServerConfig {
  return { cert: sid().certPem, key: sid().keyPem, requestCert: true, pins: { certSha256: [cidA().certSha256, cidB().certSha256] }, ...extra };
}

type Chosen = ReturnType<NonNullable<ClientConfig['selectCertificate']>>;

/** A client presenting identity A in the handshake and `after` (maybe nothing) when asked after it. */
function phaClientAnswering(after: Chosen): ClientConfig {
  return phaClient({ selectCertificate: (req) => (req.postHandshake ? after : { cert: cidA().certPem, key: cidA().keyPem }) });
}

function phaClient(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { servername: 'localhost', pins: { certSha256: [sid().certSha256] }, ...extra };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const peerCertEvents = (events: TlsEvent[]) => events.flatMap((e) => (e.type === 'peerCertificate' ? [e] : []));

function connect(c: ClientConfig, s: ServerConfig): Wire {
  const wire = new Wire(new TlsClient(c), new TlsServer(s)).handshake();
  wire.server.takeEvents();
  wire.client.takeEvents();
  return wire;
}

describe.each([
  ['node', nodeProvider],
  ['noble', nobleProvider],
] as const)('with the %s provider', (_n, provider: CryptoProvider) => {
  test('a client authenticated in the handshake authenticates again: peerCertificate event, session updated', () => {
    const wire = connect(phaClient({ provider, cert: cidA().certPem, key: cidA().keyPem }), phaServer({ provider }));
    expect(sameBytes(wire.server.session!.peerCertificates[0]!, cidA().certDer)).toBe(true);
    wire.server.requestCertificate();
    wire.pump();
    expect(wire.errors).toEqual([]);
    const ev = peerCertEvents(wire.server.takeEvents());
    expect(ev.length).toBe(1);
    expect(ev[0]!.chain.length).toBe(1);
    expect(sameBytes(ev[0]!.chain[0]!, cidA().certDer)).toBe(true);
    expect(ev[0]!.authorizationError).toBeUndefined();
    expect(wire.server.session!.peerSignatureScheme).toBe('ed25519');
    // The connection still carries data both ways.
    const got = exchange(wire, testData(3000, 1), testData(3000, 2));
    expect(sameBytes(got.atServer, testData(3000, 1))).toBe(true);
  });
});

describe('post-handshake authentication', () => {
  test("requestCert 'postHandshake': no CertificateRequest in the handshake, then a required certificate after it", () => {
    const wire = connect(phaClient({ cert: cidA().certPem, key: cidA().keyPem }), phaServer({ requestCert: 'postHandshake' }));
    expect(wire.server.session!.peerCertificates).toEqual([]);
    expect(wire.server.session!.authorizationError).toBeUndefined();
    wire.server.requestCertificate();
    wire.pump();
    expect(wire.errors).toEqual([]);
    const ev = peerCertEvents(wire.server.takeEvents());
    expect(ev.length).toBe(1);
    expect(sameBytes(ev[0]!.chain[0]!, cidA().certDer)).toBe(true);
  });

  test("requestCert 'postHandshake' still refuses a client that then sends no certificate: certificate_required", () => {
    const wire = connect(phaClient({ selectCertificate: () => null, postHandshakeAuth: true }), phaServer({ requestCert: 'postHandshake' }));
    wire.server.requestCertificate();
    wire.pump();
    expect(wire.errors.map((e) => [e.end, (e.error as TlsCertificateError).alert])).toEqual([
      ['server', AlertDescription.certificate_required],
      ['client', AlertDescription.certificate_required],
    ]);
  });

  test('a client that sent no certificate in the handshake presents one after it: chain set, authorizationError cleared', () => {
    const requests: CertificateRequestInfo[] = [];
    const wire = connect(
      phaClient({
        selectCertificate: (req) => {
          requests.push(req);
          return req.postHandshake ? { cert: cidA().certPem, key: cidA().keyPem } : null;
        },
      }),
      phaServer({ rejectUnauthorized: false }),
    );
    expect(wire.server.session!.peerCertificates).toEqual([]);
    expect(wire.server.session!.authorizationError!.code).toBe('CERT_MISSING');
    wire.server.requestCertificate();
    wire.pump();
    expect(wire.errors).toEqual([]);
    expect(requests.map((r) => r.postHandshake)).toEqual([false, true]);
    expect(requests[1]!.signatureSchemes).toContain('ed25519');
    const ev = peerCertEvents(wire.server.takeEvents());
    expect(ev.length).toBe(1);
    expect(sameBytes(ev[0]!.chain[0]!, cidA().certDer)).toBe(true);
    const s = wire.server.session!;
    expect(sameBytes(s.peerCertificates[0]!, cidA().certDer)).toBe(true);
    expect(s.authorizationError).toBeUndefined();
    expect(s.peerSignatureScheme).toBe('ed25519');
  });

  test('twice in a row: two events, each with the certificate then chosen', () => {
    let n = 0;
    const wire = connect(
      phaClient({
        selectCertificate: () => {
          const id = n++ % 2 === 0 ? cidA() : cidB();
          return { cert: id.certPem, key: id.keyPem };
        },
      }),
      phaServer(),
    );
    // handshake: A
    wire.server.requestCertificate();
    wire.pump();
    let ev = peerCertEvents(wire.server.takeEvents());
    expect(ev.length).toBe(1);
    expect(sameBytes(ev[0]!.chain[0]!, cidB().certDer)).toBe(true);
    expect(wire.server.session!.peerSignatureScheme).toBe('ecdsa_secp384r1_sha384');
    wire.server.requestCertificate();
    wire.pump();
    ev = peerCertEvents(wire.server.takeEvents());
    expect(wire.errors).toEqual([]);
    expect(ev.length).toBe(1);
    expect(sameBytes(ev[0]!.chain[0]!, cidA().certDer)).toBe(true);
    expect(sameBytes(wire.server.session!.peerCertificates[0]!, cidA().certDer)).toBe(true);
    expect(n).toBe(3);
  });

  test('each request has a fresh, non-empty certificate_request_context, which the client echoes', () => {
    const slog = keyLogger();
    const clog = keyLogger();
    const wire = connect(phaClient({ cert: cidA().certPem, key: cidA().keyPem, keyLog: clog.keyLog }), phaServer({ tickets: 0, keyLog: slog.keyLog }));
    const fromServer = wire.fromServer.length;
    const fromClient = wire.fromClient.length;
    for (let i = 0; i < 2; i++) {
      wire.server.requestCertificate();
      wire.pump();
    }
    expect(wire.errors).toEqual([]);
    expect(peerCertEvents(wire.server.takeEvents()).length).toBe(2);
    const suite = serverSuite(wire.fromServer);
    const requested: string[] = [];
    resealRecords(wire.fromServer.slice(fromServer), suite, slog.secret('SERVER_TRAFFIC_SECRET_0')!, (content) => {
      for (const m of splitMessages(content)) {
        if (m.type === HandshakeType.certificate_request) requested.push(hex(decodeCertificateRequest(m.raw.subarray(4)).context));
      }
    });
    const echoed: string[] = [];
    resealRecords(wire.fromClient.slice(fromClient), suite, clog.secret('CLIENT_TRAFFIC_SECRET_0')!, (content) => {
      for (const m of splitMessages(content)) {
        if (m.type === HandshakeType.certificate) echoed.push(hex(decodeCertificate(m.raw.subarray(4)).context));
      }
    });
    expect(requested.length).toBe(2);
    expect(requested.every((c) => c.length > 0)).toBe(true);
    expect(requested[0]).not.toBe(requested[1]);
    expect(echoed).toEqual(requested);
  });

  test('a second request while one is outstanding is a TlsMisuseError; the first still completes', () => {
    const wire = connect(phaClient({ cert: cidA().certPem, key: cidA().keyPem }), phaServer());
    wire.server.requestCertificate();
    expect(() => wire.server.requestCertificate()).toThrow(TlsMisuseError);
    wire.pump();
    expect(wire.errors).toEqual([]);
    expect(peerCertEvents(wire.server.takeEvents()).length).toBe(1);
    expect(wire.server.failure).toBeUndefined();
  });

  test('refused when the client did not offer post_handshake_auth (TlsMisuseError, nothing sent)', () => {
    const wire = connect(phaClient({ cert: cidA().certPem, key: cidA().keyPem, postHandshakeAuth: false }), phaServer());
    expect(hasExtension(clientHellos(wire.fromClient)[0]!.ch, ExtensionType.post_handshake_auth)).toBe(false);
    const before = wire.fromServer.length;
    expect(() => wire.server.requestCertificate()).toThrow(/did not offer post-handshake/);
    expect(() => wire.server.requestCertificate()).toThrow(TlsMisuseError);
    wire.pump();
    expect(wire.fromServer.length).toBe(before);
    expect(wire.server.failure).toBeUndefined();
    wire.client.write(utf8('still fine'));
    wire.pump({ read: true });
    expect(text(wire.readByServer)).toBe('still fine');
  });

  test('a client with no identity does not offer post_handshake_auth by default; one that does offers it', () => {
    const plain = connect(phaClient(), phaServer({ rejectUnauthorized: false }));
    expect(hasExtension(clientHellos(plain.fromClient)[0]!.ch, ExtensionType.post_handshake_auth)).toBe(false);
    expect(() => plain.server.requestCertificate()).toThrow(TlsMisuseError);
    const withId = connect(phaClient({ cert: cidA().certPem, key: cidA().keyPem }), phaServer());
    expect(hasExtension(clientHellos(withId.fromClient)[0]!.ch, ExtensionType.post_handshake_auth)).toBe(true);
  });

  test('before the handshake completes, or without requestCert: TlsMisuseError', () => {
    const early = new Wire(new TlsClient(phaClient({ cert: cidA().certPem, key: cidA().keyPem })), new TlsServer(phaServer()));
    expect(() => early.server.requestCertificate()).toThrow(TlsMisuseError);
    const noCr = connect(phaClient({ cert: cidA().certPem, key: cidA().keyPem }), { cert: sid().certPem, key: sid().keyPem });
    expect(() => noCr.server.requestCertificate()).toThrow(/requestCert/);
  });

  test('an empty Certificate with rejectUnauthorized (default): certificate_required (116), received by the client', () => {
    const wire = connect(
      phaClientAnswering(null),
      phaServer(),
    );
    wire.server.requestCertificate();
    wire.pump();
    const err = expectAlert(wire, 'server', AlertDescription.certificate_required);
    expect((err as TlsCertificateError).code).toBe('CERT_MISSING');
  });

  test('an empty Certificate with rejectUnauthorized false: event with authorizationError and no chain; connection goes on', () => {
    const wire = connect(
      phaClientAnswering(null),
      phaServer({ rejectUnauthorized: false }),
    );
    expect(wire.server.session!.authorizationError).toBeUndefined();
    wire.server.requestCertificate();
    wire.pump();
    expect(wire.errors).toEqual([]);
    const ev = peerCertEvents(wire.server.takeEvents());
    expect(ev.length).toBe(1);
    expect(ev[0]!.chain).toEqual([]);
    expect(ev[0]!.authorizationError!.code).toBe('CERT_MISSING');
    expect(wire.server.session!.authorizationError!.code).toBe('CERT_MISSING');
    expect(wire.server.session!.peerCertificates).toEqual([]);
    const got = exchange(wire, utf8('a'), utf8('b'));
    expect(Buffer.from(got.atClient).toString()).toBe('b');
  });

  test('an unpinned certificate after the handshake: bad_certificate (42)', () => {
    const other = identity('rsa-2048');
    const wire = connect(
      phaClientAnswering({ cert: other.certPem, key: other.keyPem }),
      phaServer(),
    );
    wire.server.requestCertificate();
    wire.pump();
    const err = expectAlert(wire, 'server', AlertDescription.bad_certificate);
    expect((err as TlsCertificateError).code).toBe('ERR_TLS_PIN_MISMATCH');
  });

  test('a corrupted CertificateVerify signature after the handshake: decrypt_error (51)', () => {
    const key = corruptSigner(nodeProvider.loadPrivateKey(cidA().keyPem));
    const wire = connect(
      phaClientAnswering({ cert: cidA().certPem, key }),
      phaServer(),
    );
    wire.server.requestCertificate();
    wire.pump();
    const err = expectAlert(wire, 'server', AlertDescription.decrypt_error);
    expect(err.message).toMatch(/CertificateVerify/);
    expect(peerCertEvents(wire.server.takeEvents())).toEqual([]);
  });

  describe('tampering with the client answer on the wire', () => {
    /** Connects, sends a request, and returns the client's answer (protected records) before the server sees it. */
    function answer(): { wire: Wire; chunks: Uint8Array[]; secret: Uint8Array } {
      const log = keyLogger();
      const wire = connect(phaClient({ cert: cidA().certPem, key: cidA().keyPem, keyLog: log.keyLog }), phaServer());
      wire.server.requestCertificate();
      move(wire, 'server');
      const chunks: Uint8Array[] = [];
      for (let c = wire.client.takeOutput(); c; c = wire.client.takeOutput()) chunks.push(c);
      return { wire, chunks, secret: log.secret('CLIENT_TRAFFIC_SECRET_0')! };
    }

    test('re-sealed unchanged, the answer is accepted (control)', () => {
      const { wire, chunks, secret } = answer();
      let sawFinished = false;
      const bytes = resealRecords(chunks, serverSuite(wire.fromServer), secret, (content) => {
        sawFinished ||= messageOffset(content, HandshakeType.finished) >= 0;
      });
      expect(sawFinished).toBe(true);
      feed(wire, 'server', bytes);
      wire.pump();
      expect(wire.errors).toEqual([]);
      expect(peerCertEvents(wire.server.takeEvents()).length).toBe(1);
    });

    test('a flipped bit in the Finished verify_data: decrypt_error (51), received by the client', () => {
      const { wire, chunks, secret } = answer();
      const bytes = resealRecords(chunks, serverSuite(wire.fromServer), secret, (content) => {
        const at = messageOffset(content, HandshakeType.finished);
        if (at >= 0) content[at + 4 + 5]! ^= 0x10;
      });
      feed(wire, 'server', bytes);
      move(wire, 'server');
      const err = expectAlert(wire, 'server', AlertDescription.decrypt_error);
      expect(err.message).toMatch(/post-handshake Finished/);
      expect(peerCertEvents(wire.server.takeEvents())).toEqual([]);
    });

    test('a changed certificate_request_context: illegal_parameter (47)', () => {
      const { wire, chunks, secret } = answer();
      const bytes = resealRecords(chunks, serverSuite(wire.fromServer), secret, (content) => {
        const at = messageOffset(content, HandshakeType.certificate);
        // Certificate: header (4), context length (1), context...
        if (at >= 0) content[at + 5]! ^= 0x01;
      });
      feed(wire, 'server', bytes);
      move(wire, 'server');
      expectAlert(wire, 'server', AlertDescription.illegal_parameter);
    });
  });

  test('application data in both directions around the exchange arrives intact and in order', () => {
    const wire = connect(phaClient({ cert: cidA().certPem, key: cidA().keyPem }), phaServer());
    wire.server.write(utf8('before-request|'));
    wire.server.requestCertificate();
    wire.server.write(utf8('after-request'));
    // The client writes before it has seen the request.
    wire.client.write(utf8('client-1|'));
    wire.pump({ read: true });
    wire.client.write(utf8('client-2'));
    wire.pump({ read: true });
    expect(wire.errors).toEqual([]);
    expect(text(wire.readByClient)).toBe('before-request|after-request');
    expect(text(wire.readByServer)).toBe('client-1|client-2');
    expect(peerCertEvents(wire.server.takeEvents()).length).toBe(1);
  });

  test('after KeyUpdates in both directions the exchange still verifies (Finished keyed by the current secrets)', () => {
    const wire = connect(phaClient({ cert: cidA().certPem, key: cidA().keyPem }), phaServer());
    wire.client.updateKeys(true);
    wire.pump();
    wire.server.updateKeys(false);
    wire.client.updateKeys(false);
    wire.server.requestCertificate();
    wire.pump();
    expect(wire.errors).toEqual([]);
    expect(peerCertEvents(wire.server.takeEvents()).length).toBe(1);
  });

  test('after raw public keys were negotiated for the client, its post-handshake Certificate carries its raw key (RFC 8446 section 4.4.2)', () => {
    // client_certificate_type RawPublicKey holds for every Certificate message of the connection.
    const wire = connect(
      { rawPublicKey: true, key: cidA().keyPem, pins: { spkiSha256: [sid().spkiSha256] } },
      { key: sid().keyPem, rawPublicKey: true, requestCert: true, pins: { spkiSha256: [cidA().spkiSha256] } },
    );
    expect(wire.server.session!.certificateType).toBe('raw');
    wire.server.requestCertificate();
    wire.pump();
    expect(wire.errors).toEqual([]);
    const ev = peerCertEvents(wire.server.takeEvents());
    expect(ev.length).toBe(1);
    expect(ev[0]!.authorizationError).toBeUndefined();
    expect(wire.server.session!.certificateType).toBe('raw');
    expect(sameBytes(wire.server.session!.peerCertificates[0]!, spkiDer(cidA().certPem))).toBe(true);
  });

  test('on a resumed session (no CertificateRequest in a PSK handshake) the client is asked after the handshake', () => {
    const requests: boolean[] = [];
    const ccfg = phaClient({
      selectCertificate: (req) => {
        requests.push(req.postHandshake);
        return { cert: cidA().certPem, key: cidA().keyPem };
      },
    });
    const scfg = phaServer();
    connect(ccfg, scfg);
    expect(requests).toEqual([false]);
    const wire = connect(ccfg, scfg);
    expect(wire.server.session!.resumed).toBe(true);
    expect(requests).toEqual([false]); // no request in the resumed handshake
    wire.server.requestCertificate();
    wire.pump();
    expect(wire.errors).toEqual([]);
    expect(requests).toEqual([false, true]);
    expect(peerCertEvents(wire.server.takeEvents()).length).toBe(1);
  });
});
