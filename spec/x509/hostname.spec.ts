/**
 * Host name matching (src/tls/x509/hostname.ts) against Node's own `tls.checkServerIdentity`,
 * run side by side: every case builds Node's certificate object (`{ subject: { CN },
 * subjectaltname }`) from the same names, and our verdict, error code, message, `reason` and
 * `host` must equal Node's. IPv6 addresses in the table are written the way Node's
 * `cert.subjectaltname` prints them (eight upper-case hex words); our side receives them in
 * canonical form, so both the matching and the printing back are checked.
 *
 * Also checked against Node: `ipVersion` (net.isIP), `canonicalizeIp` (Node's internal
 * `canonicalizeIP`, reached in a child `node --expose-internals`), and `formatSubjectAltName`
 * (Node's `X509Certificate.subjectAltName` of a certificate made by openssl).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { AlertDescription } from '../../src/tls/constants.js';
import { TlsCertificateError } from '../../src/tls/errors.js';
import {
  canonicalizeIp, checkHostname, formatAltNames, formatSubjectAltName, identityFromAltNames, ipAddressFromBytes, ipVersion, matchHostname,
  type AltNameLike, type CertificateIdentity,
} from '../../src/tls/x509/hostname.js';

interface Case {
  /** What the case shows. */
  readonly why: string;
  readonly host: string;
  readonly dns?: readonly string[];
  /** IP SANs as Node prints them (IPv6: eight upper-case words) or any text. */
  readonly ip?: readonly string[];
  readonly cn?: readonly string[];
  /**
   * Node's `subjectaltname` when the plain `DNS:a, IP Address:b` join is not it (quoted names,
   * other SAN types); also handed to our side when `passSan` is set.
   */
  readonly nodeSan?: string;
  /** Give `nodeSan` to our side as `subjectAltName` (for SAN types we do not model, like URI). */
  readonly passSan?: boolean;
  /** Node's verdict, written down so the table documents it (checked against Node too). */
  readonly ok: boolean;
}

const CASES: readonly Case[] = [
  // Plain names, case, trailing dots
  { why: 'exact match', host: 'example.com', dns: ['example.com'], ok: true },
  { why: 'ASCII case-insensitive', host: 'EXAMPLE.com', dns: ['example.COM'], ok: true },
  { why: 'subdomain is not the domain', host: 'www.example.com', dns: ['example.com'], ok: false },
  { why: 'domain is not a subdomain', host: 'example.com', dns: ['www.example.com'], ok: false },
  { why: 'any of several SANs', host: 'a.example.com', dns: ['b.example.com', 'a.example.com'], ok: true },
  { why: 'trailing dot on the host', host: 'example.com.', dns: ['example.com'], ok: true },
  { why: 'trailing dot on the SAN', host: 'example.com', dns: ['example.com.'], ok: true },
  { why: 'host loses two trailing dots', host: 'example.com..', dns: ['example.com'], ok: true },
  { why: 'SAN loses only one trailing dot', host: 'example.com', dns: ['example.com..'], ok: false },
  { why: 'both with trailing dot', host: 'example.com.', dns: ['example.com.'], ok: true },
  { why: 'single-label name', host: 'intranet', dns: ['intranet'], ok: true },
  { why: 'only A-Z is lower-cased (Kelvin sign stays)', host: 'www.\u212Aelvin.com', dns: ['www.kelvin.com'], ok: false },
  { why: 'DEL is an allowed character', host: 'a\x7f.example.com', dns: ['a\x7f.example.com'], nodeSan: '"DNS:a\\u007f.example.com"', ok: true },
  // Wildcards
  { why: 'wildcard matches one label', host: 'foo.example.com', dns: ['*.example.com'], ok: true },
  { why: 'wildcard does not match two labels', host: 'bar.foo.example.com', dns: ['*.example.com'], ok: false },
  { why: 'wildcard does not match no label', host: 'example.com', dns: ['*.example.com'], ok: false },
  { why: 'no *.tld', host: 'foo.com', dns: ['*.com'], ok: false },
  { why: 'no *.localhost (two labels)', host: 'a.localhost', dns: ['*.localhost'], ok: false },
  { why: 'no public suffix list: *.co.uk matches', host: 'foo.co.uk', dns: ['*.co.uk'], ok: true },
  { why: 'partial wildcard, prefix', host: 'baz1.example.net', dns: ['baz*.example.net'], ok: true },
  { why: 'partial wildcard, suffix', host: 'foobaz.example.net', dns: ['*baz.example.net'], ok: true },
  { why: 'partial wildcard, inner', host: 'buzz.example.net', dns: ['b*z.example.net'], ok: true },
  { why: 'partial wildcard may match nothing', host: 'bz.example.net', dns: ['b*z.example.net'], ok: true },
  { why: 'prefix and suffix must not overlap', host: 'bz.example.net', dns: ['bz*z.example.net'], ok: false },
  { why: 'partial wildcard, wrong prefix', host: 'qux1.example.net', dns: ['baz*.example.net'], ok: false },
  { why: 'wildcard not in the left-most label', host: 'foo.bar.example.com', dns: ['foo.*.example.com'], ok: false },
  { why: 'a non-left-most * is literal', host: 'foo.*.example.com', dns: ['foo.*.example.com'], ok: true },
  { why: 'two wildcards in a label', host: 'ab.example.com', dns: ['**.example.com'], ok: false },
  { why: 'two wildcard labels', host: 'a.b.example.com', dns: ['*.*.example.com'], ok: false },
  { why: 'lone *', host: 'foo', dns: ['*'], ok: false },
  { why: 'lone * versus three labels', host: 'foo.example.com', dns: ['*'], ok: false },
  { why: 'wildcard, mixed case', host: 'Foo.Example.Com', dns: ['*.EXAMPLE.com'], ok: true },
  { why: 'wildcard SAN with trailing dot', host: 'foo.example.com', dns: ['*.example.com.'], ok: true },
  { why: 'wildcard, host with trailing dot', host: 'foo.example.com.', dns: ['*.example.com'], ok: true },
  { why: 'Node quirk: empty left-most host label matches *', host: '.example.com', dns: ['*.example.com'], ok: true },
  { why: 'wildcard SAN, host is the bare wildcard', host: '*.example.com', dns: ['*.example.com'], ok: true },
  // IDNA
  { why: 'A-label exact', host: 'xn--bcher-kva.example.com', dns: ['xn--bcher-kva.example.com'], ok: true },
  { why: 'A-label, case-insensitive', host: 'XN--BCHER-KVA.example.com', dns: ['xn--bcher-kva.example.com'], ok: true },
  { why: 'no wildcard inside an A-label', host: 'xn--bcher-kva.example.com', dns: ['xn--*.example.com'], ok: false },
  { why: 'wildcard A-label pattern matches itself literally', host: 'xn--*.example.com', dns: ['xn--*.example.com'], ok: true },
  { why: 'plain * matches an A-label host label', host: 'xn--bcher-kva.example.com', dns: ['*.example.com'], ok: true },
  { why: 'partial x* is not an A-label, matches', host: 'xn--bcher-kva.example.com', dns: ['x*.example.com'], ok: true },
  { why: 'U-label SAN never matches', host: 'b\u00fccher.example.com', dns: ['b\u00c3\u00bccher.example.com'], nodeSan: '"DNS:b\\u00c3\\u00bccher.example.com"', ok: false },
  { why: 'U-label host versus A-label SAN', host: 'b\u00fccher.example.com', dns: ['xn--bcher-kva.example.com'], ok: false },
  { why: 'U-label host label matched by *', host: 'b\u00fccher.example.com', dns: ['*.example.com'], ok: true },
  // Malformed and empty
  { why: 'SAN with an empty label', host: 'a..example.com', dns: ['a..example.com'], ok: false },
  { why: 'empty host versus wildcard', host: '', dns: ['*.example.com'], ok: false },
  { why: 'empty host, no names', host: '', ok: false },
  { why: 'empty DNS SAN', host: 'example.com', dns: [''], ok: false },
  { why: 'space in a SAN', host: 'a b.example.com', dns: ['a b.example.com'], ok: false },
  { why: 'host with a space versus wildcard', host: 'a b.example.com', dns: ['*.example.com'], ok: true },
  { why: 'control character in a SAN (message quotes it)', host: 'ab.com', dns: ['a\tb.com'], nodeSan: '"DNS:a\\u0009b.com"', ok: false },
  { why: 'comma in a SAN (quoted by Node), matches', host: 'a,b.example.com', dns: ['a,b.example.com'], nodeSan: '"DNS:a\\u002cb.example.com"', ok: true },
  { why: 'comma in a SAN, message keeps Node quoting', host: 'x.example.com', dns: ['a,b.example.com', 'c.example.com'], nodeSan: '"DNS:a\\u002cb.example.com", DNS:c.example.com', ok: false },
  { why: 'quote in a SAN', host: 'x.com', dns: ['a"b.com'], nodeSan: '"DNS:a\\"b.com"', ok: false },
  { why: 'bracketed IPv6 is a name, not an IP', host: '[::1]', ip: ['0:0:0:0:0:0:0:1'], ok: false },
  { why: 'bracketed IPv6 matches a DNS SAN literally', host: '[::1]', dns: ['[::1]'], ok: true },
  // Common name
  { why: 'CN when there is no SAN', host: 'example.com', cn: ['example.com'], ok: true },
  { why: 'CN, case and trailing dot', host: 'EXAMPLE.COM.', cn: ['example.com'], ok: true },
  { why: 'wildcard CN', host: 'foo.example.com', cn: ['*.example.com'], ok: true },
  { why: 'wildcard CN, *.tld', host: 'example.com', cn: ['*.com'], ok: false },
  { why: 'CN ignored when a DNS SAN exists', host: 'example.com', cn: ['example.com'], dns: ['other.com'], ok: false },
  { why: 'an IP SAN does not hide the CN', host: 'example.com', cn: ['example.com'], ip: ['1.2.3.4'], ok: true },
  { why: 'a URI SAN does not hide the CN', host: 'example.com', cn: ['example.com'], nodeSan: 'URI:https://example.com', passSan: true, ok: true },
  { why: 'CN mismatch', host: 'example.com', cn: ['other.com'], ok: false },
  { why: 'second of two CNs', host: 'b.com', cn: ['a.com', 'b.com'], ok: true },
  { why: 'none of two CNs (message joins them)', host: 'c.com', cn: ['a.com', 'b.com'], ok: false },
  { why: 'empty CN is no CN', host: 'example.com', cn: [''], ok: false },
  { why: 'no DNS SAN and no CN, only an IP SAN', host: 'example.com', ip: ['1.2.3.4'], ok: false },
  { why: 'no names at all', host: 'example.com', ok: false },
  { why: 'URI SAN only, no CN', host: 'example.com', nodeSan: 'URI:https://example.com', passSan: true, ok: false },
  { why: 'DNS failure message lists every SAN (URI too)', host: 'x.com', dns: ['a.com'], nodeSan: 'DNS:a.com, URI:https://x.com', passSan: true, ok: false },
  // IP addresses
  { why: 'IPv4 SAN', host: '1.2.3.4', ip: ['1.2.3.4'], ok: true },
  { why: 'IPv4 host never matches a DNS SAN', host: '1.2.3.4', dns: ['1.2.3.4'], ok: false },
  { why: 'IPv4 host never matches the CN', host: '1.2.3.4', cn: ['1.2.3.4'], ok: false },
  { why: 'IPv4 mismatch (message lists canonical IPs)', host: '1.2.3.4', dns: ['a.com'], ip: ['1.2.3.5', '0:0:0:0:0:0:0:1'], ok: false },
  { why: 'IPv4 host with trailing dot', host: '1.2.3.4.', ip: ['1.2.3.4'], ok: true },
  { why: 'leading zero: not an IP for Node, so a DNS name', host: '1.2.3.04', ip: ['1.2.3.4'], dns: ['1.2.3.04'], ok: true },
  { why: 'leading zero octet, no DNS name', host: '01.2.3.4', ip: ['1.2.3.4'], ok: false },
  { why: 'octet above 255 is a name', host: '256.1.1.1', dns: ['256.1.1.1'], ok: true },
  { why: 'broadcast address', host: '255.255.255.255', ip: ['255.255.255.255'], ok: true },
  { why: 'IPv6 loopback', host: '::1', ip: ['0:0:0:0:0:0:0:1'], ok: true },
  { why: 'IPv6 mismatch, canonical forms in the message', host: '::2', ip: ['0:0:0:0:0:0:0:3', '0:0:0:0:0:FFFF:102:304', '20:1:0:0:1:0:0:0', '0:0:0:0:0:0:102:304'], ok: false },
  { why: 'IPv4-mapped IPv6', host: '::ffff:1.2.3.4', ip: ['0:0:0:0:0:FFFF:102:304'], ok: true },
  { why: 'IPv4-mapped host is not the IPv4 SAN', host: '::FFFF:1.2.3.4', ip: ['1.2.3.4'], ok: false },
  { why: 'IPv4 host is not the IPv4-mapped SAN', host: '1.2.3.4', ip: ['0:0:0:0:0:FFFF:102:304'], ok: false },
  { why: 'IPv6 zone id ignored', host: 'fe80::1%eth0', ip: ['FE80:0:0:0:0:0:0:1'], ok: true },
  { why: 'IPv6 upper-case host', host: '2001:DB8::1', ip: ['2001:DB8:0:0:0:0:0:1'], ok: true },
  { why: 'IPv6 uncompressed host', host: '2001:0db8:0000:0000:0001:0000:0000:0001', ip: ['2001:DB8:0:0:1:0:0:1'], ok: true },
  { why: 'IPv6 unspecified', host: '::', ip: ['0:0:0:0:0:0:0:0'], ok: true },
  { why: 'IPv6 trailing ::', host: '1::', ip: ['1:0:0:0:0:0:0:0'], ok: true },
  { why: 'IPv4-compatible IPv6', host: '::1.2.3.4', ip: ['0:0:0:0:0:0:102:304'], ok: true },
  { why: 'IPv6 host, no IP SANs (empty list in message)', host: '::', dns: ['example.com'], ok: false },
  { why: 'IPv6 host with trailing dot is still an IP', host: '::1.', ip: ['0:0:0:0:0:0:0:1'], ok: true },
  { why: 'SAN IP of a bad length is skipped (printed empty)', host: '1.2.3.4', ip: ['<invalid length=8>', '1.2.3.5'], ok: false },
  { why: 'IPv6 SAN in the DNS-failure message', host: 'example.com', dns: ['a.com'], ip: ['2001:DB8:0:0:0:0:0:1'], ok: false },
];

/** Node's certificate object for a case. */
function nodeCert(c: Case): tls.PeerCertificate {
  const cn = c.cn ?? [];
  const subject: Record<string, string | string[]> = {};
  if (cn.length === 1) subject.CN = cn[0]!;
  else if (cn.length > 1) subject.CN = [...cn];
  const san = c.nodeSan ?? [...(c.dns ?? []).map((d) => `DNS:${d}`), ...(c.ip ?? []).map((i) => `IP Address:${i}`)].join(', ');
  const cert: Record<string, unknown> = { subject };
  if (san) cert.subjectaltname = san;
  return cert as unknown as tls.PeerCertificate;
}

/** Our identity for a case: IPs in canonical form, as a parser hands them over. */
function ourIdentity(c: Case): CertificateIdentity {
  const id = { dnsNames: c.dns ?? [], ipAddresses: (c.ip ?? []).map((i) => canonicalizeIp(i) ?? i), commonNames: c.cn ?? [] };
  return c.passSan ? { ...id, subjectAltName: c.nodeSan! } : id;
}

describe('checkHostname equals tls.checkServerIdentity', () => {
  it('has enough cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  it.each(CASES.map((c) => [`${c.why}: ${JSON.stringify(c.host)}`, c] as const))('%s', (_name, c) => {
    const theirs = tls.checkServerIdentity(c.host, nodeCert(c)) as (Error & { code: string; reason: string; host: string }) | undefined;
    const ours = checkHostname(c.host, ourIdentity(c));
    // The table's own note of Node's verdict must be right.
    expect(theirs === undefined).toBe(c.ok);
    expect(ours === undefined).toBe(c.ok);
    expect(matchHostname(c.host, ourIdentity(c))).toBe(c.ok);
    if (theirs && ours) {
      expect(ours).toBeInstanceOf(TlsCertificateError);
      expect(ours.code).toBe(theirs.code);
      expect(ours.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      expect(ours.message).toBe(theirs.message);
      expect(ours.reason).toBe(theirs.reason);
      expect(ours.host).toBe(theirs.host);
      expect(ours.alert).toBe(AlertDescription.bad_certificate);
    }
  });
});

describe('IP literals', () => {
  const inputs = [
    '1.2.3.4', '0.0.0.0', '255.255.255.255', '256.0.0.1', '01.2.3.4', '1.2.3.04', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '0x1.2.3.4',
    '::', '::1', '::2', '1::', '1:0::', '::0.0.0.2', '::1.2.3.4', '::ffff:1.2.3.4', '::FFFF:1.2.3.4', '::ffff:0:0', '::ffff:1:2',
    '0:0:0:0:0:1:0:0', '1:0:0:1:0:0:1:1', '0:0:0:0:0:0:1:0', '0:0:0:0:0:0:FFFF:1', '0:0:0:0:0:FFFE:102:304', '::0:ffff:1.2.3.4',
    '0::5:0:0:0:1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:1.2.3.4', '2001:0DB8:0000:0000:0000:0000:0000:0001', 'fe80::1%eth0',
    'fe80::1%', '1::2::3', ':1::', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', '[::1]', '', 'localhost', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8',
  ];

  it('ipVersion is net.isIP', () => {
    for (const s of inputs) expect([s, ipVersion(s)]).toEqual([s, net.isIP(s)]);
  });

  it("canonicalizeIp is Node's canonicalizeIP (fixed inputs and 400 random IPv6)", () => {
    // Deterministic pseudo-random IPv6, biased to zero runs, 0xffff and embedded IPv4.
    let seed = 0x2545f491;
    const rnd = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const random: string[] = [];
    for (let i = 0; i < 400; i++) {
      const words = Array.from({ length: 8 }, () => [0, 0, 0, 1, 0xffff, rnd(0x10000)][rnd(6)]!);
      random.push(words.map((w) => w.toString(16)).join(':'));
    }
    const all = [...inputs.filter((s) => net.isIP(s) !== 0), ...random];
    // Node's canonicalizeIP is internal: ask a child Node started with --expose-internals.
    const script =
      "const { internalBinding } = require('internal/test/binding');" +
      "const { canonicalizeIP } = internalBinding('cares_wrap');" +
      'const input = JSON.parse(require("fs").readFileSync(0, "utf8"));' +
      'process.stdout.write(JSON.stringify(input.map((s) => canonicalizeIP(s) ?? null)));';
    const out = execFileSync(process.execPath, ['--expose-internals', '--no-warnings', '-e', script], {
      input: JSON.stringify(all), timeout: 10_000, stdio: ['pipe', 'pipe', 'ignore'],
    });
    const theirs = JSON.parse(out.toString()) as (string | null)[];
    const mismatches = all.map((s, i) => [s, canonicalizeIp(s) ?? null, theirs[i]] as const).filter(([, a, b]) => a !== b);
    expect(mismatches).toEqual([]);
    // The 16-byte form a certificate carries gives the same text.
    for (const s of random) {
      const bytes = new Uint8Array(16);
      s.split(':').forEach((w, i) => { bytes[2 * i] = parseInt(w, 16) >> 8; bytes[2 * i + 1] = parseInt(w, 16) & 0xff; });
      expect(ipAddressFromBytes(bytes)).toBe(canonicalizeIp(s));
    }
    expect(ipAddressFromBytes(new Uint8Array([10, 0, 0, 255]))).toBe('10.0.0.255');
    expect(ipAddressFromBytes(new Uint8Array(8))).toBeUndefined();
  });
});

describe('against a real certificate', () => {
  let dir: string;
  let cert: X509Certificate;
  let mixed: X509Certificate;
  /** The SANs of `mixed`, as a parser hands them over. */
  const mixedNames: AltNameLike[] = [
    { type: 'dns', value: 'a.example' },
    { type: 'email', value: 'me@example.com' },
    { type: 'uri', value: 'https://x.example/p?q=1' },
    { type: 'ip', bytes: new Uint8Array([10, 1, 2, 3]) },
    { type: 'ip', bytes: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]) },
    { type: 'dns', value: '*.b.example' },
  ];
  const dns = ['Example.COM', '*.example.net', 'xn--bcher-kva.example.org'];
  const ips = ['::1', '2001:db8::1', '::ffff:1.2.3.4', '1.2.3.4', '20:1:0:0:1::'];

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtls-hostname-'));
    const key = path.join(dir, 'k.pem');
    const crt = path.join(dir, 'c.pem');
    execFileSync('openssl', ['genpkey', '-algorithm', 'ED25519', '-out', key], { stdio: 'pipe' });
    execFileSync('openssl', [
      'req', '-x509', '-new', '-key', key, '-subj', '/CN=cn.example.com', '-days', '1', '-out', crt,
      '-addext', `subjectAltName=${[...dns.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',')}`,
    ], { stdio: 'pipe' });
    cert = new X509Certificate(fs.readFileSync(crt));
    const crt2 = path.join(dir, 'mixed.pem');
    execFileSync('openssl', [
      'req', '-x509', '-new', '-key', key, '-subj', '/CN=mixed.example', '-days', '1', '-out', crt2,
      '-addext', 'subjectAltName=DNS:a.example,email:me@example.com,URI:https://x.example/p?q=1,IP:10.1.2.3,IP:2001:db8::1,DNS:*.b.example',
    ], { stdio: 'pipe' });
    mixed = new X509Certificate(fs.readFileSync(crt2));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("formatSubjectAltName prints what Node's X509Certificate prints", () => {
    expect(formatSubjectAltName({ dnsNames: dns, ipAddresses: ips.map((i) => canonicalizeIp(i)!) })).toBe(cert.subjectAltName);
  });

  it('formatAltNames prints every SAN type in order as Node does (DNS, email, URI, IP)', () => {
    expect(formatAltNames(mixedNames)).toBe(mixed.subjectAltName);
    expect(formatAltNames([{ type: 'ip', bytes: new Uint8Array(5) }])).toBe('IP Address:<invalid length=5>');
  });

  it.each(['a.example', 'x.b.example', 'b.example', 'x.example', 'mixed.example', '10.1.2.3', '2001:db8::1', '2001:db8::2', 'me@example.com'])(
    'host %s with identityFromAltNames: same verdict and message as Node (URI and email in the message)',
    (host) => {
      const theirs = tls.checkServerIdentity(host, mixed.toLegacyObject());
      const ours = checkHostname(host, identityFromAltNames(mixedNames, ['mixed.example']));
      expect(ours?.message).toBe(theirs?.message);
    },
  );

  it.each(['example.com', 'EXAMPLE.com.', 'a.example.net', 'a.b.example.net', 'xn--bcher-kva.example.org', 'cn.example.com', '::1', '0:0:0:0:0:0:0:1', '::ffff:1.2.3.4', '1.2.3.4', '1.2.3.5', '20:1::1:0:0:0', '2001:db8::2'])(
    'host %s: same verdict and message as Node with its own parsed certificate',
    (host) => {
      const theirs = tls.checkServerIdentity(host, cert.toLegacyObject());
      const ours = checkHostname(host, { dnsNames: dns, ipAddresses: ips.map((i) => canonicalizeIp(i)!), commonNames: ['cn.example.com'] });
      expect(ours?.message).toBe(theirs?.message);
    },
  );
});
