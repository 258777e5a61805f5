/**
 * A small protocol built on rxtls: a heartbeat. The client sends `ping` at a fixed period; the
 * server answers each with `pong`; the client reports each round-trip time and fails if the
 * server goes quiet. Messages are text in length-prefixed frames, inside TLS.
 *
 * It is written with ordinary RxJS time operators (`interval`, `delay`, `timeout`), so its
 * test (spec/demos/marble-protocol.spec.ts) runs the whole thing, TLS handshake included, in
 * virtual time with marble diagrams: no network, no waiting, the same result every run.
 */
import {
  Observable, Subject, asyncScheduler, defer, delay, filter, interval, map, merge, of, takeUntil, tap, throwError, timeout,
  type MonoTypeOperatorFunction,
} from 'rxjs';
import { type Duplex, bidi, lengthPrefixed } from '../src/index.js';

/** Text messages in length-prefixed frames, on top of a byte Duplex (a TLS connection, say). */
export function textMessages(bytes: Duplex<Uint8Array, Uint8Array>): Duplex<string, string> {
  return bytes.pipe(
    lengthPrefixed({ maxFrame: 1024 }),
    bidi(
      map((frame: Uint8Array) => new TextDecoder().decode(frame)),
      map((text: string) => new TextEncoder().encode(text)),
    ),
  );
}

/** The current time as RxJS sees it: the real clock, or the virtual one inside `TestScheduler.run`. */
const now = (): number => asyncScheduler.now();

/** The server went quiet: no pong for longer than the heartbeat allows. */
export class HeartbeatTimeoutError extends Error {
  constructor(readonly quietFor: number) {
    super(`heartbeat: no pong for ${quietFor} ms`);
    this.name = 'HeartbeatTimeoutError';
  }
}

/**
 * The server side: answers every `ping` with `pong`, `thinkTime` ms later. `answering` may
 * filter the pings (a test uses it to make a server that stops answering). Completes when the
 * client has closed and the answers are sent (close_notify both ways).
 */
export function pongServer(
  messages: Duplex<string, string>,
  options: { thinkTime?: number; answering?: MonoTypeOperatorFunction<string> } = {},
): Observable<never> {
  const pongs = messages.read(of(Infinity)).pipe(
    filter((m) => m === 'ping'),
    options.answering ?? ((pings) => pings),
    delay(options.thinkTime ?? 0),
    map(() => 'pong'),
  );
  return messages.write(pongs);
}

/**
 * The client side: sends `ping` every `every` ms and emits each round-trip time in ms. Errors
 * with {@link HeartbeatTimeoutError} when no pong arrives for `every + grace` ms; completes
 * when the server closes the connection (and then closes its own side).
 */
export function heartbeat(messages: Duplex<string, string>, options: { every: number; grace: number }): Observable<number> {
  return defer(() => {
    const sentAt: number[] = [];
    const serverClosed = new Subject<void>();
    const pings = interval(options.every).pipe(
      tap(() => sentAt.push(now())),
      map(() => 'ping'),
      takeUntil(serverClosed),
    );
    const roundTrips = messages.read(of(Infinity)).pipe(
      filter((m) => m === 'pong'),
      map(() => now() - sentAt.shift()!),
      tap({ complete: () => serverClosed.next() }),
    );
    const quiet = options.every + options.grace;
    return merge(messages.write(pings), roundTrips).pipe(
      timeout({ each: quiet, with: () => throwError(() => new HeartbeatTimeoutError(quiet)) }),
    );
  });
}
