/**
 * X.509 v3 certificates (RFC 5280 section 4) parsed into the plain model that path building
 * and validation work on. The ASN.1 is decoded by @peculiar/asn1-x509; this file decides what
 * each field means and refuses what is malformed.
 */
import { AsnConvert, BitString } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier, BasicConstraints, Certificate, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier, type Name,
} from '@peculiar/asn1-x509';
import { AlertDescription } from '../constants.js';
import { parseDer } from '../crypto/der.js';
import { TlsCertificateError } from '../errors.js';
import { decodeGeneralNames, decodeNameConstraints, ipText, type GeneralNameEntry, type NameConstraintsValue } from './general-name.js';
import { distinguishedName, type DistinguishedName } from './name.js';
import { DerError } from './tlv.js';

/** Extension object identifiers (RFC 5280 section 4.2.1, and Netscape's certificate type). */
export const ExtensionOid = {
  authorityKeyIdentifier: '2.5.29.35',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
  netscapeCertType: '2.16.840.1.113730.1.1',
} as const;

/**
 * The extensions a critical flag does not make unacceptable: the ones rxtls interprets, plus
 * the policy extensions, which OpenSSL (and so Node) also accepts when critical without
 * processing policies unless asked to (RFC 5280 section 6.1 with an initial policy set of
 * anyPolicy and no explicit policy required accepts every policy).
 */
const HANDLED = new Set<string>(Object.values(ExtensionOid).filter((o) => o !== ExtensionOid.authorityKeyIdentifier && o !== ExtensionOid.subjectKeyIdentifier));

/** keyUsage bits (RFC 5280 section 4.2.1.3), as numbered by @peculiar's KeyUsageFlags. */
export const KeyUsageBit = {
  digitalSignature: 0x1,
  nonRepudiation: 0x2,
  keyEncipherment: 0x4,
  dataEncipherment: 0x8,
  keyAgreement: 0x10,
  keyCertSign: 0x20,
  cRLSign: 0x40,
  encipherOnly: 0x80,
  decipherOnly: 0x100,
} as const;

/** extKeyUsage purposes (RFC 5280 section 4.2.1.12). */
export const KeyPurpose = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  anyExtendedKeyUsage: '2.5.29.37.0',
} as const;

/** An AlgorithmIdentifier (RFC 5280 section 4.1.1.2). */
export interface AlgorithmInfo {
  readonly oid: string;
  /** The DER parameters; undefined when absent, an ASN.1 NULL is `05 00`. */
  readonly parameters: Uint8Array | undefined;
  /** The whole DER AlgorithmIdentifier (for the section 4.1.1.2 equality check). */
  readonly der: Uint8Array;
}

/** One extension as it appears in the certificate. */
export interface ExtensionInfo {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

/** basicConstraints (RFC 5280 section 4.2.1.9). */
export interface BasicConstraintsInfo {
  readonly cA: boolean;
  /** pathLenConstraint, if present. */
  readonly pathLen: number | undefined;
  readonly critical: boolean;
}

/** subjectAltName (RFC 5280 section 4.2.1.6). */
export interface SubjectAltNameInfo {
  /** Every entry, in order. */
  readonly names: readonly GeneralNameEntry[];
  readonly dnsNames: readonly string[];
  /** iPAddress entries as text (dotted IPv4, eight-word IPv6; `<n bytes>` for a malformed length). Octets are in `names`. */
  readonly ipAddresses: readonly string[];
  readonly critical: boolean;
}

/** authorityKeyIdentifier (RFC 5280 section 4.2.1.1). */
export interface AuthorityKeyIdInfo {
  readonly keyIdentifier: Uint8Array | undefined;
  /** The directoryName entries of authorityCertIssuer. */
  readonly issuerNames: readonly DistinguishedName[];
  /** authorityCertSerialNumber (INTEGER content octets). */
  readonly serial: Uint8Array | undefined;
  readonly critical: boolean;
}

/** A parsed certificate. Every extension rxtls interprets has a field; the rest are in `extensions`. */
export interface ParsedCertificate {
  /** The certificate's DER. */
  readonly der: Uint8Array;
  /** The DER tbsCertificate: the signed bytes (RFC 5280 section 4.1.1.1). */
  readonly tbs: Uint8Array;
  /** 1, 2 or 3 (section 4.1.2.1). */
  readonly version: 1 | 2 | 3;
  /** The serialNumber INTEGER's content octets (section 4.1.2.2). */
  readonly serial: Uint8Array;
  /** signatureAlgorithm, outside the signed part (section 4.1.1.2). */
  readonly signatureAlgorithm: AlgorithmInfo;
  /** tbsCertificate.signature, which must equal signatureAlgorithm (section 4.1.2.3). */
  readonly tbsSignatureAlgorithm: AlgorithmInfo;
  /** The signature bits (section 4.1.1.3). */
  readonly signature: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly subject: DistinguishedName;
  /** Validity (section 4.1.2.5). */
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The DER SubjectPublicKeyInfo (section 4.1.2.7). */
  readonly spki: Uint8Array;
  /** The subject public key's algorithm OID. */
  readonly publicKeyAlgorithm: string;
  /** All extensions, in order (section 4.2). */
  readonly extensions: readonly ExtensionInfo[];
  readonly basicConstraints: BasicConstraintsInfo | undefined;
  /** keyUsage bits ({@link KeyUsageBit}); undefined when the extension is absent. */
  readonly keyUsage: number | undefined;
  /** extKeyUsage purposes; undefined when the extension is absent. */
  readonly extKeyUsage: readonly string[] | undefined;
  readonly subjectAltName: SubjectAltNameInfo | undefined;
  readonly nameConstraints: (NameConstraintsValue & { readonly critical: boolean }) | undefined;
  readonly authorityKeyId: AuthorityKeyIdInfo | undefined;
  readonly subjectKeyId: { readonly value: Uint8Array; readonly critical: boolean } | undefined;
  /** Netscape certificate type bits (first octet of the BIT STRING); undefined when absent. */
  readonly netscapeCertType: number | undefined;
  /** OIDs of critical extensions rxtls does not handle (section 4.2: such a certificate MUST be rejected). */
  readonly unknownCritical: readonly string[];
}

/** The TlsCertificateError for a certificate that does not parse. */
export function malformedCertificate(detail: string): TlsCertificateError {
  return new TlsCertificateError('CERT_MALFORMED', `tls: malformed certificate: ${detail}`, AlertDescription.bad_certificate);
}

function bytes(b: ArrayBuffer): Uint8Array {
  return new Uint8Array(b.slice(0));
}

function algorithm(a: { algorithm: string; parameters?: ArrayBuffer | null }): AlgorithmInfo {
  const parameters = a.parameters === null ? Uint8Array.of(0x05, 0x00) : a.parameters === undefined ? undefined : bytes(a.parameters);
  return { oid: a.algorithm, parameters, der: new Uint8Array(AsnConvert.serialize(a)) };
}

/** Decodes one extension value with `decode`, turning any failure into CERT_MALFORMED. */
function decodeExtension<T>(e: ExtensionInfo, what: string, decode: (value: Uint8Array) => T): T {
  try {
    return decode(e.value);
  } catch (err) {
    throw malformedCertificate(`${what} extension: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A Name decoded by @peculiar, as a {@link DistinguishedName}. */
function nameOf(name: Name, what: string): DistinguishedName {
  try {
    return distinguishedName(new Uint8Array(AsnConvert.serialize(name)));
  } catch (e) {
    throw malformedCertificate(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const asDer = (what: string) => (d: string) => new DerError(`${what}: ${d}`);

/**
 * Parses a DER certificate. Throws TlsCertificateError CERT_MALFORMED (alert bad_certificate)
 * when the DER or a known extension does not decode, an extension appears twice (section
 * 4.2), a version is out of range, or pathLenConstraint is negative.
 */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const cert = parseDer(der, Certificate, (d) => malformedCertificate(d));
  const tbs = cert.tbsCertificate;
  if (!cert.tbsCertificateRaw) throw malformedCertificate('no tbsCertificate');
  if (tbs.version < 0 || tbs.version > 2) throw malformedCertificate(`version ${tbs.version + 1}`);
  const extensions: ExtensionInfo[] = (tbs.extensions ?? []).map((e) => ({ oid: e.extnID, critical: e.critical, value: bytes(e.extnValue.buffer) }));
  const seen = new Set<string>();
  for (const e of extensions) {
    if (seen.has(e.oid)) throw malformedCertificate(`extension ${e.oid} appears twice`);
    seen.add(e.oid);
  }
  const find = (oid: string) => extensions.find((e) => e.oid === oid);

  let basicConstraints: BasicConstraintsInfo | undefined;
  const bcExt = find(ExtensionOid.basicConstraints);
  if (bcExt) {
    const bc = decodeExtension(bcExt, 'basicConstraints', (v) => parseDer(v, BasicConstraints, asDer('basicConstraints')));
    if (bc.pathLenConstraint !== undefined && bc.pathLenConstraint < 0) throw malformedCertificate('negative pathLenConstraint');
    basicConstraints = { cA: bc.cA, pathLen: bc.pathLenConstraint, critical: bcExt.critical };
  }
  const kuExt = find(ExtensionOid.keyUsage);
  const keyUsage = kuExt ? decodeExtension(kuExt, 'keyUsage', (v) => parseDer(v, KeyUsage, asDer('keyUsage')).toNumber()) : undefined;
  const ekuExt = find(ExtensionOid.extKeyUsage);
  const extKeyUsage = ekuExt ? decodeExtension(ekuExt, 'extKeyUsage', (v) => [...parseDer(v, ExtendedKeyUsage, asDer('extKeyUsage'))]) : undefined;

  let subjectAltName: SubjectAltNameInfo | undefined;
  const sanExt = find(ExtensionOid.subjectAltName);
  if (sanExt) {
    const names = decodeExtension(sanExt, 'subjectAltName', decodeGeneralNames);
    subjectAltName = {
      names,
      dnsNames: names.flatMap((n) => (n.type === 'dns' ? [n.value] : [])),
      ipAddresses: names.flatMap((n) => (n.type === 'ip' ? [ipText(n.bytes)] : [])),
      critical: sanExt.critical,
    };
  }
  const ncExt = find(ExtensionOid.nameConstraints);
  const nameConstraints = ncExt ? { ...decodeExtension(ncExt, 'nameConstraints', decodeNameConstraints), critical: ncExt.critical } : undefined;

  let authorityKeyId: AuthorityKeyIdInfo | undefined;
  const akiExt = find(ExtensionOid.authorityKeyIdentifier);
  if (akiExt) {
    const aki = decodeExtension(akiExt, 'authorityKeyIdentifier', (v) => parseDer(v, AuthorityKeyIdentifier, asDer('authorityKeyIdentifier')));
    authorityKeyId = {
      keyIdentifier: aki.keyIdentifier ? bytes(aki.keyIdentifier.buffer) : undefined,
      issuerNames: (aki.authorityCertIssuer ?? []).flatMap((g) => (g.directoryName ? [nameOf(g.directoryName, 'authorityCertIssuer')] : [])),
      serial: aki.authorityCertSerialNumber ? bytes(aki.authorityCertSerialNumber) : undefined,
      critical: akiExt.critical,
    };
  }
  const skiExt = find(ExtensionOid.subjectKeyIdentifier);
  const subjectKeyId = skiExt
    ? { value: decodeExtension(skiExt, 'subjectKeyIdentifier', (v) => bytes(parseDer(v, SubjectKeyIdentifier, asDer('subjectKeyIdentifier')).buffer)), critical: skiExt.critical }
    : undefined;
  const nsExt = find(ExtensionOid.netscapeCertType);
  const netscapeCertType = nsExt
    ? decodeExtension(nsExt, 'netscapeCertType', (v) => new Uint8Array(parseDer(v, BitString, asDer('netscapeCertType')).value)[0] ?? 0)
    : undefined;

  return {
    der: der.slice(),
    tbs: bytes(cert.tbsCertificateRaw),
    version: (tbs.version + 1) as 1 | 2 | 3,
    serial: bytes(tbs.serialNumber),
    signatureAlgorithm: algorithm(cert.signatureAlgorithm),
    tbsSignatureAlgorithm: algorithm(tbs.signature),
    signature: bytes(cert.signatureValue),
    issuer: nameOf(tbs.issuer, 'issuer'),
    subject: nameOf(tbs.subject, 'subject'),
    notBefore: tbs.validity.notBefore.getTime(),
    notAfter: tbs.validity.notAfter.getTime(),
    spki: new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo)),
    publicKeyAlgorithm: tbs.subjectPublicKeyInfo.algorithm.algorithm,
    extensions,
    basicConstraints,
    keyUsage,
    extKeyUsage,
    subjectAltName,
    nameConstraints,
    authorityKeyId,
    subjectKeyId,
    netscapeCertType,
    unknownCritical: extensions.filter((e) => e.critical && !HANDLED.has(e.oid)).map((e) => e.oid),
  };
}

/** A short description for messages: the subject, or the serial when the subject is empty. */
export function describeCertificate(c: ParsedCertificate): string {
  return c.subject.text !== '' ? c.subject.text : `serial ${[...c.serial].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}
