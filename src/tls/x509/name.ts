/**
 * Distinguished names (RFC 5280 section 4.1.2.4): a readable form, and the canonical form names
 * are compared in. Two names are the same when their canonical forms are equal (RFC 5280
 * section 7.1 and OpenSSL's X509_NAME_cmp, which Node uses): string values are compared after
 * conversion to Unicode, removal of leading and trailing spaces, collapsing of inner runs of
 * spaces and lower-casing of ASCII letters; the string type (PrintableString or UTF8String)
 * does not matter. Issuer-to-subject chaining (section 6.1.3 (a)(4)) and directoryName
 * constraints (section 4.2.1.10) both use this form.
 */
import { toHex } from '../codec/bytes.js';
import { DerError, readChildren, readTlv } from './tlv.js';

/** A parsed distinguished name. */
export interface DistinguishedName {
  /** The DER Name. */
  readonly der: Uint8Array;
  /** A readable form, RDNs in certificate order: `CN=example.com, O=Example`. */
  readonly text: string;
  /** The canonical form of each RDN, in order; names compare equal when these are equal. */
  readonly rdns: readonly string[];
  /** Every attribute in order: short type name (`CN`, `O`, ...) or dotted OID, and its string value. */
  readonly attributes: readonly { readonly type: string; readonly value: string }[];
  /** The commonName values (2.5.4.3), in order. */
  readonly commonNames: readonly string[];
  /** The PKCS#9 emailAddress values; `ia5` is false when one is not an IA5String. */
  readonly emailAddresses: readonly { readonly value: string; readonly ia5: boolean }[];
}

/** Short names of the attribute types people read (RFC 4514 section 3, plus emailAddress). */
const SHORT: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

const COMMON_NAME = '2.5.4.3';
const EMAIL_ADDRESS = '1.2.840.113549.1.9.1';

const SEQUENCE = 0x30;
const SET = 0x31;
const OBJECT_IDENTIFIER = 0x06;
const IA5_STRING = 0x16;

/** The dotted form of an OBJECT IDENTIFIER's content (X.690 section 8.19). */
function oidText(b: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    if (v === 0 && b[i] === 0x80) throw new DerError('non-minimal OID arc');
    v = v * 128 + (b[i]! & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if ((b[i]! & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    } else if (i === b.length - 1) throw new DerError('truncated OID');
  }
  if (arcs.length === 0) throw new DerError('empty OID');
  return arcs.join('.');
}

/** Bytes as one character each (ISO 8859-1). */
function latin1(b: Uint8Array): string {
  let s = '';
  for (const c of b) s += String.fromCharCode(c);
  return s;
}

/** The text of a string-typed attribute value (X.680 section 41), or undefined for other types. */
function stringValue(tag: number, b: Uint8Array): string | undefined {
  switch (tag) {
    case 0x0c: // UTF8String
      return new TextDecoder('utf-8', { fatal: false }).decode(b);
    case 0x12: // NumericString
    case 0x13: // PrintableString
    case 0x14: // TeletexString (T61), read as ISO 8859-1 as OpenSSL does
    case 0x16: // IA5String
    case 0x1a: // VisibleString
      return latin1(b);
    case 0x1e: {
      // BMPString: UTF-16BE
      let s = '';
      for (let i = 0; i + 1 < b.length; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
      return s;
    }
    case 0x1c: {
      // UniversalString: UTF-32BE
      let s = '';
      for (let i = 0; i + 3 < b.length; i += 4) s += String.fromCodePoint(((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0);
      return s;
    }
    default:
      return undefined;
  }
}

/** OpenSSL's canonical string: trimmed, inner spaces collapsed, ASCII lower-cased. */
function canonicalString(s: string): string {
  return s
    .replace(/^[ \t\n\r\f\v]+|[ \t\n\r\f\v]+$/g, '')
    .replace(/[ \t\n\r\f\v]+/g, ' ')
    .replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Readable escaping of a value (RFC 4514 section 2.4, the characters that matter for reading). */
function escape(s: string): string {
  return s.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`);
}

/**
 * Parses a DER Name (RFC 5280 section 4.1.2.4: a SEQUENCE of RDNs, each a SET of
 * type-and-value pairs). Throws DerError when it is not one. Decoded directly rather than
 * through @peculiar/asn1-x509, which is about a hundred times slower at it, and names are
 * decoded for every root of the default trust store.
 */
export function distinguishedName(der: Uint8Array): DistinguishedName {
  const seq = readTlv(der);
  if (seq.tag !== SEQUENCE) throw new DerError('Name is not a SEQUENCE');
  const rdns: string[] = [];
  const text: string[] = [];
  const commonNames: string[] = [];
  const emailAddresses: { value: string; ia5: boolean }[] = [];
  const attributes: { type: string; value: string }[] = [];
  for (const rdn of readChildren(seq.content)) {
    if (rdn.tag !== SET) throw new DerError('RDN is not a SET');
    const atvs = readChildren(rdn.content);
    if (atvs.length === 0) throw new DerError('empty RDN');
    const parts: string[] = [];
    const readable: string[] = [];
    for (const atv of atvs) {
      if (atv.tag !== SEQUENCE) throw new DerError('AttributeTypeAndValue is not a SEQUENCE');
      const fields = readChildren(atv.content);
      if (fields.length !== 2 || fields[0]!.tag !== OBJECT_IDENTIFIER) throw new DerError('malformed AttributeTypeAndValue');
      const type = oidText(fields[0]!.content);
      const value = fields[1]!;
      const s = stringValue(value.tag, value.content);
      const canon = s === undefined ? `#${value.tag.toString(16)}${toHex(value.content)}` : canonicalString(s);
      parts.push(`${type}=${JSON.stringify(canon)}`);
      readable.push(`${SHORT[type] ?? type}=${s === undefined ? canon : escape(s)}`);
      attributes.push({ type: SHORT[type] ?? type, value: s ?? canon });
      if (type === COMMON_NAME && s !== undefined) commonNames.push(s);
      if (type === EMAIL_ADDRESS) emailAddresses.push({ value: s ?? '', ia5: value.tag === IA5_STRING });
    }
    // A multi-valued RDN is a SET: its order carries no meaning.
    rdns.push(parts.sort().join('+'));
    text.push(readable.join(' + '));
  }
  return { der: der.slice(), text: text.join(', '), rdns, attributes, commonNames, emailAddresses };
}

/** True when `a` and `b` are the same name (RFC 5280 section 7.1, canonical comparison). */
export function sameName(a: DistinguishedName, b: DistinguishedName): boolean {
  return a.rdns.length === b.rdns.length && a.rdns.every((r, i) => r === b.rdns[i]);
}

/**
 * True when `name` lies within the subtree `base`: base's RDNs are the first RDNs of `name`
 * (RFC 5280 section 4.2.1.10, directoryName constraints).
 */
export function nameWithin(name: DistinguishedName, base: DistinguishedName): boolean {
  return base.rdns.length <= name.rdns.length && base.rdns.every((r, i) => r === name.rdns[i]);
}
