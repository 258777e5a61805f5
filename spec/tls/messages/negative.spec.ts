/**
 * Malformed messages, one rule each: every case asserts TlsProtocolError and its alert, next
 * to a well-formed control that differs only in the broken field, so each test can fail.
 */
import { AlertDescription, ExtensionType, HandshakeType } from '../../../src/tls/constants.js';
import { concat, fromHex } from '../../../src/tls/codec/bytes.js';
import { Writer } from '../../../src/tls/codec/writer.js';
import {
  HandshakeReassembler, decodeAlpn, decodeCertificate, decodeCertificateRequest, decodeCertificateVerify,
  decodeClientHello, decodeEncryptedExtensions, decodeEndOfEarlyData, decodeKeyUpdate, decodeNewSessionTicket,
  decodeOfferedPsks, decodeRecordSizeLimit, decodeServerHello, decodeServerName, encodeClientHello,
  encodeEncryptedExtensions,
} from '../../../src/tls/messages/index.js';
import type { ClientHello, Extension, HandshakeMessage } from '../../../src/tls/messages/index.js';
import { SCENARIOS, expectAlert, handshakePayloads } from './rfc8448.js';

const { decode_error: DECODE, illegal_parameter: ILLEGAL } = AlertDescription;

const decoders: Record<number, (b: Uint8Array) => unknown> = {
  [HandshakeType.client_hello]: decodeClientHello,
  [HandshakeType.server_hello]: decodeServerHello,
  [HandshakeType.encrypted_extensions]: decodeEncryptedExtensions,
  [HandshakeType.certificate]: decodeCertificate,
  [HandshakeType.certificate_request]: decodeCertificateRequest,
  [HandshakeType.certificate_verify]: decodeCertificateVerify,
  [HandshakeType.new_session_ticket]: decodeNewSessionTicket,
  [HandshakeType.end_of_early_data]: decodeEndOfEarlyData,
};

function allMessages(): HandshakeMessage[] {
  const out: HandshakeMessage[] = [];
  for (const id of SCENARIOS) {
    const r = new HandshakeReassembler();
    for (const p of handshakePayloads(id)) {
      r.push(p);
      for (let m = r.next(); m; m = r.next()) out.push(m);
    }
  }
  return out;
}

/** A minimal TLS 1.3-looking ClientHello body, built by hand so single fields can be broken. */
function rawClientHello(o: { sessionId?: number; suites?: Uint8Array; exts?: Uint8Array } = {}): Uint8Array {
  const w = new Writer();
  w.u16(0x0303).bytes(new Uint8Array(32).fill(0xaa));
  w.vec(1, new Uint8Array(o.sessionId ?? 0));
  w.vec(2, o.suites ?? fromHex('13011302'));
  w.vec(1, Uint8Array.of(0));
  w.bytes(o.exts ?? fromHex('0006 002b 0002 0304'.replace(/ /g, '')));
  return w.finish().slice();
}

const baseHello: ClientHello = {
  legacyVersion: 0x0303,
  random: new Uint8Array(32),
  legacySessionId: new Uint8Array(0),
  cipherSuites: [0x1301],
  compressionMethods: Uint8Array.of(0),
  extensions: [{ type: ExtensionType.supported_versions, data: fromHex('020304') }],
};

describe('truncation and trailing bytes', () => {
  const msgs = allMessages().filter((m) => decoders[m.type]);

  test('every RFC 8448 message body with its last byte removed is decode_error', () => {
    let n = 0;
    for (const m of msgs) {
      if (m.body.length === 0) continue;
      const decode = decoders[m.type]!;
      expect(() => decode(m.body)).not.toThrow();
      expectAlert(() => decode(m.body.subarray(0, m.body.length - 1)), DECODE);
      n++;
    }
    expect(n).toBe(29); // every non-Finished message of the five scenarios but EndOfEarlyData
  });

  test('every RFC 8448 message body with one byte appended is decode_error', () => {
    let n = 0;
    for (const m of msgs) {
      const decode = decoders[m.type]!;
      expectAlert(() => decode(concat(m.body, Uint8Array.of(0))), DECODE);
      n++;
    }
    expect(n).toBe(30);
  });

  test('a Finished body is all verify_data, so its length is the caller\'s check (no trailing-byte rule)', () => {
    // Documented behaviour, kept visible: the codec cannot know the hash length.
    const fin = allMessages().find((m) => m.type === HandshakeType.finished)!;
    expect(fin.body.length).toBe(32);
  });
});

describe('ClientHello rules', () => {
  test('control: the hand-built hello decodes', () => {
    const ch = decodeClientHello(rawClientHello());
    expect(ch.cipherSuites).toEqual([0x1301, 0x1302]);
    expect(ch.extensions).toHaveLength(1);
  });

  test('odd cipher_suites length is decode_error', () => {
    const err = expectAlert(() => decodeClientHello(rawClientHello({ suites: fromHex('130113') })), DECODE);
    expect(err.message).toContain('odd cipher_suites length 3');
  });

  test('empty cipher_suites is decode_error (<2..2^16-2>)', () => {
    expectAlert(() => decodeClientHello(rawClientHello({ suites: new Uint8Array(0) })), DECODE);
  });

  test('legacy_session_id of 33 bytes is decode_error (<0..32>); 32 is fine', () => {
    expect(decodeClientHello(rawClientHello({ sessionId: 32 })).legacySessionId.length).toBe(32);
    expectAlert(() => decodeClientHello(rawClientHello({ sessionId: 33 })), DECODE);
  });

  test('a duplicate extension is illegal_parameter (RFC 8446 section 4.2)', () => {
    const one = fromHex('0006002b00020304');
    const two = fromHex('000c002b00020304002b00020304');
    expect(() => decodeClientHello(rawClientHello({ exts: one }))).not.toThrow();
    expectAlert(() => decodeClientHello(rawClientHello({ exts: two })), ILLEGAL);
  });

  test('pre_shared_key not last is illegal_parameter (RFC 8446 section 4.2.11)', () => {
    const psk: Extension = { type: ExtensionType.pre_shared_key, data: new Uint8Array(0) };
    const sv: Extension = { type: ExtensionType.supported_versions, data: fromHex('020304') };
    expect(() => decodeClientHello(encodeClientHello({ ...baseHello, extensions: [sv, psk] }))).not.toThrow();
    expectAlert(() => decodeClientHello(encodeClientHello({ ...baseHello, extensions: [psk, sv] })), ILLEGAL);
  });

  test('a TLS 1.2-style hello without an extensions block decodes with extensions []', () => {
    const w = new Writer();
    w.u16(0x0303).bytes(new Uint8Array(32)).vec(1, new Uint8Array(0)).vec(2, fromHex('c02f')).vec(1, Uint8Array.of(1, 0));
    const ch = decodeClientHello(w.finish());
    expect(ch.extensions).toEqual([]);
    expect(Array.from(ch.compressionMethods)).toEqual([1, 0]);
    expect(encodeClientHello(ch)).toEqual(w.finish());
    // ... but compression methods are still <1..2^8-1>.
    const bad = new Writer();
    bad.u16(0x0303).bytes(new Uint8Array(32)).vec(1, new Uint8Array(0)).vec(2, fromHex('c02f')).vec(1, new Uint8Array(0));
    expectAlert(() => decodeClientHello(bad.finish()), DECODE);
  });
});

describe('other messages', () => {
  test('KeyUpdate: 0 and 1 decode; 2 is illegal_parameter (RFC 8446 section 4.6.3); 2 bytes is decode_error', () => {
    expect(decodeKeyUpdate(Uint8Array.of(0)).requestUpdate).toBe(0);
    expect(decodeKeyUpdate(Uint8Array.of(1)).requestUpdate).toBe(1);
    expectAlert(() => decodeKeyUpdate(Uint8Array.of(2)), ILLEGAL);
    expectAlert(() => decodeKeyUpdate(Uint8Array.of(255)), ILLEGAL);
    expectAlert(() => decodeKeyUpdate(Uint8Array.of(0, 0)), DECODE);
    expectAlert(() => decodeKeyUpdate(new Uint8Array(0)), DECODE);
  });

  test('EncryptedExtensions with a duplicate extension is illegal_parameter', () => {
    const sni: Extension = { type: ExtensionType.server_name, data: new Uint8Array(0) };
    const body = encodeEncryptedExtensions({ extensions: [sni] });
    expect(decodeEncryptedExtensions(body).extensions).toHaveLength(1);
    const dup = concat(Uint8Array.of(0, 8), body.subarray(2), body.subarray(2));
    expectAlert(() => decodeEncryptedExtensions(dup), ILLEGAL);
  });

  test('a CertificateEntry with a duplicate extension is illegal_parameter; an empty cert_data is decode_error', () => {
    const ok = fromHex('00' + '00000a' + '000001' + 'aa' + '0004' + '00050000');
    expect(decodeCertificate(ok).entries[0]!.extensions).toHaveLength(1);
    expectAlert(() => decodeCertificate(fromHex('00' + '00000e' + '000001' + 'aa' + '0008' + '00050000' + '00050000')), ILLEGAL);
    expectAlert(() => decodeCertificate(fromHex('00' + '000005' + '000000' + '0000')), DECODE);
  });

  test('NewSessionTicket with an empty ticket is decode_error (<1..2^16-1>)', () => {
    const ok = fromHex('0000001e' + '00000001' + '00' + '000101' + '0000');
    expect(decodeNewSessionTicket(ok).ticket.length).toBe(1);
    expectAlert(() => decodeNewSessionTicket(fromHex('0000001e' + '00000001' + '00' + '0000' + '0000')), DECODE);
  });

  test('CertificateRequest with an extension block under 2 bytes is decode_error (<2..2^16-1>)', () => {
    expect(decodeCertificateRequest(fromHex('00' + '0004' + '002c0000')).extensions).toHaveLength(1);
    expectAlert(() => decodeCertificateRequest(fromHex('00' + '0000')), DECODE);
  });

  test('EndOfEarlyData with a body is decode_error', () => {
    expect(decodeEndOfEarlyData(new Uint8Array(0))).toEqual({});
    expectAlert(() => decodeEndOfEarlyData(Uint8Array.of(0)), DECODE);
  });
});

describe('extension rules', () => {
  test('record_size_limit 63 is illegal_parameter (RFC 8449 section 4); 64 is fine', () => {
    expect(decodeRecordSizeLimit(fromHex('0040'))).toBe(64);
    expectAlert(() => decodeRecordSizeLimit(fromHex('003f')), ILLEGAL);
    expectAlert(() => decodeRecordSizeLimit(fromHex('004000')), DECODE);
  });

  test('an empty ALPN protocol name is decode_error (ProtocolName<1..2^8-1>)', () => {
    expect(decodeAlpn(fromHex('0003026832'))).toEqual(['h2']);
    expectAlert(() => decodeAlpn(fromHex('000400026832')), DECODE);
    expectAlert(() => decodeAlpn(fromHex('0000')), DECODE); // empty list
  });

  test('two SNI host names are illegal_parameter (RFC 6066 section 3); an empty list or name is decode_error', () => {
    expect(decodeServerName(fromHex('0004' + '00' + '0001' + '61'))).toBe('a');
    expectAlert(() => decodeServerName(fromHex('0008' + '00000161' + '00000162')), ILLEGAL);
    expectAlert(() => decodeServerName(fromHex('0000')), DECODE);
    expectAlert(() => decodeServerName(fromHex('0003' + '00' + '0000')), DECODE);
  });

  test('a PSK binder shorter than 32 bytes is decode_error (PskBinderEntry<32..255>)', () => {
    // Two identities, so the binders list stays above its own minimum of 33 bytes.
    const ids = '000e' + '0001' + '61' + '00000000' + '0001' + '62' + '00000000';
    const binder = (n: number): string => n.toString(16).padStart(2, '0') + '11'.repeat(n);
    const list = (a: number, b: number): string => (2 + a + b).toString(16).padStart(4, '0') + binder(a) + binder(b);
    expect(decodeOfferedPsks(fromHex(ids + list(32, 32))).binders.map((b) => b.length)).toEqual([32, 32]);
    expectAlert(() => decodeOfferedPsks(fromHex(ids + list(32, 31))), DECODE);
    expectAlert(() => decodeOfferedPsks(fromHex(ids + list(31, 32))), DECODE);
  });
});
