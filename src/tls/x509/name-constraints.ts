/**
 * Name constraints (RFC 5280 section 4.2.1.10, applied as in section 6.1.3 (b) and (c)) with
 * the matching rules of OpenSSL's NAME_CONSTRAINTS_check, which Node uses:
 *
 * - The subject DN is checked against directoryName subtrees (base RDNs must be a prefix), and
 *   each PKCS#9 emailAddress in it against rfc822Name subtrees.
 * - Each subjectAltName entry is checked against the subtrees of its own type: when permitted
 *   subtrees of that type exist, one must contain the name; no excluded subtree of that type
 *   may contain it. Types without subtrees are unconstrained.
 * - dNSName: the base matches itself and names with labels added on the left (`example.com`
 *   contains `www.example.com`, not `wwwexample.com`); a base starting with `.` matches only
 *   names with added labels; an empty base matches everything; case-insensitive.
 * - iPAddress: base is address and mask (8 or 16+16 octets); IPv4 never matches IPv6.
 * - rfc822Name and URI: as OpenSSL (host part, `.domain` for subdomains, local part exact).
 * - For the leaf, when it has no dNSName, each commonName that looks like a host name is
 *   checked as a dNSName too.
 */
import type { ParsedCertificate } from './certificate.js';
import { ipText, type GeneralNameEntry, type NameConstraintsValue, type Subtree } from './general-name.js';
import { nameWithin } from './name.js';
import type { VerifyCode } from './verify-error.js';

/** The result of one check: undefined when the name is acceptable. */
type Verdict = VerifyCode | undefined;

/** Guard against quadratic work (OpenSSL's NAME_CHECK_MAX is 2^20; names times subtrees). */
const MAX_CHECKS = 1 << 16;

const lower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

/** OpenSSL's nc_dns. */
function dnsWithin(name: string, base: string): boolean {
  if (base.length === 0) return true;
  if (name.length < base.length) return false;
  if (name.length > base.length) {
    const at = name.length - base.length;
    if (base[0] !== '.' && name[at - 1] !== '.') return false;
    return lower(name.slice(at)) === lower(base);
  }
  return lower(name) === lower(base);
}

/** OpenSSL's nc_email: undefined (inside), PERMITTED_VIOLATION (outside) or a syntax error. */
function emailWithin(email: string, base: string): Verdict {
  const emlAt = email.lastIndexOf('@');
  if (emlAt < 0) return 'UNSUPPORTED_NAME_SYNTAX';
  const baseAt = base.lastIndexOf('@');
  // A leading '.' matches any host within the domain.
  if (baseAt < 0 && base.startsWith('.')) {
    return email.length > base.length && lower(email.slice(email.length - base.length)) === lower(base) ? undefined : 'PERMITTED_VIOLATION';
  }
  let baseHost = base;
  if (baseAt >= 0) {
    // A local part in the base must match exactly (case-sensitive).
    if (baseAt > 0 && base.slice(0, baseAt) !== email.slice(0, emlAt)) return 'PERMITTED_VIOLATION';
    baseHost = base.slice(baseAt + 1);
  }
  return lower(baseHost) === lower(email.slice(emlAt + 1)) ? undefined : 'PERMITTED_VIOLATION';
}

/** OpenSSL's nc_uri. */
function uriWithin(uri: string, base: string): Verdict {
  const colon = uri.indexOf(':');
  if (colon < 0 || uri.length - colon < 3 || uri[colon + 1] !== '/' || uri[colon + 2] !== '/') return 'UNSUPPORTED_NAME_SYNTAX';
  const rest = uri.slice(colon + 3);
  let end = rest.indexOf(':');
  if (end < 0) end = rest.indexOf('/');
  const host = end < 0 ? rest : rest.slice(0, end);
  if (host.length === 0) return 'UNSUPPORTED_NAME_SYNTAX';
  if (base.startsWith('.')) {
    return host.length > base.length && lower(host.slice(host.length - base.length)) === lower(base) ? undefined : 'PERMITTED_VIOLATION';
  }
  return lower(host) === lower(base) ? undefined : 'PERMITTED_VIOLATION';
}

/** OpenSSL's nc_ip. */
function ipWithin(ip: Uint8Array, base: Uint8Array): Verdict {
  if (ip.length !== 4 && ip.length !== 16) return 'UNSUPPORTED_NAME_SYNTAX';
  if (base.length !== 8 && base.length !== 32) return 'UNSUPPORTED_NAME_SYNTAX';
  if (ip.length * 2 !== base.length) return 'PERMITTED_VIOLATION';
  for (let i = 0; i < ip.length; i++) {
    const mask = base[ip.length + i]!;
    if ((ip[i]! & mask) !== (base[i]! & mask)) return 'PERMITTED_VIOLATION';
  }
  return undefined;
}

/** One name against one subtree base of the same type (OpenSSL's nc_match_single). */
function within(name: GeneralNameEntry, base: GeneralNameEntry): Verdict {
  if (name.type === 'dns' && base.type === 'dns') return dnsWithin(name.value, base.value) ? undefined : 'PERMITTED_VIOLATION';
  if (name.type === 'email' && base.type === 'email') return emailWithin(name.value, base.value);
  if (name.type === 'uri' && base.type === 'uri') return uriWithin(name.value, base.value);
  if (name.type === 'ip' && base.type === 'ip') return ipWithin(name.bytes, base.bytes);
  if (name.type === 'dn' && base.type === 'dn') return nameWithin(name.name, base.name) ? undefined : 'PERMITTED_VIOLATION';
  return 'UNSUPPORTED_CONSTRAINT_TYPE';
}

/** A key for "same GeneralName type" (other names by their tag). */
function kind(n: GeneralNameEntry): string {
  return n.type === 'other' ? `other:${n.tag}` : n.type;
}

/** One name against a nameConstraints extension (OpenSSL's nc_match). */
function checkName(name: GeneralNameEntry, nc: NameConstraintsValue): Verdict {
  const k = kind(name);
  const same = (s: Subtree) => kind(s.base) === k;
  let constrained = false;
  let matched = false;
  for (const s of nc.permitted.filter(same)) {
    if (!s.minMaxValid) return 'SUBTREE_MINMAX';
    if (matched) continue;
    constrained = true;
    const r = within(name, s.base);
    if (r === undefined) matched = true;
    else if (r !== 'PERMITTED_VIOLATION') return r;
  }
  if (constrained && !matched) return 'PERMITTED_VIOLATION';
  for (const s of nc.excluded.filter(same)) {
    if (!s.minMaxValid) return 'SUBTREE_MINMAX';
    const r = within(name, s.base);
    if (r === undefined) return 'EXCLUDED_VIOLATION';
    if (r !== 'PERMITTED_VIOLATION') return r;
  }
  return undefined;
}

/**
 * OpenSSL's cn2dnsid: a commonName is treated as a host name when it has at least two labels
 * of letters, digits, `_` and inner `-`, with one optional trailing dot.
 */
function commonNameAsDns(cn: string): string | undefined {
  const s = cn.endsWith('.') ? cn.slice(0, -1) : cn;
  if (s.length === 0) return undefined;
  let dotted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (/[A-Za-z0-9_]/.test(c)) continue;
    if (i > 0 && i < s.length - 1) {
      if (c === '-') continue;
      if (c === '.' && s[i + 1] !== '.' && s[i - 1] !== '-' && s[i + 1] !== '-') {
        dotted = true;
        continue;
      }
    }
    return undefined;
  }
  return dotted ? s : undefined;
}

/**
 * Checks `cert`'s names against the constraints `nc` of a certificate above it. `isLeaf` adds
 * the commonName check for a leaf without dNSNames. Returns the error code, or undefined.
 */
export function checkNameConstraints(cert: ParsedCertificate, nc: NameConstraintsValue, isLeaf: boolean): { code: VerifyCode; name: string } | undefined {
  const san = cert.subjectAltName?.names ?? [];
  const subject = cert.subject;
  if ((subject.rdns.length + san.length) * (nc.permitted.length + nc.excluded.length) > MAX_CHECKS) {
    return { code: 'UNSPECIFIED', name: 'too many names and constraints to check' };
  }
  const describe = (n: GeneralNameEntry): string =>
    n.type === 'dn' ? `DirName:${n.name.text}` : n.type === 'ip' ? `IP:${ipText(n.bytes)}` : n.type === 'other' ? `tag ${n.tag}` : `${n.type}:${n.value}`;
  const names: GeneralNameEntry[] = [];
  if (subject.rdns.length > 0) {
    names.push({ type: 'dn', name: subject });
    for (const e of subject.emailAddresses) {
      if (!e.ia5) return { code: 'UNSUPPORTED_NAME_SYNTAX', name: `emailAddress ${e.value}` };
      names.push({ type: 'email', value: e.value });
    }
  }
  names.push(...san);
  for (const n of names) {
    const code = checkName(n, nc);
    if (code) return { code, name: describe(n) };
  }
  if (isLeaf && !san.some((n) => n.type === 'dns')) {
    for (const cn of subject.commonNames) {
      const dns = commonNameAsDns(cn);
      if (dns === undefined) continue;
      const code = checkName({ type: 'dns', value: dns }, nc);
      if (code) return { code, name: `CN:${cn}` };
    }
  }
  return undefined;
}
