/**
 * A client fed a bad server handshake (RFC 8446 section 4): ServerHello and HelloRetryRequest
 * checks, the encrypted server flight, and post-handshake messages. Each forgery starts from
 * what an honest server sent; encrypted messages are re-sealed under the logged secrets.
 */
import { AlertDescription as A, CipherSuite, ContentType, ExtensionType as X, HandshakeType as H, NamedGroup, SignatureScheme } from '../../../src/tls/constants.js';
import { decodeSelectedIdentity, encodeSelectedIdentity } from '../../../src/tls/messages/ext-pre-shared-key.js';
import { TlsCertificateError, TlsProtocolError } from '../../../src/tls/errors.js';
import { decodeServerHello, encodeServerHello } from '../../../src/tls/messages/server-hello.js';
import { encodeEncryptedExtensions } from '../../../src/tls/messages/encrypted-extensions.js';
import { decodeCertificate, encodeCertificate } from '../../../src/tls/messages/certificate.js';
import { encodeCertificateRequest } from '../../../src/tls/messages/certificate-request.js';
import { encodeAlpn } from '../../../src/tls/messages/ext-alpn.js';
import { encodeServerName } from '../../../src/tls/messages/ext-server-name.js';
import { encodeSignatureAlgorithms } from '../../../src/tls/messages/ext-signature-algorithms.js';
import { decodeCertificateVerify, encodeCertificateVerify } from '../../../src/tls/messages/certificate-verify.js';
import { encodeKeyShareHelloRetryRequest, encodeKeyShareServerHello } from '../../../src/tls/messages/ext-key-share.js';
import type { Extension, ServerHello } from '../../../src/tls/messages/types.js';
import {
  concat, drain, expectRejected, handshake, hs, makeClient, makePair, makeServer, openFlight, plain, records, seal, secret,
  type Msg, type Pair,
} from './support.js';

/** The server's first flight, split: ServerHello record, CCS record, protected flight and its messages. */
interface Flight {
  p: Pair;
  sh: Uint8Array;
  ccs: Uint8Array;
  msgs: Msg[];
}

function start(opts: Parameters<typeof makePair>[0] = {}): Flight {
  const p = makePair(opts);
  p.server.feed(drain(p.client));
  const recs = records(drain(p.server));
  // ServerHello (one record unless a small record_size_limit splits it), CCS, the protected flight.
  const ccsAt = recs.findIndex((r) => r[0] === ContentType.change_cipher_spec);
  expect(ccsAt).toBeGreaterThan(0);
  const msgs = openFlight(recs.slice(ccsAt + 1), secret(p, 'SERVER_HANDSHAKE_TRAFFIC_SECRET'));
  expect(msgs.map((m) => m.type)).toEqual([H.encrypted_extensions, H.certificate, H.certificate_verify, H.finished]);
  return { p, sh: concat(...recs.slice(0, ccsAt)), ccs: recs[ccsAt]!, msgs };
}

/** The ServerHello (or HRR) inside a plaintext handshake record. */
function parseHello(rec: Uint8Array): ServerHello {
  return decodeServerHello(rec.slice(9));
}

/** A plaintext record holding a ServerHello edited by `edit`. */
function helloRecord(rec: Uint8Array, edit: (sh: ServerHello) => void): Uint8Array {
  const sh = parseHello(rec);
  sh.extensions = sh.extensions.map((e) => ({ type: e.type, data: e.data.slice() }));
  edit(sh);
  return plain(ContentType.handshake, hs(H.server_hello, encodeServerHello(sh)));
}

function setExt(exts: Extension[], type: number, data: Uint8Array): void {
  const i = exts.findIndex((e) => e.type === type);
  if (i >= 0) exts[i] = { type, data };
  else exts.push({ type, data });
}

/** Delivers the valid ServerHello and CCS, then returns the client ready for a forged flight. */
function afterHello(f: Flight): void {
  f.p.client.feed(concat(f.sh, f.ccs));
  expect(drain(f.p.client).length).toBe(0);
}

/** The forged flight `raws` sealed under the server handshake secret. */
function sealedFlight(f: Flight, ...raws: Uint8Array[]): Uint8Array {
  return seal(secret(f.p, 'SERVER_HANDSHAKE_TRAFFIC_SECRET'), [concat(...raws)]);
}

const [EE, CERT, CV, FIN] = [0, 1, 2, 3];

describe('ServerHello', () => {
  test('truncated → decode_error', () => {
    const f = start();
    const body = f.sh.slice(9, 9 + 38);
    expectRejected(f.p.client, plain(ContentType.handshake, hs(H.server_hello, body)), TlsProtocolError, A.decode_error, f.p.server);
  });

  test('with a trailing byte → decode_error', () => {
    const f = start();
    const body = concat(f.sh.slice(9), Uint8Array.of(0));
    expectRejected(f.p.client, plain(ContentType.handshake, hs(H.server_hello, body)), TlsProtocolError, A.decode_error, f.p.server);
  });

  test('cipher suite the client did not offer → illegal_parameter', () => {
    const f = start({ client: { cipherSuites: [0x1301] } });
    const bad = helloRecord(f.sh, (sh) => (sh.cipherSuite = 0x1303));
    expectRejected(f.p.client, bad, TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('unknown cipher suite → illegal_parameter', () => {
    const f = start();
    const bad = helloRecord(f.sh, (sh) => (sh.cipherSuite = 0x1304));
    expectRejected(f.p.client, bad, TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('TLS 1.2 (no supported_versions) → protocol_version', () => {
    const f = start();
    const bad = helloRecord(f.sh, (sh) => (sh.extensions = sh.extensions.filter((e) => e.type !== X.supported_versions)));
    expectRejected(f.p.client, bad, TlsProtocolError, A.protocol_version, f.p.server);
  });

  test('supported_versions selecting TLS 1.2 → illegal_parameter (RFC 8446 4.2.1)', () => {
    const f = start();
    const bad = helloRecord(f.sh, (sh) => setExt(sh.extensions, X.supported_versions, Uint8Array.of(3, 3)));
    expectRejected(f.p.client, bad, TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('key share for a group the client did not offer → illegal_parameter', () => {
    const f = start();
    const share = encodeKeyShareServerHello({ group: NamedGroup.x448, keyExchange: new Uint8Array(56).fill(9) });
    const bad = helloRecord(f.sh, (sh) => setExt(sh.extensions, X.key_share, share));
    expectRejected(f.p.client, bad, TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('x25519 share of all zeros (zero shared secret) → illegal_parameter', () => {
    const f = start();
    const share = encodeKeyShareServerHello({ group: NamedGroup.x25519, keyExchange: new Uint8Array(32) });
    const bad = helloRecord(f.sh, (sh) => setExt(sh.extensions, X.key_share, share));
    expectRejected(f.p.client, bad, TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('x25519 share of 31 bytes → illegal_parameter', () => {
    const f = start();
    const share = encodeKeyShareServerHello({ group: NamedGroup.x25519, keyExchange: new Uint8Array(31).fill(7) });
    const bad = helloRecord(f.sh, (sh) => setExt(sh.extensions, X.key_share, share));
    expectRejected(f.p.client, bad, TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('wrong legacy_session_id_echo → illegal_parameter', () => {
    const f = start();
    const bad = helloRecord(f.sh, (sh) => {
      sh.legacySessionId = sh.legacySessionId.slice();
      sh.legacySessionId[0]! ^= 0xff;
    });
    expectRejected(f.p.client, bad, TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('unsolicited pre_shared_key in ServerHello → unsupported_extension', () => {
    const f = start();
    const bad = helloRecord(f.sh, (sh) => setExt(sh.extensions, X.pre_shared_key, Uint8Array.of(0, 0)));
    expectRejected(f.p.client, bad, TlsProtocolError, A.unsupported_extension, f.p.server);
  });

  test('unknown extension in ServerHello → unsupported_extension', () => {
    const f = start();
    const bad = helloRecord(f.sh, (sh) => setExt(sh.extensions, 0x1234, new Uint8Array(0)));
    expectRejected(f.p.client, bad, TlsProtocolError, A.unsupported_extension, f.p.server);
  });

  test('a ClientHello sent to a client → unexpected_message', () => {
    const p = makePair();
    const ch = drain(p.client);
    expectRejected(p.client, ch, TlsProtocolError, A.unexpected_message, p.server);
  });

  test('a handshake message spanning the key change (bytes after ServerHello in its record) → unexpected_message', () => {
    const f = start();
    const rec = plain(ContentType.handshake, concat(f.sh.slice(5), Uint8Array.of(H.encrypted_extensions, 0)));
    expectRejected(f.p.client, rec, TlsProtocolError, A.unexpected_message, f.p.server);
  });

  test('a whole message after ServerHello in its record → unexpected_message', () => {
    const f = start();
    const rec = plain(ContentType.handshake, concat(f.sh.slice(5), hs(H.encrypted_extensions, Uint8Array.of(0, 0))));
    expectRejected(f.p.client, rec, TlsProtocolError, A.unexpected_message, f.p.server);
  });
});

describe('HelloRetryRequest', () => {
  /** A client sharing x25519 only and a server wanting secp256r1: the server answers with an HRR. */
  function retry(): { p: Pair; hrr: Uint8Array } {
    const p = makePair({ server: { groups: [NamedGroup.secp256r1] } });
    p.server.feed(drain(p.client));
    const recs = records(drain(p.server));
    expect(parseHello(recs[0]!).isHelloRetryRequest).toBe(true);
    return { p, hrr: recs[0]! };
  }

  test('a second HelloRetryRequest → unexpected_message', () => {
    const { p, hrr } = retry();
    p.client.feed(hrr);
    expect(drain(p.client).length).toBeGreaterThan(0); // CCS and ClientHello2, not delivered
    expectRejected(p.client, hrr, TlsProtocolError, A.unexpected_message, p.server);
  });

  test('HRR asking for the group the client already shared → illegal_parameter', () => {
    const { p, hrr } = retry();
    const bad = helloRecord(hrr, (sh) => setExt(sh.extensions, X.key_share, encodeKeyShareHelloRetryRequest(NamedGroup.x25519)));
    expectRejected(p.client, bad, TlsProtocolError, A.illegal_parameter, p.server);
  });

  test('HRR that would not change the ClientHello (no key_share, no cookie) → illegal_parameter', () => {
    const { p, hrr } = retry();
    const bad = helloRecord(hrr, (sh) => (sh.extensions = sh.extensions.filter((e) => e.type !== X.key_share)));
    expectRejected(p.client, bad, TlsProtocolError, A.illegal_parameter, p.server);
  });

  test('ServerHello after the HRR with another cipher suite → illegal_parameter', () => {
    const { p, hrr } = retry();
    p.client.feed(hrr);
    p.server.feed(drain(p.client));
    const sh = records(drain(p.server))[0]!;
    expect(parseHello(sh).cipherSuite).toBe(0x1301);
    const bad = helloRecord(sh, (h) => (h.cipherSuite = 0x1303));
    expectRejected(p.client, bad, TlsProtocolError, A.illegal_parameter, p.server);
  });

  test('HRR asking for a group the client never offered → illegal_parameter', () => {
    const { p, hrr } = retry();
    const bad = helloRecord(hrr, (sh) => setExt(sh.extensions, X.key_share, encodeKeyShareHelloRetryRequest(NamedGroup.x448)));
    expectRejected(p.client, bad, TlsProtocolError, A.illegal_parameter, p.server);
  });
});

describe('server flight', () => {
  test('Finished where Certificate was expected → unexpected_message', () => {
    const f = start();
    afterHello(f);
    expectRejected(f.p.client, sealedFlight(f, f.msgs[EE]!.raw, f.msgs[FIN]!.raw), TlsProtocolError, A.unexpected_message, f.p.server);
  });

  test('Certificate before EncryptedExtensions → unexpected_message', () => {
    const f = start();
    afterHello(f);
    const m = f.msgs;
    expectRejected(f.p.client, sealedFlight(f, m[CERT]!.raw, m[EE]!.raw, m[CV]!.raw, m[FIN]!.raw), TlsProtocolError, A.unexpected_message, f.p.server);
  });

  test('duplicate extension in EncryptedExtensions → illegal_parameter', () => {
    const f = start();
    afterHello(f);
    // Two empty server_name acknowledgements, written by hand (the encoder refuses duplicates).
    const ee = hs(H.encrypted_extensions, Uint8Array.of(0, 8, 0, 0, 0, 0, 0, 0, 0, 0));
    expectRejected(f.p.client, sealedFlight(f, ee), TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('early_data (not offered) in EncryptedExtensions → unsupported_extension', () => {
    const f = start();
    afterHello(f);
    const ee = hs(H.encrypted_extensions, encodeEncryptedExtensions({ extensions: [{ type: X.early_data, data: new Uint8Array(0) }] }));
    expectRejected(f.p.client, sealedFlight(f, ee), TlsProtocolError, A.unsupported_extension, f.p.server);
  });

  test('key_share (offered, but not allowed there) in EncryptedExtensions → illegal_parameter (RFC 8446 4.2)', () => {
    const f = start();
    afterHello(f);
    const share = encodeKeyShareServerHello({ group: NamedGroup.x25519, keyExchange: new Uint8Array(32).fill(9) });
    const ee = hs(H.encrypted_extensions, encodeEncryptedExtensions({ extensions: [{ type: X.key_share, data: share }] }));
    expectRejected(f.p.client, sealedFlight(f, ee), TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('record_size_limit below 64 in EncryptedExtensions → illegal_parameter (RFC 8449)', () => {
    const f = start();
    afterHello(f);
    const ee = hs(H.encrypted_extensions, encodeEncryptedExtensions({ extensions: [{ type: X.record_size_limit, data: Uint8Array.of(0, 63) }] }));
    expectRejected(f.p.client, sealedFlight(f, ee), TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('ALPN in EncryptedExtensions when the client offered none → unsupported_extension', () => {
    const f = start();
    afterHello(f);
    const ee = hs(H.encrypted_extensions, encodeEncryptedExtensions({ extensions: [{ type: X.application_layer_protocol_negotiation, data: encodeAlpn(['h2']) }] }));
    expectRejected(f.p.client, sealedFlight(f, ee), TlsProtocolError, A.unsupported_extension, f.p.server);
  });

  test('ALPN protocol the client did not offer → illegal_parameter (RFC 7301 3.2)', () => {
    const f = start({ client: { ALPNProtocols: ['h2'] } });
    afterHello(f);
    const ee = hs(H.encrypted_extensions, encodeEncryptedExtensions({ extensions: [{ type: X.application_layer_protocol_negotiation, data: encodeAlpn(['spdy/3']) }] }));
    expectRejected(f.p.client, sealedFlight(f, ee), TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('ALPN answer naming two protocols → decode_error', () => {
    const f = start({ client: { ALPNProtocols: ['h2', 'http/1.1'] } });
    afterHello(f);
    const ee = hs(H.encrypted_extensions, encodeEncryptedExtensions({ extensions: [{ type: X.application_layer_protocol_negotiation, data: encodeAlpn(['h2', 'http/1.1']) }] }));
    expectRejected(f.p.client, sealedFlight(f, ee), TlsProtocolError, A.decode_error, f.p.server);
  });

  test('non-empty server_name acknowledgement in EncryptedExtensions → decode_error', () => {
    const f = start();
    afterHello(f);
    const ee = hs(H.encrypted_extensions, encodeEncryptedExtensions({ extensions: [{ type: X.server_name, data: encodeServerName('localhost') }] }));
    expectRejected(f.p.client, sealedFlight(f, ee), TlsProtocolError, A.decode_error, f.p.server);
  });

  test('CertificateRequest with a non-empty context during the handshake → illegal_parameter', () => {
    const f = start();
    afterHello(f);
    const cr = hs(H.certificate_request, encodeCertificateRequest({ context: Uint8Array.of(1), extensions: [{ type: X.signature_algorithms, data: encodeSignatureAlgorithms([0x0403]) }] }));
    expectRejected(f.p.client, sealedFlight(f, f.msgs[EE]!.raw, cr), TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('CertificateRequest without signature_algorithms → missing_extension', () => {
    const f = start();
    afterHello(f);
    const cr = hs(H.certificate_request, encodeCertificateRequest({ context: new Uint8Array(0), extensions: [{ type: X.certificate_authorities, data: Uint8Array.of(0, 3, 0, 1, 0x30) }] }));
    expectRejected(f.p.client, sealedFlight(f, f.msgs[EE]!.raw, cr), TlsProtocolError, A.missing_extension, f.p.server);
  });

  test('server Certificate with a non-empty request context → illegal_parameter', () => {
    const f = start();
    afterHello(f);
    const entries = decodeCertificate(f.msgs[CERT]!.body).entries;
    const cert = hs(H.certificate, encodeCertificate({ context: Uint8Array.of(7), entries }));
    expectRejected(f.p.client, sealedFlight(f, f.msgs[EE]!.raw, cert), TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('CertificateEntry extension the client did not offer (status_request) → unsupported_extension', () => {
    const f = start();
    afterHello(f);
    const entries = decodeCertificate(f.msgs[CERT]!.body).entries.map((e) => ({ data: e.data, extensions: [{ type: X.status_request, data: Uint8Array.of(1, 0, 0, 1, 0x30) }] }));
    const cert = hs(H.certificate, encodeCertificate({ context: new Uint8Array(0), entries }));
    expectRejected(f.p.client, sealedFlight(f, f.msgs[EE]!.raw, cert), TlsProtocolError, A.unsupported_extension, f.p.server);
  });

  test('garbage certificate bytes → TlsCertificateError bad_certificate', () => {
    const f = start();
    afterHello(f);
    const cert = hs(H.certificate, encodeCertificate({ context: new Uint8Array(0), entries: [{ data: Uint8Array.of(0x30, 0x03, 1, 2, 3), extensions: [] }] }));
    // The pin does not match before parsing is even needed; either way the certificate is refused.
    const err = expectRejected(f.p.client, sealedFlight(f, f.msgs[EE]!.raw, cert), TlsCertificateError, A.bad_certificate, f.p.server);
    expect(err.message).toMatch(/^tls: /);
  });

  test('empty Certificate from the server → decode_error', () => {
    const f = start();
    afterHello(f);
    const cert = hs(H.certificate, encodeCertificate({ context: new Uint8Array(0), entries: [] }));
    expectRejected(f.p.client, sealedFlight(f, f.msgs[EE]!.raw, cert), TlsProtocolError, A.decode_error, f.p.server);
  });

  test('certificate matching no pin → TlsCertificateError bad_certificate', () => {
    const secrets = new Map<string, Uint8Array>();
    const p: Pair = { client: makeClient({ pins: { certSha256: ['00'.repeat(32)] } }, secrets), server: makeServer({}, secrets), secrets };
    p.server.feed(drain(p.client));
    const err = expectRejected(p.client, drain(p.server), TlsCertificateError, A.bad_certificate, p.server);
    expect((err as TlsCertificateError).code).toBe('ERR_TLS_PIN_MISMATCH');
  });

  test('CertificateVerify with a wrong signature → decrypt_error', () => {
    const f = start();
    afterHello(f);
    const cv = decodeCertificateVerify(f.msgs[CV]!.body);
    const sig = cv.signature.slice();
    sig[sig.length - 1]! ^= 0x01;
    const bad = hs(H.certificate_verify, encodeCertificateVerify({ scheme: cv.scheme, signature: sig }));
    expectRejected(f.p.client, sealedFlight(f, f.msgs[EE]!.raw, f.msgs[CERT]!.raw, bad), TlsProtocolError, A.decrypt_error, f.p.server);
  });

  test('CertificateVerify whose signature is not DER → decrypt_error', () => {
    const f = start();
    afterHello(f);
    const bad = hs(H.certificate_verify, encodeCertificateVerify({ scheme: SignatureScheme.ecdsa_secp256r1_sha256, signature: new Uint8Array(70).fill(0x30) }));
    expectRejected(f.p.client, sealedFlight(f, f.msgs[EE]!.raw, f.msgs[CERT]!.raw, bad), TlsProtocolError, A.decrypt_error, f.p.server);
  });

  test('CertificateVerify with rsa_pkcs1_sha256 → illegal_parameter', () => {
    const f = start();
    afterHello(f);
    const cv = decodeCertificateVerify(f.msgs[CV]!.body);
    const bad = hs(H.certificate_verify, encodeCertificateVerify({ scheme: SignatureScheme.rsa_pkcs1_sha256, signature: cv.signature }));
    expectRejected(f.p.client, sealedFlight(f, f.msgs[EE]!.raw, f.msgs[CERT]!.raw, bad), TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('wrong Finished → decrypt_error', () => {
    const f = start();
    afterHello(f);
    const vd = f.msgs[FIN]!.body.slice();
    vd[0]! ^= 0x80;
    const m = f.msgs;
    expectRejected(f.p.client, sealedFlight(f, m[EE]!.raw, m[CERT]!.raw, m[CV]!.raw, hs(H.finished, vd)), TlsProtocolError, A.decrypt_error, f.p.server);
  });

  test('Finished of the wrong length → decrypt_error', () => {
    const f = start();
    afterHello(f);
    const m = f.msgs;
    const short = hs(H.finished, m[FIN]!.body.slice(0, 16));
    expectRejected(f.p.client, sealedFlight(f, m[EE]!.raw, m[CERT]!.raw, m[CV]!.raw, short), TlsProtocolError, A.decrypt_error, f.p.server);
  });

  test('bytes of another message after the server Finished in its record (spans the key change) → unexpected_message, client Finished not sent', () => {
    const f = start();
    afterHello(f);
    const m = f.msgs;
    const bad = sealedFlight(f, m[EE]!.raw, m[CERT]!.raw, m[CV]!.raw, m[FIN]!.raw, Uint8Array.of(H.new_session_ticket, 0));
    expectRejected(f.p.client, bad, TlsProtocolError, A.unexpected_message, f.p.server);
  });

  test('handshake message declaring 2^24-1 bytes → illegal_parameter before buffering, memory bounded', () => {
    const f = start();
    const before = process.memoryUsage().arrayBuffers;
    expectRejected(f.p.client, plain(ContentType.handshake, Uint8Array.of(H.server_hello, 0xff, 0xff, 0xff)), TlsProtocolError, A.illegal_parameter, f.p.server);
    const grew = process.memoryUsage().arrayBuffers - before;
    expect(grew).toBeLessThan(1 << 20);
  });

  test('encrypted handshake message declaring one byte over the 64 KiB limit → illegal_parameter', () => {
    const f = start();
    afterHello(f);
    const header = Uint8Array.of(H.certificate, 0x01, 0x00, 0x01);
    expectRejected(f.p.client, sealedFlight(f, f.msgs[EE]!.raw, header), TlsProtocolError, A.illegal_parameter, f.p.server);
  });
});

describe('after the handshake', () => {
  test('KeyUpdate with request_update 2 → illegal_parameter', () => {
    const p = handshake(makePair());
    const bad = seal(secret(p, 'SERVER_TRAFFIC_SECRET_0'), [hs(H.key_update, Uint8Array.of(2))]);
    expectRejected(p.client, bad, TlsProtocolError, A.illegal_parameter, p.server);
  });

  test('record over the record_size_limit of 64 we advertised (and the server acknowledged) → record_overflow (RFC 8449)', () => {
    const p = handshake(makePair({ client: { recordSizeLimit: 64 } }));
    const ok = seal(secret(p, 'SERVER_TRAFFIC_SECRET_0'), [new Uint8Array(63).fill(1), new Uint8Array(64).fill(2)], ContentType.application_data);
    const [fits, tooBig] = records(ok);
    expect(p.client.feed(fits!)).toBe(fits!.length);
    expect(p.client.read()!.length).toBe(63);
    expectRejected(p.client, tooBig!, TlsProtocolError, A.record_overflow, p.server);
  });

  test('KeyUpdate of two bytes → decode_error', () => {
    const p = handshake(makePair());
    const bad = seal(secret(p, 'SERVER_TRAFFIC_SECRET_0'), [hs(H.key_update, Uint8Array.of(0, 0))]);
    expectRejected(p.client, bad, TlsProtocolError, A.decode_error, p.server);
  });

  test('CertificateRequest after the handshake (post_handshake_auth not offered) → unexpected_message', () => {
    const p = handshake(makePair());
    const cr = hs(H.certificate_request, Uint8Array.of(1, 7, 0, 8, 0, 13, 0, 4, 0, 2, 4, 3));
    expectRejected(p.client, seal(secret(p, 'SERVER_TRAFFIC_SECRET_0'), [cr]), TlsProtocolError, A.unexpected_message, p.server);
  });

  test('a second server Finished after the handshake → unexpected_message', () => {
    const p = handshake(makePair());
    const fin = hs(H.finished, new Uint8Array(32));
    expectRejected(p.client, seal(secret(p, 'SERVER_TRAFFIC_SECRET_0'), [fin]), TlsProtocolError, A.unexpected_message, p.server);
  });
});

describe('PSKs and certificate types', () => {
  const KEY = new Uint8Array(32).fill(9);
  const pskPair = () => makePair({ client: { psk: { identity: 'bad-input', key: KEY } }, server: { pskCallback: () => KEY } });

  /** The PSK server's ServerHello record (then CCS and the protected EncryptedExtensions + Finished). */
  function pskStart(): Flight {
    const p = pskPair();
    p.server.feed(drain(p.client));
    const recs = records(drain(p.server));
    const ccsAt = recs.findIndex((r) => r[0] === ContentType.change_cipher_spec);
    const msgs = openFlight(recs.slice(ccsAt + 1), secret(p, 'SERVER_HANDSHAKE_TRAFFIC_SECRET'));
    expect(msgs.map((m) => m.type)).toEqual([H.encrypted_extensions, H.finished]);
    return { p, sh: concat(...recs.slice(0, ccsAt)), ccs: recs[ccsAt]!, msgs };
  }

  test('the honest PSK ServerHello selects identity 0 (control)', () => {
    const f = pskStart();
    const sel = parseHello(f.sh).extensions.find((e) => e.type === X.pre_shared_key)!;
    expect(decodeSelectedIdentity(sel.data)).toBe(0);
  });

  test('selected_identity beyond the offered PSKs → illegal_parameter (RFC 8446 4.2.11)', () => {
    const f = pskStart();
    const bad = helloRecord(f.sh, (sh) => setExt(sh.extensions, X.pre_shared_key, encodeSelectedIdentity(1)));
    expectRejected(f.p.client, bad, TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('a PSK ServerHello with a suite of another hash than the PSK → illegal_parameter', () => {
    const f = pskStart();
    const bad = helloRecord(f.sh, (sh) => (sh.cipherSuite = CipherSuite.TLS_AES_256_GCM_SHA384));
    expectRejected(f.p.client, bad, TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('a PSK ServerHello without key_share when psk_ke was not offered → missing_extension', () => {
    const f = pskStart();
    const bad = helloRecord(f.sh, (sh) => (sh.extensions = sh.extensions.filter((e) => e.type !== X.key_share)));
    expectRejected(f.p.client, bad, TlsProtocolError, A.missing_extension, f.p.server);
  });

  test('a PSK ServerHello with key_share (psk_dhe_ke) to a client offering only psk_ke → illegal_parameter (RFC 8446 4.2.9)', () => {
    const p = makePair({ client: { psk: { identity: 'bad-input', key: KEY }, pskModes: ['psk_ke'] }, server: { pskCallback: () => KEY, pskModes: ['psk_ke'] } });
    p.server.feed(drain(p.client));
    const recs = records(drain(p.server));
    const sh = recs[0]!;
    expect(parseHello(sh).extensions.some((e) => e.type === X.key_share)).toBe(false);
    const f = start();
    const share = parseHello(f.sh).extensions.find((e) => e.type === X.key_share)!;
    const bad = helloRecord(sh, (h) => h.extensions.unshift({ type: X.key_share, data: share.data }));
    expectRejected(p.client, bad, TlsProtocolError, A.illegal_parameter, p.server);
  });

  test('a certificate after a PSK EncryptedExtensions → unexpected_message', () => {
    const f = start();
    const pf = pskStart();
    afterHello(pf);
    const cert = f.msgs[CERT]!.raw;
    expectRejected(pf.p.client, sealedFlight(pf, pf.msgs[0]!.raw, cert), TlsProtocolError, A.unexpected_message, pf.p.server);
  });

  test('server_certificate_type (not offered) in EncryptedExtensions → unsupported_extension', () => {
    const f = start();
    afterHello(f);
    const ee = hs(H.encrypted_extensions, encodeEncryptedExtensions({ extensions: [{ type: X.server_certificate_type, data: Uint8Array.of(2) }] }));
    expectRejected(f.p.client, sealedFlight(f, ee), TlsProtocolError, A.unsupported_extension, f.p.server);
  });

  test('a certificate type the client did not offer (OpenPGP, 1) → illegal_parameter', () => {
    const f = start({ client: { rawPublicKey: true, pins: { spkiSha256: [new Uint8Array(32)] } } });
    afterHello(f);
    const ee = hs(H.encrypted_extensions, encodeEncryptedExtensions({ extensions: [{ type: X.server_certificate_type, data: Uint8Array.of(1) }] }));
    expectRejected(f.p.client, sealedFlight(f, ee), TlsProtocolError, A.illegal_parameter, f.p.server);
  });

  test('a NewSessionTicket with an empty ticket → decode_error', () => {
    const p = handshake(makePair());
    const nst = hs(H.new_session_ticket, Uint8Array.of(0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 0, 0, 0));
    expectRejected(p.client, seal(secret(p, 'SERVER_TRAFFIC_SECRET_0'), [nst]), TlsProtocolError, A.decode_error, p.server);
  });

  test('a NewSessionTicket with an extension other than early_data → illegal_parameter', () => {
    const p = handshake(makePair());
    const nst = hs(H.new_session_ticket, Uint8Array.of(0, 0, 0, 60, 0, 0, 0, 1, 0, 0, 1, 7, 0, 4, 0, 0x10, 0, 0));
    expectRejected(p.client, seal(secret(p, 'SERVER_TRAFFIC_SECRET_0'), [nst]), TlsProtocolError, A.illegal_parameter, p.server);
  });
});
