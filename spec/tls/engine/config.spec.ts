/**
 * Engine behaviour: options a caller gets wrong are TlsMisuseErrors at construction
 * (DESIGN.md, "Errors": TlsMisuseError for caller faults), and the handshake event.
 */
import { CipherSuite, NamedGroup, TlsMisuseError, TlsServer, defaultProvider } from '../../../src/tls/index.js';
import { Wire, connected, disposeIdentities, identity, makeClient, makeServer } from './support.js';

afterAll(disposeIdentities);

test('keyShareCount outside 1..groups.length is a TlsMisuseError', () => {
  const id = identity();
  expect(() => makeClient(id, { keyShareCount: 0 })).toThrow(TlsMisuseError);
  expect(() => makeClient(id, { groups: [NamedGroup.x25519], keyShareCount: 2 })).toThrow(TlsMisuseError);
  expect(() => makeClient(id, { keyShareCount: 1.5 })).toThrow(TlsMisuseError);
});

test('empty suite or group lists, bad ALPN names and bad buffer sizes are TlsMisuseErrors', () => {
  const id = identity();
  expect(() => makeClient(id, { cipherSuites: [] })).toThrow(TlsMisuseError);
  expect(() => makeServer(id, { groups: [] })).toThrow(TlsMisuseError);
  expect(() => makeClient(id, { cipherSuites: [0x00ff as CipherSuite] })).toThrow(TlsMisuseError);
  expect(() => makeClient(id, { ALPNProtocols: [''] })).toThrow(TlsMisuseError);
  expect(() => makeServer(id, { ALPNProtocols: ['x'.repeat(256)] })).toThrow(TlsMisuseError);
  expect(() => makeServer(id, { maxPlaintextBuffer: 0 })).toThrow(TlsMisuseError);
  expect(() => makeClient(id, { maxPendingWrite: -1 })).toThrow(TlsMisuseError);
});

test('a server with no certificate in cert is a TlsMisuseError', () => {
  const id = identity();
  expect(() => makeServer(id, { cert: '' })).toThrow(TlsMisuseError);
  expect(() => makeServer(id, { cert: [] })).toThrow(TlsMisuseError);
  expect(() => makeServer(id, { key: 'not a key' })).toThrow(TlsMisuseError);
});

test('a DER certificate chain works like PEM', () => {
  const id = identity('ecdsa-p384');
  const wire = connected(id, {}, { cert: [id.certDer] });
  expect(wire.client.session!.peerSignatureScheme).toBe('ecdsa_secp384r1_sha384');
});

test('both ends report one handshake event carrying the session', () => {
  const wire = connected(identity());
  for (const end of [wire.client, wire.server]) {
    const hs = end.takeEvents().filter((e) => e.type === 'handshake');
    expect(hs).toHaveLength(1);
    expect(hs[0]).toEqual({ type: 'handshake', session: end.session });
  }
});

test('servers made again and again from the same cert (decoded once, then cached) still check the key each time', () => {
  const id = identity();
  const p384 = identity('ecdsa-p384');
  const key = defaultProvider().loadPrivateKey(id.keyPem);
  const der = [id.certDer];
  for (let i = 0; i < 3; i++) {
    for (const cert of [id.certPem, der]) {
      const wire = new Wire(makeClient(id), new TlsServer({ cert, key })).handshake();
      expect(wire.client.handshakeComplete).toBe(true);
      // The same cert with another key is refused every time, cached chain or not.
      expect(() => new TlsServer({ cert, key: p384.keyPem })).toThrow('key does not match');
    }
  }
  // Another cert value is decoded afresh: its own key fits, the first one does not.
  const wire = new Wire(makeClient(p384), new TlsServer({ cert: p384.certPem, key: p384.keyPem })).handshake();
  expect(wire.client.handshakeComplete).toBe(true);
  expect(() => new TlsServer({ cert: p384.certPem, key })).toThrow('key does not match');
  expect(() => new TlsServer({ cert: [], key })).toThrow('cert holds no CERTIFICATE');
});
