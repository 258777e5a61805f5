/**
 * Engine behaviour: with injected `random` and `now`, a connection is a pure function of its
 * inputs (DESIGN.md, "The engine"): two runs give identical bytes in both directions.
 */
import { NamedGroup, nobleProvider, nodeProvider, type CryptoProvider } from '../../../src/tls/index.js';
import { Wire, concat, disposeIdentities, exchange, identity, makeClient, makeServer, seededRandom, testData, type KeyKind } from './support.js';

afterAll(disposeIdentities);

/** The offset of the first differing byte, or -1 when equal (keeps failure output short). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

function run(kind: KeyKind, seed: string, extra: { hrr?: boolean; provider?: CryptoProvider } = {}): { up: Uint8Array; down: Uint8Array } {
  const id = identity(kind);
  const now = () => 1_700_000_000_000;
  const provider = extra.provider ? { provider: extra.provider } : {};
  const wire = new Wire(
    makeClient(id, { random: seededRandom(`${seed}/client`), now, ...provider, ...(extra.hrr ? { groups: [NamedGroup.x25519, NamedGroup.secp384r1] } : {}) }),
    makeServer(id, { random: seededRandom(`${seed}/server`), now, ...provider, ...(extra.hrr ? { groups: [NamedGroup.secp384r1] } : {}) }),
  ).handshake();
  exchange(wire, testData(30_000, 1), testData(30_000, 2), { seed: 5, maxChunk: 4000 });
  wire.client.updateKeys(true);
  wire.pump();
  exchange(wire, testData(1000, 3), testData(1000, 4), { seed: 6 });
  wire.client.closeWrite();
  wire.server.closeWrite();
  wire.pump({ read: true });
  return { up: concat(wire.fromClient), down: concat(wire.fromServer) };
}

describe.each([['ecdsa-p256'], ['ecdsa-p384'], ['ed25519']] as const)('%s', (kind) => {
  test('two runs with the same seeds produce identical byte streams both ways', () => {
    const a = run(kind, 'seed-1');
    const b = run(kind, 'seed-1');
    expect(a.up.length).toBeGreaterThan(30_000);
    expect(firstDifference(a.up, b.up)).toBe(-1);
    expect(firstDifference(a.down, b.down)).toBe(-1);
  });

  test('a different seed changes both streams', () => {
    const a = run(kind, 'seed-1');
    const b = run(kind, 'seed-2');
    expect(firstDifference(a.up, b.up)).not.toBe(-1);
    expect(firstDifference(a.down, b.down)).not.toBe(-1);
  });
});

test('deterministic through a HelloRetryRequest', () => {
  const a = run('ed25519', 'hrr', { hrr: true });
  const b = run('ed25519', 'hrr', { hrr: true });
  expect(firstDifference(a.up, b.up)).toBe(-1);
  expect(firstDifference(a.down, b.down)).toBe(-1);
});

// RSA-PSS signatures carry a random salt (RFC 8017 section 9.1.1); for determinism it must come
// from the injected `random`, not from node:crypto's own generator.
test('rsa-2048: two runs with the same seeds produce identical byte streams both ways', () => {
  const a = run('rsa-2048', 'seed-rsa');
  const b = run('rsa-2048', 'seed-rsa');
  expect(firstDifference(a.up, b.up)).toBe(-1);
  expect(firstDifference(a.down, b.down)).toBe(-1);
});

// The default provider is node:crypto on Node; with the same injected randomness the noble
// provider must put exactly the same bytes on the wire (RFC 6979 ECDSA on both, see
// SigningKey.sign), so either can replay the other's traces.
describe.each([['ecdsa-p256'], ['ecdsa-p384'], ['ed25519'], ['rsa-2048']] as const)('%s', (kind) => {
  test('the noble and node providers produce identical byte streams both ways', () => {
    const a = run(kind, 'seed-x', { provider: nobleProvider });
    const b = run(kind, 'seed-x', { provider: nodeProvider });
    const c = run(kind, 'seed-x');
    expect(firstDifference(a.up, b.up)).toBe(-1);
    expect(firstDifference(a.down, b.down)).toBe(-1);
    expect(firstDifference(b.up, c.up)).toBe(-1);
    expect(firstDifference(b.down, c.down)).toBe(-1);
  });
});

test('the noble and node providers agree through a HelloRetryRequest to secp384r1', () => {
  const a = run('ecdsa-p256', 'hrr-x', { hrr: true, provider: nobleProvider });
  const b = run('ecdsa-p256', 'hrr-x', { hrr: true, provider: nodeProvider });
  expect(firstDifference(a.up, b.up)).toBe(-1);
  expect(firstDifference(a.down, b.down)).toBe(-1);
});
