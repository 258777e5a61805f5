import { constants, createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { p256 } from '@noble/curves/nist.js';
import { concat, utf8 } from '../../../src/tls/codec/bytes.js';
import { SignatureScheme, nameOf } from '../../../src/tls/constants.js';
import { TlsMisuseError } from '../../../src/tls/errors.js';
import type { CryptoProvider, SigningKey, VerifyingKey } from '../../../src/tls/crypto/provider.js';
import { generateOpensslKeys, type OpensslKeys } from './fixtures.js';
import { PROVIDERS } from './providers.js';

const S = SignatureScheme;
const message = utf8('the content a CertificateVerify signs');

/** node:crypto's algorithm and options for a scheme: the independent implementation. */
function nodeParams(scheme: SignatureScheme): { hash: string | null; opts: object } {
  switch (scheme) {
    case S.ecdsa_secp256r1_sha256:
      return { hash: 'sha256', opts: {} };
    case S.ecdsa_secp384r1_sha384:
      return { hash: 'sha384', opts: {} };
    case S.ed25519:
      return { hash: null, opts: {} };
    case S.rsa_pss_rsae_sha256:
      return { hash: 'sha256', opts: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } };
    case S.rsa_pss_rsae_sha384:
      return { hash: 'sha384', opts: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 48 } };
    case S.rsa_pss_rsae_sha512:
      return { hash: 'sha512', opts: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 } };
    case S.rsa_pkcs1_sha256:
      return { hash: 'sha256', opts: { padding: constants.RSA_PKCS1_PADDING } };
    case S.rsa_pkcs1_sha384:
      return { hash: 'sha384', opts: { padding: constants.RSA_PKCS1_PADDING } };
    case S.rsa_pkcs1_sha512:
      return { hash: 'sha512', opts: { padding: constants.RSA_PKCS1_PADDING } };
    default:
      throw new Error(`no node params for ${scheme}`);
  }
}

const KEY_NAMES = ['p256', 'p384', 'ed25519', 'rsa', 'p256Sec1', 'rsaPkcs1'] as const;
type Loaded = Record<string, { signer: SigningKey; verifier: VerifyingKey; nodePriv: KeyObject; nodePub: KeyObject }>;

let keys: OpensslKeys;
/** The keys as each provider loads them, by provider name. */
const byProvider: Record<string, Loaded> = {};
beforeAll(() => {
  keys = generateOpensslKeys();
  for (const [pname, provider] of PROVIDERS) byProvider[pname] = load(provider);
});

function load(provider: CryptoProvider): Loaded {
  const loaded: Loaded = {};
  for (const name of KEY_NAMES) {
    const { pem, spki } = keys[name];
    loaded[name] = {
      signer: provider.loadPrivateKey(pem),
      verifier: provider.publicKeyFromSpki(spki),
      nodePriv: createPrivateKey(pem),
      nodePub: createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
    };
  }
  return loaded;
}

/** A `random` that returns the same pattern for every request: reproducible by construction. */
const fixedRandom = (n: number) => new Uint8Array(n).map((_, i) => (i * 29 + 3) & 0xff);

const cases = [
  ['p256', S.ecdsa_secp256r1_sha256],
  ['p384', S.ecdsa_secp384r1_sha384],
  ['ed25519', S.ed25519],
  ['rsa', S.rsa_pss_rsae_sha256],
  ['rsa', S.rsa_pss_rsae_sha384],
  ['rsa', S.rsa_pss_rsae_sha512],
  ['p256Sec1', S.ecdsa_secp256r1_sha256],
  ['rsaPkcs1', S.rsa_pss_rsae_sha256],
  ['rsaPkcs1', S.rsa_pss_rsae_sha512],
] as const;

describe.each(PROVIDERS)('%s provider', (pname) => {
  let loaded: Loaded;
  beforeAll(() => {
    loaded = byProvider[pname]!;
  });

  describe.each(cases.map(([key, scheme]) => [key, nameOf(S, scheme), scheme] as const))('%s key, %s', (name, _, scheme) => {
    test('our signature verifies with our key and with node:crypto', () => {
      const { signer, verifier, nodePub } = loaded[name]!;
      expect(signer.schemes).toContain(scheme);
      const sig = signer.sign(scheme, message);
      expect(verifier.verify(scheme, message, sig)).toBe(true);
      const { hash, opts } = nodeParams(scheme);
      expect(nodeVerify(hash, message, { key: nodePub, ...opts }, sig)).toBe(true);
    });

    test('with an injected random, signing is a pure function of key, message and random', () => {
      const { signer, verifier, nodePub } = loaded[name]!;
      const a = signer.sign(scheme, message, fixedRandom);
      const b = signer.sign(scheme, message, fixedRandom);
      expect(b).toEqual(a);
      expect(verifier.verify(scheme, message, a)).toBe(true);
      const { hash, opts } = nodeParams(scheme);
      expect(nodeVerify(hash, message, { key: nodePub, ...opts }, a)).toBe(true);
    });

    test('a node:crypto signature verifies with our key', () => {
      const { verifier, nodePriv } = loaded[name]!;
      const { hash, opts } = nodeParams(scheme);
      const sig = nodeSign(hash, message, { key: nodePriv, ...opts });
      expect(verifier.verify(scheme, message, sig)).toBe(true);
    });

    test('a changed message, a flipped signature bit, or a cut signature fails', () => {
      const { signer, verifier } = loaded[name]!;
      const sig = signer.sign(scheme, message);
      expect(verifier.verify(scheme, utf8('the content a CertificateVerify signz'), sig)).toBe(false);
      for (const at of [0, 5, sig.length >> 1, sig.length - 1]) {
        const bad = sig.slice();
        bad[at]! ^= 0x04;
        expect(verifier.verify(scheme, message, bad)).toBe(false);
      }
      expect(verifier.verify(scheme, message, sig.subarray(0, sig.length - 1))).toBe(false);
      expect(verifier.verify(scheme, message, concat(sig, Uint8Array.of(0)))).toBe(false);
      expect(verifier.verify(scheme, message, new Uint8Array(0))).toBe(false);
    });
  });

  describe('scheme strictness', () => {
    test('a key verifies only its own schemes, even for a signature that is otherwise valid', () => {
      const p = loaded.p256!;
      const sig = p.signer.sign(S.ecdsa_secp256r1_sha256, message);
      for (const other of [S.ecdsa_secp384r1_sha384, S.ecdsa_secp521r1_sha512, S.ed25519, S.rsa_pss_rsae_sha256, S.ecdsa_sha1]) {
        expect(p.verifier.verify(other, message, sig)).toBe(false);
      }
      const r = loaded.rsa!;
      const pss = r.signer.sign(S.rsa_pss_rsae_sha256, message);
      expect(r.verifier.verify(S.rsa_pkcs1_sha256, message, pss)).toBe(false);
      expect(r.verifier.verify(S.rsa_pss_rsae_sha384, message, pss)).toBe(false);
      expect(r.verifier.verify(S.rsa_pss_pss_sha256, message, pss)).toBe(false);
      const e = loaded.ed25519!;
      expect(e.verifier.verify(S.ed448, message, e.signer.sign(S.ed25519, message))).toBe(false);
    });

    test('signing with a scheme outside schemes is misuse', () => {
      expect(() => loaded.p256!.signer.sign(S.ecdsa_secp384r1_sha384, message)).toThrow(TlsMisuseError);
      expect(() => loaded.p384!.signer.sign(S.ecdsa_secp256r1_sha256, message)).toThrow(TlsMisuseError);
      expect(() => loaded.ed25519!.signer.sign(S.ecdsa_secp256r1_sha256, message)).toThrow(TlsMisuseError);
      expect(() => loaded.rsa!.signer.sign(S.rsa_pkcs1_sha256, message)).toThrow('cannot sign with rsa_pkcs1_sha256');
    });

    test('RSA PKCS#1 v1.5 signatures (for certificates) verify but are never made', () => {
      const { verifier, nodePriv, signer } = loaded.rsa!;
      for (const scheme of [S.rsa_pkcs1_sha256, S.rsa_pkcs1_sha384, S.rsa_pkcs1_sha512]) {
        const { hash, opts } = nodeParams(scheme);
        const sig = nodeSign(hash, message, { key: nodePriv, ...opts });
        expect(verifier.verify(scheme, message, sig)).toBe(true);
        expect(verifier.verify(S.rsa_pss_rsae_sha256, message, sig)).toBe(false);
        const bad = sig.slice();
        bad[100]! ^= 1;
        expect(verifier.verify(scheme, message, bad)).toBe(false);
        expect(signer.schemes).not.toContain(scheme);
      }
      // The hash is bound by the scheme: a SHA-256 signature is no SHA-512 signature.
      const { hash, opts } = nodeParams(S.rsa_pkcs1_sha256);
      expect(verifier.verify(S.rsa_pkcs1_sha512, message, nodeSign(hash, message, { key: nodePriv, ...opts }))).toBe(false);
    });

    test('an RSA signature must be exactly as long as the modulus (RFC 8017 section 8.1.2)', () => {
      // OpenSSL accepts a PSS signature whose leading zero byte was dropped; rxtls must not.
      const { signer, verifier } = loaded.rsa!;
      let sig = signer.sign(S.rsa_pss_rsae_sha256, message);
      for (let i = 0; i < 4000 && sig[0] !== 0; i++) sig = signer.sign(S.rsa_pss_rsae_sha256, message);
      expect(sig[0]).toBe(0);
      expect(verifier.verify(S.rsa_pss_rsae_sha256, message, sig)).toBe(true);
      expect(verifier.verify(S.rsa_pss_rsae_sha256, message, sig.subarray(1))).toBe(false);
    });

    test('a PSS signature with a salt shorter than the hash is refused (RFC 8446 section 4.2.3)', () => {
      const { verifier, nodePriv } = loaded.rsa!;
      const sig = nodeSign('sha256', message, { key: nodePriv, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 20 });
      expect(verifier.verify(S.rsa_pss_rsae_sha256, message, sig)).toBe(false);
    });
  });

  describe('certificate signatures', () => {
    test('ECDSA verifies any SHA-2 digest on either curve; each key only its own kind', () => {
      for (const name of ['p256', 'p384'] as const) {
        const { verifier, nodePriv } = loaded[name]!;
        for (const hash of ['sha256', 'sha384', 'sha512'] as const) {
          const sig = nodeSign(hash, message, nodePriv);
          expect(verifier.verifyCertificateSignature?.({ kind: 'ecdsa', hash }, message, sig)).toBe(true);
          const other = hash === 'sha256' ? 'sha384' : 'sha256';
          expect(verifier.verifyCertificateSignature?.({ kind: 'ecdsa', hash: other }, message, sig)).toBe(false);
          expect(verifier.verifyCertificateSignature?.({ kind: 'rsa-pkcs1', hash }, message, sig)).toBe(false);
        }
      }
      const e = loaded.ed25519!;
      const edSig = nodeSign(null, message, e.nodePriv);
      expect(e.verifier.verifyCertificateSignature?.({ kind: 'ed25519' }, message, edSig)).toBe(true);
      expect(e.verifier.verifyCertificateSignature?.({ kind: 'ecdsa', hash: 'sha256' }, message, edSig)).toBe(false);
      const bad = edSig.slice();
      bad[3]! ^= 1;
      expect(e.verifier.verifyCertificateSignature?.({ kind: 'ed25519' }, message, bad)).toBe(false);
    });
  });

  describe('ECDSA signature encoding', () => {
    test('signatures are DER, and a high-S signature (as OpenSSL may make) verifies', () => {
      const { signer, verifier } = loaded.p256!;
      const der = signer.sign(S.ecdsa_secp256r1_sha256, message);
      expect(der[0]).toBe(0x30);
      expect(der[1]).toBe(der.length - 2);
      const sig = p256.Signature.fromBytes(der, 'der');
      const highS = new p256.Signature(sig.r, p256.Point.CURVE().n - sig.s).toBytes('der');
      expect(highS).not.toEqual(der);
      expect(verifier.verify(S.ecdsa_secp256r1_sha256, message, highS)).toBe(true);
    });

    test('malformed DER returns false without throwing', () => {
      const { signer, verifier } = loaded.p256!;
      const der = signer.sign(S.ecdsa_secp256r1_sha256, message);
      const raw = p256.Signature.fromBytes(der, 'der').toBytes('compact');
      const wrongOuterLength = der.slice();
      wrongOuterLength[1]! += 1;
      const badInnerTag = der.slice();
      badInnerTag[2] = 0x04;
      for (const bad of [raw, wrongOuterLength, badInnerTag, Uint8Array.of(0x30), Uint8Array.of(0x30, 0x00), new Uint8Array(72).fill(0x30)]) {
        expect(verifier.verify(S.ecdsa_secp256r1_sha256, message, bad)).toBe(false);
      }
    });
  });
});

describe('the providers sign alike under injected randomness', () => {
  test.each(cases.map(([key, scheme]) => [key, nameOf(S, scheme), scheme] as const))('%s key, %s: same bytes from both, each verified by the other', (name, _, scheme) => {
    const [[pa], [pb]] = PROVIDERS as [readonly [string, CryptoProvider], readonly [string, CryptoProvider]];
    const a = byProvider[pa]![name]!;
    const b = byProvider[pb]![name]!;
    const sa = a.signer.sign(scheme, message, fixedRandom);
    const sb = b.signer.sign(scheme, message, fixedRandom);
    // RFC 6979 ECDSA, Ed25519, and RSA-PSS with its salt from `random` are all deterministic.
    expect(sb).toEqual(sa);
    expect(a.verifier.verify(scheme, message, sb)).toBe(true);
    expect(b.verifier.verify(scheme, message, a.signer.sign(scheme, message))).toBe(true);
    expect(a.verifier.verify(scheme, message, b.signer.sign(scheme, message))).toBe(true);
  });
});
