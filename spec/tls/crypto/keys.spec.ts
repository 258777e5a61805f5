import { ECDH, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ECPrivateKey } from '@peculiar/asn1-ecc';
import { AsnConvert, AsnParser } from '@peculiar/asn1-schema';
import { concat } from '../../../src/tls/codec/bytes.js';
import { AlertDescription, SignatureScheme } from '../../../src/tls/constants.js';
import { TlsCertificateError, TlsError, TlsMisuseError } from '../../../src/tls/errors.js';
import { loadPrivateKey, publicKeyFromSpki } from '../../../src/tls/crypto/keys.js';
import { ecdsaSpki } from '../../../src/tls/crypto/ecdsa.js';
import { nobleProvider } from '../../../src/tls/crypto/noble.js';
import { PROVIDERS } from './providers.js';
import { pemDecode, pemEncode } from '../../../src/tls/crypto/pem.js';
import { generateOpensslKeys, type OpensslKeys } from './fixtures.js';

let keys: OpensslKeys;
beforeAll(() => {
  keys = generateOpensslKeys();
});

/** PEM text of a node:crypto private key in the given encoding. */
const pemOf = (key: KeyObject, type: 'pkcs8' | 'sec1' | 'pkcs1') => key.export({ type, format: 'pem' }).toString();

/** The error `f` throws (failing the test when it returns). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe.each(PROVIDERS)('%s provider', (_name, provider) => {
  describe('loadPrivateKey', () => {
    const S = SignatureScheme;
    test.each([
      ['p256', 'ecdsa-p256', [S.ecdsa_secp256r1_sha256]],
      ['p384', 'ecdsa-p384', [S.ecdsa_secp384r1_sha384]],
      ['ed25519', 'ed25519', [S.ed25519]],
      ['rsa', 'rsa', [S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512]],
      ['p256Sec1', 'ecdsa-p256', [S.ecdsa_secp256r1_sha256]],
      ['rsaPkcs1', 'rsa', [S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512]],
    ] as const)('%s: type, schemes, and the SPKI openssl derives', (name, type, schemes) => {
      const { pem, spki } = keys[name];
      const key = provider.loadPrivateKey(pem);
      expect(key.type).toBe(type);
      expect(key.schemes).toEqual(schemes);
      expect(key.spki).toEqual(spki);
      expect(loadPrivateKey(pem).spki).toEqual(spki);
    });

    test('the fixtures have the PEM shapes they claim', () => {
      expect(pemDecode(keys.p256.pem).map((b) => b.label)).toEqual(['PRIVATE KEY']);
      expect(pemDecode(keys.p256Sec1.pem).map((b) => b.label)).toEqual(['EC PARAMETERS', 'EC PRIVATE KEY']);
      expect(pemDecode(keys.rsaPkcs1.pem).map((b) => b.label)).toEqual(['RSA PRIVATE KEY']);
    });

    test('DER PKCS#8 bytes, and PEM text given as bytes, load too', () => {
      expect(provider.loadPrivateKey(keys.p256Pkcs8Der).spki).toEqual(keys.p256.spki);
      expect(provider.loadPrivateKey(new TextEncoder().encode(keys.ed25519.pem)).spki).toEqual(keys.ed25519.spki);
      const rsaDer = pemDecode(keys.rsa.pem)[0]!.der;
      expect(provider.loadPrivateKey(rsaDer).spki).toEqual(keys.rsa.spki);
    });

    test('a key after other blocks is found; a file without one says what it found', () => {
      const cert = pemEncode('CERTIFICATE', keys.p256CertDer);
      expect(provider.loadPrivateKey(cert + keys.p384.pem).type).toBe('ecdsa-p384');
      expect(thrown(() => provider.loadPrivateKey(cert)).message).toBe('tls: no private key found in PEM text (only CERTIFICATE)');
      expect(thrown(() => provider.loadPrivateKey('hello')).message).toBe('tls: no private key found in PEM text (no PEM blocks)');
    });

    test('unsupported curves and algorithms are misuse errors that name them', () => {
      const e = thrown(() => provider.loadPrivateKey(keys.p521.pem));
      expect(e).toBeInstanceOf(TlsMisuseError);
      expect(e.message).toBe('tls: unsupported private key: curve secp521r1');
      const sec1 = pemOf(generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey, 'sec1');
      expect(thrown(() => provider.loadPrivateKey(sec1)).message).toBe('tls: unsupported private key: curve secp256k1');
      for (const [key, name] of [
        [generateKeyPairSync('x25519').privateKey, 'x25519'],
        [generateKeyPairSync('ed448').privateKey, 'ed448'],
        [generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).privateKey, 'dsa'],
      ] as const) {
        const err = thrown(() => provider.loadPrivateKey(pemOf(key, 'pkcs8')));
        expect(err).toBeInstanceOf(TlsMisuseError);
        expect(err.message).toBe(`tls: unsupported private key: algorithm ${name}`);
      }
      const pss = pemOf(generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey, 'pkcs8');
      expect(thrown(() => provider.loadPrivateKey(pss)).message).toContain('unsupported private key: RSASSA-PSS');
    });

    test('an RSA key too small for any PSS scheme is refused', () => {
      const pem = pemOf(generateKeyPairSync('rsa', { modulusLength: 512 }).privateKey, 'pkcs1');
      expect(thrown(() => provider.loadPrivateKey(pem)).message).toBe('tls: unsupported private key: 512-bit RSA is too small for RSA-PSS');
    });

    test('encrypted keys are refused with advice', () => {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const pem = privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' });
      expect(thrown(() => provider.loadPrivateKey(pem)).message).toContain('encrypted private keys are not supported');
      const legacy = privateKey.export({ type: 'sec1', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' });
      expect(thrown(() => provider.loadPrivateKey(legacy)).message).toContain('has headers');
    });

    test('a SEC1 key whose embedded public key belongs to another key is refused', () => {
      const der = pemDecode(keys.p256Sec1.pem).find((b) => b.label === 'EC PRIVATE KEY')!.der;
      const ec = AsnParser.parse(der, ECPrivateKey);
      const other = pemDecode(pemOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'sec1'))[0]!.der;
      ec.publicKey = AsnParser.parse(other, ECPrivateKey).publicKey!;
      const forged = pemEncode('EC PRIVATE KEY', new Uint8Array(AsnConvert.serialize(ec)));
      const e = thrown(() => provider.loadPrivateKey(forged));
      expect(e).toBeInstanceOf(TlsMisuseError);
      expect(e.message).toContain('embedded public key does not match');
      // Without the public key the same scalar loads and derives the right one.
      delete ec.publicKey;
      const bare = pemEncode('EC PRIVATE KEY', new Uint8Array(AsnConvert.serialize(ec)));
      expect(provider.loadPrivateKey(bare).spki).toEqual(keys.p256Sec1.spki);
    });

    test('malformed DER is a misuse error: garbage, trailing bytes, every truncation', () => {
      const der = keys.p256Pkcs8Der;
      expect(thrown(() => provider.loadPrivateKey(Uint8Array.of(1, 2, 3)))).toBeInstanceOf(TlsMisuseError);
      expect(thrown(() => provider.loadPrivateKey(new Uint8Array(0)))).toBeInstanceOf(TlsMisuseError);
      const trailing = thrown(() => provider.loadPrivateKey(concat(der, Uint8Array.of(0))));
      expect(trailing).toBeInstanceOf(TlsMisuseError);
      expect(trailing.message).toContain('malformed PKCS#8 private key');
      for (let n = 0; n < der.length; n++) {
        expect(thrown(() => provider.loadPrivateKey(der.subarray(0, n)))).toBeInstanceOf(TlsMisuseError);
      }
      const rsaDer = pemDecode(keys.rsaPkcs1.pem)[0]!.der;
      for (const n of [0, 1, 10, 100, rsaDer.length - 1]) {
        expect(thrown(() => provider.loadPrivateKey(pemEncode('RSA PRIVATE KEY', rsaDer.subarray(0, n))))).toBeInstanceOf(TlsMisuseError);
      }
    });

    test('single-byte corruptions never escape as anything but a TlsError', () => {
      for (const der of [keys.p256Pkcs8Der, pemDecode(keys.ed25519.pem)[0]!.der]) {
        for (let i = 0; i < der.length; i++) {
          const bad = der.slice();
          bad[i]! ^= 0x80;
          try {
            provider.loadPrivateKey(bad);
          } catch (e) {
            expect(e).toBeInstanceOf(TlsError);
          }
        }
      }
    });
  });

  describe('publicKeyFromSpki', () => {
    test.each([
      ['p256', 'ecdsa-p256', 256],
      ['p384', 'ecdsa-p384', 384],
      ['ed25519', 'ed25519', 256],
      ['rsa', 'rsa', 2048],
    ] as const)('%s: type, bits and spki', (name, type, bits) => {
      const key = provider.publicKeyFromSpki(keys[name].spki);
      expect(key.type).toBe(type);
      expect(key.bits).toBe(bits);
      expect(key.spki).toEqual(keys[name].spki);
      expect(publicKeyFromSpki(keys[name].spki).type).toBe(type);
    });

    test('a compressed-point SPKI (the general parser, not the common-form fast path) gives the same key', () => {
      const full = provider.publicKeyFromSpki(keys.p256.spki);
      const point = keys.p256.spki.subarray(keys.p256.spki.length - 65);
      const compressed = ecdsaSpki('p256', ECDH.convertKey(point, 'prime256v1', undefined, undefined, 'compressed') as Buffer);
      expect(compressed.length).toBe(keys.p256.spki.length - 32);
      const key = provider.publicKeyFromSpki(compressed);
      expect(key.type).toBe('ecdsa-p256');
      expect(key.spki).toEqual(compressed);
      const signer = provider.loadPrivateKey(keys.p256.pem);
      const sig = signer.sign(SignatureScheme.ecdsa_secp256r1_sha256, new Uint8Array(10));
      expect(key.verify(SignatureScheme.ecdsa_secp256r1_sha256, new Uint8Array(10), sig)).toBe(true);
      expect(full.verify(SignatureScheme.ecdsa_secp256r1_sha256, new Uint8Array(10), sig)).toBe(true);
      // An SPKI one byte longer than a common form is no common form: the general parser refuses it.
      expect(thrown(() => provider.publicKeyFromSpki(concat(keys.p256.spki, Uint8Array.of(0))))).toBeInstanceOf(TlsCertificateError);
    });

    test('unsupported curves and algorithms: UNSUPPORTED_PUBLIC_KEY with unsupported_certificate', () => {
      const x25519 = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'der' });
      for (const [spki, what] of [
        [keys.p521.spki, 'curve secp521r1'],
        [new Uint8Array(x25519), 'algorithm x25519'],
      ] as const) {
        const e = thrown(() => provider.publicKeyFromSpki(spki));
        expect(e).toBeInstanceOf(TlsCertificateError);
        expect((e as TlsCertificateError).code).toBe('UNSUPPORTED_PUBLIC_KEY');
        expect((e as TlsCertificateError).alert).toBe(AlertDescription.unsupported_certificate);
        expect(e.message).toBe(`tls: unsupported public key: ${what}`);
      }
    });

    test('malformed keys: INVALID_PUBLIC_KEY with bad_certificate', () => {
      const offCurve = keys.p256.spki.slice();
      offCurve[offCurve.length - 1]! ^= 1;
      const bad = [
        Uint8Array.of(0x30, 0x00),
        keys.p256.spki.subarray(0, 40),
        concat(keys.rsa.spki, Uint8Array.of(0)),
        offCurve,
      ];
      for (const spki of bad) {
        const e = thrown(() => provider.publicKeyFromSpki(spki));
        expect(e).toBeInstanceOf(TlsCertificateError);
        expect((e as TlsCertificateError).code).toBe('INVALID_PUBLIC_KEY');
        expect((e as TlsCertificateError).alert).toBe(AlertDescription.bad_certificate);
      }
    });

    test('every truncation and single-byte corruption ends in a TlsCertificateError or a key', () => {
      for (const spki of [keys.p256.spki, keys.ed25519.spki, keys.rsa.spki]) {
        for (let n = 0; n < spki.length; n++) {
          expect(thrown(() => provider.publicKeyFromSpki(spki.subarray(0, n)))).toBeInstanceOf(TlsCertificateError);
        }
        for (let i = 0; i < spki.length; i++) {
          const bad = spki.slice();
          bad[i]! ^= 0x41;
          try {
            provider.publicKeyFromSpki(bad);
          } catch (e) {
            expect(e).toBeInstanceOf(TlsCertificateError);
          }
        }
      }
    });
  });
});

test('the noble provider loads keys with the exported keys.ts functions', () => {
  expect(nobleProvider.loadPrivateKey).toBe(loadPrivateKey);
  expect(nobleProvider.publicKeyFromSpki).toBe(publicKeyFromSpki);
});
