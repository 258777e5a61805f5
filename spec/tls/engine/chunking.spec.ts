/**
 * Engine behaviour: the transport may cut and join records anywhere. Handshake and data
 * must survive one-byte feeds, random cuts, and everything coalesced into one feed.
 */
import { NamedGroup, type TlsClient, type TlsServer } from '../../../src/tls/index.js';
import {
  Wire, concat, disposeIdentities, exchange, identity, makeClient, makeServer, prng, sameBytes, testData,
} from './support.js';

afterAll(disposeIdentities);

const hrr = {
  client: { groups: [NamedGroup.x25519, NamedGroup.secp256r1], keyShareCount: 1 },
  server: { groups: [NamedGroup.secp256r1] },
};

test('one byte per feed(), through a HelloRetryRequest, KeyUpdate and close', () => {
  const id = identity('ecdsa-p256');
  const wire = new Wire(makeClient(id, hrr.client), makeServer(id, hrr.server), () => 1).handshake();
  expect(wire.client.session!.helloRetry).toBe(true);
  const got = exchange(wire, testData(20_000, 1), testData(20_000, 2), { maxChunk: 3000 });
  expect(sameBytes(got.atServer, testData(20_000, 1))).toBe(true);
  expect(sameBytes(got.atClient, testData(20_000, 2))).toBe(true);
  wire.server.updateKeys(true);
  wire.server.closeWrite();
  wire.pump({ read: true });
  expect(wire.client.peerClosed).toBe(true);
  expect(wire.errors).toEqual([]);
});

test.each([['ecdsa-p384'], ['rsa-2048'], ['ed25519']] as const)('%s: random cuts of 1..300 bytes', (kind) => {
  const r = prng(kind.length);
  const id = identity(kind);
  const wire = new Wire(makeClient(id), makeServer(id), () => 1 + Math.floor(r() * 300)).handshake();
  const got = exchange(wire, testData(100_000, 3), testData(70_000, 4));
  expect(sameBytes(got.atServer, testData(100_000, 3))).toBe(true);
  expect(sameBytes(got.atClient, testData(70_000, 4))).toBe(true);
});

test('everything queued in one direction coalesced into a single feed()', () => {
  const id = identity('ed25519');
  const client = makeClient(id, hrr.client);
  const server = makeServer(id, hrr.server);
  client.write(testData(50_000, 5));
  server.write(testData(50_000, 6));
  client.closeWrite();
  const readC: Uint8Array[] = [];
  const readS: Uint8Array[] = [];
  const move = (from: TlsClient | TlsServer, to: TlsClient | TlsServer, sink: Uint8Array[]) => {
    const out: Uint8Array[] = [];
    for (let c = from.takeOutput(); c; c = from.takeOutput()) out.push(c);
    if (out.length === 0) return false;
    const all = concat(out);
    expect(to.feed(all)).toBe(all.length);
    for (let c = to.read(); c; c = to.read()) sink.push(c.slice());
    return true;
  };
  for (let i = 0; i < 20; i++) {
    const a = move(client, server, readS);
    const b = move(server, client, readC);
    if (!a && !b) break;
  }
  expect(server.peerClosed).toBe(true);
  expect(sameBytes(concat(readS), testData(50_000, 5))).toBe(true);
  expect(sameBytes(concat(readC), testData(50_000, 6))).toBe(true);
});

test('a write of several records is sealed into one output chunk, records back to back', () => {
  const id = identity('ecdsa-p256');
  const wire = new Wire(makeClient(id), makeServer(id)).handshake();
  const data = testData(3 * 16384 + 100, 9);
  expect(wire.client.write(data)).toBe(data.length);
  const chunk = wire.client.takeOutput()!;
  expect(wire.client.takeOutput()).toBeNull();
  // Four full-size records (16384 + type + tag, and the last 100 + type + tag), each with its header.
  expect(chunk.length).toBe(3 * (5 + 16384 + 17) + (5 + 100 + 17));
  for (let at = 0, i = 0; at < chunk.length; i++) {
    const len = (chunk[at + 3]! << 8) | chunk[at + 4]!;
    expect([i, chunk[at], len]).toEqual([i, 23, i < 3 ? 16384 + 17 : 100 + 17]);
    at += 5 + len;
  }
  expect(wire.server.feed(chunk)).toBe(chunk.length);
  const got: Uint8Array[] = [];
  for (let c = wire.server.read(); c; c = wire.server.read()) got.push(c.slice());
  expect(sameBytes(concat(got), data)).toBe(true);
});
