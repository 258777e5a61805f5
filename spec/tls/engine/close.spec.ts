/**
 * Engine behaviour: close_notify, half-close (RFC 8446 section 6.1), truncation and write
 * misuse after close, between two engines.
 */
import { TlsMisuseError, TlsTruncationError } from '../../../src/tls/index.js';
import { Wire, concat, connected, disposeIdentities, identity, makeClient, makeServer, sameBytes, testData, thrown } from './support.js';

afterAll(disposeIdentities);

describe.each([
  ['client', 'server'],
  ['server', 'client'],
] as const)('%s closes first', (first, second) => {
  test(`the ${second} sees peerClosed, can still write until it closes too`, () => {
    const wire = connected(identity());
    const read = { client: wire.readByClient, server: wire.readByServer };
    wire[first].write(testData(3000, 1));
    wire[first].closeWrite();
    expect(wire[first].writeClosed).toBe(true);
    expect(wire[first].writableBytes).toBe(0);
    wire.pump({ read: true });
    expect(wire[second].peerClosed).toBe(true);
    expect(wire[second].wantsInput).toBe(false);
    expect(wire[second].takeEvents()).toEqual(expect.arrayContaining([{ type: 'alert', alert: 0, fromPeer: true }, { type: 'peerClosed' }]));
    expect(sameBytes(concat(read[second]), testData(3000, 1))).toBe(true);
    expect(wire[first].peerClosed).toBe(false);

    // Half-close: the second end keeps writing, the first keeps reading.
    for (let i = 0; i < 5; i++) {
      expect(wire[second].write(testData(10_000, 10 + i))).toBe(10_000);
      wire.pump({ read: true });
    }
    const expected = concat([0, 1, 2, 3, 4].map((i) => testData(10_000, 10 + i)));
    expect(sameBytes(concat(read[first]), expected)).toBe(true);
    expect(wire[first].peerClosed).toBe(false);

    wire[second].closeWrite();
    wire.pump({ read: true });
    expect(wire[first].peerClosed).toBe(true);
    for (const end of [wire.client, wire.server]) {
      expect(end.failure).toBeUndefined();
      expect(() => end.feedEnd()).not.toThrow();
    }
  });
});

test('write after closeWrite is a TlsMisuseError and does not end the connection', () => {
  const wire = connected(identity());
  wire.client.closeWrite();
  expect(thrown(() => wire.client.write(Uint8Array.of(1)))).toBeInstanceOf(TlsMisuseError);
  expect(wire.client.failure).toBeUndefined();
  wire.server.write(Uint8Array.of(7));
  wire.pump({ read: true });
  expect([...concat(wire.readByClient)]).toEqual([7]);
});

test('closeWrite twice queues one close_notify', () => {
  const wire = connected(identity());
  const before = wire.fromClient.length;
  wire.client.closeWrite();
  wire.client.closeWrite();
  wire.pump();
  expect(wire.fromClient.length).toBe(before + 1);
});

test('feedEnd without close_notify is a TlsTruncationError, kept, and sends nothing', () => {
  const wire = connected(identity());
  wire.server.write(testData(100, 1));
  wire.pump({ read: true });
  wire.client.takeEvents();
  expect(thrown(() => wire.client.feedEnd())).toBeInstanceOf(TlsTruncationError);
  expect(wire.client.failure).toBeInstanceOf(TlsTruncationError);
  expect(wire.client.pendingOutput).toBe(0);
  expect(wire.client.takeOutput()).toBeNull();
  expect(() => wire.client.write(Uint8Array.of(1))).toThrow(TlsTruncationError);
});

test('feedEnd inside a record is a TlsTruncationError', () => {
  const wire = connected(identity());
  wire.server.write(testData(100, 1));
  const rec = wire.server.takeOutput()!;
  expect(wire.client.feed(rec.subarray(0, 50))).toBe(50);
  expect(() => wire.client.feedEnd()).toThrow(TlsTruncationError);
});

test('feedEnd before the handshake completes is a TlsTruncationError', () => {
  const id = identity();
  const client = makeClient(id);
  expect(() => client.feedEnd()).toThrow(TlsTruncationError);
});

// A truncation sends no alert, so the event log must not claim one was sent.
test('a truncation reports no alert as sent', () => {
  const wire = connected(identity());
  wire.client.takeEvents();
  expect(() => wire.client.feedEnd()).toThrow(TlsTruncationError);
  expect(wire.client.takeEvents().filter((e) => e.type === 'alert' && !e.fromPeer)).toEqual([]);
});

test('feedEnd after close_notify is fine; data after close_notify is ignored', () => {
  const wire = connected(identity());
  wire.server.write(testData(500, 2));
  wire.server.closeWrite();
  wire.pump({ read: true });
  expect(wire.client.peerClosed).toBe(true);
  expect(() => wire.client.feedEnd()).not.toThrow();
  expect(wire.client.failure).toBeUndefined();
  // Anything after close_notify is swallowed, not processed.
  const junk = new Uint8Array(40).fill(0xee);
  expect(wire.client.feed(junk)).toBe(junk.length);
  expect(wire.client.failure).toBeUndefined();
  expect(sameBytes(concat(wire.readByClient), testData(500, 2))).toBe(true);
});

describe.each([['client'], ['server']] as const)('closeWrite on the %s before the handshake completes', (who) => {
  test('held data, then close_notify, are sent once the handshake completes', () => {
    const id = identity();
    const wire = new Wire(makeClient(id), makeServer(id));
    const end = wire[who];
    const peer = who === 'client' ? wire.server : wire.client;
    const data = testData(70_000, 5);
    expect(end.write(data)).toBe(data.length);
    end.closeWrite();
    expect(end.writeClosed).toBe(false);
    expect(() => end.write(Uint8Array.of(1))).toThrow(TlsMisuseError);
    wire.pump({ read: true });
    expect(wire.client.handshakeComplete).toBe(true);
    expect(wire.server.handshakeComplete).toBe(true);
    expect(end.writeClosed).toBe(true);
    expect(peer.peerClosed).toBe(true);
    expect(sameBytes(concat(who === 'client' ? wire.readByServer : wire.readByClient), data)).toBe(true);
    // The other direction is still open.
    peer.write(testData(1000, 6));
    wire.pump({ read: true });
    expect(sameBytes(concat(who === 'client' ? wire.readByClient : wire.readByServer), testData(1000, 6))).toBe(true);
  });
});
