/**
 * Server identity checks (RFC 6125), with exactly the semantics of Node's
 * `tls.checkServerIdentity` (Node 20, `lib/tls.js`), so that a client moving from `node:tls`
 * accepts and refuses the same certificates, with the same error code and message.
 *
 * It works on plain data ({@link CertificateIdentity}), not on a parsed certificate, so the
 * certificate parser and this module do not depend on each other. A verifier builds the
 * identity with {@link identityFromAltNames} (subjectAltName entries plus subject CNs) and calls
 * {@link checkHostname}, which returns Node's `ERR_TLS_CERT_ALTNAME_INVALID` error or
 * `undefined`. Node checks the name only after the chain has validated, so a chain error wins.
 *
 * The rules, as Node applies them (each confirmed against `tls.checkServerIdentity` in
 * `spec/x509/hostname.spec.ts`):
 *
 * - One trailing dot is removed from the host name (`a.com.` is `a.com`), and the remaining
 *   name is split into labels after removing one more trailing dot; a presented name loses one
 *   trailing dot. Comparison lower-cases ASCII `A`-`Z` only (RFC 6125 section 6.4.1).
 * - A host name that is an IP literal (Node's `net.isIP`: dotted IPv4 without leading zeros,
 *   IPv6 with an optional `%zone`) matches only iPAddress subjectAltNames, compared in
 *   canonical form (`::FFFF:1.2.3.4` equals `0:0:0:0:0:ffff:102:304`); never a dNSName and
 *   never the CN.
 * - Otherwise dNSName subjectAltNames are tried; the subject CN is tried only when the
 *   certificate has no dNSName at all (an iPAddress or URI SAN does not suppress the CN; this
 *   is Node's reading of RFC 6125 section 6.4.4, laxer than the RFC for URI-IDs).
 * - A presented name never matches if it is empty, has an empty label (`a..b.com`), or has a
 *   character outside U+0021..U+007F (U-labels, spaces, controls).
 * - Wildcards (RFC 6125 section 6.4.3): one `*`, in the left-most label only, which may be
 *   partial (`b*z.example.com`, `*baz.example.com`), matching within that one label; the
 *   pattern needs at least three labels (`*.com` and `*.localhost` never match); a left-most
 *   label holding an A-label (`xn--`) is compared literally. A `*` elsewhere is an ordinary
 *   character. As in Node, a host whose left-most label is empty (`.example.com`) matches
 *   `*.example.com`.
 *
 * @module
 */
import { AlertDescription } from '../constants.js';
import { TlsCertificateError } from '../errors.js';

/** The names a certificate presents, as plain data. */
export interface CertificateIdentity {
  /** subjectAltName dNSName entries, in certificate order, as written (not lower-cased). */
  readonly dnsNames: readonly string[];
  /**
   * subjectAltName iPAddress entries, in certificate order, as text: IPv4 dotted, IPv6
   * compressed lower-case as Node prints them ({@link ipAddressFromBytes} makes this text).
   * Entries that are not IP addresses never match.
   */
  readonly ipAddresses: readonly string[];
  /** The subject's commonName values, in order (usually zero or one). */
  readonly commonNames: readonly string[];
  /**
   * The whole subjectAltName in Node's `cert.subjectaltname` form (`DNS:a, IP Address:1.2.3.4,
   * URI:...`), used only in error messages. Default: {@link formatSubjectAltName}, which lists
   * dNSNames then iPAddresses and nothing else.
   */
  readonly subjectAltName?: string;
}

/**
 * The host name did not match the certificate. `code` is `ERR_TLS_CERT_ALTNAME_INVALID` and
 * the message is Node's, word for word.
 */
export class CertificateNameError extends TlsCertificateError {
  /** Why it did not match (Node's `err.reason`). */
  readonly reason: string;
  /** The host name checked, without its trailing dot (Node's `err.host`). */
  readonly host: string;
  constructor(reason: string, host: string) {
    super('ERR_TLS_CERT_ALTNAME_INVALID', `Hostname/IP does not match certificate's altnames: ${reason}`, AlertDescription.bad_certificate);
    this.reason = reason;
    this.host = host;
  }
}

// ---------------------------------------------------------------------------------------------
// IP addresses

// The regular expressions of Node's net.isIPv4 / net.isIPv6 (lib/internal/net.js), verbatim.
const V4_SEG = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])';
const V4_STR = `(?:${V4_SEG}\\.){3}${V4_SEG}`;
const IPV4 = new RegExp(`^${V4_STR}$`);
const V6_SEG = '(?:[0-9a-fA-F]{1,4})';
const IPV6 = new RegExp(
  '^(?:' +
    `(?:${V6_SEG}:){7}(?:${V6_SEG}|:)|` +
    `(?:${V6_SEG}:){6}(?:${V4_STR}|:${V6_SEG}|:)|` +
    `(?:${V6_SEG}:){5}(?::${V4_STR}|(?::${V6_SEG}){1,2}|:)|` +
    `(?:${V6_SEG}:){4}(?:(?::${V6_SEG}){0,1}:${V4_STR}|(?::${V6_SEG}){1,3}|:)|` +
    `(?:${V6_SEG}:){3}(?:(?::${V6_SEG}){0,2}:${V4_STR}|(?::${V6_SEG}){1,4}|:)|` +
    `(?:${V6_SEG}:){2}(?:(?::${V6_SEG}){0,3}:${V4_STR}|(?::${V6_SEG}){1,5}|:)|` +
    `(?:${V6_SEG}:){1}(?:(?::${V6_SEG}){0,4}:${V4_STR}|(?::${V6_SEG}){1,6}|:)|` +
    `(?::(?:(?::${V6_SEG}){0,5}:${V4_STR}|(?::${V6_SEG}){1,7}|:))` +
    ')(?:%[0-9a-zA-Z-.:]{1,})?$',
);

/** 4 for an IPv4 literal, 6 for IPv6 (zone allowed), else 0: Node's `net.isIP`. */
export function ipVersion(text: string): 0 | 4 | 6 {
  if (IPV4.test(text)) return 4;
  if (IPV6.test(text)) return 6;
  return 0;
}

function parseV4(text: string): number[] {
  return text.split('.').map(Number);
}

/** The 16 bytes of an IPv6 literal that {@link IPV6} accepted (zone already removed). */
function parseV6(text: string): Uint8Array {
  const out = new Uint8Array(16);
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const words: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const [a, b, c, d] = parseV4(g) as [number, number, number, number];
        words.push((a << 8) | b, (c << 8) | d);
      } else words.push(parseInt(g, 16));
    }
    return words;
  };
  const gap = text.indexOf('::');
  const head = groups(gap < 0 ? text : text.slice(0, gap));
  const tail = gap < 0 ? [] : groups(text.slice(gap + 2));
  const words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/**
 * IPv6 text exactly as libuv's `uv_inet_ntop` writes it (which is what Node's canonical form
 * is): lower-case hex without leading zeros; the longest run of two or more zero words (the
 * first, on a tie) becomes `::`; IPv4-compatible (`::a.b.c.d`, but not `::1` or `::x` with a
 * single non-zero last word) and IPv4-mapped (`::ffff:a.b.c.d`) addresses end in dotted IPv4.
 */
function formatV6(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestBase = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestBase = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) s += ':';
      continue;
    }
    if (i !== 0) s += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      s += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    s += w[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) s += ':';
  return s;
}

/**
 * The canonical text of an IP literal, as Node's internal `canonicalizeIP` gives it
 * (`FE80::0:1%eth0` becomes `fe80::1`, `0:0:0:0:0:FFFF:102:304` becomes `::ffff:1.2.3.4`), or
 * `undefined` when `text` is not an IP literal.
 */
export function canonicalizeIp(text: string): string | undefined {
  const v = ipVersion(text);
  if (v === 4) return text;
  if (v === 6) {
    const zone = text.indexOf('%');
    return formatV6(parseV6(zone < 0 ? text : text.slice(0, zone)));
  }
  return undefined;
}

/**
 * The text of an iPAddress subjectAltName (RFC 5280 section 4.2.1.6: 4 or 16 octets) for
 * {@link CertificateIdentity.ipAddresses}, or `undefined` for any other length.
 */
export function ipAddressFromBytes(bytes: Uint8Array): string | undefined {
  if (bytes.length === 4) return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
  if (bytes.length === 16) return formatV6(bytes);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// subjectAltName text, for messages

/** Node's test for an alt name it can print without quoting (src/crypto/crypto_common.cc). */
function isSafeAltName(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x22 || c === 0x5c || c === 0x2c || c === 0x27 || c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

/** `PREFIX:name`, or Node's JSON-quoted form for a name with commas, quotes or non-ASCII. */
function printAltName(prefix: string, name: string): string {
  if (isSafeAltName(name)) return `${prefix}:${name}`;
  let s = `"${prefix}:`;
  const hex = (c: number): string => `\\u00${c.toString(16).padStart(2, '0')}`;
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c === 0x22 || c === 0x5c) s += `\\${ch}`;
    else if (c >= 0x20 && c !== 0x2c && c <= 0x7e) s += ch;
    else if (c <= 0xff) s += hex(c);
    else for (const byte of new TextEncoder().encode(ch)) s += hex(byte);
  }
  return `${s}"`;
}

/** An iPAddress given as text, as Node's `subjectaltname` prints it (IPv6: eight upper-case words). */
function printIp(text: string): string {
  const v = ipVersion(text);
  if (v === 0) return `IP Address:${text}`;
  const zone = text.indexOf('%');
  const bytes = v === 4 ? new Uint8Array(parseV4(text)) : parseV6(zone < 0 ? text : text.slice(0, zone));
  return printEntry({ type: 'ip', bytes });
}

/**
 * `identity`'s subjectAltName in the form of Node's `cert.subjectaltname`
 * (`DNS:a.example, DNS:b.example, IP Address:1.2.3.4, IP Address:0:0:0:0:0:0:0:1`): dNSNames
 * first, then iPAddresses; a name with a comma, quote or non-printable character is quoted
 * and escaped as Node does. Empty when there are none.
 */
export function formatSubjectAltName(identity: Pick<CertificateIdentity, 'dnsNames' | 'ipAddresses'>): string {
  return [...identity.dnsNames.map((n) => printAltName('DNS', n)), ...identity.ipAddresses.map(printIp)].join(', ');
}

/**
 * One subjectAltName entry, structurally (the certificate parser's GeneralName entries fit):
 * `dns`, `email`, `uri` carry `value` (IA5String octets as characters), `ip` carries `bytes`,
 * `dn` may carry `name.text`, `other` may carry its context `tag`.
 */
export interface AltNameLike {
  readonly type: string;
  readonly value?: string;
  readonly bytes?: Uint8Array;
  readonly name?: { readonly text?: string };
  readonly tag?: number;
}

const OTHER_ALT_NAMES: Readonly<Record<number, string>> = {
  0xa0: 'othername:<unsupported>',
  0xa3: 'X400Name:<unsupported>',
  0xa5: 'EdiPartyName:<unsupported>',
  0x88: 'Registered ID:<unsupported>',
};

/** One entry as Node's `subjectaltname` prints it. */
function printEntry(n: AltNameLike): string {
  switch (n.type) {
    case 'dns':
      return printAltName('DNS', n.value ?? '');
    case 'email':
      return printAltName('email', n.value ?? '');
    case 'uri':
      return printAltName('URI', n.value ?? '');
    case 'ip': {
      const b = n.bytes ?? new Uint8Array(0);
      if (b.length === 4) return `IP Address:${b.join('.')}`;
      if (b.length !== 16) return `IP Address:<invalid length=${b.length}>`;
      const words: string[] = [];
      for (let i = 0; i < 16; i += 2) words.push(((b[i]! << 8) | b[i + 1]!).toString(16).toUpperCase());
      return `IP Address:${words.join(':')}`;
    }
    case 'dn':
      return `DirName:${n.name?.text ?? ''}`;
    default:
      return (n.tag !== undefined && OTHER_ALT_NAMES[n.tag]) || 'othername:<unsupported>';
  }
}

/**
 * Node's `cert.subjectaltname` text for a list of subjectAltName entries, in order. Exact for
 * dNSName, rfc822Name, URI and iPAddress (including Node's quoting of names with commas or
 * non-printable characters and `<invalid length=N>` for a bad iPAddress); directoryName,
 * otherName, registeredID and the rest are approximations (Node decodes their contents).
 */
export function formatAltNames(names: readonly AltNameLike[]): string {
  return names.map(printEntry).join(', ');
}

/**
 * The {@link CertificateIdentity} of a certificate from its subjectAltName entries (in order)
 * and its subject commonNames: dNSNames, iPAddresses in canonical text, and Node's
 * `subjectaltname` text for messages.
 *
 * @example
 * checkHostname(serverName, identityFromAltNames(cert.subjectAltName?.names ?? [], cert.subject.commonNames));
 */
export function identityFromAltNames(names: readonly AltNameLike[], commonNames: readonly string[]): CertificateIdentity {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  for (const n of names) {
    if (n.type === 'dns') dnsNames.push(n.value ?? '');
    else if (n.type === 'ip') {
      const b = n.bytes ?? new Uint8Array(0);
      ipAddresses.push(ipAddressFromBytes(b) ?? `<invalid length=${b.length}>`);
    }
  }
  return { dnsNames, ipAddresses, commonNames, subjectAltName: formatAltNames(names) };
}

// ---------------------------------------------------------------------------------------------
// Matching

/** Removes one trailing dot. */
function unfqdn(host: string): string {
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** Labels, after one trailing dot is removed and ASCII A-Z lower-cased. */
function splitHost(host: string): string[] {
  return unfqdn(host)
    .replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32))
    .split('.');
}

/** Does the presented name `pattern` match the host's labels (RFC 6125 sections 6.4.1, 6.4.3)? */
function matchesPattern(hostParts: readonly string[], pattern: string): boolean {
  if (!pattern) return false;
  const patternParts = splitHost(pattern);
  if (hostParts.length !== patternParts.length) return false;
  if (patternParts.includes('')) return false;
  // U-labels cannot be normalised reliably, so like Node we refuse them, and blanks and controls.
  if (patternParts.some((p) => /[^\u0021-\u007F]/u.test(p))) return false;
  for (let i = hostParts.length - 1; i > 0; i--) if (hostParts[i] !== patternParts[i]) return false;
  const host0 = hostParts[0]!;
  const pattern0 = patternParts[0]!;
  const pieces = pattern0.split('*');
  // No wildcard, or a wildcard inside an A-label (RFC 6125 section 6.4.3 rule 3): literal.
  if (pieces.length === 1 || pattern0.includes('xn--')) return host0 === pattern0;
  if (pieces.length > 2) return false; // more than one '*'
  if (patternParts.length <= 2) return false; // '*.tld'
  const [prefix, suffix] = pieces as [string, string];
  return prefix.length + suffix.length <= host0.length && host0.startsWith(prefix) && host0.endsWith(suffix);
}

/**
 * Checks `hostname` against the names `identity` presents and returns the refusal, or
 * `undefined` when it matches. The error is Node's `ERR_TLS_CERT_ALTNAME_INVALID` with Node's
 * message (for example `Hostname/IP does not match certificate's altnames: Host: x.example. is
 * not in the cert's altnames: DNS:a.example`) and alert bad_certificate.
 *
 * @example
 * const err = checkHostname('www.example.com', { dnsNames: ['*.example.com'], ipAddresses: [], commonNames: [] });
 * // err === undefined
 */
export function checkHostname(hostname: string, identity: CertificateIdentity): CertificateNameError | undefined {
  const host = unfqdn(String(hostname));
  const dns = identity.dnsNames;
  if (ipVersion(host) !== 0) {
    const ips = identity.ipAddresses.map(canonicalizeIp);
    if (ips.includes(canonicalizeIp(host))) return undefined;
    // undefined entries print as empty strings, as in Node's ips.join(', ').
    return new CertificateNameError(`IP: ${host} is not in the cert's list: ${ips.join(', ')}`, host);
  }
  const cns = identity.commonNames;
  const cnPresent = cns.length > 1 || (cns.length === 1 && cns[0] !== '');
  if (dns.length === 0 && !cnPresent) return new CertificateNameError('Cert does not contain a DNS name', host);
  const hostParts = splitHost(host);
  if (dns.length > 0) {
    if (dns.some((p) => matchesPattern(hostParts, p))) return undefined;
    const alt = identity.subjectAltName ?? formatSubjectAltName(identity);
    return new CertificateNameError(`Host: ${host}. is not in the cert's altnames: ${alt}`, host);
  }
  if (cns.some((p) => matchesPattern(hostParts, p))) return undefined;
  return new CertificateNameError(`Host: ${host}. is not cert's CN: ${cns.join(',')}`, host);
}

/** True when `hostname` matches `identity` (see {@link checkHostname} for the rules). */
export function matchHostname(hostname: string, identity: CertificateIdentity): boolean {
  return checkHostname(hostname, identity) === undefined;
}
