/**
 * `rxtls client HOST:PORT`: `connect` plus `tlsClient`, with stdin as the plaintext written
 * and stdout as the plaintext read, both under backpressure.
 *
 * Ending: stdin's end completes the write, which sends close_notify (a half-close; the server
 * may go on sending); the server's close_notify completes the read, which also ends the
 * write if stdin is still open. rxtls exits 0 once both directions are closed, and 1 with a
 * one-line reason on any failure: a certificate error code, an alert, a refused connection.
 *
 * @module
 */
import { Subject, concat, ignoreElements, merge, of, switchMap, takeUntil, tap, throwError, timeout, type Observable } from 'rxjs';
import { type TlsClientOptions, connect, consume, tlsClient } from '../index.js';
import type { ClientArgs } from './args.js';
import { clientOptions } from './client-options.js';
import { keyLogPaths, openKeyLog } from './keylog.js';
import { clientSummary, errorLine, formatAddress } from './output.js';
import { type CliIo, firstChunk, readableChunks, writeChunk } from './stdio.js';

/** The TCP connection must be up within this long. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * One connection, as an observable that completes when both directions have closed cleanly.
 * With `--early-data` it first waits for stdin's first chunk (or its end), then connects and
 * writes that chunk before the handshake, so that it leaves as 0-RTT data with the ClientHello.
 */
export function clientSession(args: ClientArgs, options: TlsClientOptions, io: CliIo): Observable<never> {
  const peer = formatAddress(args.host, args.port);
  const op = tlsClient(options);
  const early$ = args.earlyData ? firstChunk(io.stdin) : of(undefined);
  return early$.pipe(
    switchMap((early) => connect({ host: args.host, port: args.port }).pipe(
      timeout({ first: CONNECT_TIMEOUT_MS, with: () => throwError(() => new Error(`connect to ${peer}: no answer within ${CONNECT_TIMEOUT_MS / 1000} s`)) }),
      switchMap((socket) => {
        const tls = socket.pipe(op);
        const serverClosed = new Subject<void>();
        const stdin$ = readableChunks(io.stdin, tls.writable$);
        return merge(
          // The summary, once the handshake is done (subscribing first starts the handshake).
          tls.session$.pipe(
            tap((s) => {
              if (!args.quiet) io.stderr.write(clientSummary(s, peer).map((l) => `${l}\n`).join(''));
            }),
            ignoreElements(),
          ),
          // Server → stdout, one chunk at a time, no faster than stdout drains.
          consume(tls, (chunk) => writeChunk(io.stdout, chunk), { concurrency: 1 }).pipe(tap({ complete: () => serverClosed.next() })),
          // stdin → server, read only while the TLS layer is writable; its end sends close_notify.
          tls.write((early ? concat(of(early), stdin$) : stdin$).pipe(takeUntil(serverClosed))),
        );
      }),
    )),
  );
}

/** Runs the client; resolves with the exit status (0 after a clean close, 1 on failure). */
export function runClient(args: ClientArgs, io: CliIo): Promise<number> {
  const keyLog = openKeyLog(keyLogPaths(args.keylogFile, io.env));
  let told = false;
  const saved = (s: { lifetime: number; maxEarlyData: number }): void => {
    if (args.quiet || told) return; // servers send several tickets: say it once
    told = true;
    const early = s.maxEarlyData > 0 ? `, early data up to ${s.maxEarlyData} bytes` : '';
    io.stderr.write(`* session saved to ${args.sessOut} (lifetime ${s.lifetime} s${early})\n`);
  };
  let options: TlsClientOptions;
  try {
    options = clientOptions(args, { ...(keyLog && { keyLog: keyLog.write }), onSessionSaved: saved });
  } catch (e) {
    keyLog?.close();
    throw e;
  }
  return new Promise<number>((resolve) => {
    const done = (code: number): void => {
      keyLog?.close();
      resolve(code);
    };
    clientSession(args, options, io).subscribe({
      error: (e: unknown) => {
        io.stderr.write(`${errorLine(e)}\n`);
        done(1);
      },
      complete: () => done(0),
    });
  });
}
