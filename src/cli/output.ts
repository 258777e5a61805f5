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

/** The negotiated parameters in one line: `TLSv1.3 TLS_AES_128_GCM_SHA256 x25519, ALPN h2, SNI localhost`. */
export function sessionLine(s: SessionInfo): string {
  return `${s.version} ${s.cipherSuite} ${s.group ?? 'psk_ke'}${s.resumed ? ' resumed' : ''}, ALPN ${s.alpnProtocol ?? '-'}, SNI ${s.serverName ?? '-'}`;
}

/**
 * What the client prints on stderr once the handshake is done, curl-style (`* ` lines):
 * where it connected, the version, suite and group, ALPN, and the server certificate.
 */
export function clientSummary(s: SessionInfo, peer: string): string[] {
  const lines = [
    `* connected to ${peer}${s.serverName ? ` (${s.serverName})` : ''}`,
    `* ${s.version}, ${s.cipherSuite}, ${s.group ?? 'psk_ke'}${s.resumed ? ', resumed' : ''}${s.helloRetry ? ' (after HelloRetryRequest)' : ''}`,
    `* ALPN: ${s.alpnProtocol ?? 'none'}`,
  ];
  const leaf = s.peerCertificates[0];
  const names = leaf ? certificateNames(leaf) : undefined;
  if (names) lines.push(`* server certificate: ${names.subject}; issuer: ${names.issuer}${s.peerSignatureScheme ? `; signed with ${s.peerSignatureScheme}` : ''}`);
  return lines;
}
