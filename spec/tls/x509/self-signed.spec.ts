import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey } from '../../../src/tls/crypto/generate.js';
import { pemEncode } from '../../../src/tls/crypto/pem.js';
import { selfSignedCertificate } from '../../../src/tls/x509/self-signed.js';
import { certificateSpki } from '../../../src/tls/x509/spki.js';
import { TlsMisuseError } from '../../../src/tls/errors.js';

describe('selfSignedCertificate', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rxtls-selfsigned-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test.each(['ecdsa-p256', 'ecdsa-p384', 'ed25519'] as const)('%s: OpenSSL and Node parse it, verify its signature, and see the names', (type) => {
    const key = generateSigningKey(type);
    const der = selfSignedCertificate(key, { commonName: 'peer.test', altNames: ['peer.test', '127.0.0.1'] });
    expect(certificateSpki(der)).toEqual(key.spki);
    const x = new X509Certificate(der);
    expect(x.subject).toBe('CN=peer.test');
    expect(x.subjectAltName).toBe('DNS:peer.test, IP Address:127.0.0.1');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.checkHost('peer.test')).toBe('peer.test');
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const path = join(dir, `${type}.pem`);
    writeFileSync(path, pemEncode('CERTIFICATE', der));
    // -check_ss_sig verifies the self-signature; the chain is the certificate itself.
    const out = execFileSync('openssl', ['verify', '-check_ss_sig', '-CAfile', path, path], { encoding: 'utf8' });
    expect(out.trim()).toBe(`${path}: OK`);
  });

  test('validity and serial are as asked', () => {
    const key = generateSigningKey('ecdsa-p256');
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const notAfter = new Date('2030-02-01T00:00:00Z');
    const x = new X509Certificate(selfSignedCertificate(key, { commonName: 'a', notBefore, notAfter, serial: Uint8Array.of(0x01, 0x02) }));
    expect(new Date(x.validFrom).toISOString()).toBe(notBefore.toISOString());
    expect(new Date(x.validTo).toISOString()).toBe(notAfter.toISOString());
    expect(x.serialNumber).toBe('0102');
  });

  test('bad serial is a TlsMisuseError', () => {
    expect(() => selfSignedCertificate(generateSigningKey('ed25519'), { commonName: 'a', serial: new Uint8Array(21) })).toThrow(TlsMisuseError);
  });
});
