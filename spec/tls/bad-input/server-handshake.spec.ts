/**
 * A server fed a bad client handshake (RFC 8446 sections 4.1.2, 4.2 and 4.4.4): ClientHello
 * checks, the second ClientHello after a HelloRetryRequest, the client's Finished, and
 * post-handshake messages. Forgeries start from what an honest client sent.
 */
import { AlertDescription as A, ContentType, ExtensionType as X, HandshakeType as H, NamedGroup, ProtocolVersion } from '../../../src/tls/constants.js';
import { TlsError, TlsProtocolError } from '../../../src/tls/errors.js';
import { decodeClientHello, encodeClientHello } from '../../../src/tls/messages/client-hello.js';
import { encodeKeyShareClientHello } from '../../../src/tls/messages/ext-key-share.js';
import { encodeSupportedGroups } from '../../../src/tls/messages/ext-supported-groups.js';
import { encodeSupportedVersionsClient } from '../../../src/tls/messages/ext-supported-versions.js';
import type { ClientHello } from '../../../src/tls/messages/types.js';
import {
  concat, drain, expectRejected, expectSticky, handshake, hs, makePair, makeServer, openFlight, plain, records, seal, secret, seededInt, seededRandom,
  type Pair,
} from './support.js';

/** A pair whose ClientHello was taken from the client, decoded (fields copied) for editing. */
function hello(opts: Parameters<typeof makePair>[0] = {}): { p: Pair; ch: ClientHello; raw: Uint8Array } {
  const p = makePair(opts);
  const raw = drain(p.client);
  const ch = decodeClientHello(raw.slice(9));
  ch.extensions = ch.extensions.map((e) => ({ type: e.type, data: e.data.slice() }));
  return { p, ch, raw };
}

function chRecord(ch: ClientHello): Uint8Array {
  return plain(ContentType.handshake, hs(H.client_hello, encodeClientHello(ch)));
}

function setExt(ch: ClientHello, type: number, data: Uint8Array): void {
  const i = ch.extensions.findIndex((e) => e.type === type);
  if (i >= 0) ch.extensions[i] = { type, data };
  else ch.extensions.push({ type, data });
}

function dropExt(ch: ClientHello, type: number): void {
  ch.extensions = ch.extensions.filter((e) => e.type !== type);
}

describe('ClientHello', () => {
  test('without supported_versions → protocol_version', () => {
    const { p, ch } = hello();
    dropExt(ch, X.supported_versions);
    expectRejected(p.server, chRecord(ch), TlsProtocolError, A.protocol_version, p.client);
  });

  test('supported_versions offering only TLS 1.2 → protocol_version', () => {
    const { p, ch } = hello();
    setExt(ch, X.supported_versions, encodeSupportedVersionsClient([ProtocolVersion.TLS12]));
    expectRejected(p.server, chRecord(ch), TlsProtocolError, A.protocol_version, p.client);
  });

  test('compression methods [1] → illegal_parameter', () => {
    const { p, ch } = hello();
    ch.compressionMethods = Uint8Array.of(1);
    expectRejected(p.server, chRecord(ch), TlsProtocolError, A.illegal_parameter, p.client);
  });

  test('compression methods [0, 1] → illegal_parameter', () => {
    const { p, ch } = hello();
    ch.compressionMethods = Uint8Array.of(0, 1);
    expectRejected(p.server, chRecord(ch), TlsProtocolError, A.illegal_parameter, p.client);
  });

  test('no cipher suite in common → handshake_failure', () => {
    const { p, ch } = hello();
    ch.cipherSuites = [0x1304, 0x00ff, 0xc02f];
    expectRejected(p.server, chRecord(ch), TlsProtocolError, A.handshake_failure, p.client);
  });

  test('no signature_algorithms → missing_extension', () => {
    const { p, ch } = hello();
    dropExt(ch, X.signature_algorithms);
    expectRejected(p.server, chRecord(ch), TlsProtocolError, A.missing_extension, p.client);
  });

  test('key share for a group not in supported_groups → illegal_parameter', () => {
    const { p, ch } = hello();
    setExt(ch, X.supported_groups, encodeSupportedGroups([NamedGroup.secp256r1]));
    expectRejected(p.server, chRecord(ch), TlsProtocolError, A.illegal_parameter, p.client);
  });

  test('x25519 key share of all zeros → illegal_parameter', () => {
    const { p, ch } = hello();
    setExt(ch, X.key_share, encodeKeyShareClientHello([{ group: NamedGroup.x25519, keyExchange: new Uint8Array(32) }]));
    expectRejected(p.server, chRecord(ch), TlsProtocolError, A.illegal_parameter, p.client);
  });

  test('x25519 key share of 31 bytes → illegal_parameter', () => {
    const { p, ch } = hello();
    setExt(ch, X.key_share, encodeKeyShareClientHello([{ group: NamedGroup.x25519, keyExchange: new Uint8Array(31).fill(9) }]));
    expectRejected(p.server, chRecord(ch), TlsProtocolError, A.illegal_parameter, p.client);
  });

  test('secp256r1 key share in compressed form → illegal_parameter (RFC 8446 4.2.8.2)', () => {
    const { p, ch } = hello();
    const compressed = concat(Uint8Array.of(2), new Uint8Array(32).fill(1));
    setExt(ch, X.key_share, encodeKeyShareClientHello([{ group: NamedGroup.secp256r1, keyExchange: compressed }]));
    expectRejected(p.server, chRecord(ch), TlsProtocolError, A.illegal_parameter, p.client);
  });

  test('secp256r1 key share not on the curve → illegal_parameter', () => {
    const { p, ch } = hello();
    const offCurve = concat(Uint8Array.of(4), new Uint8Array(64).fill(1));
    setExt(ch, X.key_share, encodeKeyShareClientHello([{ group: NamedGroup.secp256r1, keyExchange: offCurve }]));
    expectRejected(p.server, chRecord(ch), TlsProtocolError, A.illegal_parameter, p.client);
  });

  test('supported_versions with an odd length → decode_error', () => {
    const { p, ch } = hello();
    setExt(ch, X.supported_versions, Uint8Array.of(3, 3, 4, 3));
    expectRejected(p.server, chRecord(ch), TlsProtocolError, A.decode_error, p.client);
  });

  test('an unknown (GREASE) extension is ignored (control)', () => {
    const { p, ch } = hello();
    ch.extensions.splice(1, 0, { type: 0x0a0a, data: Uint8Array.of(0) });
    p.server.feed(chRecord(ch));
    expect(p.server.failure).toBeUndefined();
    expect(records(drain(p.server)).length).toBeGreaterThanOrEqual(3);
  });

  test('pre_shared_key not the last extension → illegal_parameter', () => {
    const { p, ch } = hello();
    ch.extensions.unshift({ type: X.pre_shared_key, data: new Uint8Array(40).fill(1) });
    expectRejected(p.server, chRecord(ch), TlsProtocolError, A.illegal_parameter, p.client);
  });

  test('duplicate extension → illegal_parameter', () => {
    const { p, raw } = hello();
    // Append a second supported_versions by hand (the encoder refuses duplicates) and patch the
    // extensions block length; the block is the last field of the body.
    const extra = Uint8Array.of(0, X.supported_versions, 0, 3, 2, 3, 4);
    const body = concat(raw.slice(9), extra);
    let at = 2 + 32;
    at += 1 + body[at]!; // legacy_session_id
    at += 2 + ((body[at]! << 8) | body[at + 1]!); // cipher_suites
    at += 1 + body[at]!; // legacy_compression_methods
    const extLen = body.length - at - 2;
    body[at] = extLen >> 8;
    body[at + 1] = extLen & 0xff;
    expectRejected(p.server, plain(ContentType.handshake, hs(H.client_hello, body)), TlsProtocolError, A.illegal_parameter, p.client);
  });

  test('bytes of another message after ClientHello in its record (spans the key change) → unexpected_message', () => {
    const { p, raw } = hello();
    const rec = plain(ContentType.handshake, concat(raw.slice(5), Uint8Array.of(H.finished, 0, 0)));
    expectRejected(p.server, rec, TlsProtocolError, A.unexpected_message, p.client);
  });

  test('Finished instead of ClientHello → unexpected_message', () => {
    const { p } = hello();
    expectRejected(p.server, plain(ContentType.handshake, hs(H.finished, new Uint8Array(32))), TlsProtocolError, A.unexpected_message, p.client);
  });

  test('garbage ClientHello bodies → decode_error or illegal_parameter, always a clean TlsError', () => {
    const int = seededInt(7);
    const bytes = seededRandom(8);
    for (let i = 0; i < 60; i++) {
      const server = makeServer();
      const body = bytes(int(300));
      if (i % 3 === 0 && body.length > 40) {
        body[0] = 3; // plausible legacy_version and a short session id, to get deeper
        body[1] = 3;
        body[34] = int(33);
      }
      let err: unknown;
      try {
        server.feed(plain(ContentType.handshake, hs(H.client_hello, body)));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TlsError);
      expect([A.decode_error, A.illegal_parameter]).toContain((err as TlsError).alert);
      expect([...drain(server)]).toEqual([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, (err as TlsError).alert]);
      expectSticky(server, err as TlsError);
    }
  });
});

describe('second ClientHello', () => {
  test('still without a share for the group the HelloRetryRequest asked for → illegal_parameter', () => {
    const { p, raw } = hello({ server: { groups: [NamedGroup.secp256r1] } });
    p.server.feed(raw);
    expect(records(drain(p.server)).length).toBe(2); // HRR and CCS, not delivered
    expectRejected(p.server, raw, TlsProtocolError, A.illegal_parameter, p.client);
  });

  /** The honest second ClientHello, decoded for editing; the client has seen the HRR. */
  function retried(): { p: Pair; ch2: ClientHello } {
    const { p, raw } = hello({ server: { groups: [NamedGroup.secp256r1] } });
    p.server.feed(raw);
    p.client.feed(drain(p.server));
    const rec = records(drain(p.client)).find((r) => r[0] === ContentType.handshake)!;
    const ch2 = decodeClientHello(rec.slice(9));
    ch2.extensions = ch2.extensions.map((e) => ({ type: e.type, data: e.data.slice() }));
    return { p, ch2 };
  }

  test('control: the honest second ClientHello is accepted', () => {
    const { p, ch2 } = retried();
    p.server.feed(chRecord(ch2));
    expect(p.server.failure).toBeUndefined();
  });

  test('second ClientHello with another random → illegal_parameter', () => {
    const { p, ch2 } = retried();
    ch2.random = ch2.random.slice();
    ch2.random[0]! ^= 1;
    expectRejected(p.server, chRecord(ch2), TlsProtocolError, A.illegal_parameter, p.client);
  });

  test('second ClientHello with early_data → illegal_parameter', () => {
    const { p, ch2 } = retried();
    setExt(ch2, X.early_data, new Uint8Array(0));
    expectRejected(p.server, chRecord(ch2), TlsProtocolError, A.illegal_parameter, p.client);
  });

  test('second ClientHello no longer offering the chosen cipher suite → illegal_parameter', () => {
    const { p, ch2 } = retried();
    ch2.cipherSuites = [0x1303];
    expectRejected(p.server, chRecord(ch2), TlsProtocolError, A.illegal_parameter, p.client);
  });
});

describe('declined 0-RTT', () => {
  test('more than 64 KiB of undecryptable early data → unexpected_message (RFC 8446 4.2.10)', () => {
    const { p, ch } = hello();
    setExt(ch, X.early_data, new Uint8Array(0));
    p.server.feed(chRecord(ch));
    drain(p.server);
    const junk = seededRandom(5);
    const rec = (): Uint8Array => concat(Uint8Array.of(0x17, 0x03, 0x03, 16000 >> 8, 16000 & 0xff), junk(16000));
    for (let i = 0; i < 4; i++) expect(p.server.feed(rec())).toBe(16005); // 64000 bytes: skipped
    expectRejected(p.server, rec(), TlsProtocolError, A.unexpected_message, secret(p, 'SERVER_TRAFFIC_SECRET_0'));
  });
});

describe('client flight', () => {
  /** The client's answer to the server flight: CCS record and protected Finished record. */
  function clientFlight(): { p: Pair; ccs: Uint8Array; fin: Uint8Array } {
    const p = makePair();
    p.server.feed(drain(p.client));
    p.client.feed(drain(p.server));
    expect(p.client.handshakeComplete).toBe(true);
    const [ccs, fin] = records(drain(p.client));
    expect(ccs![0]).toBe(ContentType.change_cipher_spec);
    return { p, ccs: ccs!, fin: fin! };
  }

  test('wrong client Finished → decrypt_error (protected alert)', () => {
    const { p, ccs, fin } = clientFlight();
    const sec = secret(p, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET');
    const [m] = openFlight([fin], sec);
    const vd = m!.body.slice();
    vd[5]! ^= 0x20;
    expectRejected(p.server, concat(ccs, seal(sec, [hs(H.finished, vd)])), TlsProtocolError, A.decrypt_error, p.client);
  });

  test('a second ClientHello in place of Finished → unexpected_message', () => {
    const { p, ccs } = clientFlight();
    const ch = hs(H.client_hello, new Uint8Array(50));
    expectRejected(p.server, concat(ccs, seal(secret(p, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'), [ch])), TlsProtocolError, A.unexpected_message, p.client);
  });

  test('an unsolicited client Certificate in place of Finished → unexpected_message', () => {
    const { p, ccs } = clientFlight();
    const cert = hs(H.certificate, Uint8Array.of(0, 0, 0, 0));
    expectRejected(p.server, concat(ccs, seal(secret(p, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'), [cert])), TlsProtocolError, A.unexpected_message, p.client);
  });

  test('application data before the client Finished → unexpected_message', () => {
    const { p, ccs } = clientFlight();
    const data = seal(secret(p, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'), [Uint8Array.of(1, 2, 3)], ContentType.application_data);
    expectRejected(p.server, concat(ccs, data), TlsProtocolError, A.unexpected_message, p.client);
  });

  test('KeyUpdate with request_update 2 after the handshake → illegal_parameter', () => {
    const p = handshake(makePair());
    const bad = seal(secret(p, 'CLIENT_TRAFFIC_SECRET_0'), [hs(H.key_update, Uint8Array.of(2))]);
    expectRejected(p.server, bad, TlsProtocolError, A.illegal_parameter, p.client);
  });

  test('NewSessionTicket from a client → unexpected_message', () => {
    const p = handshake(makePair());
    const nst = hs(H.new_session_ticket, Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0));
    expectRejected(p.server, seal(secret(p, 'CLIENT_TRAFFIC_SECRET_0'), [nst]), TlsProtocolError, A.unexpected_message, p.client);
  });
});
