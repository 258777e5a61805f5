/**
 * The typed extension_data codecs and the generic extension block: round trips of built
 * values, the wire bytes they produce, decode errors with their alerts, and encoder misuse.
 */
import { AlertDescription, ExtensionType, HELLO_RETRY_REQUEST_RANDOM, NamedGroup } from '../../../src/tls/constants.js';
import { fromHex, toHex } from '../../../src/tls/codec/bytes.js';
import { Reader } from '../../../src/tls/codec/reader.js';
import { TlsMisuseError } from '../../../src/tls/errors.js';
import {
  bindersLength, decodeAlpn, decodeAlpnProtocols, decodeCertificateAuthorities, decodeCookie, decodeEarlyDataIndication,
  decodeExtensions, decodeKeyShareClientHello, decodeKeyShareHelloRetryRequest, decodeKeyShareServerHello,
  decodeMaxEarlyDataSize, decodeOfferedPsks, decodePostHandshakeAuth, decodePskKeyExchangeModes, decodeSelectedAlpn,
  decodeSelectedIdentity, decodeServerHello, decodeServerName, decodeSignatureAlgorithms, decodeSupportedGroups,
  decodeSupportedVersionsClient, decodeSupportedVersionsServer, encodeAlpn, encodeCertificateAuthorities, encodeCookie,
  encodeExtensions, encodeKeyShareClientHello, encodeKeyShareHelloRetryRequest, encodeKeyShareServerHello,
  encodeMaxEarlyDataSize, encodeOfferedPsks, encodePskKeyExchangeModes, encodeRecordSizeLimit, encodeSelectedIdentity,
  encodeServerHello, encodeServerName, encodeSignatureAlgorithms, encodeSupportedGroups, encodeSupportedVersionsClient,
  encodeSupportedVersionsServer, findExtension,
} from '../../../src/tls/messages/index.js';
import { expectAlert } from './rfc8448.js';

const { decode_error: DECODE, illegal_parameter: ILLEGAL } = AlertDescription;

describe('extension blocks', () => {
  test('encodeExtensions / decodeExtensions round-trip, with views', () => {
    const block = encodeExtensions([
      { type: ExtensionType.server_name, data: new Uint8Array(0) },
      { type: ExtensionType.record_size_limit, data: fromHex('4001') },
    ]);
    expect(toHex(block)).toBe('000a' + '00000000' + '001c00024001');
    const exts = decodeExtensions(new Reader(block));
    expect(exts.map((e) => e.type)).toEqual([0, 28]);
    expect(exts[1]!.data.buffer).toBe(block.buffer);
    expect(toHex(findExtension(exts, ExtensionType.record_size_limit)!)).toBe('4001');
    expect(findExtension(exts, ExtensionType.cookie)).toBeUndefined();
  });

  test('decodeExtensions enforces the block bounds and extension lengths', () => {
    expectAlert(() => decodeExtensions(new Reader(fromHex('0000')), 2), DECODE);
    expectAlert(() => decodeExtensions(new Reader(fromHex('0005001c00024001'))), DECODE); // data overruns block
    expectAlert(() => decodeExtensions(new Reader(fromHex('0003001c00'))), DECODE); // header cut
  });

  test('a duplicate type is illegal_parameter when decoding and misuse when encoding', () => {
    expectAlert(() => decodeExtensions(new Reader(fromHex('0008' + '00000000' + '00000000'))), ILLEGAL);
    const e = { type: 0, data: new Uint8Array(0) };
    expect(() => encodeExtensions([e, e])).toThrow(TlsMisuseError);
  });
});

describe('server_name', () => {
  test('round-trips a host name; the empty ack is empty data and decodes to undefined', () => {
    const d = encodeServerName('example.com');
    expect(toHex(d)).toBe('000e' + '00' + '000b' + toHex(new TextEncoder().encode('example.com')));
    expect(decodeServerName(d)).toBe('example.com');
    expect(encodeServerName().length).toBe(0);
    expect(decodeServerName(new Uint8Array(0))).toBeUndefined();
  });

  test('unknown name types are skipped; a non-ASCII host name is illegal_parameter', () => {
    expect(decodeServerName(fromHex('0005' + '07' + '0002' + 'abcd'))).toBeUndefined();
    expect(decodeServerName(fromHex('0009' + '07' + '0002' + 'abcd' + '00' + '0001' + '61'))).toBe('a');
    expectAlert(() => decodeServerName(fromHex('0005' + '00' + '0002' + 'c3a9')), ILLEGAL);
    expectAlert(() => decodeServerName(fromHex('0004' + '00' + '0001' + '00')), ILLEGAL);
    expectAlert(() => decodeServerName(fromHex('0004' + '00' + '0001' + '61' + '00')), DECODE);
  });

  test('encoding an empty or non-ASCII name is misuse', () => {
    expect(() => encodeServerName('')).toThrow(TlsMisuseError);
    expect(() => encodeServerName('bücher.de')).toThrow(TlsMisuseError);
    expect(() => encodeServerName('a b')).toThrow(TlsMisuseError);
  });
});

describe('u16 lists: supported_groups, signature_algorithms', () => {
  test('round-trip', () => {
    expect(toHex(encodeSupportedGroups([NamedGroup.x25519, NamedGroup.secp256r1]))).toBe('0004001d0017');
    expect(decodeSupportedGroups(fromHex('0004001d0017'))).toEqual([0x1d, 0x17]);
    expect(decodeSignatureAlgorithms(encodeSignatureAlgorithms([0x0804, 0x0403]))).toEqual([0x0804, 0x0403]);
  });

  test('empty, odd or trailing is decode_error; encoding empty is misuse', () => {
    expectAlert(() => decodeSupportedGroups(fromHex('0000')), DECODE);
    expectAlert(() => decodeSignatureAlgorithms(fromHex('000308040403')), DECODE);
    expectAlert(() => decodeSignatureAlgorithms(fromHex('0003080404')), DECODE);
    expectAlert(() => decodeSupportedGroups(fromHex('0002001d00')), DECODE);
    expect(() => encodeSupportedGroups([])).toThrow(TlsMisuseError);
    expect(() => encodeSignatureAlgorithms([0x10000])).toThrow(TlsMisuseError);
  });
});

describe('ALPN', () => {
  test('round-trips strings (latin1) and bytes', () => {
    const d = encodeAlpn(['h2', 'http/1.1']);
    expect(toHex(d)).toBe('000c' + '026832' + '08' + toHex(new TextEncoder().encode('http/1.1')));
    expect(decodeAlpn(d)).toEqual(['h2', 'http/1.1']);
    expect(decodeAlpnProtocols(d).map(toHex)).toEqual(['6832', toHex(new TextEncoder().encode('http/1.1'))]);
    expect(decodeAlpn(encodeAlpn([Uint8Array.of(0xff, 0)]))).toEqual(['\u00ff\u0000']);
  });

  test('the server must select exactly one name', () => {
    expect(decodeSelectedAlpn(encodeAlpn(['h2']))).toBe('h2');
    expectAlert(() => decodeSelectedAlpn(encodeAlpn(['h2', 'h3'])), DECODE);
  });

  test('encoding an empty list, an empty name or a 256-byte name is misuse', () => {
    expect(() => encodeAlpn([])).toThrow(TlsMisuseError);
    expect(() => encodeAlpn([''])).toThrow(TlsMisuseError);
    expect(() => encodeAlpn(['x'.repeat(256)])).toThrow(TlsMisuseError);
    expect(decodeAlpn(encodeAlpn(['x'.repeat(255)]))[0]!.length).toBe(255);
  });
});

describe('supported_versions', () => {
  test('client and server forms', () => {
    expect(toHex(encodeSupportedVersionsClient([0x0304, 0x0303]))).toBe('0403040303');
    expect(decodeSupportedVersionsClient(fromHex('0403040303'))).toEqual([0x0304, 0x0303]);
    expect(toHex(encodeSupportedVersionsServer(0x0304))).toBe('0304');
    expect(decodeSupportedVersionsServer(fromHex('0304'))).toBe(0x0304);
  });

  test('bad lengths are decode_error', () => {
    expectAlert(() => decodeSupportedVersionsClient(fromHex('00')), DECODE);
    expectAlert(() => decodeSupportedVersionsClient(fromHex('03030403')), DECODE);
    expectAlert(() => decodeSupportedVersionsServer(fromHex('030400')), DECODE);
    expectAlert(() => decodeSupportedVersionsServer(fromHex('03')), DECODE);
  });
});

describe('key_share', () => {
  const a = { group: NamedGroup.x25519, keyExchange: new Uint8Array(32).fill(1) };
  const b = { group: NamedGroup.secp256r1, keyExchange: new Uint8Array(65).fill(4) };

  test('ClientHello, ServerHello and HelloRetryRequest forms round-trip', () => {
    const ch = encodeKeyShareClientHello([a, b]);
    expect(ch.length).toBe(2 + 4 + 32 + 4 + 65);
    expect(decodeKeyShareClientHello(ch).map((e) => [e.group, e.keyExchange.length])).toEqual([[0x1d, 32], [0x17, 65]]);
    expect(decodeKeyShareClientHello(encodeKeyShareClientHello([]))).toEqual([]);
    const sh = encodeKeyShareServerHello(a);
    expect(toHex(sh.subarray(0, 4))).toBe('001d0020');
    expect(decodeKeyShareServerHello(sh).group).toBe(0x1d);
    expect(toHex(encodeKeyShareHelloRetryRequest(NamedGroup.secp256r1))).toBe('0017');
    expect(decodeKeyShareHelloRetryRequest(fromHex('0017'))).toBe(0x17);
  });

  test('duplicate groups are illegal_parameter (RFC 8446 section 4.2.8); misuse when encoding', () => {
    const dup = fromHex('000a' + '001d000101' + '001d000102');
    expectAlert(() => decodeKeyShareClientHello(dup), ILLEGAL);
    expect(decodeKeyShareClientHello(fromHex('000a' + '001d000101' + '0017000102'))).toHaveLength(2);
    expect(() => encodeKeyShareClientHello([a, a])).toThrow(TlsMisuseError);
  });

  test('an empty key_exchange or trailing bytes is decode_error', () => {
    expectAlert(() => decodeKeyShareClientHello(fromHex('0004001d0000')), DECODE);
    expectAlert(() => decodeKeyShareServerHello(fromHex('001d00010100')), DECODE);
    expectAlert(() => decodeKeyShareHelloRetryRequest(fromHex('001700')), DECODE);
  });
});

describe('cookie, psk_key_exchange_modes, early_data, post_handshake_auth, record_size_limit', () => {
  test('cookie <1..2^16-1>', () => {
    expect(toHex(encodeCookie(fromHex('abcd')))).toBe('0002abcd');
    expect(toHex(decodeCookie(fromHex('0002abcd')))).toBe('abcd');
    expectAlert(() => decodeCookie(fromHex('0000')), DECODE);
    expect(() => encodeCookie(new Uint8Array(0))).toThrow(TlsMisuseError);
  });

  test('psk_key_exchange_modes <1..255>', () => {
    expect(toHex(encodePskKeyExchangeModes([1]))).toBe('0101');
    expect(decodePskKeyExchangeModes(fromHex('020001'))).toEqual([0, 1]);
    expectAlert(() => decodePskKeyExchangeModes(fromHex('00')), DECODE);
    expect(() => encodePskKeyExchangeModes([])).toThrow(TlsMisuseError);
  });

  test('early_data: empty in hellos and EncryptedExtensions, u32 in NewSessionTicket', () => {
    expect(() => decodeEarlyDataIndication(new Uint8Array(0))).not.toThrow();
    expectAlert(() => decodeEarlyDataIndication(Uint8Array.of(0)), DECODE);
    expect(toHex(encodeMaxEarlyDataSize(0x4000))).toBe('00004000');
    expect(decodeMaxEarlyDataSize(fromHex('ffffffff'))).toBe(0xffffffff);
    expectAlert(() => decodeMaxEarlyDataSize(fromHex('000040')), DECODE);
  });

  test('post_handshake_auth is empty', () => {
    expect(() => decodePostHandshakeAuth(new Uint8Array(0))).not.toThrow();
    expectAlert(() => decodePostHandshakeAuth(Uint8Array.of(1)), DECODE);
  });

  test('record_size_limit below 64 cannot be encoded', () => {
    expect(toHex(encodeRecordSizeLimit(0x4001))).toBe('4001');
    expect(() => encodeRecordSizeLimit(63)).toThrow(TlsMisuseError);
  });
});

describe('pre_shared_key', () => {
  const identities = [
    { identity: fromHex('0102'), obfuscatedTicketAge: 0xfad6aacb },
    { identity: fromHex('03'), obfuscatedTicketAge: 0 },
  ];
  const binders = [new Uint8Array(32).fill(9), new Uint8Array(48).fill(8)];

  test('OfferedPsks round-trips and bindersLength measures the binders part', () => {
    const d = encodeOfferedPsks({ identities, binders });
    const back = decodeOfferedPsks(d);
    expect(back.identities.map((i) => [toHex(i.identity), i.obfuscatedTicketAge])).toEqual([['0102', 0xfad6aacb], ['03', 0]]);
    expect(back.binders.map((b) => b.length)).toEqual([32, 48]);
    const n = bindersLength([32, 48]);
    expect(n).toBe(2 + 33 + 49);
    // The binders part is exactly the last n bytes: its u16 length, then each binder.
    expect(toHex(d.subarray(d.length - n, d.length - n + 3))).toBe('0052' + '20');
    expect(d.length - n).toBe(2 + (2 + 2 + 4) + (2 + 1 + 4));
  });

  test('binder count must match identity count (illegal_parameter)', () => {
    const one = encodeOfferedPsks({ identities: identities.slice(0, 1), binders: binders.slice(0, 1) });
    // Two identities followed by the one-binder list of `one`.
    const twoIds = fromHex('000f' + '0002' + '0102' + 'fad6aacb' + '0001' + '03' + '00000000');
    const bad = new Uint8Array([...twoIds, ...one.subarray(2 + 8)]);
    expect(decodeOfferedPsks(one).identities).toHaveLength(1);
    expectAlert(() => decodeOfferedPsks(bad), ILLEGAL);
    expect(() => encodeOfferedPsks({ identities, binders: binders.slice(0, 1) })).toThrow(TlsMisuseError);
  });

  test('an empty identity, a 256-byte binder or empty lists are decode_error; bindersLength refuses 31', () => {
    expectAlert(() => decodeOfferedPsks(fromHex('0006' + '0000' + '00000000' + '0021' + '20' + '11'.repeat(32))), DECODE);
    expectAlert(() => decodeOfferedPsks(fromHex('0000' + '0021' + '20' + '11'.repeat(32))), DECODE);
    expect(() => bindersLength([31])).toThrow(TlsMisuseError);
    expect(() => bindersLength([256])).toThrow(TlsMisuseError);
  });

  test('selected_identity is a u16', () => {
    expect(toHex(encodeSelectedIdentity(1))).toBe('0001');
    expect(decodeSelectedIdentity(fromHex('0001'))).toBe(1);
    expectAlert(() => decodeSelectedIdentity(fromHex('00')), DECODE);
  });
});

describe('certificate_authorities', () => {
  test('round-trips DER names; an empty name or a list under 3 bytes is decode_error', () => {
    const d = encodeCertificateAuthorities([fromHex('3000'), fromHex('300100')]);
    expect(toHex(d)).toBe('0009' + '00023000' + '0003300100');
    expect(decodeCertificateAuthorities(d).map(toHex)).toEqual(['3000', '300100']);
    expectAlert(() => decodeCertificateAuthorities(fromHex('00020000')), DECODE);
    expectAlert(() => decodeCertificateAuthorities(fromHex('0003' + '0000' + '00')), DECODE);
  });
});

describe('ServerHello encoding', () => {
  const base = {
    legacyVersion: 0x0303, legacySessionId: new Uint8Array(0), cipherSuite: 0x1301, compressionMethod: 0,
    extensions: [{ type: ExtensionType.supported_versions, data: fromHex('0304') }],
  };

  test('an HRR is recognised by its random; isHelloRetryRequest must agree with random', () => {
    const hrr = decodeServerHello(encodeServerHello({ ...base, random: HELLO_RETRY_REQUEST_RANDOM, isHelloRetryRequest: true }));
    expect(hrr.isHelloRetryRequest).toBe(true);
    const sh = decodeServerHello(encodeServerHello({ ...base, random: new Uint8Array(32) }));
    expect(sh.isHelloRetryRequest).toBe(false);
    expect(() => encodeServerHello({ ...base, random: new Uint8Array(32), isHelloRetryRequest: true })).toThrow(TlsMisuseError);
    expect(() => encodeServerHello({ ...base, random: new Uint8Array(31) })).toThrow(TlsMisuseError);
  });

  test('a 33-byte legacy_session_id_echo is decode_error', () => {
    const body = encodeServerHello({ ...base, random: new Uint8Array(32), legacySessionId: new Uint8Array(32) });
    expect(decodeServerHello(body).legacySessionId.length).toBe(32);
    const bad = new Uint8Array(body.length + 1);
    bad.set(body.subarray(0, 34));
    bad[34] = 33;
    bad.set(body.subarray(35), 36);
    expectAlert(() => decodeServerHello(bad), DECODE);
  });
});
