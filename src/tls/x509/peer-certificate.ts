/**
 * A certificate in the shape of Node's `tls.PeerCertificate`, so that a `checkServerIdentity`
 * written for node:tls (including `tls.checkServerIdentity` itself) works unchanged with rxtls.
 * Only the fields such functions read are filled in.
 */
import { formatSubjectAltName, ipAddressFromBytes } from './hostname.js';
import type { ParsedCertificate } from './certificate.js';
import type { DistinguishedName } from './name.js';

/**
 * Name attributes by short name, as Node gives them; a repeated attribute becomes an array.
 * Other attributes (`emailAddress`, `DC`, dotted OIDs) are present too, under their names.
 */
export interface CertificateNames {
  readonly C?: string | string[];
  readonly ST?: string | string[];
  readonly L?: string | string[];
  readonly O?: string | string[];
  readonly OU?: string | string[];
  readonly CN?: string | string[];
}

/**
 * The fields of Node's `PeerCertificate` rxtls provides. Node's own type is assignable to this
 * one, so functions written for node:tls type-check with rxtls.
 */
export interface PeerCertificate {
  /** Subject attributes by short name (`CN`, `O`, ...). */
  readonly subject: CertificateNames;
  /** Issuer attributes, likewise. */
  readonly issuer: CertificateNames;
  /** `DNS:a.example, IP Address:1.2.3.4`, as Node prints it; absent without a subjectAltName. */
  readonly subjectaltname?: string;
  /** The certificate's DER. */
  readonly raw: Uint8Array;
  /** notBefore and notAfter in Node's format (`Jan  1 00:00:00 2025 GMT`). */
  readonly valid_from: string;
  readonly valid_to: string;
  /** The serial number in upper-case hex. */
  readonly serialNumber: string;
}

function attributes(name: DistinguishedName): CertificateNames {
  const out: Record<string, string | string[]> = {};
  for (const { type, value } of name.attributes) {
    const had = out[type];
    out[type] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** OpenSSL's ASN1_TIME_print format, which Node uses for valid_from/valid_to. */
function opensslTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()} GMT`;
}

/** The Node-shaped view of a parsed certificate. */
export function peerCertificate(c: ParsedCertificate): PeerCertificate {
  const san = c.subjectAltName;
  return {
    subject: attributes(c.subject),
    issuer: attributes(c.issuer),
    subjectaltname: san
      ? formatSubjectAltName({
          dnsNames: san.dnsNames,
          ipAddresses: san.names.flatMap((n) => (n.type === 'ip' ? [ipAddressFromBytes(n.bytes) ?? ''] : [])),
        })
      : undefined,
    raw: c.der,
    valid_from: opensslTime(c.notBefore),
    valid_to: opensslTime(c.notAfter),
    serialNumber: Buffer.from(c.serial).toString('hex').toUpperCase(),
  };
}
