/**
 * Path building (src/tls/x509/path.ts): intermediates in any order, extras, duplicates, loops,
 * cross-signatures, several candidates for one issuer name, and the bounds on depth and work.
 */
import { nobleProvider } from '../../src/tls/crypto/noble.js';
import type { CryptoProvider } from '../../src/tls/crypto/provider.js';
import { parseCertificate } from '../../src/tls/x509/certificate.js';
import { verifyChain } from '../../src/tls/x509/chain.js';
import { likelyIssued, selfSigned, trustStore } from '../../src/tls/x509/path.js';
import { CertificateVerifyError } from '../../src/tls/x509/verify-error.js';
import { nodeVerdict } from './support/node-verdict.js';
import { ourVerdict } from './support/our-verdict.js';
import { makeCert, sharedKey, typicalChain, type CertOptions, type TestCert } from './support/pki-builder.js';

const DAY = 86400_000;
const { root, inter, leaf } = typicalChain();

const ca = (subject: string, issuer: TestCert | undefined, key: string, o: CertOptions = {}) =>
  makeCert({ subject, issuer, ca: true, keyUsage: ['keyCertSign', 'cRLSign'], key: sharedKey(key), ...o });
const leafUnder = (issuer: TestCert, o: CertOptions = {}) =>
  makeCert({ subject: 'CN=example.com', issuer, dns: ['example.com'], keyUsage: ['digitalSignature'], key: sharedKey('leaf'), ...o });

/** The subjects along the path our verifier accepts. */
function pathOf(send: readonly TestCert[], trusted: readonly TestCert[], extra: Partial<Parameters<typeof verifyChain>[1]> = {}): string[] {
  const path = verifyChain(
    send.map((c) => c.der),
    { store: trustStore(trusted.map((c) => parseCertificate(c.der))), now: Date.now(), purpose: 'server', strict: true, provider: nobleProvider, ...extra },
  );
  return path.map((c) => c.subject.text);
}

describe('path building', () => {
  const i1 = ca('CN=I1', root, 'i1');
  const i2 = ca('CN=I2', i1, 'i2');
  const i3 = ca('CN=I3', i2, 'i3');
  const deepLeaf = leafUnder(i3);

  test('intermediates in any order, with duplicates and unrelated extras', () => {
    const stranger = ca('CN=Stranger', undefined, 'stranger');
    expect(pathOf([deepLeaf, i1, stranger, i3, i2, i3, i1], [root])).toEqual(['CN=example.com', 'CN=I3', 'CN=I2', 'CN=I1', 'CN=Test Root']);
  });

  test('a loop of cross-signed CAs ends (no anchor above it)', () => {
    const aByB = ca('CN=A', makeCert({ subject: 'CN=B', key: sharedKey('b') }), 'a', { aki: { keyId: undefined } });
    const bByA = ca('CN=B', makeCert({ subject: 'CN=A', key: sharedKey('a') }), 'b', { aki: { keyId: undefined } });
    const start = Date.now();
    const v = ourVerdict([leafUnder(aByB), aByB, bByA], [root]);
    expect(v.code).toBe('UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    expect((v.error as CertificateVerifyError).depth).toBe(2);
    expect(Date.now() - start).toBeLessThan(1000);
  });

  test('a cross-signed root: the trusted new root is preferred, the old root works too', () => {
    const r1 = ca('CN=Old Root', undefined, 'r1');
    const r2 = ca('CN=New Root', undefined, 'r2');
    const r2ByR1 = ca('CN=New Root', r1, 'r2');
    const i = ca('CN=Issuing', r2, 'issuing');
    const l = leafUnder(i);
    expect(pathOf([l, i, r2ByR1], [r2])).toEqual(['CN=example.com', 'CN=Issuing', 'CN=New Root']);
    expect(pathOf([l, i, r2ByR1], [r1])).toEqual(['CN=example.com', 'CN=Issuing', 'CN=New Root', 'CN=Old Root']);
    expect(pathOf([l, i, r2ByR1], [r1, r2])).toEqual(['CN=example.com', 'CN=Issuing', 'CN=New Root']);
  });

  test('of two intermediates with one name, the expired one is passed over', () => {
    const old = ca('CN=Test Intermediate', root, 'inter', { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
    expect(pathOf([leaf, old, inter], [root])).toHaveLength(3);
    expect(ourVerdict([leaf, old], [root]).code).toBe('CERT_HAS_EXPIRED');
  });

  test('of two intermediates with one name and no key identifiers, the one whose key signed is found', async () => {
    const realInter = ca('CN=Shared Name', root, 'real', { ski: false });
    const imposter = ca('CN=Shared Name', root, 'imposter', { ski: false });
    const l = leafUnder(realInter, { aki: false });
    // Both are candidates; the imposter comes first and its signature check fails.
    expect(ourVerdict([l, imposter, realInter], [root], 'example.com', { strict: false }).code).toBe('OK');
    // OpenSSL takes the first candidate only: Node refuses what is a valid chain.
    expect((await nodeVerdict([l, imposter, realInter], [root])).code).toBe('CERT_SIGNATURE_FAILURE');
    // When no candidate signed, the error is the one of the path OpenSSL would build.
    expect(ourVerdict([l, imposter], [root], 'example.com', { strict: false }).code).toBe('CERT_SIGNATURE_FAILURE');
  });

  test('an authorityKeyIdentifier that names another key rules a candidate out', () => {
    const l = leafUnder(inter, { aki: { keyId: Uint8Array.of(1, 2, 3) } });
    expect(ourVerdict([l, inter], [root]).code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  test('a certificate the peer sends that is in ca is the trusted one', () => {
    expect(pathOf([leaf, inter, root], [root])).toEqual(['CN=example.com', 'CN=Test Intermediate', 'CN=Test Root']);
    expect(pathOf([leaf, inter], [inter, root])).toHaveLength(3);
  });

  test('depth is bounded: CERT_CHAIN_TOO_LONG beyond 10 certificates, unless allowed', () => {
    const chain: TestCert[] = [];
    let up = root;
    for (let i = 0; i < 10; i++) chain.unshift((up = ca(`CN=Level ${i}`, up, `level-${i}`)));
    const l = leafUnder(up);
    const v = ourVerdict([l, ...chain], [root]);
    expect(v.code).toBe('CERT_CHAIN_TOO_LONG');
    expect(ourVerdict([l, ...chain], [root], 'example.com', { limits: { maxLength: 12 } }).code).toBe('OK');
  });

  test('maxIntermediates counts intermediates that are not self-issued', () => {
    const again = ca('CN=I1', i1, 'i1-rollover');
    const l = leafUnder(again);
    expect(ourVerdict([l, again, i1], [root], 'example.com', { maxIntermediates: 1 }).code).toBe('OK');
    expect(ourVerdict([deepLeaf, i3, i2, i1], [root], 'example.com', { maxIntermediates: 2 }).code).toBe('CERT_CHAIN_TOO_LONG');
    expect(ourVerdict([deepLeaf, i3, i2, i1], [root], 'example.com', { maxIntermediates: 3 }).code).toBe('OK');
  });

  test('work is bounded when many certificates share the issuer names', () => {
    // Three levels, each with 12 candidates of which one is real: 12^3 paths without pruning.
    const decoys = (subject: string, issuer: TestCert) => Array.from({ length: 11 }, (_, i) => ca(subject, issuer, `decoy-${subject}-${i}`, { ski: false }));
    const a = ca('CN=Level A', root, 'la', { ski: false });
    const b = ca('CN=Level B', a, 'lb', { ski: false, aki: false });
    const c = ca('CN=Level C', b, 'lc', { ski: false, aki: false });
    const l = leafUnder(c, { aki: false });
    const send = [l, ...decoys('CN=Level C', b), c, ...decoys('CN=Level B', a), b, ...decoys('CN=Level A', root), a];
    let verifications = 0;
    const counting: CryptoProvider = {
      ...nobleProvider,
      publicKeyFromSpki(spki) {
        const key = nobleProvider.publicKeyFromSpki(spki);
        return {
          ...key,
          verifyCertificateSignature(alg, m, s) {
            verifications++;
            return key.verifyCertificateSignature!(alg, m, s);
          },
        };
      },
    };
    const run = (maxSignatures: number) => {
      verifications = 0;
      try {
        verifyChain(send.map((x) => x.der), {
          store: trustStore([parseCertificate(root.der)]),
          now: Date.now(),
          purpose: 'server',
          strict: false,
          provider: counting,
          limits: { maxSignatures },
        });
        return 'OK';
      } catch (e) {
        return (e as CertificateVerifyError).code;
      }
    };
    expect(run(128)).toBe('OK');
    // The greedy path's own checks (at most one per certificate) come on top of the budget.
    expect(verifications).toBeLessThanOrEqual(128 + 5);
    expect(run(3)).toBe('CERT_SIGNATURE_FAILURE');
    expect(verifications).toBeLessThanOrEqual(3 + 5);
  });
});

describe('issuer and self-signed tests (OpenSSL x509_likely_issued)', () => {
  const p = (c: TestCert) => parseCertificate(c.der);

  test('names, key identifiers, serial and key type must agree', () => {
    expect(likelyIssued(p(leaf), p(inter))).toBe(true);
    expect(likelyIssued(p(leaf), p(root))).toBe(false);
    expect(likelyIssued(p(leafUnder(inter, { aki: { keyId: inter.ski, serial: Uint8Array.of(0x7f) } })), p(inter))).toBe(false);
    expect(likelyIssued(p(leafUnder(inter, { aki: { keyId: inter.ski, serial: inter.serial } })), p(inter))).toBe(true);
    expect(likelyIssued(p(leafUnder(inter, { aki: { issuer: 'CN=Someone Else' } })), p(inter))).toBe(false);
    // An Ed25519 key cannot have made an ECDSA signature.
    const edInter = ca('CN=Test Intermediate', root, 'ed', { key: sharedKey('ed', 'ed25519') });
    expect(likelyIssued(p(leaf), p(edInter))).toBe(false);
  });

  test('self-signed: self-issued and consistent with its own key identifier', () => {
    expect(selfSigned(p(root))).toBe(true);
    expect(selfSigned(p(inter))).toBe(false);
    const rollover = ca('CN=Test Root', root, 'root-2');
    expect(selfSigned(p(rollover))).toBe(false);
  });
});
