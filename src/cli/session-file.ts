/**
 * `rxtls client --sess-in FILE / --sess-out FILE`: a TLS session (a ticket and its resumption
 * secret) kept in a file between runs, as a PEM block `RXTLS SESSION` around
 * `encodeStoredSession`'s bytes, and a {@link SessionStore} that reads and writes it.
 *
 * @module
 */
import fs from 'node:fs';
import { pemDecode, pemEncode } from '../index.js';
import {
  MAX_TICKET_LIFETIME, MemorySessionStore, decodeStoredSession, encodeStoredSession, type SessionStore, type StoredSession,
} from '../tls/resumption/index.js';
import { readText } from './identity.js';

/** The PEM label of a session file. */
export const SESSION_PEM_LABEL = 'RXTLS SESSION';

/** Reads a session file written by {@link writeSessionFile}. Throws a one-line error naming the file. */
export function readSessionFile(file: string): StoredSession {
  const block = pemDecode(readText(file, 'session file')).find((b) => b.label === SESSION_PEM_LABEL);
  if (!block) throw new Error(`${file} holds no ${SESSION_PEM_LABEL} block (write one with rxtls client --sess-out)`);
  try {
    return decodeStoredSession(block.der);
  } catch (e) {
    throw new Error(`${file}: ${(e as Error).message.replace(/^tls: /, '')}`);
  }
}

/** Writes `session` to `file` (replacing it) with mode 0600: it holds the resumption secret. */
export function writeSessionFile(file: string, session: StoredSession): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, pemEncode(SESSION_PEM_LABEL, encodeStoredSession(session)), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

/** Options of {@link FileSessionStore}. */
export interface FileSessionStoreOptions {
  /** The session to offer (read once, at construction). */
  readonly inFile?: string;
  /** Where each ticket received is written (the last one wins). */
  readonly outFile?: string;
  /** Called after a ticket was written to `outFile`. */
  readonly onSaved?: (session: StoredSession) => void;
}

/**
 * The client's session store for one command: `take` offers the session of `inFile` once, if
 * it has not expired and was saved for the same server name (the store key); `put` writes each
 * ticket to `outFile`. Other tickets stay in memory, as with the default store.
 */
export class FileSessionStore implements SessionStore {
  private loaded: StoredSession | undefined;
  private readonly memory = new MemorySessionStore();

  /** Reads `inFile` now; throws a one-line error when it cannot be read or decoded. */
  constructor(private readonly options: FileSessionStoreOptions) {
    if (options.inFile !== undefined) this.loaded = readSessionFile(options.inFile);
  }

  /** Keeps `session`, and writes it to `outFile` if one was given. */
  put(key: string, session: StoredSession): void {
    this.memory.put(key, session);
    if (this.options.outFile === undefined) return;
    writeSessionFile(this.options.outFile, session);
    this.options.onSaved?.(session);
  }

  /** The session from `inFile` (once, while valid and for `key`), else the newest kept by {@link put}. */
  take(key: string, now: number): StoredSession | undefined {
    const s = this.loaded;
    this.loaded = undefined;
    if (s && (s.serverName ?? '') === key && s.receivedAt + Math.min(s.lifetime, MAX_TICKET_LIFETIME) * 1000 > now) return s;
    return this.memory.take(key, now);
  }
}
