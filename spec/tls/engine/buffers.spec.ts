/**
 * Engine behaviour: bounded buffers in both directions (maxPendingWrite, maxPlaintextBuffer),
 * plaintext written before the handshake, and record_size_limit (RFC 8449) on the wire.
 */
import { TlsMisuseError } from '../../../src/tls/index.js';
import { Wire, concat, connected, disposeIdentities, exchange, identity, makeClient, makeServer, sameBytes, splitRecords, testData } from './support.js';

afterAll(disposeIdentities);

describe('plaintext written before the handshake completes', () => {
  test('is held by both ends and delivered after the handshake', () => {
    const id = identity();
    const wire = new Wire(makeClient(id), makeServer(id));
    const up = testData(40_000, 1);
    const down = testData(30_000, 2);
    expect(wire.client.write(up)).toBe(up.length);
    expect(wire.client.handshakeComplete).toBe(false);
    // The server has not even seen a ClientHello yet.
    expect(wire.server.write(down)).toBe(down.length);
    wire.pump({ read: true });
    expect(wire.errors).toEqual([]);
    expect(sameBytes(concat(wire.readByServer), up)).toBe(true);
    expect(sameBytes(concat(wire.readByClient), down)).toBe(true);
  });

  test('the first flight does not carry it: the ClientHello is the only client output at first', () => {
    const id = identity();
    const client = makeClient(id);
    client.write(testData(1000, 1));
    const out = [];
    for (let c = client.takeOutput(), i = 0; c && i < 10; c = client.takeOutput(), i++) out.push(c);
    const recs = splitRecords(out);
    expect(recs).toHaveLength(1);
    expect(recs[0]!.type).toBe(22);
  });
});

describe('maxPendingWrite', () => {
  test('write() accepts less once the limit is reached, and more after takeOutput()', () => {
    const limit = 64 * 1024;
    const wire = connected(identity(), { maxPendingWrite: limit });
    expect(wire.client.writableBytes).toBe(limit);
    const data = testData(200_000, 3);
    let sent = wire.client.write(data);
    expect(sent).toBeLessThan(data.length);
    expect(sent).toBeLessThanOrEqual(limit);
    expect(sent).toBeGreaterThan(limit - 2 * 16_500); // sealed records count with their overhead
    // The limit counts plaintext as accepted; sealing adds 22 bytes per record (header, type
    // byte, tag), so the ciphertext queued may exceed it by that much per full record.
    expect(wire.client.pendingOutput).toBeLessThanOrEqual(limit + Math.ceil(limit / 16384) * 22);
    expect(wire.client.write(data.subarray(sent))).toBe(0);
    expect(wire.client.writableBytes).toBe(0);
    // Drain the client's output into the server; room comes back.
    for (let i = 0; i < 20 && sent < data.length; i++) {
      wire.pump({ read: true });
      expect(wire.client.pendingOutput).toBe(0);
      expect(wire.client.writableBytes).toBe(limit);
      const n = wire.client.write(data.subarray(sent));
      expect(n).toBeGreaterThan(0);
      sent += n;
    }
    wire.pump({ read: true });
    expect(sent).toBe(data.length);
    expect(sameBytes(concat(wire.readByServer), data)).toBe(true);
  });

  test('before the handshake, held plaintext counts against the limit', () => {
    const id = identity();
    const client = makeClient(id, { maxPendingWrite: 10_000 });
    const hello = client.pendingOutput;
    expect(hello).toBeGreaterThan(0);
    const n = client.write(testData(20_000, 4));
    expect(n).toBe(10_000 - hello);
    expect(client.write(Uint8Array.of(1))).toBe(0);
    client.takeOutput();
    expect(client.write(testData(hello, 5))).toBe(hello);
  });
});

describe('maxPlaintextBuffer', () => {
  test('feed() refuses input once 32 KiB is buffered; 1 MiB still arrives intact', () => {
    const max = 32 * 1024;
    const id = identity();
    const wire = new Wire(makeClient(id), makeServer(id, { maxPlaintextBuffer: max })).handshake();
    const { client, server } = wire;
    const data = testData(1024 * 1024, 6);
    let sent = 0;
    let queued: Uint8Array = new Uint8Array(0);
    const got: Uint8Array[] = [];
    let refusals = 0;
    let peak = 0;
    for (let it = 0; it < 5000 && (sent < data.length || queued.length > 0 || server.readableBytes > 0); it++) {
      if (sent < data.length) sent += client.write(data.subarray(sent, sent + 50_000));
      const out: Uint8Array[] = [queued];
      for (let c = client.takeOutput(); c; c = client.takeOutput()) out.push(c);
      queued = concat(out);
      // Feed everything queued in one call, as a transport would.
      const n = server.feed(queued);
      peak = Math.max(peak, server.readableBytes);
      expect(server.readableBytes).toBeLessThanOrEqual(max + 16 * 1024);
      if (n < queued.length) {
        refusals++;
        expect(server.readableBytes).toBeGreaterThanOrEqual(max);
        expect(server.wantsInput).toBe(false);
        expect(server.feed(queued.subarray(n))).toBe(0);
      }
      queued = queued.subarray(n);
      // A slow reader: take a bit now and then, in odd sizes.
      if (it % 3 === 0) {
        for (let i = 0; i < 4; i++) {
          const c = server.read(7000 + i);
          if (!c) break;
          got.push(c.slice());
        }
      }
    }
    for (let c = server.read(); c; c = server.read()) got.push(c.slice());
    expect(refusals).toBeGreaterThan(10);
    expect(peak).toBeGreaterThanOrEqual(max);
    expect(server.failure).toBeUndefined();
    expect(sameBytes(concat(got), data)).toBe(true);
  });

  test('read(max) returns at most max bytes and readableBytes tracks it', () => {
    const wire = connected(identity());
    wire.server.write(testData(10_000, 7));
    wire.pump();
    expect(wire.client.readableBytes).toBe(10_000);
    const a = wire.client.read(3);
    expect(a!.length).toBe(3);
    expect(wire.client.readableBytes).toBe(9_997);
    const rest = [a!];
    for (let c = wire.client.read(4096); c; c = wire.client.read(4096)) {
      expect(c.length).toBeLessThanOrEqual(4096);
      rest.push(c);
    }
    expect(wire.client.readableBytes).toBe(0);
    expect(wire.client.read()).toBeNull();
    expect(sameBytes(concat(rest), testData(10_000, 7))).toBe(true);
  });
});

describe('record_size_limit (RFC 8449)', () => {
  // In TLS 1.3 the limit bounds TLSInnerPlaintext (content + type byte + padding); the
  // ciphertext adds the 16-byte AEAD tag, so the header's length field is at most limit + 16.
  const handshakeEnd = (recs: { type: number }[]) => recs.length;

  test('a server limit of 1024: every protected record from the client is at most 1024 + 16 bytes', () => {
    const wire = connected(identity(), {}, { recordSizeLimit: 1024 });
    const start = handshakeEnd(splitRecords(wire.fromClient));
    const up = testData(100_000, 8);
    const down = testData(100_000, 9);
    const got = exchange(wire, up, down, { maxChunk: 5000 });
    expect(sameBytes(got.atServer, up)).toBe(true);
    expect(sameBytes(got.atClient, down)).toBe(true);
    const protectedRecs = splitRecords(wire.fromClient).filter((r) => r.type === 23);
    expect(protectedRecs.length).toBeGreaterThan(98);
    for (const r of protectedRecs) expect(r.length).toBeLessThanOrEqual(1024 + 16);
    // Full records use the whole limit.
    expect(Math.max(...protectedRecs.map((r) => r.length))).toBe(1024 + 16);
    expect(splitRecords(wire.fromClient).length).toBeGreaterThan(start);
    // The other direction is not limited.
    expect(Math.max(...splitRecords(wire.fromServer).map((r) => r.length))).toBeGreaterThan(1024 + 16);
  });

  test('a client limit of 512 is honoured by the server, handshake flight included', () => {
    const wire = connected(identity('rsa-2048'), { recordSizeLimit: 512 });
    const got = exchange(wire, testData(20_000, 10), testData(60_000, 11), { maxChunk: 3000 });
    expect(sameBytes(got.atClient, testData(60_000, 11))).toBe(true);
    const protectedRecs = splitRecords(wire.fromServer).filter((r) => r.type === 23);
    for (const r of protectedRecs) expect(r.length).toBeLessThanOrEqual(512 + 16);
    expect(Math.max(...protectedRecs.map((r) => r.length))).toBe(512 + 16);
  });

  test('the minimum limit of 64 on both ends still carries data', () => {
    const wire = connected(identity('ed25519'), { recordSizeLimit: 64 }, { recordSizeLimit: 64 });
    const got = exchange(wire, testData(5000, 12), testData(5000, 13), { maxChunk: 700 });
    expect(sameBytes(got.atServer, testData(5000, 12))).toBe(true);
    expect(sameBytes(got.atClient, testData(5000, 13))).toBe(true);
    for (const chunks of [wire.fromClient, wire.fromServer]) {
      for (const r of splitRecords(chunks).filter((x) => x.type === 23)) expect(r.length).toBeLessThanOrEqual(64 + 16);
    }
  });

  test('out-of-range limits are a TlsMisuseError', () => {
    const id = identity();
    expect(() => makeClient(id, { recordSizeLimit: 63 })).toThrow(TlsMisuseError);
    expect(() => makeServer(id, { recordSizeLimit: 16386 })).toThrow(TlsMisuseError);
  });
});
