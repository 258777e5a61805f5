/**
 * The default verifier (src/tls/x509/ca-verifier.ts): the forms `ca` takes, the default roots
 * (Node's), the host name rules, `checkServerIdentity` (Node's own function works), SPKI pins,
 * the `strict` switch and the client purpose.
 */
import fs from 'node:fs';
import tls from 'node:tls';
import { AlertDescription } from '../../src/tls/constants.js';
import { nobleProvider } from '../../src/tls/crypto/noble.js';
import { pemDecode } from '../../src/tls/crypto/pem.js';
import { TlsCertificateError, TlsMisuseError } from '../../src/tls/errors.js';
import { caVerifier, parseCaOption } from '../../src/tls/x509/ca-verifier.js';
import { ourVerdict } from './support/our-verdict.js';
import { makeCert, sharedKey, typicalChain, type CertOptions } from './support/pki-builder.js';

const { root, inter, leaf } = typicalChain();
const leafWith = (o: CertOptions) => makeCert({ subject: 'CN=example.com', issuer: inter, keyUsage: ['digitalSignature'], key: sharedKey('leaf'), ...o });
const spkiHash = (spki: Uint8Array) => Buffer.from(nobleProvider.hash('sha256').digest(spki)).toString('hex');

describe('the ca option', () => {
  test('PEM text with several certificates, a list, DER bytes and PEM bytes', () => {
    expect(parseCaOption(root.pem + inter.pem).map((c) => c.subject.text)).toEqual(['CN=Test Root', 'CN=Test Intermediate']);
    expect(parseCaOption([root.pem, inter.der]).map((c) => c.subject.text)).toEqual(['CN=Test Root', 'CN=Test Intermediate']);
    expect(parseCaOption(new TextEncoder().encode(`junk before\n${root.pem}`))).toHaveLength(1);
    expect(parseCaOption(root.der)[0]!.subject.text).toBe('CN=Test Root');
  });

  test('anything else is a TlsMisuseError naming the entry', () => {
    expect(() => parseCaOption([root.pem, 'hello'])).toThrow(/ca entry 1 holds no CERTIFICATE block/);
    expect(() => parseCaOption([root.pem, root.der.subarray(0, 10)])).toThrow(TlsMisuseError);
    expect(() => caVerifier({ ca: '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n' })).toThrow(TlsMisuseError);
  });

  test('ca replaces the default roots', () => {
    const limbo = onlineCase('online::amazon.com');
    expect(runOnline(limbo, {})).toBe('OK');
    expect(runOnline(limbo, { ca: root.pem })).toBe('UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
  });
});

describe('default roots (Node tls.rootCertificates)', () => {
  test.each(['online::amazon.com', 'online::apple.com', 'online::microsoft.com', 'webpki::cryptographydotio-chain'])('%s validates at its time', (id) => {
    expect(runOnline(onlineCase(id), {})).toBe('OK');
  });

  test('a chain to an unknown root is refused', () => {
    expect(ourVerdict([leaf, inter], [], 'example.com').code).toBe('UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    const v = caVerifier();
    expect(() => v.verify([leaf.der, inter.der], { serverName: 'example.com', now: Date.now(), peer: 'server', provider: nobleProvider })).toThrow(
      expect.objectContaining({ code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', alert: AlertDescription.unknown_ca }),
    );
  });
});

describe('host names', () => {
  const verdict = (o: CertOptions, host: string) => ourVerdict([leafWith(o), inter], [root], host).code;

  test("Node's rules: exact, case, wildcard on one whole label, IP literal against iPAddress only", () => {
    expect(verdict({ dns: ['Example.COM'] }, 'example.com')).toBe('OK');
    expect(verdict({ dns: ['*.example.com'] }, 'www.example.com')).toBe('OK');
    expect(verdict({ dns: ['*.example.com'] }, 'a.b.example.com')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(verdict({ dns: ['*.example.com'] }, 'example.com')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(verdict({ ips: ['192.0.2.1'] }, '192.0.2.1')).toBe('OK');
    expect(verdict({ dns: ['192.0.2.1'] }, '192.0.2.1')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(verdict({ ips: ['::1'] }, '0:0:0:0:0:0:0:1')).toBe('OK');
  });

  test('a wildcard that is part of a label never matches (stricter than Node)', () => {
    expect(verdict({ dns: ['f*.example.com'] }, 'foo.example.com')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(verdict({ dns: ['*o.example.com'] }, 'foo.example.com')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    // ... and still keeps the CN out of play, and is listed in the message as it is.
    const e = ourVerdict([leafWith({ subject: 'CN=foo.example.com', dns: ['f*.example.com'] }), inter], [root], 'foo.example.com').error!;
    expect(e.message).toBe("Hostname/IP does not match certificate's altnames: Host: foo.example.com. is not in the cert's altnames: DNS:f*.example.com");
    expect(verdict({ dns: undefined, subject: 'CN=f*.example.com' }, 'foo.example.com')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  test('the CN counts when there is no dNSName, as in Node', () => {
    expect(verdict({ dns: undefined }, 'example.com')).toBe('OK');
    expect(verdict({ dns: undefined, ips: ['192.0.2.1'] }, 'example.com')).toBe('OK');
    expect(verdict({ dns: ['other.test'] }, 'example.com')).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  test('no server name to check is a refusal, with bad_certificate', () => {
    const v = caVerifier({ ca: root.pem });
    expect(() => v.verify([leafWith({ dns: ['example.com'] }).der, inter.der], { serverName: undefined, now: Date.now(), peer: 'server', provider: nobleProvider })).toThrow(
      expect.objectContaining({ code: 'ERR_TLS_CERT_ALTNAME_INVALID', alert: AlertDescription.bad_certificate }),
    );
  });

  test("node:tls's own checkServerIdentity works on the certificate we hand it", () => {
    const good = ourVerdict([leafWith({ dns: ['example.com'], ips: ['192.0.2.1'] }), inter], [root], 'example.com', { checkServerIdentity: tls.checkServerIdentity });
    expect(good.code).toBe('OK');
    const bad = ourVerdict([leafWith({ dns: ['example.com'], ips: ['192.0.2.1'] }), inter], [root], 'other.test', { checkServerIdentity: tls.checkServerIdentity });
    expect(bad.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(bad.error!.message).toBe("Hostname/IP does not match certificate's altnames: Host: other.test. is not in the cert's altnames: DNS:example.com, IP Address:192.0.2.1");
    const ip = ourVerdict([leafWith({ ips: ['192.0.2.1'] }), inter], [root], '192.0.2.1', { checkServerIdentity: tls.checkServerIdentity });
    expect(ip.code).toBe('OK');
  });

  test('checkServerIdentity runs only on a valid chain', () => {
    let calls = 0;
    const v = ourVerdict([leafWith({ badSignature: true }), inter], [root], 'example.com', { checkServerIdentity: () => void calls++ });
    expect(v.code).toBe('CERT_SIGNATURE_FAILURE');
    expect(calls).toBe(0);
  });
});

describe('options', () => {
  test('spkiPins: some certificate of the validated path must match', () => {
    expect(ourVerdict([leaf, inter], [root], 'example.com', { spkiPins: [spkiHash(inter.key.spki)] }).code).toBe('OK');
    expect(ourVerdict([leaf, inter], [root], 'example.com', { spkiPins: [spkiHash(leaf.key.spki), spkiHash(sharedKey('x').spki)] }).code).toBe('OK');
    const miss = ourVerdict([leaf, inter], [root], 'example.com', { spkiPins: [spkiHash(sharedKey('x').spki)] });
    expect(miss.code).toBe('ERR_TLS_PIN_MISMATCH');
    expect(() => caVerifier({ spkiPins: [] })).toThrow(TlsMisuseError);
  });

  test('strict: false gives up only the profile checks', () => {
    const noSki = makeCert({ subject: 'CN=Test Intermediate', issuer: root, ca: true, keyUsage: ['keyCertSign'], key: sharedKey('inter'), ski: false });
    expect(ourVerdict([leaf, noSki], [root]).code).toBe('MISSING_SUBJECT_KEY_IDENTIFIER');
    expect(ourVerdict([leaf, noSki], [root], 'example.com', { strict: false }).code).toBe('OK');
    expect(ourVerdict([leafWith({ dns: ['example.com'], eku: ['clientAuth'] }), inter], [root], 'example.com', { strict: false }).code).toBe('INVALID_PURPOSE');
  });

  test('the peer sent nothing, or something that is not a certificate', () => {
    const v = caVerifier({ ca: root.pem });
    const ctx = { serverName: 'example.com', now: Date.now(), peer: 'server' as const, provider: nobleProvider };
    expect(() => v.verify([], ctx)).toThrow(expect.objectContaining({ code: 'CERT_MISSING', alert: AlertDescription.certificate_required }));
    expect(() => v.verify([leaf.der, Uint8Array.of(0x30, 0x01, 0x00)], ctx)).toThrow(
      expect.objectContaining({ code: 'CERT_MALFORMED', message: expect.stringContaining('(certificate 1 of the chain)') }),
    );
    expect(() => v.verify([leaf.der, Uint8Array.of(0x30, 0x01, 0x00)], ctx)).toThrow(TlsCertificateError);
  });
});

/** A server case of x509-limbo with a public chain. */
interface OnlineCase {
  readonly peer_certificate: string;
  readonly untrusted_intermediates: readonly string[];
  readonly validation_time: string;
  readonly expected_peer_name: { readonly value: string };
}

function onlineCase(id: string): OnlineCase {
  const data = JSON.parse(fs.readFileSync('/work/shared/vectors/x509-limbo-part-a.json', 'utf8'));
  return data.testcases.find((c: { id: string }) => c.id === id);
}

function runOnline(c: OnlineCase, options: Parameters<typeof caVerifier>[0]): string {
  const der = (p: string) => pemDecode(p)[0]!.der;
  try {
    caVerifier(options).verify([der(c.peer_certificate), ...c.untrusted_intermediates.map(der)], {
      serverName: c.expected_peer_name.value,
      now: Date.parse(c.validation_time),
      peer: 'server',
      provider: nobleProvider,
    });
    return 'OK';
  } catch (e) {
    return (e as TlsCertificateError).code;
  }
}
