/**
 * Certificate signatures (src/tls/x509/signature.ts) and the provider method behind them
 * (`VerifyingKey.verifyCertificateSignature` in src/tls/crypto/ecdsa.ts, ed25519.ts,
 * rsa-node.ts): each algorithm verifies what node:crypto signed, refuses a flipped bit, and the
 * weak and unsupported algorithms are told apart.
 */
import { createSign, sign } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { nobleProvider } from '../../src/tls/crypto/noble.js';
import { nodeProvider } from '../../src/tls/crypto/node.js';
import { publicKeyFromSpki } from '../../src/tls/crypto/keys.js';
import type { CertificateSignatureAlgorithm } from '../../src/tls/crypto/provider.js';
import { parseCertificate, type AlgorithmInfo } from '../../src/tls/x509/certificate.js';
import { certificateKey, signatureAlgorithmInfo, verifyCertificateSignature } from '../../src/tls/x509/signature.js';
import { makeCert, sharedKey, signatureAlgorithm, type KeyKind, type SignWith } from './support/pki-builder.js';

const info = (a: AlgorithmIdentifier): AlgorithmInfo => {
  const derBytes = new Uint8Array(AsnConvert.serialize(a));
  const p = a.parameters;
  return { oid: a.algorithm, parameters: p === null ? Uint8Array.of(5, 0) : p === undefined ? undefined : new Uint8Array(p), der: derBytes };
};

describe('signatureAlgorithmInfo', () => {
  test.each<[string, KeyKind, SignWith, string]>([
    ['RSA PKCS#1 SHA-256', 'rsa1024', { hash: 'sha256' }, 'ok rsa-pkcs1 sha256'],
    ['RSA PKCS#1 SHA-512', 'rsa1024', { hash: 'sha512' }, 'ok rsa-pkcs1 sha512'],
    ['RSA-PSS SHA-384 salt 48', 'rsa1024', { hash: 'sha384', pssSalt: 48 }, 'ok rsa-pss sha384 48'],
    ['RSA-PSS SHA-256 salt 0', 'rsa1024', { hash: 'sha256', pssSalt: 0 }, 'ok rsa-pss sha256 0'],
    ['ECDSA SHA-384', 'p256', { hash: 'sha384' }, 'ok ecdsa sha384'],
    ['Ed25519', 'ed25519', {}, 'ok ed25519'],
    ['RSA SHA-1', 'rsa1024', { hash: 'sha1' }, 'weak'],
    ['RSA MD5', 'rsa1024', { hash: 'md5' }, 'weak'],
    ['ECDSA SHA-1', 'p256', { hash: 'sha1' }, 'weak'],
    ['RSA-PSS SHA-1', 'rsa1024', { hash: 'sha1', pssSalt: 20 }, 'weak'],
    ['RSA-PSS with MGF1 over another hash', 'rsa1024', { hash: 'sha256', pssSalt: 32, pssMgf1Hash: 'sha384' }, 'unsupported'],
  ])('%s', (_n, kind, w, expected) => {
    const r = signatureAlgorithmInfo(info(signatureAlgorithm(kind, w)));
    const got = r.status === 'ok' ? ['ok', ...Object.values(r.algorithm)].join(' ') : r.status;
    expect(got).toBe(expected);
  });

  test('parameters are checked: NULL or absent for PKCS#1, absent for ECDSA and Ed25519', () => {
    const absent = signatureAlgorithmInfo(info(new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11' })));
    expect(absent.status).toBe('ok');
    expect(signatureAlgorithmInfo(info(new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2', parameters: null }))).status).toBe('unsupported');
    expect(signatureAlgorithmInfo(info(new AlgorithmIdentifier({ algorithm: '1.3.101.112', parameters: null }))).status).toBe('unsupported');
    expect(signatureAlgorithmInfo(info(new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.10' }))).status).toBe('unsupported');
    expect(signatureAlgorithmInfo(info(new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.3.2' }))).family).toBe('dsa');
    expect(signatureAlgorithmInfo(info(new AlgorithmIdentifier({ algorithm: '1.2.3.4' })))).toMatchObject({ status: 'unsupported', family: 'unknown' });
  });
});

describe('verifyCertificateSignature', () => {
  const cases: [string, KeyKind, SignWith][] = [
    ['RSA PKCS#1 v1.5 SHA-256', 'rsa1024', {}],
    ['RSA PKCS#1 v1.5 SHA-384', 'rsa1024', { hash: 'sha384' }],
    ['RSA PKCS#1 v1.5 SHA-512', 'rsa1024', { hash: 'sha512' }],
    ['RSA-PSS SHA-256 salt 32', 'rsa1024', { pssSalt: 32 }],
    ['RSA-PSS SHA-512 salt 20', 'rsa1024', { hash: 'sha512', pssSalt: 20 }],
    ['ECDSA P-256 SHA-256', 'p256', {}],
    ['ECDSA P-256 SHA-384', 'p256', { hash: 'sha384' }],
    ['ECDSA P-256 SHA-512', 'p256', { hash: 'sha512' }],
    ['ECDSA P-384 SHA-384', 'p384', {}],
    ['ECDSA P-384 SHA-256', 'p384', { hash: 'sha256' }],
    ['Ed25519', 'ed25519', {}],
  ];
  test.each(cases)('%s: good verifies, a flipped bit does not, another key does not', (_n, kind, signWith) => {
    const issuer = makeCert({ subject: 'CN=CA', ca: true, key: sharedKey(`ca-${kind}`, kind) });
    const good = parseCertificate(makeCert({ issuer, signWith }).der);
    const bad = parseCertificate(makeCert({ issuer, signWith, badSignature: true }).der);
    const key = certificateKey(parseCertificate(issuer.der), nobleProvider);
    expect(verifyCertificateSignature(good, key)).toBe(true);
    expect(verifyCertificateSignature(bad, key)).toBe(false);
    const stranger = certificateKey(parseCertificate(makeCert({ key: sharedKey(`other-${kind}`, kind) }).der), nobleProvider);
    expect(verifyCertificateSignature(good, stranger)).toBe(false);
  });

  test('weak algorithms are not verified (the validator refuses them with CA_MD_TOO_WEAK)', () => {
    const issuer = makeCert({ subject: 'CN=CA', ca: true, key: sharedKey('ca-rsa1024', 'rsa1024') });
    const sha1 = parseCertificate(makeCert({ issuer, signWith: { hash: 'sha1' } }).der);
    expect(verifyCertificateSignature(sha1, certificateKey(parseCertificate(issuer.der), nobleProvider))).toBe(false);
  });

  test('tbsCertificate.signature must equal signatureAlgorithm (RFC 5280 section 4.1.1.2)', () => {
    const issuer = makeCert({ subject: 'CN=CA', ca: true, key: sharedKey('ca-p256') });
    const mixed = parseCertificate(makeCert({ issuer, tbsAlgorithm: new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.3' }) }).der);
    expect(verifyCertificateSignature(mixed, certificateKey(parseCertificate(issuer.der), nobleProvider))).toBe(false);
  });

  test('keys of a provider without the method fall back to the noble keys', () => {
    const ca = makeCert({ subject: 'CN=CA', ca: true, key: sharedKey('ca-p384', 'p384') });
    const issuer = parseCertificate(ca.der);
    const leaf = parseCertificate(makeCert({ issuer: ca }).der);
    const withoutMethod = { ...nobleProvider, publicKeyFromSpki: (spki: Uint8Array) => ({ ...publicKeyFromSpki(spki), verifyCertificateSignature: undefined }) };
    const key = certificateKey(issuer, withoutMethod);
    expect(key.verifyCertificateSignature).toBeDefined();
    expect(verifyCertificateSignature(leaf, key)).toBe(true);
    // The node provider works too, whichever way its keys do it.
    expect(verifyCertificateSignature(leaf, certificateKey(parseCertificate(ca.der), nodeProvider))).toBe(true);
  });
});

describe('VerifyingKey.verifyCertificateSignature (noble provider)', () => {
  const message = new TextEncoder().encode('tbsCertificate bytes');
  const check = (kind: KeyKind, alg: CertificateSignatureAlgorithm, signature: Uint8Array) =>
    publicKeyFromSpki(sharedKey(`direct-${kind}`, kind).spki).verifyCertificateSignature!(alg, message, signature);

  test('ECDSA: any SHA-2 on either curve, and only ECDSA', () => {
    const k = sharedKey('direct-p256');
    const sig384 = new Uint8Array(createSign('sha384').update(message).sign(k.privateKey));
    expect(check('p256', { kind: 'ecdsa', hash: 'sha384' }, sig384)).toBe(true);
    expect(check('p256', { kind: 'ecdsa', hash: 'sha256' }, sig384)).toBe(false);
    expect(check('p256', { kind: 'rsa-pkcs1', hash: 'sha384' }, sig384)).toBe(false);
    expect(check('p256', { kind: 'ecdsa', hash: 'sha384' }, sig384.subarray(1))).toBe(false);
  });

  test('RSA: PKCS#1 v1.5 and PSS with the given salt length', () => {
    const k = sharedKey('direct-rsa1024', 'rsa1024');
    const pkcs1 = new Uint8Array(sign('sha256', message, k.privateKey));
    const pss = new Uint8Array(sign('sha384', message, { key: k.privateKey, padding: 6, saltLength: 10 }));
    expect(check('rsa1024', { kind: 'rsa-pkcs1', hash: 'sha256' }, pkcs1)).toBe(true);
    expect(check('rsa1024', { kind: 'rsa-pss', hash: 'sha256', saltLength: 32 }, pkcs1)).toBe(false);
    expect(check('rsa1024', { kind: 'rsa-pss', hash: 'sha384', saltLength: 10 }, pss)).toBe(true);
    expect(check('rsa1024', { kind: 'rsa-pss', hash: 'sha384', saltLength: 48 }, pss)).toBe(false);
    expect(check('rsa1024', { kind: 'ecdsa', hash: 'sha256' }, pkcs1)).toBe(false);
  });

  test('Ed25519, and only Ed25519', () => {
    const k = sharedKey('direct-ed25519', 'ed25519');
    const sig = new Uint8Array(sign(null, message, k.privateKey));
    expect(check('ed25519', { kind: 'ed25519' }, sig)).toBe(true);
    expect(check('ed25519', { kind: 'ecdsa', hash: 'sha256' }, sig)).toBe(false);
    sig[0]! ^= 1;
    expect(check('ed25519', { kind: 'ed25519' }, sig)).toBe(false);
  });
});
