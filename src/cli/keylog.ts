/**
 * The key log file: NSS key log lines (`CLIENT_HANDSHAKE_TRAFFIC_SECRET <client random> <secret>`),
 * which Wireshark reads to decrypt a capture. rxtls writes them where `--keylog FILE` says and
 * where the `SSLKEYLOGFILE` environment variable says, as curl, Firefox and Chrome do.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';

/** An open key log: a `keyLog` callback for the engine, and `close()`. */
export interface KeyLogFile {
  /** The files written, resolved. */
  readonly paths: readonly string[];
  /** Appends `line` and a newline to every file. */
  write(line: string): void;
  /** Closes the files; later lines are dropped. */
  close(): void;
}

/** The files to write: `--keylog` and `SSLKEYLOGFILE`, each once. */
export function keyLogPaths(flag: string | undefined, env: NodeJS.ProcessEnv): string[] {
  const all = [flag, env['SSLKEYLOGFILE']].filter((p): p is string => typeof p === 'string' && p !== '').map((p) => path.resolve(p));
  return [...new Set(all)];
}

/**
 * Opens the key log files (created with mode 0600: they hold secrets) in append mode, so that
 * several programs can share one file as they do with SSLKEYLOGFILE. Each line is one
 * synchronous `write(2)` on an O_APPEND descriptor: lines of concurrent writers never mix,
 * and a line is in the file before the handshake goes on. Returns undefined when there is no
 * file to write; throws (with the path in the message) when one cannot be opened.
 */
export function openKeyLog(paths: readonly string[]): KeyLogFile | undefined {
  if (paths.length === 0) return undefined;
  const fds: number[] = [];
  try {
    for (const p of paths) fds.push(fs.openSync(p, 'a', 0o600));
  } catch (e) {
    for (const fd of fds) fs.closeSync(fd);
    throw new Error(`cannot open key log file: ${(e as Error).message}`);
  }
  let open = true;
  return {
    paths,
    write(line: string): void {
      if (!open) return;
      const bytes = Buffer.from(`${line}\n`);
      for (const fd of fds) fs.writeSync(fd, bytes);
    },
    close(): void {
      if (!open) return;
      open = false;
      for (const fd of fds) fs.closeSync(fd);
    },
  };
}
