/**
 * Certification path building (RFC 5280 section 6 leaves it open; RFC 4158 describes the
 * approach): from the leaf, through the untrusted certificates the peer sent (any order, with
 * extras, duplicates, loops and cross-signatures), to a trust anchor.
 *
 * What counts as an issuer, and as an anchor, is what OpenSSL 3.0 (and so Node 20) uses:
 *
 * - A candidate issuer of C has C's issuer name as subject (canonical comparison, name.ts), is
 *   consistent with C's authorityKeyIdentifier (keyIdentifier equal to the candidate's
 *   subjectKeyIdentifier when both exist; authorityCertIssuer and serial equal to the
 *   candidate's issuer and serial when present) and has a key of the family C's signature
 *   algorithm needs (OpenSSL's x509_likely_issued).
 * - A certificate is self-signed when it is a candidate issuer of itself (OpenSSL's
 *   X509_self_signed without the signature check). Path building stops at a self-signed
 *   certificate.
 * - A trust anchor is a trusted certificate (one in the store, or one the peer sent that is
 *   byte for byte in the store) that is self-signed. A certificate in `ca` that is not
 *   self-signed is trusted but is no anchor: the path must continue above it, through the store
 *   only, to a self-signed one. Node 20 does not set OpenSSL's X509_V_FLAG_PARTIAL_CHAIN (its
 *   `allowPartialTrustChain` option arrived in Node 22), so neither does rxtls: an intermediate
 *   alone in `ca` fails with UNABLE_TO_GET_ISSUER_CERT.
 *
 * Candidates are tried in OpenSSL's order: trusted issuers before untrusted ones (OpenSSL's
 * default X509_V_FLAG_TRUSTED_FIRST), and among each, the first one valid at the time, then the
 * others by latest notAfter. The first path this greedy choice gives is the one OpenSSL would
 * build, and is the one whose errors are reported when no path validates. The search then
 * goes on, depth first, through every other candidate whose signature over the certificate
 * below verifies, within bounds on depth, paths and signature checks.
 */
import { parseCertificate, type ParsedCertificate } from './certificate.js';
import { distinguishedName, sameName, type DistinguishedName } from './name.js';
import { encodeTlv, readChildren, readTlv } from './tlv.js';
import { keyFamily, signatureAlgorithmInfo } from './signature.js';

/** A set of trusted certificates. */
export interface TrustStore {
  /** The trusted certificates whose subject is `name` (canonical comparison), in the order given. */
  issuersNamed(name: DistinguishedName): readonly ParsedCertificate[];
  /** The trusted certificate with exactly these DER bytes, if any. */
  find(der: Uint8Array): ParsedCertificate | undefined;
  /**
   * True for certificates exempt from the RFC 5280 profile checks (validate.ts, `strict`): the
   * built-in roots, curated by Mozilla, two of which predate parts of the profile.
   */
  isExempt(cert: ParsedCertificate): boolean;
}

/** The canonical key of a name for lookups. */
function nameKey(name: DistinguishedName): string {
  return name.rdns.join('\u0000');
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** A trust store of parsed certificates (duplicates dropped); `exempt` marks built-in roots. */
export function trustStore(certificates: readonly ParsedCertificate[], exempt = false): TrustStore {
  const bySubject = new Map<string, ParsedCertificate[]>();
  const byDer = new Map<string, ParsedCertificate>();
  for (const c of certificates) {
    const k = hex(c.der);
    if (byDer.has(k)) continue;
    byDer.set(k, c);
    const key = nameKey(c.subject);
    const list = bySubject.get(key) ?? [];
    list.push(c);
    bySubject.set(key, list);
  }
  const members = new Set(byDer.values());
  return {
    issuersNamed: (name) => bySubject.get(nameKey(name)) ?? [],
    find: (der) => byDer.get(hex(der)),
    isExempt: (c) => exempt && members.has(c),
  };
}

/**
 * A trust store of DER certificates that are parsed only when a path needs them: only each
 * subject is decoded up front (a full parse of Node's 144 roots takes about half a second).
 * Certificates that do not parse are left out.
 */
export function lazyTrustStore(ders: readonly Uint8Array[], exempt = false): TrustStore {
  const bySubject = new Map<string, Uint8Array[]>();
  const byDer = new Map<string, Uint8Array>();
  for (const der of ders) {
    const k = hex(der);
    if (byDer.has(k)) continue;
    const subject = subjectOf(der);
    if (subject === undefined) continue;
    byDer.set(k, der);
    const key = nameKey(subject);
    const list = bySubject.get(key) ?? [];
    list.push(der);
    bySubject.set(key, list);
  }
  const parsed = new Map<string, ParsedCertificate | null>();
  const members = new Set<ParsedCertificate>();
  const get = (der: Uint8Array): ParsedCertificate | undefined => {
    const k = hex(der);
    let c = parsed.get(k);
    if (c === undefined) {
      try {
        c = parseCertificate(der);
        members.add(c);
      } catch {
        c = null;
      }
      parsed.set(k, c);
    }
    return c ?? undefined;
  };
  return {
    issuersNamed: (name) => (bySubject.get(nameKey(name)) ?? []).flatMap((d) => get(d) ?? []),
    find: (der) => {
      const d = byDer.get(hex(der));
      return d === undefined ? undefined : get(d);
    },
    isExempt: (c) => exempt && members.has(c),
  };
}

/** The subject of a DER certificate, decoded alone (RFC 5280 section 4.1: the sixth field of tbsCertificate, counting an explicit version). */
function subjectOf(der: Uint8Array): DistinguishedName | undefined {
  try {
    const tbs = readChildren(readTlv(der).content)[0]!;
    const fields = readChildren(tbs.content);
    const at = fields[0]!.tag === 0xa0 ? 1 : 0;
    const subject = fields[at + 4]!;
    return distinguishedName(encodeTlv(subject.tag, subject.content));
  } catch {
    return undefined;
  }
}

/** True when `issuer` could have issued `cert` (OpenSSL's ossl_x509_likely_issued, without the signature). */
export function likelyIssued(cert: ParsedCertificate, issuer: ParsedCertificate): boolean {
  if (!sameName(cert.issuer, issuer.subject)) return false;
  const aki = cert.authorityKeyId;
  if (aki) {
    // X509_check_akid (RFC 5280 section 4.2.1.1).
    if (aki.keyIdentifier && issuer.subjectKeyId && hex(aki.keyIdentifier) !== hex(issuer.subjectKeyId.value)) return false;
    if (aki.serial && hex(stripInteger(aki.serial)) !== hex(stripInteger(issuer.serial))) return false;
    const dirName = aki.issuerNames[0];
    if (dirName && !sameName(dirName, issuer.issuer)) return false;
  }
  return signatureAlgorithmInfo(cert.signatureAlgorithm).family === keyFamily(issuer.publicKeyAlgorithm);
}

/** INTEGER content without redundant leading zero octets, for comparison. */
function stripInteger(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0 && (b[i + 1]! & 0x80) === 0) i++;
  return b.subarray(i);
}

/** True when `cert` is self-issued (subject and issuer are the same name: RFC 5280 section 6.1). */
export function selfIssued(cert: ParsedCertificate): boolean {
  return sameName(cert.subject, cert.issuer);
}

/** True when `cert` is self-signed in OpenSSL's sense (a likely issuer of itself). */
export function selfSigned(cert: ParsedCertificate): boolean {
  return likelyIssued(cert, cert);
}

/** A path from the leaf upwards, and how it ends. */
export interface CandidatePath {
  /** Leaf first; each certificate is followed by its issuer. */
  readonly certs: readonly ParsedCertificate[];
  /** Per certificate: trusted (from the store). Once true, true for all above. */
  readonly trusted: readonly boolean[];
  /** True when the top certificate is a trust anchor (trusted and self-signed). */
  readonly anchored: boolean;
  /** True when the search stopped here because of the depth bound, not for lack of issuers. */
  readonly tooLong: boolean;
}

/** Bounds on path building. */
export interface PathLimits {
  /** Most certificates in one path, leaf and anchor included (default 10). */
  readonly maxLength: number;
  /** Most complete paths examined (default 64). */
  readonly maxPaths: number;
  /** Most signature verifications during the search (default 128). */
  readonly maxSignatures: number;
}

/** The default bounds: far above real chains (3 or 4 certificates), far below what hurts. */
export const DEFAULT_LIMITS: PathLimits = { maxLength: 10, maxPaths: 64, maxSignatures: 128 };

/** Orders candidates as OpenSSL does: valid at `now` first (given order), then latest notAfter first. */
function preferred(candidates: readonly ParsedCertificate[], now: number): ParsedCertificate[] {
  const valid = candidates.filter((c) => c.notBefore.getTime() <= now && now <= c.notAfter.getTime());
  const others = candidates.filter((c) => !valid.includes(c)).sort((a, b) => b.notAfter.getTime() - a.notAfter.getTime());
  return [...valid, ...others];
}

/** Everything the search needs. */
export interface PathSearch {
  readonly leaf: ParsedCertificate;
  /** The certificates the peer sent after its leaf. */
  readonly intermediates: readonly ParsedCertificate[];
  readonly store: TrustStore;
  readonly now: number;
  readonly limits: PathLimits;
  /**
   * True when `issuer`'s key made `cert`'s signature; the search uses it to leave dead
   * branches early, and counts its calls against `maxSignatures`.
   */
  readonly signedBy: (cert: ParsedCertificate, issuer: ParsedCertificate) => boolean;
}

/**
 * Candidate paths for `s.leaf`, best first. The first path is always OpenSSL's greedy one
 * (complete or not); the rest are complete paths (ending at an anchor) whose every signature
 * verifies. The caller validates each and stops at the first that passes.
 */
export function* candidatePaths(s: PathSearch): Generator<CandidatePath, void, undefined> {
  const { store, now, limits } = s;
  // A peer certificate that is byte for byte in the store is the trusted one.
  const asTrusted = (c: ParsedCertificate) => store.find(c.der);
  const leafTrusted = asTrusted(s.leaf);
  const seen = new Set<string>([hex(s.leaf.der)]);
  const untrusted = s.intermediates.filter((c) => {
    const k = hex(c.der);
    if (asTrusted(c) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });

  /** Issuer candidates of the top of a path, in preference order. */
  const issuersOf = (top: ParsedCertificate, inTrusted: boolean): { cert: ParsedCertificate; trusted: boolean }[] => {
    const t = preferred(store.issuersNamed(top.issuer).filter((c) => likelyIssued(top, c)), now);
    const out = t.map((cert) => ({ cert, trusted: true }));
    // Once a trusted certificate is on the path, OpenSSL no longer looks at the peer's ones.
    if (!inTrusted) out.push(...preferred(untrusted.filter((c) => likelyIssued(top, c)), now).map((cert) => ({ cert, trusted: false })));
    return out;
  };

  const start = leafTrusted ?? s.leaf;
  const path: ParsedCertificate[] = [start];
  const trusted: boolean[] = [leafTrusted !== undefined];

  // 1. OpenSSL's greedy path.
  for (;;) {
    const top = path[path.length - 1]!;
    const inTrusted = trusted[trusted.length - 1]!;
    if (selfSigned(top)) break;
    if (path.length >= limits.maxLength) {
      yield { certs: [...path], trusted: [...trusted], anchored: false, tooLong: true };
      return;
    }
    const next = issuersOf(top, inTrusted).find((c) => !path.includes(c.cert));
    if (!next) break;
    path.push(next.cert);
    trusted.push(next.trusted);
  }
  const greedyTop = path[path.length - 1]!;
  const greedyAnchored = trusted[trusted.length - 1]! && selfSigned(greedyTop);
  yield { certs: [...path], trusted: [...trusted], anchored: greedyAnchored, tooLong: false };

  // 2. Every other complete path whose signatures verify, depth first.
  let paths = 1;
  let signatures = 0;
  const verified = new Map<ParsedCertificate, Map<ParsedCertificate, boolean>>();
  const signedBy = (cert: ParsedCertificate, issuer: ParsedCertificate): boolean => {
    let row = verified.get(cert);
    if (!row) verified.set(cert, (row = new Map()));
    let ok = row.get(issuer);
    if (ok === undefined) {
      if (signatures >= limits.maxSignatures) return false;
      signatures++;
      row.set(issuer, (ok = s.signedBy(cert, issuer)));
    }
    return ok;
  };
  const greedyKey = path.map((c) => hex(c.der)).join('/');
  const stack: ParsedCertificate[] = [start];
  const stackTrusted: boolean[] = [trusted[0]!];
  function* extend(): Generator<CandidatePath, void, undefined> {
    if (paths >= limits.maxPaths) return;
    const top = stack[stack.length - 1]!;
    const inTrusted = stackTrusted[stackTrusted.length - 1]!;
    if (selfSigned(top)) {
      if (inTrusted && stack.map((c) => hex(c.der)).join('/') !== greedyKey) {
        paths++;
        yield { certs: [...stack], trusted: [...stackTrusted], anchored: true, tooLong: false };
      }
      return;
    }
    if (stack.length >= limits.maxLength) return;
    for (const next of issuersOf(top, inTrusted)) {
      if (stack.includes(next.cert) || !signedBy(top, next.cert)) continue;
      stack.push(next.cert);
      stackTrusted.push(next.trusted);
      yield* extend();
      stack.pop();
      stackTrusted.pop();
      if (paths >= limits.maxPaths) return;
    }
  }
  yield* extend();
}
