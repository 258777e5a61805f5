/**
 * Name constraint matching (src/tls/x509/name-constraints.ts), rule by rule, as OpenSSL's
 * NAME_CONSTRAINTS_check applies them (the whole-chain behaviour is checked against Node in
 * validate.spec.ts and by x509-limbo).
 */
import { parseCertificate } from '../../src/tls/x509/certificate.js';
import { checkNameConstraints } from '../../src/tls/x509/name-constraints.js';
import { makeCert, sharedKey, type CertOptions, type Subtree } from './support/pki-builder.js';

/** The verdict for a certificate made with `cert` under constraints `permitted`/`excluded`. */
function check(cert: CertOptions, c: { permitted?: Subtree[]; excluded?: Subtree[] }, isLeaf = true): string {
  const nc = parseCertificate(makeCert({ ca: true, key: sharedKey('nc-ca'), ...c }).der).nameConstraints!;
  return checkNameConstraints(parseCertificate(makeCert({ subject: 'CN=x', key: sharedKey('nc-leaf'), ...cert }).der), nc, isLeaf)?.code ?? 'OK';
}

/** The verdict under a raw nameConstraints value. */
function checkRaw(cert: CertOptions, value: Uint8Array): string {
  const nc = parseCertificate(makeCert({ ca: true, extensions: [{ oid: '2.5.29.30', critical: true, value }] }).der).nameConstraints!;
  return checkNameConstraints(parseCertificate(makeCert({ subject: 'CN=x', ...cert }).der), nc, true)?.code ?? 'OK';
}

const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

describe('dNSName', () => {
  const permit = { permitted: [{ dns: 'example.com' }] };
  test.each([
    ['example.com', 'OK'],
    ['www.example.com', 'OK'],
    ['A.B.EXAMPLE.COM', 'OK'],
    ['wwwexample.com', 'PERMITTED_VIOLATION'],
    ['example.org', 'PERMITTED_VIOLATION'],
    ['com', 'PERMITTED_VIOLATION'],
  ])('%s within example.com: %s', (name, verdict) => {
    expect(check({ dns: [name] }, permit)).toBe(verdict);
  });

  test('a leading dot admits subdomains only; an empty base admits everything', () => {
    expect(check({ dns: ['www.example.com'] }, { permitted: [{ dns: '.example.com' }] })).toBe('OK');
    expect(check({ dns: ['example.com'] }, { permitted: [{ dns: '.example.com' }] })).toBe('PERMITTED_VIOLATION');
    expect(check({ dns: ['anything.test'] }, { permitted: [{ dns: '' }] })).toBe('OK');
  });

  test('excluded wins over permitted; every name must pass', () => {
    const both = { permitted: [{ dns: 'example.com' }], excluded: [{ dns: 'bad.example.com' }] };
    expect(check({ dns: ['ok.example.com'] }, both)).toBe('OK');
    expect(check({ dns: ['x.bad.example.com'] }, both)).toBe('EXCLUDED_VIOLATION');
    expect(check({ dns: ['ok.example.com', 'other.test'] }, both)).toBe('PERMITTED_VIOLATION');
  });

  test('names of a type without subtrees are unconstrained', () => {
    expect(check({ dns: ['other.test'] }, { permitted: [{ ip: '10.0.0.0/8' }] })).toBe('OK');
    expect(check({ ips: ['192.0.2.1'] }, { permitted: [{ dns: 'example.com' }] })).toBe('OK');
  });

  test('a leaf without dNSName is checked by a CN that looks like a host name', () => {
    const permit2 = { permitted: [{ dns: 'example.com' }] };
    expect(check({ subject: 'CN=host.example.org' }, permit2)).toBe('PERMITTED_VIOLATION');
    expect(check({ subject: 'CN=host.example.com' }, permit2)).toBe('OK');
    expect(check({ subject: 'CN=localhost' }, permit2)).toBe('OK'); // one label: not a host name
    expect(check({ subject: 'CN=not a host.org' }, permit2)).toBe('OK');
    expect(check({ subject: 'CN=host.example.org' }, permit2, false)).toBe('OK'); // not the leaf
    expect(check({ subject: 'CN=host.example.org', dns: ['a.example.com'] }, permit2)).toBe('OK'); // has a dNSName
  });
});

describe('iPAddress', () => {
  test('address and mask; IPv4 never matches IPv6', () => {
    const v4 = { permitted: [{ ip: '10.0.0.0/8' }] };
    expect(check({ ips: ['10.1.2.3'] }, v4)).toBe('OK');
    expect(check({ ips: ['11.0.0.1'] }, v4)).toBe('PERMITTED_VIOLATION');
    expect(check({ ips: ['::a01:203'] }, v4)).toBe('PERMITTED_VIOLATION');
    expect(check({ ips: ['2001:db8::1'] }, { permitted: [{ ip: '2001:db8::/32' }] })).toBe('OK');
    expect(check({ ips: ['2001:db9::1'] }, { permitted: [{ ip: '2001:db8::/32' }] })).toBe('PERMITTED_VIOLATION');
    expect(check({ ips: ['10.9.9.9'] }, { excluded: [{ ip: '10.9.0.0/16' }] })).toBe('EXCLUDED_VIOLATION');
  });

  test('a malformed address or base is a syntax error', () => {
    expect(check({ rawIps: [Uint8Array.of(10, 0, 0, 0, 1)] }, { permitted: [{ ip: '10.0.0.0/8' }] })).toBe('UNSUPPORTED_NAME_SYNTAX');
    // Base of 4 octets (no mask), as in x509-limbo's invalid-ipv4-address.
    const base = [0x87, 4, 127, 0, 0, 1];
    expect(checkRaw({ ips: ['127.0.0.1'] }, Uint8Array.of(0x30, 10, 0xa0, 8, 0x30, 6, ...base))).toBe('UNSUPPORTED_NAME_SYNTAX');
  });
});

describe('rfc822Name and URI', () => {
  test('mailbox, host and domain forms', () => {
    expect(check({ emails: ['a@example.com'] }, { permitted: [{ email: 'example.com' }] })).toBe('OK');
    expect(check({ emails: ['a@sub.example.com'] }, { permitted: [{ email: 'example.com' }] })).toBe('PERMITTED_VIOLATION');
    expect(check({ emails: ['a@sub.example.com'] }, { permitted: [{ email: '.example.com' }] })).toBe('OK');
    expect(check({ emails: ['a@example.com'] }, { permitted: [{ email: '.example.com' }] })).toBe('PERMITTED_VIOLATION');
    expect(check({ emails: ['a@EXAMPLE.com'] }, { permitted: [{ email: 'a@example.com' }] })).toBe('OK');
    expect(check({ emails: ['A@example.com'] }, { permitted: [{ email: 'a@example.com' }] })).toBe('PERMITTED_VIOLATION');
    expect(check({ emails: ['no-at-sign'] }, { permitted: [{ email: 'example.com' }] })).toBe('UNSUPPORTED_NAME_SYNTAX');
  });

  test('an emailAddress in the subject is checked too', () => {
    expect(check({ subject: 'CN=x,emailAddress=a@other.test' }, { permitted: [{ email: 'example.com' }] })).toBe('PERMITTED_VIOLATION');
    expect(check({ subject: 'CN=x,emailAddress=a@example.com' }, { permitted: [{ email: 'example.com' }] })).toBe('OK');
  });

  test('URI host, with port and path, and subdomains', () => {
    expect(check({ uris: ['https://example.com:8443/x'] }, { permitted: [{ uri: 'example.com' }] })).toBe('OK');
    expect(check({ uris: ['https://a.example.com/'] }, { permitted: [{ uri: 'example.com' }] })).toBe('PERMITTED_VIOLATION');
    expect(check({ uris: ['https://a.example.com/'] }, { permitted: [{ uri: '.example.com' }] })).toBe('OK');
    expect(check({ uris: ['urn:x:y'] }, { permitted: [{ uri: 'example.com' }] })).toBe('UNSUPPORTED_NAME_SYNTAX');
  });
});

describe('directoryName and subtree form', () => {
  test('the subject must start with the base RDNs', () => {
    expect(check({ subject: 'O=Acme,CN=x' }, { permitted: [{ dn: 'O=acme' }] })).toBe('OK');
    expect(check({ subject: 'O=Other,CN=x' }, { permitted: [{ dn: 'O=Acme' }] })).toBe('PERMITTED_VIOLATION');
    expect(check({ subject: 'O=Acme,OU=Bad,CN=x' }, { excluded: [{ dn: 'O=Acme,OU=Bad' }] })).toBe('EXCLUDED_VIOLATION');
  });

  test('minimum or maximum present: SUBTREE_MINMAX (RFC 5280 section 4.2.1.10)', () => {
    const subtree = [0x30, 11, 0x82, 6, ...ascii('a.test'), 0x80, 1, 1];
    expect(checkRaw({ dns: ['x.a.test'] }, Uint8Array.of(0x30, 15, 0xa0, 13, ...subtree))).toBe('SUBTREE_MINMAX');
    const plain = [0x30, 8, 0x82, 6, ...ascii('a.test')];
    expect(checkRaw({ dns: ['x.a.test'] }, Uint8Array.of(0x30, 12, 0xa0, 10, ...plain))).toBe('OK');
  });
});
