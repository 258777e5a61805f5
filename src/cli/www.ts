/**
 * `rxtls server --www`: answers one HTTP request per connection with a page that describes the
 * connection (version, suite, group, ALPN, SNI), as `openssl s_server -www` does. Enough HTTP
 * for curl and browsers: it waits for the end of the request head, answers `HTTP/1.0 200 ok`
 * and closes (close_notify, then FIN).
 *
 * @module
 */
import {
  EMPTY, Observable, catchError, concatMap, defer, filter, ignoreElements, last, map, merge, of, scan, share, takeUntil, takeWhile, tap, throwError,
} from 'rxjs';
import type { SessionInfo, TlsDuplex } from '../index.js';
import { certificateNames, rawKeyPin } from './output.js';

/** The largest request head read before giving up. */
export const MAX_REQUEST_HEAD = 16 * 1024;

/** What the page shows. */
export interface PageInfo {
  readonly session: SessionInfo;
  /** The client's address, `127.0.0.1:54321`. */
  readonly peer: string;
  /** The request line, `GET / HTTP/1.1`, if one arrived. */
  readonly requestLine: string | undefined;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The client's certificate subject (or raw key pin), and why it was refused if it was. */
function clientCertificate(s: SessionInfo): string {
  const leaf = s.peerCertificates[0];
  const what = !leaf ? '(none)' : s.certificateType === 'raw' ? `raw key ${rawKeyPin(leaf)}` : (certificateNames(leaf)?.subject ?? '(unreadable)');
  return s.authorizationError ? `${what}, refused: ${s.authorizationError.code}` : what;
}

/** The whole HTTP response: status line, headers, and an HTML page with the connection's parameters. */
export function wwwResponse(info: PageInfo): Uint8Array {
  const s = info.session;
  const rows: [string, string][] = [
    ['Protocol version', s.version],
    ['Cipher suite', s.cipherSuite],
    ['Key exchange group', s.group ?? '(none, PSK only)'],
    ['Resumed', s.resumed ? 'yes' : 'no'],
    ['ALPN protocol', s.alpnProtocol ?? '(none)'],
    ['Server name (SNI)', s.serverName ?? '(none)'],
    ['HelloRetryRequest', s.helloRetry ? 'yes' : 'no'],
    ['Client certificate', clientCertificate(s)],
    ['Early data', s.earlyData ?? 'none'],
    ['Client address', info.peer],
    ['Request', info.requestLine ?? '(none)'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const body =
    '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>rxtls</title></head><body><pre>\n' +
    'rxtls server: this connection\n\n' +
    rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${escapeHtml(v)}\n`).join('') +
    '</pre></body></html>\n';
  const bytes = new TextEncoder().encode(body);
  const head = `HTTP/1.0 200 ok\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`;
  const out = new Uint8Array(head.length + bytes.length);
  out.set(new TextEncoder().encode(head));
  out.set(bytes, head.length);
  return out;
}

/** Where the request head ends (after its blank line), or -1. Accepts bare LF line ends too. */
export function requestHeadEnd(bytes: Uint8Array): number {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  const crlf = text.indexOf('\r\n\r\n');
  const lf = text.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf + 2 <= lf)) return crlf + 4;
  return lf >= 0 ? lf + 2 : -1;
}

const NO_BYTES = new Uint8Array(0);

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Serves one connection: reads the request head (at most {@link MAX_REQUEST_HEAD} bytes; it may
 * come as 0-RTT data, before the handshake completes), writes the response and close_notify
 * once the handshake is done, and reads on until the client closes (what it sends
 * is dropped; an end without close_notify after the response is not an error: curl and
 * browsers often just close). Completes when both are done; `stop$` ends the write early.
 */
export function serveWww(tls: TlsDuplex, peer: string, stop$: Observable<unknown>): Observable<never> {
  return defer(() => {
    let answered = false;
    const reads = tls.read(of(Infinity)).pipe(share());
    const response = reads.pipe(
      scan(concatBytes, NO_BYTES),
      takeWhile((head) => requestHeadEnd(head) < 0 && head.length <= MAX_REQUEST_HEAD, true),
      last(undefined, NO_BYTES),
      filter((head) => head.length > 0), // closed without asking anything: just close
      concatMap((head) => {
        // No blank line: too long (refused), or the client closed after a partial head (answered).
        if (requestHeadEnd(head) < 0 && head.length > MAX_REQUEST_HEAD) return throwError(() => new Error(`request head larger than ${MAX_REQUEST_HEAD} bytes`));
        const requestLine = Buffer.from(head).toString('latin1').split(/\r?\n/, 1)[0];
        // A 0-RTT request arrives before the handshake completes: answer once it has.
        return tls.session$.pipe(map((session) => wwwResponse({ session, peer, requestLine })));
      }),
      tap({ complete: () => (answered = true) }),
      takeUntil(stop$),
    );
    return merge(
      tls.session$.pipe(ignoreElements()),
      tls.write(response),
      reads.pipe(ignoreElements(), catchError((e: unknown) => (answered ? EMPTY : throwError(() => e)))),
    );
  });
}
