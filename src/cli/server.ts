/**
 * `rxtls server`: `listen` plus `tlsServer`, one handler per connection (echo, www page, or
 * print to stdout), many connections at once.
 *
 * Every connection goes through one `tlsServer` operator, so they share its ticket keys and
 * 0-RTT anti-replay state: clients resume sessions of earlier connections (`--max-early-data`
 * turns 0-RTT on). Client certificates (`--verify-client`, `--request-cert`) and external PSKs
 * (`--psk`) are options of that operator (./server-options.ts).
 *
 * Robustness rules: a connection's failure (garbage, a bad alert, a reset, a client that never
 * finishes its handshake) is logged on one stderr line and ends that connection only; every
 * socket is closed at the latest {@link LINGER_MS} after its connection ended. SIGINT or
 * SIGTERM stops listening at once, sends close_notify on every connection, waits up to
 * {@link SHUTDOWN_GRACE_MS} for them to finish, closes what is left and exits 0.
 *
 * @module
 */
import {
  type Observable, ReplaySubject, Subject, concat, ignoreElements, merge, of, take, takeUntil, tap, throwError, timeout,
} from 'rxjs';
import {
  type SocketDuplex, type TlsDuplex, TlsServer, consume, forward, listen, tlsServer,
} from '../index.js';
import type { ServerArgs } from './args.js';
import { keyLogPaths, openKeyLog } from './keylog.js';
import { describeError, errorLine, formatAddress, sessionLine } from './output.js';
import { serverSetup } from './server-options.js';
import { type CliIo, writeChunk } from './stdio.js';
import { serveWww } from './www.js';

/** A client must finish its handshake within this long. */
export const HANDSHAKE_TIMEOUT_MS = 30_000;
/** After a connection ended (or failed), its socket is closed at the latest this much later. */
export const LINGER_MS = 2_000;
/** On SIGINT/SIGTERM, connections get this long to exchange close_notify before they are closed. */
export const SHUTDOWN_GRACE_MS = 2_000;

/**
 * What a connection does once accepted. Each completes when the connection is done, and ends
 * its write side (close_notify) when `stop$` emits.
 */
function handle(mode: ServerArgs['mode'], tls: TlsDuplex, peer: string, stop$: Observable<unknown>, io: CliIo): Observable<never> {
  switch (mode) {
    case 'echo':
      return concat(
        // Read only while the write side has room: a client that does not read its echo stops
        // being read, and its TCP window closes.
        forward(tls, { writable$: tls.writable$, write: (chunks) => tls.write(chunks.pipe(takeUntil(stop$))) }),
        // Stopped early: wait for the client's close_notify too (its data is dropped), so that
        // closing the socket cannot cut off what the client still has to read.
        tls.read(of(Infinity)).pipe(ignoreElements()),
      );
    case 'www':
      return serveWww(tls, peer, stop$);
    case 'print': {
      // What the client sends goes to stdout, as fast as stdout takes it; once the client has
      // closed (or we stop), close our side too.
      const readDone = new Subject<void>();
      return merge(
        consume(tls, (chunk) => writeChunk(io.stdout, chunk), { concurrency: 1 }).pipe(tap({ complete: () => readDone.next() })),
        tls.write(merge(readDone, stop$).pipe(take(1), ignoreElements())),
      );
    }
  }
}

/**
 * Runs the server until SIGINT/SIGTERM (exit status 0) or a listening error such as
 * EADDRINUSE (status 1). Prints `listening on HOST:PORT` on stderr once it accepts
 * connections. Throws (before listening) when the identity or key log cannot be loaded.
 */
export function runServer(args: ServerArgs, io: CliIo): Promise<number> {
  const keyLog = openKeyLog(keyLogPaths(args.keylogFile, io.env));
  let setup: ReturnType<typeof serverSetup>;
  try {
    setup = serverSetup(args, keyLog?.write);
    new TlsServer({ ...setup.options }); // checks the options (CA file, limits) before listening
  } catch (e) {
    keyLog?.close();
    throw e;
  }
  const { options, identity } = setup;
  const log = (line: string): void => void io.stderr.write(`${line}\n`);
  const info = (line: string): void => (args.quiet ? undefined : log(line));
  // One operator for every connection: they share its ticket keys and 0-RTT anti-replay state,
  // so a client resumes a session from an earlier connection.
  const serverOperator = tlsServer(options);

  const stop$ = new ReplaySubject<void>(1);
  /** Connections not yet ended, each with a way to wait for its end. */
  const live = new Map<SocketDuplex, Promise<void>>();
  /** Every socket not yet closed by us, with its linger timer once its connection ended. */
  const sockets = new Map<SocketDuplex, ReturnType<typeof setTimeout> | undefined>();

  const accept = (socket: SocketDuplex): void => {
    const peer = formatAddress(socket.remoteAddress, socket.remotePort);
    const tls = socket.pipe(serverOperator);
    sockets.set(socket, undefined);
    let ended!: () => void;
    live.set(socket, new Promise<void>((r) => (ended = r)));
    const end = (): void => {
      live.delete(socket);
      ended();
      const t = setTimeout(() => {
        socket.close();
        sockets.delete(socket);
      }, LINGER_MS);
      sockets.set(socket, t);
    };
    const handshake = tls.session$.pipe(
      timeout({ first: HANDSHAKE_TIMEOUT_MS, with: () => throwError(() => new Error(`no TLS handshake within ${HANDSHAKE_TIMEOUT_MS / 1000} s`)) }),
      tap((s) => info(`${peer} ${sessionLine(s)}`)),
      ignoreElements(),
    );
    merge(handshake, handle(args.mode, tls, peer, stop$, io)).subscribe({
      error: (e: unknown) => {
        log(`rxtls: ${peer}: ${describeError(e)}`);
        end();
      },
      complete: () => {
        info(`${peer} closed`);
        end();
      },
    });
  };

  return new Promise<number>((resolve) => {
    let stopping = false;
    const finish = (code: number): void => {
      for (const [socket, timer] of sockets) {
        clearTimeout(timer);
        socket.close();
      }
      sockets.clear();
      // The signal handlers stay until exit (they do not keep the process alive): a repeated
      // SIGINT (`timeout` and npx forward it to the whole process group too) arriving after
      // the shutdown must not kill us with a signal instead of exit status 0.
      keyLog?.close();
      resolve(code);
    };
    const listening = listen({
      host: args.host,
      port: args.port,
      onListening: (a) => {
        if (!identity) info(`no certificate: clients authenticate with the PSK of identity ${JSON.stringify(args.psk?.identity)}`);
        else {
          if (identity.ephemeral) info('using a fresh self-signed certificate for localhost and 127.0.0.1');
          info(`certificate pin: ${identity.pin}`);
        }
        if (args.clientAuth !== 'none') info(`client certificates: ${args.clientAuth === 'require' ? 'required' : 'requested'}, issued by ${args.clientCaFile}`);
        log(`listening on ${formatAddress(a.address, a.port)}`);
      },
    }).subscribe({
      next: accept,
      error: (e: unknown) => {
        log(errorLine(e));
        finish(1);
      },
    });
    io.signals.subscribe((signal) => {
      if (stopping) return; // a second Ctrl-C (npx forwards it too): the shutdown is bounded anyway
      stopping = true;
      info(`${signal}: closing ${live.size} connection${live.size === 1 ? '' : 's'}`);
      listening.unsubscribe();
      stop$.next();
      let timer: ReturnType<typeof setTimeout> | undefined;
      void Promise.race([
        Promise.all(live.values()),
        new Promise<void>((r) => (timer = setTimeout(r, SHUTDOWN_GRACE_MS))),
      ]).then(() => {
        clearTimeout(timer);
        finish(0);
      });
    });
  });
}
