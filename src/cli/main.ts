/**
 * The `rxtls` command: parses the command line, runs `server` or `client`, and maps the outcome
 * to an exit status (0 fine, 1 failed, 2 bad usage or a flag not supported yet). `bin/rxtls.js`
 * calls {@link run}; tests may call {@link main} with their own streams.
 *
 * @module
 */
import fs from 'node:fs';
import { Observable } from 'rxjs';
import { type Args, UsageError, parseArgs, usage } from './args.js';
import { runClient } from './client.js';
import { errorLine } from './output.js';
import { runServer } from './server.js';
import type { CliIo } from './stdio.js';

/** The package version, from package.json (two levels up from src/cli and from dist/cli). */
function version(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Runs `rxtls <argv>` with `io`; resolves with the exit status. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`rxtls: ${e.message}\n`);
    io.stderr.write("run 'rxtls --help' for usage\n");
    return 2;
  }
  try {
    switch (args.command) {
      case 'help':
        io.stdout.write(usage(args.topic));
        return 0;
      case 'version':
        io.stdout.write(`rxtls ${version()}\n`);
        return 0;
      case 'server':
        return await runServer(args, io);
      case 'client':
        return await runClient(args, io);
    }
  } catch (e) {
    io.stderr.write(`${errorLine(e)}\n`);
    return 1;
  }
}

/** This process's streams, environment and SIGINT/SIGTERM. */
export function processIo(): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signals: new Observable<NodeJS.Signals>((subscriber) => {
      const on = (signal: NodeJS.Signals): void => subscriber.next(signal);
      process.on('SIGINT', on);
      process.on('SIGTERM', on);
      return () => {
        process.off('SIGINT', on);
        process.off('SIGTERM', on);
      };
    }),
  };
}

/** Waits until `stream` has handed everything written so far to the system. */
function flushed(stream: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.write('', () => resolve())) stream.once('drain', () => resolve());
  });
}

/** The process entry point: runs {@link main} on `process.argv` and exits with its status. */
export async function run(): Promise<never> {
  let code: number;
  try {
    code = await main(process.argv.slice(2), processIo());
  } catch (e) {
    process.stderr.write(`${errorLine(e)}\n`);
    code = 1;
  }
  // stdin may still be open (a client whose server closed first): exit rather than wait for it.
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}
