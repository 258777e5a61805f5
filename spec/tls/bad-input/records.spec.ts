/**
 * Bad input at the record layer (RFC 8446 sections 5 and 6): framing, record protection,
 * content types, change_cipher_spec and alert records. The victim is a client fed bytes that
 * an honest server's output was turned into; its alert is checked on the wire and by the server.
 */
import { AlertDescription as A, ContentType } from '../../../src/tls/constants.js';
import {
  TlsAlertError, TlsProtocolError, TlsTruncationError,
} from '../../../src/tls/errors.js';
import {
  concat, drain, expectPeerSees, expectRejected, expectSticky, handshake, makePair, plain, records, sealRawInner, seal, secret, hs,
  type Pair,
} from './support.js';

/** A pair whose ClientHello was taken from the client (not yet delivered). */
function fresh(): Pair {
  const p = makePair();
  drain(p.client);
  return p;
}

/** A pair where the client has processed ServerHello and CCS: it reads with handshake keys. */
function afterServerHello(): { p: Pair; flight: Uint8Array } {
  const p = makePair();
  p.server.feed(drain(p.client));
  const [sh, ccs, flight] = records(drain(p.server));
  expect(ccs![0]).toBe(ContentType.change_cipher_spec);
  p.client.feed(concat(sh!, ccs!));
  expect(drain(p.client).length).toBe(0);
  return { p, flight: flight! };
}

describe('record framing', () => {
  test('a stream cut inside a record, then feedEnd() → TlsTruncationError, nothing sent', () => {
    const p = makePair();
    p.server.feed(drain(p.client));
    const sh = records(drain(p.server))[0]!;
    expect(p.client.feed(sh.subarray(0, sh.length - 3))).toBe(sh.length - 3);
    let err: unknown;
    try {
      p.client.feedEnd();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TlsTruncationError);
    expect((err as TlsTruncationError).alert).toBe(A.close_notify);
    expect(p.client.failure).toBe(err);
    expect(drain(p.client).length).toBe(0);
    expectSticky(p.client, err as TlsTruncationError);
  });

  test('record length above 2^14+256 → record_overflow from the 5-byte header alone', () => {
    const p = fresh();
    expectRejected(p.client, Uint8Array.of(0x17, 0x03, 0x03, 0x41, 0x01), TlsProtocolError, A.record_overflow, p.server);
  });

  test('record length above 2^14+256 → record_overflow when the header arrives in pieces', () => {
    const p = fresh();
    expect(p.client.feed(Uint8Array.of(0x16, 0x03, 0x03, 0xff))).toBe(4);
    expectRejected(p.client, Uint8Array.of(0xff), TlsProtocolError, A.record_overflow, p.server);
  });

  test('unknown content type → unexpected_message at the first byte', () => {
    const p = fresh();
    expectRejected(p.client, Uint8Array.of(0x18), TlsProtocolError, A.unexpected_message, p.server);
  });

  test('unknown content type 0 in a whole record → unexpected_message', () => {
    const p = fresh();
    expectRejected(p.client, Uint8Array.of(0x00, 0x03, 0x03, 0x00, 0x01, 0x00), TlsProtocolError, A.unexpected_message, p.server);
  });

  test('record version major byte not 3 → protocol_version', () => {
    const p = fresh();
    expectRejected(p.client, Uint8Array.of(0x16, 0x02, 0x03, 0x00, 0x01, 0x01), TlsProtocolError, A.protocol_version, p.server);
  });

  test('a valid handshake fed one byte at a time both ways completes (control)', () => {
    const p = makePair();
    const oneByOne = (to: Pair['client'] | Pair['server'], bytes: Uint8Array): void => {
      for (let i = 0; i < bytes.length; i++) expect(to.feed(bytes.subarray(i, i + 1))).toBe(1);
    };
    for (let round = 0; round < 4 && !(p.client.handshakeComplete && p.server.handshakeComplete); round++) {
      oneByOne(p.server, drain(p.client));
      oneByOne(p.client, drain(p.server));
    }
    oneByOne(p.server, drain(p.client));
    expect(p.client.handshakeComplete && p.server.handshakeComplete).toBe(true);
    p.client.write(new TextEncoder().encode('ping'));
    oneByOne(p.server, drain(p.client));
    expect(new TextDecoder().decode(p.server.read()!)).toBe('ping');
  });
});

describe('record protection', () => {
  test('one flipped bit in a protected record → bad_record_mac', () => {
    const { p, flight } = afterServerHello();
    const bad = flight.slice();
    bad[40]! ^= 0x01;
    expectRejected(p.client, bad, TlsProtocolError, A.bad_record_mac, p.server);
  });

  test('a protected record of only the tag (no inner plaintext) → bad_record_mac', () => {
    const { p, flight } = afterServerHello();
    const bad = concat(Uint8Array.of(0x17, 0x03, 0x03, 0x00, 0x10), flight.subarray(5, 21));
    expectRejected(p.client, bad, TlsProtocolError, A.bad_record_mac, p.server);
  });

  test('protected record whose inner plaintext is all zeros → unexpected_message', () => {
    const { p } = afterServerHello();
    const bad = sealRawInner(secret(p, 'SERVER_HANDSHAKE_TRAFFIC_SECRET'), new Uint8Array(20));
    expectRejected(p.client, bad, TlsProtocolError, A.unexpected_message, p.server);
  });

  test('inner plaintext of 2^14+2 bytes → record_overflow', () => {
    const { p } = afterServerHello();
    const bad = seal(secret(p, 'SERVER_HANDSHAKE_TRAFFIC_SECRET'), [new Uint8Array((1 << 14) + 1).fill(0x41)]);
    expect(bad.length).toBe(5 + (1 << 14) + 2 + 16);
    expectRejected(p.client, bad, TlsProtocolError, A.record_overflow, p.server);
  });

  test('protected change_cipher_spec inner type → unexpected_message', () => {
    const { p } = afterServerHello();
    const bad = sealRawInner(secret(p, 'SERVER_HANDSHAKE_TRAFFIC_SECRET'), Uint8Array.of(1, ContentType.change_cipher_spec));
    expectRejected(p.client, bad, TlsProtocolError, A.unexpected_message, p.server);
  });

  test('plaintext application_data before any keys → unexpected_message', () => {
    const p = fresh();
    expectRejected(p.client, plain(ContentType.application_data, Uint8Array.of(1, 2, 3)), TlsProtocolError, A.unexpected_message, p.server);
  });

  test('unencrypted handshake record after the handshake keys are set → unexpected_message', () => {
    const { p } = afterServerHello();
    const ee = hs(8, Uint8Array.of(0, 0));
    expectRejected(p.client, plain(ContentType.handshake, ee), TlsProtocolError, A.unexpected_message, p.server);
  });
});

describe('content types', () => {
  test('change_cipher_spec 0x01 during the handshake is dropped (control)', () => {
    const p = fresh();
    expect(p.client.feed(Uint8Array.of(0x14, 0x03, 0x03, 0x00, 0x01, 0x01))).toBe(6);
    expect(p.client.failure).toBeUndefined();
  });

  test('change_cipher_spec with payload 0x02 → unexpected_message', () => {
    const p = fresh();
    expectRejected(p.client, Uint8Array.of(0x14, 0x03, 0x03, 0x00, 0x01, 0x02), TlsProtocolError, A.unexpected_message, p.server);
  });

  test('change_cipher_spec of two bytes → unexpected_message', () => {
    const p = fresh();
    expectRejected(p.client, Uint8Array.of(0x14, 0x03, 0x03, 0x00, 0x02, 0x01, 0x01), TlsProtocolError, A.unexpected_message, p.server);
  });

  test('change_cipher_spec after the handshake → unexpected_message (protected alert)', () => {
    const p = handshake(makePair());
    expectRejected(p.client, Uint8Array.of(0x14, 0x03, 0x03, 0x00, 0x01, 0x01), TlsProtocolError, A.unexpected_message, p.server);
  });

  test('alert record of 3 bytes → decode_error', () => {
    const p = fresh();
    expectRejected(p.client, plain(ContentType.alert, Uint8Array.of(2, 40, 0)), TlsProtocolError, A.decode_error, p.server);
  });

  test('protected alert record of 3 bytes after the handshake → decode_error', () => {
    const p = handshake(makePair());
    const bad = seal(secret(p, 'SERVER_TRAFFIC_SECRET_0'), [Uint8Array.of(2, 40, 0)], ContentType.alert);
    expectRejected(p.client, bad, TlsProtocolError, A.decode_error, p.server);
  });

  test('a fatal alert from the peer → TlsAlertError(fromPeer), nothing sent back', () => {
    const p = fresh();
    expectPeerSees(p.client, plain(ContentType.alert, Uint8Array.of(2, A.handshake_failure)), A.handshake_failure);
    expect(drain(p.client).length).toBe(0);
    expectSticky(p.client, p.client.failure!);
  });

  test('a warning-level handshake_failure is fatal too (RFC 8446 6.2), nothing sent back', () => {
    const p = fresh();
    expectPeerSees(p.client, plain(ContentType.alert, Uint8Array.of(1, A.handshake_failure)), A.handshake_failure);
    expect(drain(p.client).length).toBe(0);
  });

  test('a protected fatal alert after the handshake → TlsAlertError(fromPeer), nothing sent back', () => {
    const p = handshake(makePair());
    p.server.abort(new TlsAlertError(A.internal_error, false, 'test'));
    expectPeerSees(p.client, drain(p.server), A.internal_error);
    expect(drain(p.client).length).toBe(0);
    expectSticky(p.client, p.client.failure!);
  });

  test('zero-length plaintext handshake record → unexpected_message', () => {
    const p = fresh();
    expectRejected(p.client, Uint8Array.of(0x16, 0x03, 0x03, 0x00, 0x00), TlsProtocolError, A.unexpected_message, p.server);
  });

  test('protected handshake record with empty content → unexpected_message', () => {
    const { p } = afterServerHello();
    const bad = sealRawInner(secret(p, 'SERVER_HANDSHAKE_TRAFFIC_SECRET'), Uint8Array.of(ContentType.handshake, 0, 0));
    expectRejected(p.client, bad, TlsProtocolError, A.unexpected_message, p.server);
  });

  test('alert in the middle of a fragmented handshake message → unexpected_message', () => {
    const p = makePair();
    p.server.feed(drain(p.client));
    const sh = records(drain(p.server))[0]!;
    const msg = sh.subarray(5);
    p.client.feed(plain(ContentType.handshake, msg.subarray(0, 10)));
    expectRejected(p.client, plain(ContentType.alert, Uint8Array.of(1, 0)), TlsProtocolError, A.unexpected_message, p.server);
  });
});
