/**
 * Engine behaviour: what a client and a server joined in memory negotiate (suite, group,
 * signature scheme, HelloRetryRequest, middlebox compatibility), and that data then flows.
 */
import { CipherSuite, NamedGroup, type SessionInfo } from '../../../src/tls/index.js';
import {
  KEY_KINDS, Wire, connected, disposeIdentities, exchange, identity, makeClient, makeServer, sameBytes, splitRecords, testData,
  type KeyKind,
} from './support.js';

afterAll(disposeIdentities);

const SUITES = [
  ['TLS_AES_128_GCM_SHA256', CipherSuite.TLS_AES_128_GCM_SHA256],
  ['TLS_AES_256_GCM_SHA384', CipherSuite.TLS_AES_256_GCM_SHA384],
  ['TLS_CHACHA20_POLY1305_SHA256', CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
] as const;
const GROUPS = [
  ['x25519', NamedGroup.x25519],
  ['secp256r1', NamedGroup.secp256r1],
  ['secp384r1', NamedGroup.secp384r1],
] as const;
const SUITE_GROUP = SUITES.flatMap(([sn, s]) => GROUPS.map(([gn, g]) => [sn, gn, s, g] as const));

const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('every cipher suite with every group', () => {
  test.each(SUITE_GROUP)('%s with %s: handshake, session info, 200 KiB each way', (suiteName, groupName, suite, group) => {
    const id = identity('ecdsa-p256');
    const wire = new Wire(makeClient(id, { cipherSuites: [suite], groups: [group] }), makeServer(id)).handshake();
    for (const s of [wire.client.session!, wire.server.session!]) {
      expect(s.version).toBe('TLSv1.3');
      expect(s.cipherSuite).toBe(suiteName);
      expect(s.group).toBe(groupName);
      expect(s.helloRetry).toBe(false);
    }
    const up = testData(200 * 1024, 11);
    const down = testData(200 * 1024, 12);
    const got = exchange(wire, up, down, { seed: suite * 7 + group });
    expect(sameBytes(got.atServer, up)).toBe(true);
    expect(sameBytes(got.atClient, down)).toBe(true);
  });

  test('the server picks its own preference among the suites both offer', () => {
    const id = identity('ecdsa-p256');
    const wire = connected(
      id,
      { cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256] },
      { cipherSuites: [CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_128_GCM_SHA256] },
    );
    expect(wire.client.session!.cipherSuite).toBe('TLS_CHACHA20_POLY1305_SHA256');
    expect(wire.server.session!.cipherSuite).toBe('TLS_CHACHA20_POLY1305_SHA256');
  });
});

describe('each server key type', () => {
  const SCHEME: Record<KeyKind, string> = {
    'ecdsa-p256': 'ecdsa_secp256r1_sha256',
    'ecdsa-p384': 'ecdsa_secp384r1_sha384',
    'rsa-2048': 'rsa_pss_rsae_sha256',
    ed25519: 'ed25519',
  };
  test.each(KEY_KINDS.map((k) => [k]))('%s: signs with the right scheme, chain reported, data flows', (kind) => {
    const id = identity(kind);
    const wire = connected(id);
    const s: SessionInfo = wire.client.session!;
    expect(s.peerSignatureScheme).toBe(SCHEME[kind]);
    expect(s.peerCertificates).toHaveLength(1);
    expect(hex(s.peerCertificates[0]!)).toBe(hex(id.certDer));
    expect(wire.server.session!.peerSignatureScheme).toBeUndefined();
    const up = testData(20_000, 3);
    const down = testData(30_000, 4);
    const got = exchange(wire, up, down);
    expect(sameBytes(got.atServer, up)).toBe(true);
    expect(sameBytes(got.atClient, down)).toBe(true);
  });
});

describe('HelloRetryRequest', () => {
  const hrrPair = (middleboxCompat: boolean) => {
    const id = identity('ecdsa-p256');
    return new Wire(
      makeClient(id, { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareCount: 1, middleboxCompat }),
      makeServer(id, { groups: [NamedGroup.secp384r1, NamedGroup.secp256r1] }),
    ).handshake();
  };

  test('server asks for secp256r1; both ends report helloRetry and the group', () => {
    const wire = hrrPair(true);
    for (const s of [wire.client.session!, wire.server.session!]) {
      expect(s.group).toBe('secp256r1');
      expect(s.helloRetry).toBe(true);
    }
    // On the wire: the server's first handshake record is a ServerHello with the HRR random,
    // and the client sent two ClientHellos in plaintext handshake records.
    const sRecs = splitRecords(wire.fromServer);
    expect(sRecs[0]!.type).toBe(22);
    expect(sRecs[0]!.body[0]).toBe(2);
    expect(hex(sRecs[0]!.body.subarray(6, 38))).toBe(HRR_RANDOM);
    const hellos = splitRecords(wire.fromClient).filter((r) => r.type === 22 && r.body[0] === 1);
    expect(hellos).toHaveLength(2);
    const got = exchange(wire, testData(5000, 1), testData(6000, 2));
    expect(got.atServer.length).toBe(5000);
    expect(got.atClient.length).toBe(6000);
  });

  test('no retry when the client already sent a share for a group the server takes', () => {
    const id = identity('ecdsa-p256');
    const wire = connected(id, { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareCount: 2 }, { groups: [NamedGroup.secp256r1] });
    expect(wire.client.session!.helloRetry).toBe(false);
    expect(wire.server.session!.group).toBe('secp256r1');
  });

  test.each([[true], [false]])('works with middleboxCompat %s', (compat) => {
    const wire = hrrPair(compat);
    const ccs = (chunks: Uint8Array[]) => splitRecords(chunks).filter((r) => r.type === 20).length;
    expect(ccs(wire.fromClient)).toBe(compat ? 1 : 0);
    expect(ccs(wire.fromServer)).toBe(compat ? 1 : 0);
  });
});

describe('middlebox compatibility mode (RFC 8446 appendix D.4)', () => {
  const run = (middleboxCompat: boolean | undefined) => {
    const id = identity('ecdsa-p256');
    const wire = connected(id, middleboxCompat === undefined ? {} : { middleboxCompat });
    const cRecs = splitRecords(wire.fromClient);
    const sRecs = splitRecords(wire.fromServer);
    // ClientHello body: type(1) len(3) legacy_version(2) random(32) session_id<0..32>
    const sidLength = cRecs[0]!.body[4 + 2 + 32];
    return { cRecs, sRecs, sidLength };
  };

  test.each([['on', true], ['on by default', undefined]])('%s: 32-byte session id and a change_cipher_spec each way', (_n, compat) => {
    const { cRecs, sRecs, sidLength } = run(compat);
    expect(sidLength).toBe(32);
    const cCcs = cRecs.filter((r) => r.type === 20);
    const sCcs = sRecs.filter((r) => r.type === 20);
    expect(cCcs).toHaveLength(1);
    expect(sCcs).toHaveLength(1);
    expect([...cCcs[0]!.body]).toEqual([1]);
    expect([...sCcs[0]!.body]).toEqual([1]);
  });

  test('off: empty session id and no change_cipher_spec in either direction', () => {
    const { cRecs, sRecs, sidLength } = run(false);
    expect(sidLength).toBe(0);
    expect(cRecs.filter((r) => r.type === 20)).toHaveLength(0);
    expect(sRecs.filter((r) => r.type === 20)).toHaveLength(0);
  });
});
