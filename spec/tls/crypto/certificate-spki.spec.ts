import { X509Certificate } from 'node:crypto';
import { concat } from '../../../src/tls/codec/bytes.js';
import { AlertDescription } from '../../../src/tls/constants.js';
import { TlsCertificateError } from '../../../src/tls/errors.js';
import { certificateSpki } from '../../../src/tls/x509/spki.js';
import { generateOpensslKeys, type OpensslKeys, vector } from './fixtures.js';

let keys: OpensslKeys;
beforeAll(() => {
  keys = generateOpensslKeys();
});

/** The certificate inside the RFC 8448 section 3 Certificate message. */
const rfcCert = () => vector('simple_1rtt', 15, 'Certificate').subarray(11, 11 + 0x1b0);

/** Expects CERT_MALFORMED with bad_certificate from `der`. */
function expectMalformed(der: Uint8Array): void {
  let caught: unknown;
  try {
    certificateSpki(der);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(TlsCertificateError);
  expect((caught as TlsCertificateError).code).toBe('CERT_MALFORMED');
  expect((caught as TlsCertificateError).alert).toBe(AlertDescription.bad_certificate);
  expect((caught as Error).message).toMatch(/^tls: malformed certificate: /);
}

describe('certificateSpki', () => {
  test('returns the SPKI openssl reports for a certificate it made', () => {
    expect(certificateSpki(keys.p256CertDer)).toEqual(keys.p256.spki);
  });

  test('returns the SPKI node:crypto reads from the RFC 8448 certificate', () => {
    const cert = rfcCert();
    const expected = new X509Certificate(cert).publicKey.export({ type: 'spki', format: 'der' });
    expect(certificateSpki(cert)).toEqual(new Uint8Array(expected));
  });

  test('works on a view into a larger buffer', () => {
    const padded = concat(Uint8Array.of(1, 2, 3), keys.p256CertDer, Uint8Array.of(4));
    expect(certificateSpki(padded.subarray(3, 3 + keys.p256CertDer.length))).toEqual(keys.p256.spki);
  });

  test('garbage, trailing bytes and every truncation are CERT_MALFORMED', () => {
    expectMalformed(new Uint8Array(0));
    expectMalformed(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01));
    expectMalformed(keys.p256.spki);
    expectMalformed(concat(keys.p256CertDer, Uint8Array.of(0)));
    const cert = rfcCert();
    for (let n = 0; n < cert.length; n++) expectMalformed(cert.subarray(0, n));
  });
});
