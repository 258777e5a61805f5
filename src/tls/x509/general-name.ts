/**
 * GeneralName (RFC 5280 section 4.2.1.6) and the two extensions built of them that path
 * validation reads octet by octet: subjectAltName and nameConstraints (section 4.2.1.10).
 * Decoded from DER with the small reader in tlv.ts so that iPAddress octets stay exact.
 */
import { distinguishedName, type DistinguishedName } from './name.js';
import { DerError, readChildren, readTlv, type Tlv } from './tlv.js';

/** One GeneralName. Types path validation does not interpret are kept as `other` with their tag. */
export type GeneralNameEntry =
  | { readonly type: 'dns'; readonly value: string }
  | { readonly type: 'email'; readonly value: string }
  | { readonly type: 'uri'; readonly value: string }
  | { readonly type: 'ip'; readonly bytes: Uint8Array }
  | { readonly type: 'dn'; readonly name: DistinguishedName }
  | { readonly type: 'other'; readonly tag: number };

/** The context tags of the GeneralName CHOICE (RFC 5280 section 4.2.1.6). */
const TAG = {
  otherName: 0xa0,
  rfc822Name: 0x81,
  dNSName: 0x82,
  x400Address: 0xa3,
  directoryName: 0xa4,
  ediPartyName: 0xa5,
  uniformResourceIdentifier: 0x86,
  iPAddress: 0x87,
  registeredID: 0x88,
} as const;

const SEQUENCE = 0x30;

/** IA5String octets as text, one character per octet (non-ASCII octets survive for the checks that refuse them). */
function ia5(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** One GeneralName from its element. Throws DerError for a malformed one. */
export function decodeGeneralName(t: Tlv): GeneralNameEntry {
  switch (t.tag) {
    case TAG.dNSName:
      return { type: 'dns', value: ia5(t.content) };
    case TAG.rfc822Name:
      return { type: 'email', value: ia5(t.content) };
    case TAG.uniformResourceIdentifier:
      return { type: 'uri', value: ia5(t.content) };
    case TAG.iPAddress:
      return { type: 'ip', bytes: t.content.slice() };
    case TAG.directoryName: {
      // [4] is EXPLICIT (Name is a CHOICE): the content is one DER Name.
      return { type: 'dn', name: distinguishedName(t.content) };
    }
    case TAG.otherName:
    case TAG.x400Address:
    case TAG.ediPartyName:
    case TAG.registeredID:
      return { type: 'other', tag: t.tag };
    default:
      throw new DerError(`unknown GeneralName tag 0x${t.tag.toString(16)}`);
  }
}

/** A DER GeneralNames (SEQUENCE OF GeneralName); an empty sequence gives an empty list. */
export function decodeGeneralNames(der: Uint8Array): GeneralNameEntry[] {
  const seq = readTlv(der);
  if (seq.tag !== SEQUENCE) throw new DerError('GeneralNames is not a SEQUENCE');
  return readChildren(seq.content).map(decodeGeneralName);
}

/** One GeneralSubtree: its base, and whether minimum/maximum are the only form RFC 5280 allows. */
export interface Subtree {
  readonly base: GeneralNameEntry;
  /**
   * False when minimum is not 0 or maximum is present, which RFC 5280 section 4.2.1.10 forbids
   * ("minimum MUST be zero, and maximum MUST be absent"); OpenSSL then fails with SUBTREE_MINMAX.
   */
  readonly minMaxValid: boolean;
}

/** The nameConstraints extension (RFC 5280 section 4.2.1.10). */
export interface NameConstraintsValue {
  readonly permitted: readonly Subtree[];
  readonly excluded: readonly Subtree[];
}

/** GeneralSubtrees ::= SEQUENCE SIZE (1..MAX) OF GeneralSubtree, from the content of its [n] tag. */
function decodeSubtrees(content: Uint8Array): Subtree[] {
  const items = readChildren(content);
  if (items.length === 0) throw new DerError('empty GeneralSubtrees (SIZE (1..MAX))');
  return items.map((item) => {
    if (item.tag !== SEQUENCE) throw new DerError('GeneralSubtree is not a SEQUENCE');
    const [base, ...rest] = readChildren(item.content);
    if (!base) throw new DerError('GeneralSubtree without a base');
    let minMaxValid = true;
    let last = -1;
    for (const r of rest) {
      // minimum [0] IMPLICIT INTEGER DEFAULT 0 (DER omits a zero), maximum [1] IMPLICIT INTEGER.
      const n = r.tag === 0x80 ? 0 : r.tag === 0x81 ? 1 : -1;
      if (n <= last) throw new DerError('unexpected element in GeneralSubtree');
      last = n;
      minMaxValid = false;
    }
    return { base: decodeGeneralName(base), minMaxValid };
  });
}

/** A DER NameConstraints value. Throws DerError when malformed (including both subtrees absent). */
export function decodeNameConstraints(der: Uint8Array): NameConstraintsValue {
  const seq = readTlv(der);
  if (seq.tag !== SEQUENCE) throw new DerError('NameConstraints is not a SEQUENCE');
  let permitted: Subtree[] = [];
  let excluded: Subtree[] = [];
  let last = -1;
  for (const t of readChildren(seq.content)) {
    const n = t.tag === 0xa0 ? 0 : t.tag === 0xa1 ? 1 : -1;
    if (n <= last) throw new DerError('unexpected element in NameConstraints');
    last = n;
    if (n === 0) permitted = decodeSubtrees(t.content);
    else excluded = decodeSubtrees(t.content);
  }
  // Section 4.2.1.10: "either the permittedSubtrees field or the excludedSubtrees MUST be present".
  if (last === -1) throw new DerError('NameConstraints with neither permitted nor excluded subtrees');
  return { permitted, excluded };
}

/** An iPAddress as text: dotted IPv4, or eight colon-separated hex words for IPv6; hex otherwise. */
export function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.length === 16) {
    const words: string[] = [];
    for (let i = 0; i < 16; i += 2) words.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    return words.join(':');
  }
  return `<${bytes.length} bytes>`;
}
