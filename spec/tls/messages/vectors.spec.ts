/**
 * Every handshake message of RFC 8448 decodes, re-encodes to the same bytes, and has the
 * expected field values; every extension in it goes through its typed codec and back.
 */
import { ExtensionType, HandshakeType, NamedGroup, ProtocolVersion, SignatureScheme } from '../../../src/tls/constants.js';
import { toHex } from '../../../src/tls/codec/bytes.js';
import {
  HandshakeReassembler, bindersLength, decodeAlpn, decodeCertificate, decodeCertificateAuthorities, decodeCertificateRequest,
  decodeCertificateVerify, decodeClientHello, decodeCookie, decodeEarlyDataIndication, decodeEncryptedExtensions,
  decodeEndOfEarlyData, decodeFinished, decodeKeyShareClientHello, decodeKeyShareHelloRetryRequest, decodeKeyShareServerHello,
  decodeKeyUpdate, decodeMaxEarlyDataSize, decodeNewSessionTicket, decodeOfferedPsks, decodePostHandshakeAuth,
  decodePskKeyExchangeModes, decodeRecordSizeLimit, decodeSelectedIdentity, decodeServerHello, decodeServerName,
  decodeSignatureAlgorithms, decodeSignatureAlgorithmsCert, decodeSupportedGroups, decodeSupportedVersionsClient,
  decodeSupportedVersionsServer, encodeAlpn, encodeCertificate, encodeCertificateAuthorities, encodeCertificateRequest,
  encodeCertificateVerify, encodeClientHello, encodeCookie, encodeEarlyDataIndication, encodeEncryptedExtensions,
  encodeEndOfEarlyData, encodeFinished, encodeHandshake, encodeKeyShareClientHello, encodeKeyShareHelloRetryRequest,
  encodeKeyShareServerHello, encodeKeyUpdate, encodeMaxEarlyDataSize, encodeNewSessionTicket, encodeOfferedPsks,
  encodePostHandshakeAuth, encodePskKeyExchangeModes, encodeRecordSizeLimit, encodeSelectedIdentity, encodeServerHello,
  encodeServerName, encodeSignatureAlgorithms, encodeSignatureAlgorithmsCert, encodeSupportedGroups,
  encodeSupportedVersionsClient, encodeSupportedVersionsServer, findExtension,
} from '../../../src/tls/messages/index.js';
import type { Extension, HandshakeMessage } from '../../../src/tls/messages/index.js';
import { SCENARIOS, handshakePayloads, itemHex, messageItems } from './rfc8448.js';

/** Where an extension block sits: the typed codec depends on it (RFC 8446 section 4.2). */
type Ctx = 'ch' | 'sh' | 'hrr' | 'ee' | 'cr' | 'nst' | 'cert';

/** Decodes and re-encodes one extension with its typed codec; undefined for types without one. */
function retypeExtension(ctx: Ctx, e: Extension): Uint8Array | undefined {
  const d = e.data;
  switch (e.type) {
    case ExtensionType.server_name:
      return encodeServerName(decodeServerName(d));
    case ExtensionType.supported_groups:
      return encodeSupportedGroups(decodeSupportedGroups(d));
    case ExtensionType.signature_algorithms:
      return encodeSignatureAlgorithms(decodeSignatureAlgorithms(d));
    case ExtensionType.signature_algorithms_cert:
      return encodeSignatureAlgorithmsCert(decodeSignatureAlgorithmsCert(d));
    case ExtensionType.application_layer_protocol_negotiation:
      return encodeAlpn(decodeAlpn(d));
    case ExtensionType.supported_versions:
      return ctx === 'ch' ? encodeSupportedVersionsClient(decodeSupportedVersionsClient(d)) : encodeSupportedVersionsServer(decodeSupportedVersionsServer(d));
    case ExtensionType.key_share:
      if (ctx === 'ch') return encodeKeyShareClientHello(decodeKeyShareClientHello(d));
      if (ctx === 'hrr') return encodeKeyShareHelloRetryRequest(decodeKeyShareHelloRetryRequest(d));
      return encodeKeyShareServerHello(decodeKeyShareServerHello(d));
    case ExtensionType.cookie:
      return encodeCookie(decodeCookie(d));
    case ExtensionType.psk_key_exchange_modes:
      return encodePskKeyExchangeModes(decodePskKeyExchangeModes(d));
    case ExtensionType.pre_shared_key:
      return ctx === 'ch' ? encodeOfferedPsks(decodeOfferedPsks(d)) : encodeSelectedIdentity(decodeSelectedIdentity(d));
    case ExtensionType.early_data:
      if (ctx === 'nst') return encodeMaxEarlyDataSize(decodeMaxEarlyDataSize(d));
      decodeEarlyDataIndication(d);
      return encodeEarlyDataIndication();
    case ExtensionType.record_size_limit:
      return encodeRecordSizeLimit(decodeRecordSizeLimit(d));
    case ExtensionType.certificate_authorities:
      return encodeCertificateAuthorities(decodeCertificateAuthorities(d));
    case ExtensionType.post_handshake_auth:
      decodePostHandshakeAuth(d);
      return encodePostHandshakeAuth();
    default:
      return undefined;
  }
}

/** Decodes a body by type, checks every extension's typed round trip, and re-encodes the body. */
function roundTrip(type: number, body: Uint8Array): { body: Uint8Array; typedExtensions: number } {
  let typed = 0;
  const exts = (ctx: Ctx, list: Extension[]): void => {
    for (const e of list) {
      const again = retypeExtension(ctx, e);
      if (again === undefined) continue;
      expect(toHex(again)).toBe(toHex(e.data));
      typed++;
    }
  };
  let out: Uint8Array;
  switch (type) {
    case HandshakeType.client_hello: {
      const m = decodeClientHello(body);
      exts('ch', m.extensions);
      out = encodeClientHello(m);
      break;
    }
    case HandshakeType.server_hello: {
      const m = decodeServerHello(body);
      exts(m.isHelloRetryRequest ? 'hrr' : 'sh', m.extensions);
      out = encodeServerHello(m);
      break;
    }
    case HandshakeType.encrypted_extensions: {
      const m = decodeEncryptedExtensions(body);
      exts('ee', m.extensions);
      out = encodeEncryptedExtensions(m);
      break;
    }
    case HandshakeType.certificate: {
      const m = decodeCertificate(body);
      for (const e of m.entries) exts('cert', e.extensions);
      out = encodeCertificate(m);
      break;
    }
    case HandshakeType.certificate_request: {
      const m = decodeCertificateRequest(body);
      exts('cr', m.extensions);
      out = encodeCertificateRequest(m);
      break;
    }
    case HandshakeType.certificate_verify:
      out = encodeCertificateVerify(decodeCertificateVerify(body));
      break;
    case HandshakeType.finished:
      out = encodeFinished(decodeFinished(body));
      break;
    case HandshakeType.new_session_ticket: {
      const m = decodeNewSessionTicket(body);
      exts('nst', m.extensions);
      out = encodeNewSessionTicket(m);
      break;
    }
    case HandshakeType.end_of_early_data:
      out = encodeEndOfEarlyData(decodeEndOfEarlyData(body));
      break;
    case HandshakeType.key_update:
      out = encodeKeyUpdate(decodeKeyUpdate(body));
      break;
    default:
      throw new Error(`unexpected handshake type ${type}`);
  }
  return { body: out, typedExtensions: typed };
}

/** All handshake messages of a scenario, split out of its handshake record payloads. */
function messagesOf(id: string): HandshakeMessage[] {
  const r = new HandshakeReassembler();
  const out: HandshakeMessage[] = [];
  for (const p of handshakePayloads(id)) {
    r.push(p);
    for (let m = r.next(); m; m = r.next()) out.push(m);
    expect(r.hasPartial).toBe(false);
  }
  return out;
}

/** The one whole message in `bytes`, header stripped by the reassembler. */
function single(bytes: Uint8Array): HandshakeMessage {
  const r = new HandshakeReassembler();
  r.push(bytes);
  const m = r.next();
  expect(m).not.toBeNull();
  expect(r.next()).toBeNull();
  expect(r.hasPartial).toBe(false);
  return m!;
}

describe('RFC 8448 handshake messages round-trip', () => {
  let typedTotal = 0;

  for (const id of SCENARIOS) {
    test(`${id}: every labelled message decodes and re-encodes byte for byte`, () => {
      const items = messageItems(id);
      expect(items.length).toBeGreaterThanOrEqual(6);
      let checked = 0;
      for (const item of items) {
        const declared = (item.bytes[1]! << 16) | (item.bytes[2]! << 8) | item.bytes[3]!;
        if (declared + 4 !== item.bytes.length) {
          // Only the resumed ClientHello is given as the binder prefix (RFC 8448 section 4).
          expect([id, item.label]).toEqual(['resumed_0rtt', 'ClientHello']);
          continue;
        }
        const m = single(item.bytes);
        const rt = roundTrip(m.type, m.body);
        typedTotal += rt.typedExtensions;
        expect(toHex(rt.body)).toBe(toHex(m.body));
        expect(toHex(encodeHandshake(m.type, rt.body))).toBe(toHex(item.bytes));
        checked++;
      }
      expect(checked).toBeGreaterThanOrEqual(items.length - 1);
    });

    test(`${id}: the record payloads hold exactly the labelled messages, and they round-trip`, () => {
      const msgs = messagesOf(id);
      const items = messageItems(id);
      expect(msgs.length).toBe(items.length);
      msgs.forEach((m, i) => {
        const item = items[i]!.bytes;
        // The truncated resumed ClientHello item is a prefix of the full message.
        expect(toHex(m.raw).startsWith(toHex(item))).toBe(true);
        expect(toHex(encodeHandshake(m.type, roundTrip(m.type, m.body).body))).toBe(toHex(m.raw));
      });
    });
  }

  test('the typed extension codecs saw the extensions of every scenario (runs after the tests above)', () => {
    // The labelled items carry 68 extensions with a typed codec (36 of them in five ClientHellos).
    expect(typedTotal).toBe(68);
  });
});

describe('RFC 8448 decoded fields', () => {
  const get = (id: string, type: number, n = 0): HandshakeMessage => {
    const all = messagesOf(id).filter((m) => m.type === type);
    expect(all.length).toBeGreaterThan(n);
    return all[n]!;
  };

  test('simple_1rtt ClientHello', () => {
    const ch = decodeClientHello(get('simple_1rtt', HandshakeType.client_hello).body);
    expect(ch.legacyVersion).toBe(0x0303);
    expect(toHex(ch.random)).toBe('cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7');
    expect(ch.legacySessionId.length).toBe(0);
    expect(ch.cipherSuites).toEqual([0x1301, 0x1303, 0x1302]);
    expect(Array.from(ch.compressionMethods)).toEqual([0]);
    expect(ch.extensions.map((e) => e.type)).toEqual([0, 0xff01, 10, 35, 51, 43, 13, 45, 28]);
    expect(decodeServerName(findExtension(ch.extensions, ExtensionType.server_name)!)).toBe('server');
    const shares = decodeKeyShareClientHello(findExtension(ch.extensions, ExtensionType.key_share)!);
    expect(shares).toHaveLength(1);
    expect(shares[0]!.group).toBe(NamedGroup.x25519);
    expect(toHex(shares[0]!.keyExchange)).toBe('99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c');
    expect(decodeRecordSizeLimit(findExtension(ch.extensions, ExtensionType.record_size_limit)!)).toBe(0x4001);
    expect(decodeSupportedVersionsClient(findExtension(ch.extensions, ExtensionType.supported_versions)!)).toEqual([ProtocolVersion.TLS13]);
    expect(decodeSupportedGroups(findExtension(ch.extensions, ExtensionType.supported_groups)!)).toEqual([
      0x001d, 0x0017, 0x0018, 0x0019, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104,
    ]);
    const sigs = decodeSignatureAlgorithms(findExtension(ch.extensions, ExtensionType.signature_algorithms)!);
    expect(sigs).toHaveLength(15);
    expect(sigs[0]).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
    expect(decodePskKeyExchangeModes(findExtension(ch.extensions, ExtensionType.psk_key_exchange_modes)!)).toEqual([1]);
    expect(findExtension(ch.extensions, ExtensionType.pre_shared_key)).toBeUndefined();
  });

  test('simple_1rtt ServerHello, EncryptedExtensions, Certificate, CertificateVerify, Finished, NewSessionTicket', () => {
    const sh = decodeServerHello(get('simple_1rtt', HandshakeType.server_hello).body);
    expect(sh.isHelloRetryRequest).toBe(false);
    expect(sh.cipherSuite).toBe(0x1301);
    expect(sh.compressionMethod).toBe(0);
    expect(decodeSupportedVersionsServer(findExtension(sh.extensions, ExtensionType.supported_versions)!)).toBe(0x0304);
    const share = decodeKeyShareServerHello(findExtension(sh.extensions, ExtensionType.key_share)!);
    expect(share.group).toBe(NamedGroup.x25519);
    expect(toHex(share.keyExchange)).toBe('c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f');

    const ee = decodeEncryptedExtensions(get('simple_1rtt', HandshakeType.encrypted_extensions).body);
    expect(ee.extensions.map((e) => e.type)).toEqual([10, 28, 0]);
    expect(decodeServerName(findExtension(ee.extensions, ExtensionType.server_name)!)).toBeUndefined();
    expect(findExtension(ee.extensions, ExtensionType.server_name)!.length).toBe(0);

    const cert = decodeCertificate(get('simple_1rtt', HandshakeType.certificate).body);
    expect(cert.context.length).toBe(0);
    expect(cert.entries).toHaveLength(1);
    expect(cert.entries[0]!.data.length).toBe(432);
    expect(toHex(cert.entries[0]!.data.subarray(0, 4))).toBe('308201ac');
    expect(cert.entries[0]!.extensions).toEqual([]);

    const cv = decodeCertificateVerify(get('simple_1rtt', HandshakeType.certificate_verify).body);
    expect(cv.scheme).toBe(SignatureScheme.rsa_pss_rsae_sha256);
    expect(cv.signature.length).toBe(128);

    const fin = decodeFinished(get('simple_1rtt', HandshakeType.finished, 0).body);
    expect(toHex(fin.verifyData)).toBe(itemHex('simple_1rtt', 'calculate finished "tls13 finished"', 'finished'));

    const nst = decodeNewSessionTicket(get('simple_1rtt', HandshakeType.new_session_ticket).body);
    expect(nst.lifetime).toBe(30);
    expect(nst.ageAdd).toBe(0xfad6aac5);
    expect(toHex(nst.nonce)).toBe('0000');
    expect(nst.ticket.length).toBe(178);
    expect(decodeMaxEarlyDataSize(findExtension(nst.extensions, ExtensionType.early_data)!)).toBe(0x400);
  });

  test('hello_retry_request: the first ServerHello is an HRR with a cookie and secp256r1, echoed by ClientHello2', () => {
    const hrr = decodeServerHello(get('hello_retry_request', HandshakeType.server_hello, 0).body);
    expect(hrr.isHelloRetryRequest).toBe(true);
    expect(hrr.extensions.map((e) => e.type)).toEqual([51, 44, 43]);
    expect(decodeKeyShareHelloRetryRequest(findExtension(hrr.extensions, ExtensionType.key_share)!)).toBe(NamedGroup.secp256r1);
    const cookie = decodeCookie(findExtension(hrr.extensions, ExtensionType.cookie)!);
    expect(cookie.length).toBe(0x72);
    expect(toHex(cookie.subarray(0, 4))).toBe('71dcd04b');
    const sh = decodeServerHello(get('hello_retry_request', HandshakeType.server_hello, 1).body);
    expect(sh.isHelloRetryRequest).toBe(false);

    const ch1 = decodeClientHello(get('hello_retry_request', HandshakeType.client_hello, 0).body);
    const ch2 = decodeClientHello(get('hello_retry_request', HandshakeType.client_hello, 1).body);
    expect(findExtension(ch1.extensions, ExtensionType.cookie)).toBeUndefined();
    expect(toHex(decodeCookie(findExtension(ch2.extensions, ExtensionType.cookie)!))).toBe(toHex(cookie));
    const shares = decodeKeyShareClientHello(findExtension(ch2.extensions, ExtensionType.key_share)!);
    expect(shares.map((s) => s.group)).toEqual([NamedGroup.secp256r1]);
    expect(shares[0]!.keyExchange.length).toBe(65);
    expect(toHex(ch2.random)).toBe(toHex(ch1.random));
  });

  test('resumed_0rtt: pre_shared_key is last with one 32-byte binder, and bindersLength locates the binder prefix', () => {
    const full = get('resumed_0rtt', HandshakeType.client_hello);
    const ch = decodeClientHello(full.body);
    const last = ch.extensions[ch.extensions.length - 1]!;
    expect(last.type).toBe(ExtensionType.pre_shared_key);
    const psks = decodeOfferedPsks(last.data);
    expect(psks.identities).toHaveLength(1);
    expect(psks.identities[0]!.identity.length).toBe(0xb2);
    expect(psks.identities[0]!.obfuscatedTicketAge).toBe(0xfad6aacb); // ticket_age_add 0xfad6aac5 plus 6 ms
    expect(psks.binders).toHaveLength(1);
    expect(psks.binders[0]!.length).toBe(32);
    expect(toHex(psks.binders[0]!)).toBe(itemHex('resumed_0rtt', 'calculate PSK binder', 'finished'));
    expect(findExtension(ch.extensions, ExtensionType.early_data)).toEqual(new Uint8Array(0));

    const n = bindersLength(psks.binders.map((b) => b.length));
    expect(n).toBe(35);
    const prefix = itemHex('resumed_0rtt', 'calculate PSK binder', 'ClientHello prefix');
    expect(toHex(full.raw.subarray(0, full.raw.length - n))).toBe(prefix);

    // Re-encoding with placeholder binders of the same length changes only the last n bytes.
    const placeholder = encodeHandshake(HandshakeType.client_hello, encodeClientHello({
      ...ch,
      extensions: [...ch.extensions.slice(0, -1), {
        type: ExtensionType.pre_shared_key,
        data: encodeOfferedPsks({ identities: psks.identities, binders: [new Uint8Array(32)] }),
      }],
    }));
    expect(toHex(placeholder.subarray(0, placeholder.length - n))).toBe(prefix);

    const sh = decodeServerHello(get('resumed_0rtt', HandshakeType.server_hello).body);
    expect(decodeSelectedIdentity(findExtension(sh.extensions, ExtensionType.pre_shared_key)!)).toBe(0);
    const ee = decodeEncryptedExtensions(get('resumed_0rtt', HandshakeType.encrypted_extensions).body);
    expect(findExtension(ee.extensions, ExtensionType.early_data)).toEqual(new Uint8Array(0));
    const eoed = get('resumed_0rtt', HandshakeType.end_of_early_data);
    expect(eoed.body.length).toBe(0);
    expect(decodeEndOfEarlyData(eoed.body)).toEqual({});
  });

  test('client_authentication: CertificateRequest has signature_algorithms; the client sends its Certificate', () => {
    const cr = decodeCertificateRequest(get('client_authentication', HandshakeType.certificate_request).body);
    expect(cr.context.length).toBe(0);
    expect(cr.extensions.map((e) => e.type)).toEqual([ExtensionType.signature_algorithms]);
    const sigs = decodeSignatureAlgorithms(findExtension(cr.extensions, ExtensionType.signature_algorithms)!);
    expect(sigs).toContain(SignatureScheme.rsa_pss_rsae_sha256);
    expect(sigs).toHaveLength(15);
    const serverCert = decodeCertificate(get('client_authentication', HandshakeType.certificate, 0).body);
    const clientCert = decodeCertificate(get('client_authentication', HandshakeType.certificate, 1).body);
    expect(serverCert.entries).toHaveLength(1);
    expect(clientCert.entries).toHaveLength(1);
    expect(clientCert.entries[0]!.data.length).toBe(0x1b6);
    const serverCv = decodeCertificateVerify(get('client_authentication', HandshakeType.certificate_verify, 0).body);
    expect(serverCv.scheme).toBe(SignatureScheme.ecdsa_secp256r1_sha256);
  });

  test('compatibility_mode: a 32-byte legacy_session_id, echoed by the ServerHello', () => {
    const ch = decodeClientHello(get('compatibility_mode', HandshakeType.client_hello).body);
    const sh = decodeServerHello(get('compatibility_mode', HandshakeType.server_hello).body);
    expect(ch.legacySessionId.length).toBe(32);
    expect(toHex(sh.legacySessionId)).toBe(toHex(ch.legacySessionId));
  });

  test('decoded byte fields are views into the input, not copies', () => {
    const m = get('simple_1rtt', HandshakeType.client_hello);
    const ch = decodeClientHello(m.body);
    expect(ch.random.buffer).toBe(m.body.buffer);
    expect(ch.random.byteOffset).toBe(m.body.byteOffset + 2);
    for (const e of ch.extensions) expect(e.data.buffer).toBe(m.body.buffer);
    const body = get('simple_1rtt', HandshakeType.certificate).body;
    const cert = decodeCertificate(body);
    expect(cert.entries[0]!.data.buffer).toBe(body.buffer);
    expect(cert.entries[0]!.data.byteOffset).toBe(body.byteOffset + 1 + 3 + 3);
  });
});
