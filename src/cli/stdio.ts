/**
 * Node streams (stdin, stdout) at the edge of a Duplex, with backpressure both ways: stdin is
 * read only while the TLS layer is writable, and the TLS layer is read only as fast as stdout
 * drains.
 *
 * @module
 */
import type { Readable, Writable } from 'node:stream';
import { Observable, defaultIfEmpty, of, take } from 'rxjs';

/**
 * The chunks of `stream` as an observable that reads only while `ready$` says true (paused
 * otherwise), completes at the stream's end and errors with its error. Pass the `writable$` of
 * the Duplex the chunks go to: a slow peer then stops the reads from `stream`.
 *
 * ```
 * ready$:   t----f------t---
 * stream:   -a-b-(paused)-c-|
 * result:   -a-b----------c-|
 * ```
 */
export function readableChunks(stream: Readable, ready$: Observable<boolean>): Observable<Uint8Array> {
  return new Observable<Uint8Array>((subscriber) => {
    if (stream.readableEnded) return subscriber.complete(); // 'end' came before (see firstChunk)
    const onData = (chunk: Buffer | string): void => subscriber.next(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    const onEnd = (): void => subscriber.complete();
    const onError = (e: Error): void => subscriber.error(e);
    stream.pause();
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    const ready = ready$.subscribe({
      next: (r) => (r ? stream.resume() : stream.pause()),
      error: (e: unknown) => subscriber.error(e),
    });
    return () => {
      ready.unsubscribe();
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
    };
  });
}

/**
 * The first chunk `stream` delivers, or undefined at its end, then completes; the stream is
 * paused again, so a later {@link readableChunks} continues with the next chunk.
 */
export function firstChunk(stream: Readable): Observable<Uint8Array | undefined> {
  return readableChunks(stream, of(true)).pipe(take(1), defaultIfEmpty(undefined));
}

/**
 * Writes `chunk` to `stream`; completes at once when the stream has room for more, or on
 * `'drain'` when it is full. Use it as the handler of `consume(duplex, ..., { concurrency: 1 })`
 * so that a slow `stream` stops the reads from `duplex`.
 */
export function writeChunk(stream: Writable, chunk: Uint8Array): Observable<never> {
  return new Observable<never>((subscriber) => {
    if (stream.write(chunk)) {
      subscriber.complete();
      return undefined;
    }
    const onDrain = (): void => subscriber.complete();
    const onError = (e: Error): void => subscriber.error(e);
    stream.once('drain', onDrain);
    stream.once('error', onError);
    return () => {
      stream.off('drain', onDrain);
      stream.off('error', onError);
    };
  });
}

/** The process around a command: its streams, environment and the signals that ask it to stop. */
export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  /** Emits `SIGINT` or `SIGTERM` each time one arrives (subscribing installs the handlers). */
  readonly signals: Observable<NodeJS.Signals>;
}
