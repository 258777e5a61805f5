/**
 * A client {@link SessionStore} that records what the engine does with it, for the resumption
 * interop tests (../peers.spec.ts).
 *
 * @module
 */
import type { SessionStore, StoredSession } from '../../../src/tls/resumption/index.js';

/**
 * Records every `put` (a ticket arrived) and every `take` (a connection looked for one).
 * Sessions are single use, newest first, like MemorySessionStore; it never looks inside them
 * and ignores expiry.
 */
export class RecordingStore implements SessionStore {
  readonly puts: { key: string; session: StoredSession }[] = [];
  readonly takes: { key: string; found: boolean }[] = [];
  private readonly byKey = new Map<string, StoredSession[]>();

  put(key: string, session: StoredSession): void {
    this.puts.push({ key, session });
    const list = this.byKey.get(key) ?? [];
    list.push(session);
    this.byKey.set(key, list);
  }

  take(key: string): StoredSession | undefined {
    const s = this.byKey.get(key)?.pop();
    this.takes.push({ key, found: s !== undefined });
    return s;
  }
}
