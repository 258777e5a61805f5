/**
 * Engine behaviour: keying material exporters (RFC 8446 section 7.5) and NSS key log lines.
 */
import { CipherSuite, NamedGroup, TlsMisuseError, nobleProvider } from '../../../src/tls/index.js';
import { exportKeyingMaterial } from '../../../src/tls/keys/schedule.js';
import { Wire, connected, disposeIdentities, identity, makeClient, makeServer, splitRecords } from './support.js';

afterAll(disposeIdentities);

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ctx = (s: string) => new TextEncoder().encode(s);

describe('exportKeyingMaterial', () => {
  test('both ends export the same value for the same length, label and context', () => {
    const { client, server } = connected(identity());
    expect(hex(client.exportKeyingMaterial(32, 'EXPERIMENTAL rxtls', ctx('ctx')))).toBe(hex(server.exportKeyingMaterial(32, 'EXPERIMENTAL rxtls', ctx('ctx'))));
    expect(hex(client.exportKeyingMaterial(100, 'x'))).toBe(hex(server.exportKeyingMaterial(100, 'x')));
    expect(client.exportKeyingMaterial(100, 'x')).toHaveLength(100);
  });

  test('a different label, context or length gives a different value', () => {
    const { client, server } = connected(identity());
    const base = hex(client.exportKeyingMaterial(32, 'label-a', ctx('c1')));
    const others = [
      client.exportKeyingMaterial(32, 'label-b', ctx('c1')),
      client.exportKeyingMaterial(32, 'label-a', ctx('c2')),
      server.exportKeyingMaterial(32, 'label-a', ctx('c2')),
      client.exportKeyingMaterial(32, 'label-a'),
    ].map(hex);
    for (const o of others) expect(o).not.toBe(base);
    // The length is part of HKDF-Expand-Label's info: a shorter export is not a prefix.
    const short = hex(client.exportKeyingMaterial(16, 'label-a', ctx('c1')));
    expect(base.startsWith(short)).toBe(false);
  });

  test('no context and an empty context are the same (RFC 8446 section 7.5)', () => {
    const { client, server } = connected(identity());
    expect(hex(client.exportKeyingMaterial(32, 'l'))).toBe(hex(server.exportKeyingMaterial(32, 'l', new Uint8Array(0))));
  });

  test('two connections export different values', () => {
    const a = connected(identity()).client.exportKeyingMaterial(32, 'l');
    const b = connected(identity()).client.exportKeyingMaterial(32, 'l');
    expect(hex(a)).not.toBe(hex(b));
  });

  test('before the handshake it throws TlsMisuseError on either end', () => {
    const id = identity();
    const client = makeClient(id);
    const server = makeServer(id);
    expect(() => client.exportKeyingMaterial(32, 'l')).toThrow(TlsMisuseError);
    expect(() => server.exportKeyingMaterial(32, 'l')).toThrow(TlsMisuseError);
  });

  // The server has the exporter secret once it has sent its Finished, but its handshake is not
  // complete (handshakeComplete false) until the client's Finished verifies.
  test('the server refuses while it waits for the client Finished', () => {
    const id = identity();
    const client = makeClient(id);
    const server = makeServer(id);
    for (let c = client.takeOutput(); c; c = client.takeOutput()) server.feed(c);
    expect(server.pendingOutput).toBeGreaterThan(0);
    expect(server.handshakeComplete).toBe(false);
    expect(() => server.exportKeyingMaterial(32, 'l')).toThrow(TlsMisuseError);
  });
});

describe('keyLog', () => {
  const LINE = /^([A-Z_0-9]+) ([0-9a-f]{64}) ([0-9a-f]+)$/;
  const LABELS = ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET'];

  const run = (clientExtra = {}, serverExtra = {}) => {
    const id = identity();
    const cLines: string[] = [];
    const sLines: string[] = [];
    const wire = new Wire(
      makeClient(id, { keyLog: (l) => cLines.push(l), ...clientExtra }),
      makeServer(id, { keyLog: (l) => sLines.push(l), ...serverExtra }),
    ).handshake();
    return { wire, cLines, sLines };
  };

  test.each([
    ['TLS_AES_128_GCM_SHA256', CipherSuite.TLS_AES_128_GCM_SHA256, 64],
    ['TLS_AES_256_GCM_SHA384', CipherSuite.TLS_AES_256_GCM_SHA384, 96],
  ])('%s: both ends log the same 5 secrets with the ClientHello random', (_name, suite, secretHex) => {
    const { wire, cLines, sLines } = run({ cipherSuites: [suite] });
    expect(cLines).toHaveLength(5);
    expect([...sLines].sort()).toEqual([...cLines].sort());
    const parsed = cLines.map((l) => LINE.exec(l));
    for (const m of parsed) expect(m).not.toBeNull();
    expect(parsed.map((m) => m![1]).sort()).toEqual([...LABELS].sort());
    for (const m of parsed) expect(m![3]).toHaveLength(secretHex);
    // The random is the ClientHello's: after record header... handshake header(4) + version(2).
    const hello = splitRecords(wire.fromClient)[0]!;
    const random = hex(hello.body.subarray(6, 38));
    for (const m of parsed) expect(m![2]).toBe(random);
    // Distinct secrets.
    expect(new Set(parsed.map((m) => m![3])).size).toBe(5);
  });

  test('the logged EXPORTER_SECRET is the one the connection exports from', () => {
    const { wire, cLines } = run();
    const secret = Buffer.from(cLines.find((l) => l.startsWith('EXPORTER_SECRET '))!.split(' ')[2]!, 'hex');
    const mine = exportKeyingMaterial(nobleProvider, 'sha256', new Uint8Array(secret), 'l', ctx('c'), 32);
    expect(hex(mine)).toBe(hex(wire.client.exportKeyingMaterial(32, 'l', ctx('c'))));
  });

  test('after a HelloRetryRequest both ends still agree', () => {
    const { cLines, sLines } = run(
      { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareCount: 1 },
      { groups: [NamedGroup.secp256r1] },
    );
    expect(cLines).toHaveLength(5);
    expect([...sLines].sort()).toEqual([...cLines].sort());
  });
});
