import { X509Certificate, constants, verify as nodeVerify } from 'node:crypto';
import { RSAPrivateKey } from '@peculiar/asn1-rsa';
import { AsnConvert } from '@peculiar/asn1-schema';
import { concat, fromHex, utf8 } from '../../../src/tls/codec/bytes.js';
import { HandshakeType, SignatureScheme } from '../../../src/tls/constants.js';
import { pemEncode } from '../../../src/tls/crypto/pem.js';
import { certificateSpki } from '../../../src/tls/x509/spki.js';
import { rfc8448, vector } from './fixtures.js';
import { PROVIDERS } from './providers.js';

/** A DER INTEGER body from unsigned big-endian hex: a 0x00 is prepended when the top bit is set. */
function unsigned(hex: string): ArrayBuffer {
  const b = fromHex(hex);
  return (b[0]! & 0x80 ? concat(Uint8Array.of(0), b) : b).slice().buffer;
}

/** The RFC 8448 section 2 server RSA key as PEM PKCS#1, built from the vector's components. */
function serverKeyPem(): string {
  const k = rfc8448.server_rsa_key;
  const key = new RSAPrivateKey({
    version: 0,
    modulus: unsigned(k.modulus!),
    publicExponent: unsigned(k.public_exponent!),
    privateExponent: unsigned(k.private_exponent!),
    prime1: unsigned(k.prime1!),
    prime2: unsigned(k.prime2!),
    exponent1: unsigned(k.exponent1!),
    exponent2: unsigned(k.exponent2!),
    coefficient: unsigned(k.coefficient!),
  });
  return pemEncode('RSA PRIVATE KEY', new Uint8Array(AsnConvert.serialize(key)));
}

/** A 24-bit big-endian length at `at`. */
const u24 = (b: Uint8Array, at: number) => (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;

/** The one certificate of a TLS 1.3 Certificate message (RFC 8446 section 4.4.2). */
function onlyCertificate(msg: Uint8Array): Uint8Array {
  expect(msg[0]).toBe(HandshakeType.certificate);
  expect(u24(msg, 1)).toBe(msg.length - 4);
  expect(msg[4]).toBe(0); // empty certificate_request_context
  const listLength = u24(msg, 5);
  const certLength = u24(msg, 8);
  // One entry: cert_data, then a two-byte empty extensions block.
  expect(listLength).toBe(3 + certLength + 2);
  return msg.subarray(11, 11 + certLength);
}

/** Scheme and signature of a CertificateVerify message (RFC 8446 section 4.4.3). */
function certificateVerify(msg: Uint8Array): { scheme: SignatureScheme; signature: Uint8Array } {
  expect(msg[0]).toBe(HandshakeType.certificate_verify);
  expect(u24(msg, 1)).toBe(msg.length - 4);
  const scheme = ((msg[4]! << 8) | msg[5]!) as SignatureScheme;
  const length = (msg[6]! << 8) | msg[7]!;
  expect(length).toBe(msg.length - 8);
  return { scheme, signature: msg.subarray(8) };
}

/** The content a CertificateVerify signs (RFC 8446 section 4.4.3). */
function signedContent(context: string, transcriptHash: Uint8Array): Uint8Array {
  return concat(new Uint8Array(64).fill(0x20), utf8(context), Uint8Array.of(0), transcriptHash);
}

describe.each(PROVIDERS)('%s provider: RFC 8448 section 3: the server CertificateVerify', (_name, provider) => {
  const id = 'simple_1rtt';
  const cert = onlyCertificate(vector(id, 15, 'Certificate'));
  const cv = certificateVerify(vector(id, 16, 'CertificateVerify'));
  const transcript = provider.hash('sha256').digest(
    concat(vector(id, 1, 'ClientHello'), vector(id, 5, 'ServerHello'), vector(id, 14, 'EncryptedExtensions'), vector(id, 15, 'Certificate')),
  );
  const content = signedContent('TLS 1.3, server CertificateVerify', transcript);

  test('the server key loads; a 1024-bit modulus rules out rsa_pss_rsae_sha512', () => {
    const key = provider.loadPrivateKey(serverKeyPem());
    expect(key.type).toBe('rsa');
    expect(key.schemes).toEqual([SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384]);
    expect(provider.publicKeyFromSpki(key.spki).bits).toBe(1024);
    // It is the key of the certificate the server sent.
    expect(key.spki).toEqual(certificateSpki(cert));
  });

  test('the recorded signature verifies against the certificate key', () => {
    expect(cv.scheme).toBe(SignatureScheme.rsa_pss_rsae_sha256);
    const key = provider.publicKeyFromSpki(certificateSpki(cert));
    expect(key.type).toBe('rsa');
    expect(key.verify(cv.scheme, content, cv.signature)).toBe(true);
    // Cross-check: node:crypto agrees on the same content.
    const pub = new X509Certificate(cert).publicKey;
    expect(nodeVerify('sha256', content, { key: pub, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, cv.signature)).toBe(true);
  });

  test('the wrong context string, transcript, scheme or signature fails', () => {
    const key = provider.publicKeyFromSpki(certificateSpki(cert));
    expect(key.verify(cv.scheme, signedContent('TLS 1.3, client CertificateVerify', transcript), cv.signature)).toBe(false);
    const otherTranscript = transcript.slice();
    otherTranscript[0]! ^= 1;
    expect(key.verify(cv.scheme, signedContent('TLS 1.3, server CertificateVerify', otherTranscript), cv.signature)).toBe(false);
    expect(key.verify(SignatureScheme.rsa_pss_rsae_sha384, content, cv.signature)).toBe(false);
    expect(key.verify(SignatureScheme.rsa_pkcs1_sha256, content, cv.signature)).toBe(false);
    const bad = cv.signature.slice();
    bad[64]! ^= 0x10;
    expect(key.verify(cv.scheme, content, bad)).toBe(false);
  });

  test('a signature we make with the server key verifies against the certificate', () => {
    const signer = provider.loadPrivateKey(serverKeyPem());
    const key = provider.publicKeyFromSpki(certificateSpki(cert));
    for (const scheme of signer.schemes) {
      const sig = signer.sign(scheme, content);
      expect(sig.length).toBe(128);
      expect(key.verify(scheme, content, sig)).toBe(true);
    }
  });
});
