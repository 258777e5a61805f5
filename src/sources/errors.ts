/**
 * Errors raised by the sources (`duplexPair`, `fromSocket`, `connect`, `listen`). Caller faults
 * (a second concurrent reader, a write after half-close, a bad option) are `TlsMisuseError`
 * from `src/tls/errors.ts`; the classes here are for the transport's own failures.
 */

/**
 * A writer ignored `writable$` and pushed its buffer past the hard limit: after a chunk was
 * accepted (and the layer below took what it could), more than `limit` bytes stayed buffered.
 * The write errors with this and the write side is finished (a `duplexPair` passes the error to the other end's reader
 * after the queued data; `fromSocket` tears the connection down).
 *
 * @example
 * ```ts
 * a.write(hugeSource).subscribe({ error: (e) => {
 *   if (e instanceof WriteBufferOverflowError) console.log(`over ${e.limit} bytes`);
 * } });
 * ```
 */
export class WriteBufferOverflowError extends Error {
  /** The hard limit, in bytes. */
  readonly limit: number;
  /** Bytes buffered once the offending chunk was accepted. */
  readonly buffered: number;
  constructor(where: string, limit: number, buffered: number) {
    super(
      `${where}: write buffer overflow: ${buffered} bytes buffered exceeds the limit of ${limit} bytes ` +
        `(maxBuffer); the writer must wait while writable$ is false`,
    );
    this.name = 'WriteBufferOverflowError';
    this.limit = limit;
    this.buffered = buffered;
  }
}

/**
 * The socket closed (was destroyed without an error, e.g. by `close()`) before a direction had
 * finished: a read that had not seen end of stream, or a write that had not flushed.
 *
 * @example
 * ```ts
 * duplex.close();   // a pending read errors with SocketClosedError
 * ```
 */
export class SocketClosedError extends Error {
  constructor(message = 'socket closed before the end of stream') {
    super(message);
    this.name = 'SocketClosedError';
  }
}
