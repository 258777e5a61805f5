/**
 * Engine behaviour: external pre-shared keys (RFC 8446 sections 2.2, 4.2.9, 4.2.11, 4.2.11.2):
 * a client `psk` (identity, key, hash) and a server `pskCallback`; PSK key exchange modes
 * psk_dhe_ke and psk_ke; binders (checked, recomputed after a HelloRetryRequest); the alerts
 * for a wrong key or an unknown identity; how external PSKs and tickets combine.
 */
import {
  AlertDescription, CipherSuite, NamedGroup, TlsClient, TlsMisuseError, TlsServer, nobleProvider, nodeProvider, type ClientConfig,
  type CryptoProvider, type ServerConfig,
} from '../../../src/tls/index.js';
import { ExtensionType, HandshakeType } from '../../../src/tls/constants.js';
import { decodeServerHello, findExtension } from '../../../src/tls/messages/index.js';
import { MemorySessionStore } from '../../../src/tls/resumption/index.js';
import { Wire, disposeIdentities, exchange, identity, sameBytes, splitRecords, testData } from './support.js';
import {
  clientHellos, expectAlert, feed, move, offeredPsks, plaintextHandshakes, takeAll, tamperClientHello, text, utf8, join,
} from './peers-support.js';

afterAll(disposeIdentities);

const KEY = new Uint8Array(32).map((_, i) => i * 7 + 1);
const OTHER_KEY = new Uint8Array(32).map((_, i) => i * 7 + 2);

/** A PSK-only server knowing `keys` by identity. */
function pskServer(keys: Record<string, Uint8Array> = { 'client-1': KEY }, extra: Partial<ServerConfig> = {}): ServerConfig & { seen: string[] } {
  const seen: string[] = [];
  return { pskCallback: (id) => (seen.push(id), keys[id] ?? null), seen, ...extra };
}

function pskClient(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { psk: { identity: 'client-1', key: KEY }, ...extra };
}


/** Whether the (last) ServerHello carries a key_share. */
function serverHelloHasKeyShare(wire: Wire): boolean {
  const shs = plaintextHandshakes(splitRecords(wire.fromServer)).filter((m) => m.type === HandshakeType.server_hello);
  return findExtension(decodeServerHello(shs.at(-1)!.raw.subarray(4)).extensions, ExtensionType.key_share) !== undefined;
}

describe.each([
  ['node', nodeProvider],
  ['noble', nobleProvider],
] as const)('with the %s provider', (_n, provider: CryptoProvider) => {
  test('external PSK with psk_dhe_ke, no certificates: session reports the identity on both ends, data flows', () => {
    const scfg = pskServer(undefined, { provider });
    const wire = join(pskClient({ provider }), scfg);
    expect(wire.errors).toEqual([]);
    expect(scfg.seen).toEqual(['client-1']);
    for (const s of [wire.client.session!, wire.server.session!]) {
      expect(s.psk).toBe('external');
      expect(s.pskIdentity).toBe('client-1');
      expect(s.resumed).toBe(false);
      expect(s.group).toBe('x25519');
      expect(s.peerCertificates).toEqual([]);
      expect(s.peerSignatureScheme).toBeUndefined();
      expect(s.cipherSuite).toBe('TLS_AES_128_GCM_SHA256');
    }
    expect(serverHelloHasKeyShare(wire)).toBe(true);
    const got = exchange(wire, testData(10_000, 1), testData(10_000, 2));
    expect(sameBytes(got.atServer, testData(10_000, 1))).toBe(true);
    expect(sameBytes(got.atClient, testData(10_000, 2))).toBe(true);
  });

  test('external PSK with sha384 uses a SHA-384 suite', () => {
    const wire = join(
      pskClient({ provider, psk: { identity: 'client-1', key: KEY, hash: 'sha384' } }),
      pskServer(undefined, { provider, pskHash: 'sha384' }),
    );
    expect(wire.errors).toEqual([]);
    expect(wire.client.session!.cipherSuite).toBe('TLS_AES_256_GCM_SHA384');
    expect(wire.server.session!.cipherSuite).toBe('TLS_AES_256_GCM_SHA384');
    expect(offeredPsks(clientHellos(wire.fromClient)[0]!.ch)!.binders[0]!.length).toBe(48);
  });
});

describe('wrong keys and identities', () => {
  test('the client key differs: the server fails the binder with decrypt_error (51), received by the client', () => {
    const wire = join(pskClient({ psk: { identity: 'client-1', key: OTHER_KEY } }), pskServer());
    const err = expectAlert(wire, 'server', AlertDescription.decrypt_error);
    expect(err.message).toMatch(/binder/);
  });

  test('an unknown identity with a PSK-only server: unknown_psk_identity (115), received by the client', () => {
    const scfg = pskServer();
    const wire = join(pskClient({ psk: { identity: 'nobody', key: KEY } }), scfg);
    expectAlert(wire, 'server', AlertDescription.unknown_psk_identity);
    expect(scfg.seen).toEqual(['nobody']);
  });

  test('the PSK hashes disagree (client sha256, server sha384): decrypt_error (51)', () => {
    const wire = join(pskClient(), pskServer(undefined, { pskHash: 'sha384' }));
    expectAlert(wire, 'server', AlertDescription.decrypt_error);
  });

  test('a sha384 PSK with only SHA-256 suites is not offered; the PSK-only server refuses with handshake_failure (40)', () => {
    const wire = join(
      pskClient({ psk: { identity: 'client-1', key: KEY, hash: 'sha384' }, cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256] }),
      pskServer(undefined, { pskHash: 'sha384' }),
    );
    expect(offeredPsks(clientHellos(wire.fromClient)[0]!.ch)).toBeUndefined();
    expectAlert(wire, 'server', AlertDescription.handshake_failure);
  });

  test('an unknown identity with a server that has a certificate: a certificate handshake for a client that can verify it', () => {
    const id = identity('ecdsa-p256');
    const wire = join(
      pskClient({ psk: { identity: 'nobody', key: KEY }, servername: 'localhost', pins: { certSha256: [id.certSha256] } }),
      { cert: id.certPem, key: id.keyPem, pskCallback: () => null },
    );
    expect(wire.errors).toEqual([]);
    expect(wire.client.session!.psk).toBeUndefined();
    expect(wire.client.session!.peerSignatureScheme).toBe('ecdsa_secp256r1_sha256');
  });

  test('...and a PSK-only client refuses the certificate handshake with handshake_failure (40)', () => {
    const id = identity('ecdsa-p256');
    const wire = join(pskClient({ psk: { identity: 'nobody', key: KEY } }), { cert: id.certPem, key: id.keyPem, pskCallback: () => null });
    expectAlert(wire, 'client', AlertDescription.handshake_failure);
  });

  test('a binary identity reaches the callback byte for byte', () => {
    const raw = Uint8Array.of(0xff, 0x00, 0xfe, 0x41);
    let got: Uint8Array | undefined;
    const wire = join(pskClient({ psk: { identity: raw, key: KEY } }), {
      pskCallback: (_t, bytes) => {
        got = bytes;
        return KEY;
      },
    });
    expect(wire.errors).toEqual([]);
    expect(sameBytes(got!, raw)).toBe(true);
  });

  test('a short key or an empty identity is a TlsMisuseError', () => {
    expect(() => new TlsClient({ psk: { identity: 'x', key: new Uint8Array(15) } })).toThrow(TlsMisuseError);
    expect(() => new TlsClient({ psk: { identity: '', key: KEY } })).toThrow(TlsMisuseError);
  });
});

describe('binders', () => {
  test('a modified binder byte: decrypt_error (51), received by the client', () => {
    const wire = new Wire(new TlsClient(pskClient()), new TlsServer(pskServer()));
    feed(wire, 'server', tamperClientHello(takeAll(wire.client), (ch, binders) => void (ch[binders[0]!]! ^= 0x80)));
    wire.pump();
    expectAlert(wire, 'server', AlertDescription.decrypt_error);
  });

  test('unmodified, the same path completes (control)', () => {
    const wire = new Wire(new TlsClient(pskClient()), new TlsServer(pskServer()));
    feed(wire, 'server', tamperClientHello(takeAll(wire.client), () => {}));
    wire.pump();
    expect(wire.errors).toEqual([]);
    expect(wire.server.session!.psk).toBe('external');
  });
});

describe('PSK key exchange modes', () => {
  test('psk_ke when both ask for it: no key_share in ServerHello, session.group undefined', () => {
    const wire = join(pskClient({ pskModes: ['psk_ke'] }), pskServer(undefined, { pskModes: ['psk_ke'] }));
    expect(wire.errors).toEqual([]);
    expect(wire.client.session!.group).toBeUndefined();
    expect(wire.server.session!.group).toBeUndefined();
    expect(serverHelloHasKeyShare(wire)).toBe(false);
    wire.client.write(utf8('no forward secrecy'));
    wire.pump({ read: true });
    expect(text(wire.readByServer)).toBe('no forward secrecy');
  });

  test('client offers both, server accepts only psk_ke: psk_ke', () => {
    const wire = join(pskClient({ pskModes: ['psk_dhe_ke', 'psk_ke'] }), pskServer(undefined, { pskModes: ['psk_ke'] }));
    expect(wire.errors).toEqual([]);
    expect(wire.server.session!.group).toBeUndefined();
  });

  test('both offer both: the server takes psk_dhe_ke', () => {
    const wire = join(pskClient({ pskModes: ['psk_ke', 'psk_dhe_ke'] }), pskServer(undefined, { pskModes: ['psk_ke', 'psk_dhe_ke'] }));
    expect(wire.errors).toEqual([]);
    expect(wire.server.session!.group).toBe('x25519');
    expect(serverHelloHasKeyShare(wire)).toBe(true);
  });

  test('client psk_ke only, server psk_dhe_ke only: no mode in common; the PSK-only server refuses with handshake_failure', () => {
    const wire = join(pskClient({ pskModes: ['psk_ke'] }), pskServer());
    // RFC 8446 leaves the alert open here: the identity is fine, the negotiation failed.
    expectAlert(wire, 'server', AlertDescription.handshake_failure);
  });

  test('resumption with psk_ke when both ask for it, and a full handshake when only the client does', () => {
    const id = identity('ecdsa-p256');
    const ccfg: ClientConfig = { servername: 'localhost', pins: { certSha256: [id.certSha256] }, pskModes: ['psk_ke'] };
    const both: ServerConfig = { cert: id.certPem, key: id.keyPem, pskModes: ['psk_ke'] };
    join(ccfg, both);
    const resumed = join(ccfg, both);
    expect(resumed.errors).toEqual([]);
    expect(resumed.server.session!.resumed).toBe(true);
    expect(resumed.server.session!.group).toBeUndefined();
    expect(resumed.client.session!.group).toBeUndefined();

    const ccfg2: ClientConfig = { ...ccfg };
    const dheOnly: ServerConfig = { cert: id.certPem, key: id.keyPem };
    join(ccfg2, dheOnly);
    const full = join(ccfg2, dheOnly);
    expect(full.errors).toEqual([]);
    expect(offeredPsks(clientHellos(full.fromClient)[0]!.ch)).toBeDefined();
    expect(full.server.session!.resumed).toBe(false);
    expect(full.server.session!.group).toBe('x25519');
  });

  test('pskModes: [] is a TlsMisuseError', () => {
    expect(() => new TlsClient(pskClient({ pskModes: [] }))).toThrow(TlsMisuseError);
    expect(() => new TlsServer(pskServer(undefined, { pskModes: [] }))).toThrow(TlsMisuseError);
  });
});

describe('PSK with HelloRetryRequest', () => {
  const groups = { client: [NamedGroup.x25519, NamedGroup.secp256r1], server: [NamedGroup.secp256r1] };

  test('external PSK: the retry keeps the PSK, and the binder is recomputed over the new transcript', () => {
    const wire = join(pskClient({ groups: groups.client }), pskServer(undefined, { groups: groups.server }));
    expect(wire.errors).toEqual([]);
    expect(wire.server.session!.helloRetry).toBe(true);
    expect(wire.server.session!.psk).toBe('external');
    expect(wire.client.session!.group).toBe('secp256r1');
    const [ch1, ch2] = clientHellos(wire.fromClient);
    const b1 = offeredPsks(ch1!.ch)!.binders[0]!;
    const b2 = offeredPsks(ch2!.ch)!.binders[0]!;
    expect(sameBytes(offeredPsks(ch1!.ch)!.identities[0]!.identity, offeredPsks(ch2!.ch)!.identities[0]!.identity)).toBe(true);
    expect(sameBytes(b1, b2)).toBe(false);
  });

  test('the second ClientHello binder is checked too: a modified byte gets decrypt_error (51)', () => {
    const wire = new Wire(new TlsClient(pskClient({ groups: groups.client })), new TlsServer(pskServer(undefined, { groups: groups.server })));
    move(wire, 'client'); // ClientHello 1
    move(wire, 'server'); // HelloRetryRequest
    expect(wire.errors).toEqual([]);
    const second = takeAll(wire.client);
    // The compatibility change_cipher_spec comes first; the ClientHello follows.
    const records = splitRecords(second);
    expect(records.map((r) => r.type)).toEqual([20, 22]);
    feed(wire, 'server', second[0]!);
    feed(wire, 'server', tamperClientHello(second.slice(1), (ch, binders) => void (ch[binders[0]! + 1]! ^= 0x01)));
    wire.pump();
    expectAlert(wire, 'server', AlertDescription.decrypt_error);
  });

  test('resumption through a HelloRetryRequest', () => {
    const id = identity('ecdsa-p256');
    const ccfg: ClientConfig = { servername: 'localhost', pins: { certSha256: [id.certSha256] }, groups: groups.client };
    const scfg: ServerConfig = { cert: id.certPem, key: id.keyPem, groups: groups.server };
    join(ccfg, scfg);
    const wire = join(ccfg, scfg);
    expect(wire.errors).toEqual([]);
    expect(wire.server.session!.resumed).toBe(true);
    expect(wire.server.session!.helloRetry).toBe(true);
  });
});

describe('external PSKs and tickets together', () => {
  test('the ticket is offered first and preferred; the external PSK second', () => {
    const id = identity('ecdsa-p256');
    const ccfg = pskClient({ servername: 'localhost', pins: { certSha256: [id.certSha256] } });
    const scfg: ServerConfig = { cert: id.certPem, key: id.keyPem, pskCallback: (i) => (i === 'client-1' ? KEY : null) };
    const first = join(ccfg, scfg);
    expect(first.server.session!.psk).toBe('external');
    const second = join(ccfg, scfg);
    expect(second.errors).toEqual([]);
    const ids = offeredPsks(clientHellos(second.fromClient)[0]!.ch)!.identities;
    expect(ids.length).toBe(2);
    expect(Buffer.from(ids[1]!.identity).toString()).toBe('client-1');
    expect(second.server.session!.psk).toBe('resumption');
    expect(second.client.session!.psk).toBe('resumption');
  });

  test('a ticket the server cannot open falls through to the external PSK (selected_identity 1)', () => {
    const id = identity('ecdsa-p256');
    const store = new MemorySessionStore();
    const ccfg = pskClient({ servername: 'localhost', pins: { certSha256: [id.certSha256] }, sessionStore: store });
    const serverA: ServerConfig = { cert: id.certPem, key: id.keyPem, pskCallback: (i) => (i === 'client-1' ? KEY : null) };
    const serverB: ServerConfig = { ...serverA }; // another options object: other ticket keys
    join(ccfg, serverA);
    const wire = join(ccfg, serverB);
    expect(wire.errors).toEqual([]);
    expect(offeredPsks(clientHellos(wire.fromClient)[0]!.ch)!.identities.length).toBe(2);
    expect(wire.client.session!.psk).toBe('external');
    expect(wire.client.session!.pskIdentity).toBe('client-1');
  });
});
