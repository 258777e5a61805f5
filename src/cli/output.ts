/**
 * What `rxtls` prints: one-line error messages, handshake summaries, certificate subjects and
 * pins. Pure functions of their inputs, so the wording is in one place.
 *
 * @module
 */
import { X509Certificate, createHash } from 'node:crypto';
import { TlsCertificateError, TlsError, certificateSpki, type SessionInfo } from '../index.js';

/** Collapses newlines and runs of spaces, so that every message fits on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * An error as the one line rxtls prints after `rxtls: `. rxtls's own `tls: ` prefix is dropped;
 * a certificate error starts with its code (`ERR_TLS_CERT_ALTNAME_INVALID: ...`), an alert
 * reads `peer sent fatal alert handshake_failure (40)`, a system error keeps Node's wording
 * (`connect ECONNREFUSED 127.0.0.1:4433`).
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return oneLine(String(error));
  const message = oneLine(error.message.replace(/^tls: /, ''));
  if (error instanceof TlsCertificateError && !message.includes(error.code)) return `${error.code}: ${message}`;
  if (error instanceof TlsError) return message;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && !message.includes(code)) return `${code}: ${message}`;
  return message || error.name;
}

/** `rxtls: <what happened>`, one line. */
export function errorLine(error: unknown): string {
  return `rxtls: ${describeError(error)}`;
}

/** `127.0.0.1:4433`, `[::1]:4433`. */
export function formatAddress(host: string | undefined, port: number | undefined): string {
  const h = host ?? '?';
  return `${h.includes(':') ? `[${h}]` : h}:${port ?? '?'}`;
}

/** The subject and issuer of a DER certificate, as `CN=localhost`; undefined if it does not parse. */
export function certificateNames(der: Uint8Array): { subject: string; issuer: string } | undefined {
  try {
    const x = new X509Certificate(der);
    const flat = (dn: string): string => dn.split('\n').filter(Boolean).join(', ');
    return { subject: flat(x.subject), issuer: flat(x.issuer) };
  } catch {
    return undefined;
  }
}

/** The SPKI pin of a DER certificate in the form `rxtls client --pin` and curl's `--pinnedpubkey` take: `sha256/BASE64`. */
export function spkiPin(der: Uint8Array): string {
  return `sha256/${createHash('sha256').update(certificateSpki(der)).digest('base64')}`;
}

/** The SPKI pin of a raw public key (RFC 7250: the DER SubjectPublicKeyInfo itself), `sha256/BASE64`. */
export function rawKeyPin(spki: Uint8Array): string {
  return `sha256/${createHash('sha256').update(spki).digest('base64')}`;
}

/** The peer's identity in a few words: `CN=x` for a certificate, `raw key sha256/...` for an RFC 7250 key. */
function peerName(s: SessionInfo): string | undefined {
  const leaf = s.peerCertificates[0];
  if (!leaf) return undefined;
  if (s.certificateType === 'raw') return `raw key ${rawKeyPin(leaf)}`;
  return certificateNames(leaf)?.subject ?? 'an unreadable certificate';
}

/**
 * The negotiated parameters in one line, for the server log:
 * `TLSv1.3 TLS_AES_128_GCM_SHA256 x25519, ALPN h2, SNI localhost`, then what applies of
 * `, client CN=alice` (its certificate; `refused: CODE` when `--request-cert` let a bad one or
 * none in), `, PSK ID` and `, early data accepted|rejected`.
 */
export function sessionLine(s: SessionInfo): string {
  let line = `${s.version} ${s.cipherSuite} ${s.group ?? 'psk_ke'}${s.resumed ? ' resumed' : ''}, ALPN ${s.alpnProtocol ?? '-'}, SNI ${s.serverName ?? '-'}`;
  const client = peerName(s);
  const refused = s.authorizationError ? ` (refused: ${s.authorizationError.code})` : '';
  if (client) line += `, client ${client}${refused}`;
  else if (refused) line += `, no client certificate${refused}`;
  if (s.psk === 'external') line += `, PSK ${s.pskIdentity ?? '?'}`;
  if (s.earlyData !== undefined && s.earlyData !== 'none') line += `, early data ${s.earlyData}`;
  return line;
}

/**
 * What the client prints on stderr once the handshake is done, curl-style (`* ` lines):
 * where it connected, the version, suite and group, ALPN, how the server authenticated (its
 * certificate, raw public key or the PSK) and what became of 0-RTT data.
 */
export function clientSummary(s: SessionInfo, peer: string): string[] {
  const lines = [
    `* connected to ${peer}${s.serverName ? ` (${s.serverName})` : ''}`,
    `* ${s.version}, ${s.cipherSuite}, ${s.group ?? 'psk_ke'}${s.resumed ? ', resumed' : ''}${s.helloRetry ? ' (after HelloRetryRequest)' : ''}`,
    `* ALPN: ${s.alpnProtocol ?? 'none'}`,
  ];
  const leaf = s.peerCertificates[0];
  const signed = s.peerSignatureScheme ? `; signed with ${s.peerSignatureScheme}` : '';
  if (leaf && s.certificateType === 'raw') {
    lines.push(`* server raw public key: ${rawKeyPin(leaf)}${signed}`);
  } else {
    const names = leaf ? certificateNames(leaf) : undefined;
    if (names) lines.push(`* server certificate: ${names.subject}; issuer: ${names.issuer}${signed}`);
  }
  if (s.psk === 'external') lines.push(`* PSK: ${s.pskIdentity ?? '?'} (external)`);
  if (s.earlyData === 'accepted') lines.push('* early data: accepted');
  if (s.earlyData === 'rejected') lines.push('* early data: rejected (sent again after the handshake)');
  return lines;
}
