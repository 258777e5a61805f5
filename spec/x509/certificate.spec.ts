/**
 * The certificate model (src/tls/x509/certificate.ts, name.ts, general-name.ts): every field
 * path validation reads, compared with what built the certificate and with Node's own
 * X509Certificate; and the malformed inputs it must refuse with CERT_MALFORMED.
 */
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { AlertDescription } from '../../src/tls/constants.js';
import { pemDecode } from '../../src/tls/crypto/pem.js';
import { TlsCertificateError } from '../../src/tls/errors.js';
import { KeyPurpose, KeyUsageBit, parseCertificate } from '../../src/tls/x509/certificate.js';
import { distinguishedName, nameWithin, sameName } from '../../src/tls/x509/name.js';
import { nodeRootStore } from '../../src/tls/x509/node-roots.js';
import { der, keyId, makeCert, makeName, sharedKey, typicalChain } from './support/pki-builder.js';

const t = typicalChain();

/** The code of the error `f` throws. */
function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsCertificateError);
    expect((e as TlsCertificateError).alert).toBe(AlertDescription.bad_certificate);
    return (e as TlsCertificateError).code;
  }
  return 'parsed';
}

describe('parseCertificate', () => {
  test('reads every field of a typical leaf as Node does', () => {
    const c = parseCertificate(t.leaf.der);
    const x = new X509Certificate(t.leaf.der);
    expect(c.version).toBe(3);
    expect(Buffer.from(c.serial).toString('hex').toUpperCase()).toBe(x.serialNumber);
    expect(c.subject.text).toBe('CN=example.com');
    expect(c.issuer.text).toBe('CN=Test Intermediate');
    expect(c.notBefore.getTime()).toBe(new Date(x.validFrom).getTime());
    expect(c.notAfter.getTime()).toBe(new Date(x.validTo).getTime());
    expect(Buffer.from(c.spki).equals(x.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(c.signatureAlgorithm.oid).toBe('1.2.840.10045.4.3.2');
    expect(c.signatureAlgorithm.parameters).toBeUndefined();
    expect(Buffer.from(c.tbsSignatureAlgorithm.der).equals(Buffer.from(c.signatureAlgorithm.der))).toBe(true);
    // The signed bytes are the tbsCertificate: Node verifies the signature over them.
    expect(x.verify(new X509Certificate(t.inter.der).publicKey)).toBe(true);
    expect(Buffer.from(t.leaf.der).includes(Buffer.from(c.tbs))).toBe(true);
    expect(c.keyUsage).toBe(KeyUsageBit.digitalSignature);
    expect(c.extKeyUsage).toEqual([KeyPurpose.serverAuth]);
    expect(c.subjectAltName).toMatchObject({ dnsNames: ['example.com'], ipAddresses: [], critical: false });
    expect(c.basicConstraints).toBeUndefined();
    expect(c.subjectKeyId!.value).toEqual(keyId(t.leaf.key.spki));
    expect(c.authorityKeyId!.keyIdentifier).toEqual(t.inter.ski);
    expect(c.unknownCritical).toEqual([]);
  });

  test('reads CA extensions with their criticality', () => {
    const ca = makeCert({ issuer: t.root, ca: true, pathLen: 2, bcCritical: true, keyUsage: ['keyCertSign', 'cRLSign'], kuCritical: false, eku: ['serverAuth', 'clientAuth', 'any'] });
    const c = parseCertificate(ca.der);
    expect(c.basicConstraints).toEqual({ cA: true, pathLen: 2, critical: true });
    expect(c.keyUsage).toBe(KeyUsageBit.keyCertSign | KeyUsageBit.cRLSign);
    expect(c.extensions.find((e) => e.oid === '2.5.29.15')!.critical).toBe(false);
    expect(c.extKeyUsage).toEqual([KeyPurpose.serverAuth, KeyPurpose.clientAuth, KeyPurpose.anyExtendedKeyUsage]);
  });

  test('subjectAltName: DNS, IP as text, other names kept', () => {
    const c = parseCertificate(makeCert({ dns: ['a.test'], ips: ['10.0.0.1', '::1'], emails: ['x@a.test'], uris: ['https://a.test/'] }).der).subjectAltName!;
    expect(c.dnsNames).toEqual(['a.test']);
    expect(c.ipAddresses).toEqual(['10.0.0.1', '0:0:0:0:0:0:0:1']);
    expect(c.names.map((n) => n.type)).toEqual(['dns', 'ip', 'ip', 'email', 'uri']);
    const odd = parseCertificate(makeCert({ rawIps: [Uint8Array.of(1, 2, 3)] }).der).subjectAltName!;
    expect(odd.ipAddresses).toEqual(['<3 bytes>']);
  });

  test('nameConstraints: subtrees of each type, IP with mask octets intact', () => {
    const c = parseCertificate(makeCert({ ca: true, permitted: [{ dns: 'a.test' }, { ip: '10.0.0.0/8' }, { dn: 'O=X' }, { email: 'a.test' }], excluded: [{ dns: 'b.a.test' }] }).der);
    const nc = c.nameConstraints!;
    expect(nc.critical).toBe(true);
    expect(nc.permitted.map((s) => s.base)).toEqual([
      { type: 'dns', value: 'a.test' },
      { type: 'ip', bytes: Uint8Array.of(10, 0, 0, 0, 255, 0, 0, 0) },
      expect.objectContaining({ type: 'dn' }),
      { type: 'email', value: 'a.test' },
    ]);
    expect(nc.excluded).toEqual([{ base: { type: 'dns', value: 'b.a.test' }, minMaxValid: true }]);
  });

  test('authorityKeyIdentifier with issuer and serial', () => {
    const c = parseCertificate(makeCert({ issuer: t.root, aki: { keyId: Uint8Array.of(1, 2), issuer: 'CN=Up', serial: Uint8Array.of(0x05) } }).der);
    expect(c.authorityKeyId).toMatchObject({ keyIdentifier: Uint8Array.of(1, 2), serial: Uint8Array.of(5), critical: false });
    expect(c.authorityKeyId!.issuerNames.map((n) => n.text)).toEqual(['CN=Up']);
  });

  test('lists unknown critical extensions, not handled ones', () => {
    const c = parseCertificate(
      makeCert({
        extensions: [
          { oid: '1.2.3.4', critical: true, value: Uint8Array.of(5, 0) },
          { oid: '1.2.3.5', critical: false, value: Uint8Array.of(5, 0) },
          { oid: '2.5.29.32', critical: true, value: Uint8Array.of(0x30, 0) },
        ],
        skiCritical: true,
      }).der,
    );
    // A critical subjectKeyIdentifier is unhandled for OpenSSL too.
    expect(c.unknownCritical).toEqual(['2.5.29.14', '1.2.3.4']);
  });

  test('version 1, and RSA-PSS parameters kept', () => {
    expect(parseCertificate(makeCert({ version: 1, ski: false }).der).version).toBe(1);
    const pss = parseCertificate(makeCert({ key: sharedKey('rsa', 'rsa1024'), signWith: { pssSalt: 20 } }).der);
    expect(pss.signatureAlgorithm.oid).toBe('1.2.840.113549.1.1.10');
    expect(pss.signatureAlgorithm.parameters!.length).toBeGreaterThan(30);
    const pkcs1 = parseCertificate(makeCert({ key: sharedKey('rsa', 'rsa1024') }).der);
    expect(Buffer.from(pkcs1.signatureAlgorithm.parameters!).toString('hex')).toBe('0500');
  });

  test('malformed certificates are CERT_MALFORMED with bad_certificate', () => {
    const good = t.leaf.der;
    expect(codeOf(() => parseCertificate(good.subarray(0, good.length - 1)))).toBe('CERT_MALFORMED');
    expect(codeOf(() => parseCertificate(Uint8Array.of(...good, 0)))).toBe('CERT_MALFORMED');
    expect(codeOf(() => parseCertificate(Uint8Array.of(0x30, 0x00)))).toBe('CERT_MALFORMED');
    // A well-formed basicConstraints, twice (RFC 5280 section 4.2: at most one instance).
    const twice = makeCert({ extensions: [{ oid: '2.5.29.19', value: Uint8Array.of(0x30, 0x00) }], ca: false });
    expect(codeOf(() => parseCertificate(twice.der))).toBe('CERT_MALFORMED');
    const badBc = makeCert({ extensions: [{ oid: '2.5.29.19', value: Uint8Array.of(0x04, 0x00) }] });
    expect(codeOf(() => parseCertificate(badBc.der))).toBe('CERT_MALFORMED');
    const negative = makeCert({ extensions: [{ oid: '2.5.29.19', value: Uint8Array.of(0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0xff) }] });
    expect(codeOf(() => parseCertificate(negative.der))).toBe('CERT_MALFORMED');
    const badSan = makeCert({ extensions: [{ oid: '2.5.29.17', value: Uint8Array.of(0x30, 0x03, 0x89, 0x01, 0x00) }] });
    expect(codeOf(() => parseCertificate(badSan.der))).toBe('CERT_MALFORMED');
    // RFC 5280 section 4.2.1.10: GeneralSubtrees is SIZE (1..MAX), and one of the two is present.
    const emptyNc = makeCert({ extensions: [{ oid: '2.5.29.30', value: Uint8Array.of(0x30, 0x04, 0xa0, 0x00, 0xa1, 0x00) }] });
    expect(codeOf(() => parseCertificate(emptyNc.der))).toBe('CERT_MALFORMED');
    const noNc = makeCert({ extensions: [{ oid: '2.5.29.30', value: Uint8Array.of(0x30, 0x00) }] });
    expect(codeOf(() => parseCertificate(noNc.der))).toBe('CERT_MALFORMED');
    expect(codeOf(() => parseCertificate(t.leaf.der))).toBe('parsed');
  });

  test("every one of Node's root certificates parses", () => {
    const ders = rootCertificates.map((p) => pemDecode(p)[0]!.der);
    expect(ders.length).toBeGreaterThan(100);
    for (const d of ders) expect(() => parseCertificate(d)).not.toThrow();
    // The default store finds a root by its subject.
    const first = parseCertificate(ders[0]!);
    expect(nodeRootStore().issuersNamed(first.subject).map((c) => c.subject.text)).toContain(first.subject.text);
    expect(nodeRootStore().find(ders[1]!)?.der).toEqual(ders[1]);
  });
});

describe('distinguished names', () => {
  const nameDer = (pairs: [string, string, 'utf8' | 'printable' | 'ia5' | 'bmp'][][]) =>
    der(
      new Name(
        pairs.map(
          (rdn) =>
            new RelativeDistinguishedName(
              rdn.map(
                ([type, v, kind]) =>
                  new AttributeTypeAndValue({
                    type,
                    value: new AttributeValue(kind === 'utf8' ? { utf8String: v } : kind === 'printable' ? { printableString: v } : kind === 'ia5' ? { ia5String: v } : { bmpString: v }),
                  }),
              ),
            ),
        ),
      ),
    );
  const CN = '2.5.4.3';
  const O = '2.5.4.10';

  test('compared as OpenSSL does: string type, case and spaces do not matter', () => {
    const a = distinguishedName(nameDer([[[O, 'Example  Org', 'printable']], [[CN, 'Host', 'utf8']]]));
    const b = distinguishedName(nameDer([[[O, ' example org ', 'utf8']], [[CN, 'HOST', 'bmp']]]));
    const c = distinguishedName(nameDer([[[O, 'Example Org', 'utf8']], [[CN, 'Hast', 'utf8']]]));
    expect(sameName(a, b)).toBe(true);
    expect(sameName(a, c)).toBe(false);
    expect(a.text).toBe('O=Example  Org, CN=Host');
    expect(a.commonNames).toEqual(['Host']);
  });

  test('RDN order matters, order inside a multi-valued RDN does not', () => {
    const ab = distinguishedName(nameDer([[[O, 'x', 'utf8'], [CN, 'y', 'utf8']]]));
    const ba = distinguishedName(nameDer([[[CN, 'y', 'utf8'], [O, 'x', 'utf8']]]));
    const split = distinguishedName(nameDer([[[O, 'x', 'utf8']], [[CN, 'y', 'utf8']]]));
    const reversed = distinguishedName(nameDer([[[CN, 'y', 'utf8']], [[O, 'x', 'utf8']]]));
    expect(sameName(ab, ba)).toBe(true);
    expect(sameName(ab, split)).toBe(false);
    expect(sameName(split, reversed)).toBe(false);
    expect(ab.text).toBe('O=x + CN=y');
  });

  test('prefix containment for directoryName constraints', () => {
    const base = distinguishedName(der(makeName('O=x')));
    expect(nameWithin(distinguishedName(der(makeName('O=X,CN=a'))), base)).toBe(true);
    expect(nameWithin(distinguishedName(der(makeName('CN=a,O=x'))), base)).toBe(false);
    expect(nameWithin(distinguishedName(der(makeName(''))), base)).toBe(false);
    expect(nameWithin(base, distinguishedName(der(makeName(''))))).toBe(true);
  });

  test('emailAddress attributes, and whether they are IA5', () => {
    const n = distinguishedName(nameDer([[['1.2.840.113549.1.9.1', 'a@b.test', 'ia5']], [['1.2.840.113549.1.9.1', 'c@d.test', 'utf8']]]));
    expect(n.emailAddresses).toEqual([
      { value: 'a@b.test', ia5: true },
      { value: 'c@d.test', ia5: false },
    ]);
    expect(n.text).toBe('emailAddress=a@b.test, emailAddress=c@d.test');
  });
});
