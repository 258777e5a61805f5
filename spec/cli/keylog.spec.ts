/**
 * The key log file: where it goes, append mode, permissions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keyLogPaths, openKeyLog } from '../../src/cli/keylog.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtls-keylog-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('key log', () => {
  it('goes to --keylog and SSLKEYLOGFILE, once each', () => {
    expect(keyLogPaths(undefined, {})).toEqual([]);
    expect(keyLogPaths('a.keys', { SSLKEYLOGFILE: '' })).toEqual([path.resolve('a.keys')]);
    expect(keyLogPaths('a.keys', { SSLKEYLOGFILE: './a.keys' })).toEqual([path.resolve('a.keys')]);
    expect(keyLogPaths('a.keys', { SSLKEYLOGFILE: '/tmp/b.keys' })).toEqual([path.resolve('a.keys'), '/tmp/b.keys']);
    expect(openKeyLog([])).toBeUndefined();
  });

  it('appends lines to every file, creating them with mode 0600', () => {
    const a = path.join(dir, 'a.keys');
    const b = path.join(dir, 'b.keys');
    fs.writeFileSync(a, 'kept\n');
    const log = openKeyLog([a, b])!;
    log.write('CLIENT_RANDOM x y');
    log.write('EXPORTER_SECRET x z');
    log.close();
    log.write('dropped after close');
    expect(fs.readFileSync(a, 'utf8')).toBe('kept\nCLIENT_RANDOM x y\nEXPORTER_SECRET x z\n');
    expect(fs.readFileSync(b, 'utf8')).toBe('CLIENT_RANDOM x y\nEXPORTER_SECRET x z\n');
    expect(fs.statSync(b).mode & 0o777).toBe(0o600);
  });

  it('names the file it cannot open', () => {
    expect(() => openKeyLog([path.join(dir, 'missing', 'x.keys')])).toThrow(/^cannot open key log file: ENOENT: .*missing\/x\.keys/);
  });
});
