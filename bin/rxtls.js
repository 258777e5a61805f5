#!/usr/bin/env node
// The `rxtls` command (see `rxtls --help`, and src/cli/).
//
// In a source checkout (src/cli/main.ts is here and tsx, a devDependency, is installed) it
// runs the TypeScript directly, through tsx's in-process loader: no build step, always the
// current source. In an installed package (no src/, only the compiled dist/ of `npm run build`)
// it runs dist/cli/main.js. Either way everything runs in this one process, so Ctrl-C and
// SIGTERM reach the command itself.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);

async function load() {
  if (existsSync(source)) {
    let register;
    try {
      ({ register } = await import('tsx/esm/api'));
    } catch {
      register = undefined;
    }
    if (register) {
      register();
      return import(source.href);
    }
  }
  if (existsSync(compiled)) return import(compiled.href);
  process.stderr.write(
    'rxtls: cannot start: run `npm install` (for tsx, to run from source) or `npm run build` (for dist/cli)\n',
  );
  process.exit(1);
}

const cli = await load();
await cli.run();
