/**
 * PEM, the textual encoding of DER (RFC 7468): `-----BEGIN LABEL-----`, base64 lines,
 * `-----END LABEL-----`. Text outside blocks is ignored, as RFC 7468 section 2 allows.
 */
import { TlsMisuseError } from '../errors.js';

/** One decoded PEM block. */
export interface PemBlock {
  /** The label between `BEGIN ` and the dashes, such as `PRIVATE KEY` or `CERTIFICATE`. */
  label: string;
  /** The decoded contents. */
  der: Uint8Array;
}

/** A BEGIN line and its label (RFC 7468 section 3: no hyphen inside a label). */
const BEGIN = /-----BEGIN ([^\r\n-]*)-----/g;
/** Strict base64 (RFC 4648 section 4): full quanta, padding only at the end. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes the base64 body of a block labelled `label`; throws TlsMisuseError on garbage. */
function decodeBody(label: string, body: string): Uint8Array {
  if (body.includes(':')) {
    // RFC 1421 headers such as Proc-Type: 4,ENCRYPTED (legacy OpenSSL key encryption).
    throw new TlsMisuseError(`tls: PEM block ${label} has headers (an encrypted legacy key?); not supported`);
  }
  const b64 = body.replace(/[ \t\r\n]+/g, '');
  if (b64.length === 0) throw new TlsMisuseError(`tls: PEM block ${label} is empty`);
  if (!BASE64.test(b64)) throw new TlsMisuseError(`tls: PEM block ${label} is not valid base64`);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * Every PEM block in `text`, in order. Tolerates CRLF line ends and any text between blocks.
 * Throws TlsMisuseError for a block without its END line, mismatched labels, headers, or bad
 * base64.
 */
export function pemDecode(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const begin = new RegExp(BEGIN);
  let m: RegExpExecArray | null;
  while ((m = begin.exec(text)) !== null) {
    const label = m[1]!;
    const start = begin.lastIndex;
    const end = text.indexOf('-----END ', start);
    const nextBegin = text.indexOf('-----BEGIN ', start);
    if (end < 0 || (nextBegin >= 0 && nextBegin < end)) {
      throw new TlsMisuseError(`tls: PEM block ${label} has no END line`);
    }
    const endLine = /^-----END ([^\r\n-]*)-----/.exec(text.slice(end));
    if (endLine === null || endLine[1] !== label) {
      throw new TlsMisuseError(`tls: PEM block ${label} ends with a different label`);
    }
    blocks.push({ label, der: decodeBody(label, text.slice(start, end)) });
    begin.lastIndex = end + endLine[0].length;
  }
  return blocks;
}

/** PEM text for `der` under `label`: 64-character base64 lines, LF line ends (RFC 7468 section 2). */
export function pemEncode(label: string, der: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < der.length; i += 0x8000) {
    bin += String.fromCharCode(...der.subarray(i, i + 0x8000));
  }
  const b64 = btoa(bin);
  const lines: string[] = [`-----BEGIN ${label}-----`];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  lines.push(`-----END ${label}-----`, '');
  return lines.join('\n');
}
