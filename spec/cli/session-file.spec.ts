/**
 * `--sess-in` / `--sess-out`: the session file and the store that reads and writes it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSessionStore, readSessionFile, writeSessionFile } from '../../src/cli/session-file.js';
import type { StoredSession } from '../../src/tls/resumption/index.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rxtls-sess-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const NOW = 1_800_000_000_000;
const session = (extra: Partial<StoredSession> = {}): StoredSession => ({
  ticket: Uint8Array.of(1, 2, 3), suite: 0x1301, psk: new Uint8Array(32).fill(9), receivedAt: NOW, lifetime: 7200, ageAdd: 77,
  maxEarlyData: 16384, alpn: 'h2', serverName: 'example.test', peerCertificates: [Uint8Array.of(0x30, 0)], certificateType: 'x509', ...extra,
});

describe('session files', () => {
  it('round-trip through a PEM RXTLS SESSION block, mode 0600', () => {
    const file = path.join(dir, 'a.sess');
    writeSessionFile(file, session());
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^-----BEGIN RXTLS SESSION-----\n[\s\S]*-----END RXTLS SESSION-----\n?$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(readSessionFile(file)).toEqual(session());
  });

  it('refuse what is not one, in one line naming the file', () => {
    const other = path.join(dir, 'other.pem');
    fs.writeFileSync(other, '-----BEGIN RXTLS SESSION-----\nAAAA\n-----END RXTLS SESSION-----\n');
    expect(() => readSessionFile(other)).toThrow(new RegExp(`^${other.replace(/[.]/g, '\\.')}: `));
    expect(() => readSessionFile(path.join(dir, 'missing'))).toThrow(/^cannot read session file .*missing: ENOENT$/);
  });
});

describe('FileSessionStore', () => {
  it('offers the session of inFile once, for its server name only, while it is valid', () => {
    const file = path.join(dir, 'in.sess');
    writeSessionFile(file, session());
    const store = new FileSessionStore({ inFile: file });
    expect(store.take('other.test', NOW)).toBeUndefined(); // another server: not offered, and dropped
    expect(store.take('example.test', NOW)).toBeUndefined();
    const again = new FileSessionStore({ inFile: file });
    expect(again.take('example.test', NOW + 1000)).toEqual(session());
    expect(again.take('example.test', NOW + 1000)).toBeUndefined();
    expect(new FileSessionStore({ inFile: file }).take('example.test', NOW + 7200 * 1000)).toBeUndefined(); // expired
  });

  it('writes each ticket put to outFile (the last one wins), tells onSaved, and keeps it for take', () => {
    const file = path.join(dir, 'out.sess');
    const saved: StoredSession[] = [];
    const store = new FileSessionStore({ outFile: file, onSaved: (s) => saved.push(s) });
    store.put('example.test', session({ ageAdd: 1 }));
    store.put('example.test', session({ ageAdd: 2, receivedAt: NOW + 1 }));
    expect(saved.map((s) => s.ageAdd)).toEqual([1, 2]);
    expect(readSessionFile(file).ageAdd).toBe(2);
    expect(store.take('example.test', NOW + 2)?.ageAdd).toBe(2);
  });
});
