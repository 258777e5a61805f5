/**
 * Engine behaviour: post-handshake KeyUpdate (RFC 8446 section 4.6.3) between two engines.
 */
import { AlertDescription, TlsAlertError, TlsMisuseError, TlsProtocolError, type TlsEvent } from '../../../src/tls/index.js';
import { Wire, connected, disposeIdentities, exchange, identity, makeClient, makeServer, sameBytes, testData } from './support.js';

afterAll(disposeIdentities);

const keyUpdates = (events: TlsEvent[]) => events.filter((e) => e.type === 'keyUpdate').map((e) => (e as { direction: string }).direction);

test('client.updateKeys(true): the server answers and both keep exchanging data', () => {
  const wire = connected(identity());
  wire.client.takeEvents();
  wire.server.takeEvents();
  wire.client.updateKeys(true);
  expect(keyUpdates(wire.client.takeEvents())).toEqual(['write']);
  wire.pump();
  expect(keyUpdates(wire.server.takeEvents())).toEqual(['read', 'write']);
  expect(keyUpdates(wire.client.takeEvents())).toEqual(['read']);
  const up = testData(50_000, 1);
  const down = testData(40_000, 2);
  const got = exchange(wire, up, down);
  expect(sameBytes(got.atServer, up)).toBe(true);
  expect(sameBytes(got.atClient, down)).toBe(true);
});

test('updateKeys(false): the peer updates its reading key only and sends nothing back', () => {
  const wire = connected(identity());
  wire.client.takeEvents();
  wire.server.takeEvents();
  const clientChunks = wire.fromClient.length;
  const serverChunks = wire.fromServer.length;
  wire.server.updateKeys(false);
  wire.pump();
  expect(wire.fromServer.length).toBe(serverChunks + 1); // one protected handshake record
  expect(wire.fromClient.length).toBe(clientChunks);
  expect(keyUpdates(wire.server.takeEvents())).toEqual(['write']);
  expect(keyUpdates(wire.client.takeEvents())).toEqual(['read']);
  const got = exchange(wire, testData(1000, 3), testData(1000, 4));
  expect(sameBytes(got.atClient, testData(1000, 4))).toBe(true);
  expect(sameBytes(got.atServer, testData(1000, 3))).toBe(true);
});

test('5 rounds of KeyUpdate each way, with data after every round', () => {
  const wire = connected(identity());
  wire.client.takeEvents();
  wire.server.takeEvents();
  for (let round = 0; round < 5; round++) {
    for (const who of ['client', 'server'] as const) {
      wire[who].updateKeys(true);
      wire.pump();
      const up = testData(3000 + round, round * 2 + 1);
      const down = testData(4000 + round, round * 2 + 2);
      const got = exchange(wire, up, down, { seed: round + 1, maxChunk: 1500 });
      expect(sameBytes(got.atServer, up)).toBe(true);
      expect(sameBytes(got.atClient, down)).toBe(true);
    }
  }
  for (const end of [wire.client, wire.server]) {
    const ku = keyUpdates(end.takeEvents());
    expect(ku.filter((d) => d === 'write')).toHaveLength(10);
    expect(ku.filter((d) => d === 'read')).toHaveLength(10);
    expect(end.failure).toBeUndefined();
  }
});

test('32 KeyUpdates in a row are accepted', () => {
  const wire = connected(identity());
  for (let i = 0; i < 32; i++) wire.client.updateKeys(false);
  wire.pump();
  expect(wire.server.failure).toBeUndefined();
  const got = exchange(wire, testData(100, 1), testData(100, 2));
  expect(got.atServer.length).toBe(100);
});

test('many KeyUpdates with data between them are accepted', () => {
  const wire = connected(identity());
  for (let i = 0; i < 60; i++) {
    wire.client.updateKeys(i % 2 === 0);
    if (i % 20 === 19) wire.client.write(Uint8Array.of(i));
  }
  wire.pump({ read: true });
  expect(wire.server.failure).toBeUndefined();
  expect(wire.client.failure).toBeUndefined();
  expect(wire.readByServer.map((c) => [...c]).flat()).toEqual([19, 39, 59]);
});

test('more than 32 KeyUpdates in a row with no data: unexpected_message', () => {
  const wire = connected(identity());
  for (let i = 0; i < 40; i++) wire.client.updateKeys(false);
  wire.pump();
  const s = wire.server.failure;
  expect(s).toBeInstanceOf(TlsProtocolError);
  expect(s!.alert).toBe(AlertDescription.unexpected_message);
  expect(keyUpdates(wire.server.takeEvents()).filter((d) => d === 'read')).toHaveLength(32);
  const c = wire.client.failure;
  expect(c).toBeInstanceOf(TlsAlertError);
  expect((c as TlsAlertError).fromPeer).toBe(true);
  expect(c!.alert).toBe(10);
});

test('updateKeys before the handshake and after closeWrite is a TlsMisuseError', () => {
  const id = identity();
  const client = makeClient(id);
  expect(() => client.updateKeys()).toThrow(TlsMisuseError);
  const wire = new Wire(client, makeServer(id)).handshake();
  wire.client.closeWrite();
  expect(() => wire.client.updateKeys(true)).toThrow(TlsMisuseError);
  expect(wire.client.failure).toBeUndefined();
});

test('after our close_notify, a requested KeyUpdate is not answered and data still flows to us', () => {
  const wire = connected(identity());
  wire.client.closeWrite();
  wire.pump();
  expect(wire.server.peerClosed).toBe(true);
  const clientChunks = wire.fromClient.length;
  wire.server.updateKeys(true);
  wire.server.write(testData(5000, 9));
  wire.pump({ read: true });
  expect(wire.fromClient.length).toBe(clientChunks);
  expect(wire.client.failure).toBeUndefined();
  expect(sameBytes(new Uint8Array(Buffer.concat(wire.readByClient)), testData(5000, 9))).toBe(true);
});

test('KeyUpdates requested by both ends at once cross in flight: each side moves two generations', () => {
  const wire = connected(identity());
  wire.client.takeEvents();
  wire.server.takeEvents();
  wire.client.updateKeys(true);
  wire.server.updateKeys(true);
  wire.pump();
  for (const end of [wire.client, wire.server]) {
    const ku = keyUpdates(end.takeEvents());
    expect(ku.filter((d) => d === 'write')).toHaveLength(2);
    expect(ku.filter((d) => d === 'read')).toHaveLength(2);
  }
  const got = exchange(wire, testData(9000, 5), testData(9000, 6));
  expect(sameBytes(got.atServer, testData(9000, 5))).toBe(true);
  expect(sameBytes(got.atClient, testData(9000, 6))).toBe(true);
});
