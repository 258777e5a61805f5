/**
 * Seeded mutation fuzzing of whole transcripts: one record of a valid conversation is mutated
 * (a byte changed or deleted, the record cut short, random bytes inserted) and replayed into a
 * fresh engine built from the same seed. Whatever happens, feed() must either accept the bytes
 * or throw a TlsError that is not an internal_error (a non-TlsError escaping the code is turned
 * into internal_error by the engine, so that is what a TypeError or RangeError looks like), the
 * error must stick, and every replay must return within a time limit (see `bounded`).
 */
import { AlertDescription as A, ContentType } from '../../../src/tls/constants.js';
import type { TlsConnection } from '../../../src/tls/connection.js';
import { TlsAlertError, TlsError, TlsTruncationError } from '../../../src/tls/errors.js';
import { MemorySessionStore, SingleUseTickets, TicketKeys, type StoredSession } from '../../../src/tls/resumption/index.js';
import { bounded, concat, drain, makeClient, makeServer, openRecords, records, seal, seededInt, seededRandom } from './support.js';

const ITERATIONS = 300;
const FLIGHT_ITERATIONS = 200;
const CLIENT_SEED = 11;
const SERVER_SEED = 22;
const text = new TextEncoder();

/** Both sides of one valid conversation, record by record: handshake, one message each way, close_notify. */
function recordConversation(): { fromClient: Uint8Array[]; fromServer: Uint8Array[] } {
  const client = makeClient({}, new Map(), CLIENT_SEED);
  const server = makeServer({}, new Map(), SERVER_SEED);
  const fromClient: Uint8Array[] = [];
  const fromServer: Uint8Array[] = [];
  client.write(text.encode('hello from the client'));
  client.closeWrite();
  const c1 = drain(client);
  fromClient.push(...records(c1));
  server.feed(c1);
  const s1 = drain(server);
  fromServer.push(...records(s1));
  client.feed(s1);
  const c2 = drain(client);
  fromClient.push(...records(c2));
  server.feed(c2);
  server.write(text.encode('hello from the server'));
  server.closeWrite();
  const s2 = drain(server);
  fromServer.push(...records(s2));
  client.feed(s2);
  expect(client.handshakeComplete && server.handshakeComplete).toBe(true);
  expect(client.peerClosed && server.peerClosed).toBe(true);
  return { fromClient, fromServer };
}

type Mutation = 'flip' | 'delete' | 'truncate' | 'insert';
const MUTATIONS: Mutation[] = ['flip', 'delete', 'truncate', 'insert'];

function mutate(rec: Uint8Array, kind: Mutation, int: (n: number) => number, bytes: (n: number) => Uint8Array): Uint8Array {
  const at = int(rec.length);
  switch (kind) {
    case 'flip': {
      const out = rec.slice();
      out[at] = out[at]! ^ (1 + int(255));
      return out;
    }
    case 'delete':
      return concat(rec.subarray(0, at), rec.subarray(at + 1));
    case 'truncate':
      return rec.slice(0, at);
    case 'insert':
      return concat(rec.subarray(0, at), bytes(1 + int(8)), rec.subarray(at));
  }
}

interface Outcome {
  accepted: boolean;
  alert?: number;
}

/**
 * Feeds `recs` one by one, then signals end of stream. Returns what happened; fails the test on
 * anything but success or a clean, sticky TlsError with the alert queued.
 */
function replay(victim: TlsConnection, recs: Uint8Array[], what: string): Outcome {
  const steps: (() => unknown)[] = [...recs.map((r) => () => victim.feed(r)), () => victim.feedEnd()];
  for (const step of steps) {
    let err: unknown;
    try {
      step();
    } catch (e) {
      err = e;
    }
    const out = drain(victim);
    if (err === undefined) continue;
    if (!(err instanceof TlsError)) throw new Error(`${what}: non-TlsError ${String(err)}`);
    if (err.alert === A.internal_error) throw new Error(`${what}: internal_error, a bug escaped as: ${err.message}`);
    // The alert, when we send one, is the last record queued.
    const silent = err instanceof TlsTruncationError || (err instanceof TlsAlertError && err.fromPeer);
    if (silent) expect(out.length).toBe(0);
    else {
      const recs2 = records(out);
      const last = recs2[recs2.length - 1]!;
      const ok = (last[0] === ContentType.alert && last[6] === err.alert) || (last[0] === ContentType.application_data && last.length === 24);
      if (!ok) throw new Error(`${what}: ${err.message}, but the last record sent is not its alert`);
    }
    let again: unknown;
    try {
      victim.feed(Uint8Array.of(0x17));
    } catch (e) {
      again = e;
    }
    if (again !== err) throw new Error(`${what}: the error did not stick`);
    return { accepted: false, alert: err.alert };
  }
  return { accepted: true };
}

describe('mutated transcripts', () => {
  let convo: ReturnType<typeof recordConversation>;
  beforeAll(() => {
    convo = recordConversation();
  });

  test('the hang guard interrupts a synchronous endless loop (self-test)', () => {
    expect(() =>
      bounded(() => {
        for (;;);
      }, 100),
    ).toThrow(/engine hangs/);
    expect(bounded(() => 42)).toBe(42);
  });

  test('control: the unmutated transcripts replay cleanly into fresh engines', () => {
    const client = makeClient({}, new Map(), CLIENT_SEED);
    drain(client);
    expect(replay(client, convo.fromServer, 'client control')).toEqual({ accepted: true });
    expect(new TextDecoder().decode(client.read()!)).toBe('hello from the server');
    const server = makeServer({}, new Map(), SERVER_SEED);
    expect(replay(server, convo.fromClient, 'server control')).toEqual({ accepted: true });
    expect(new TextDecoder().decode(server.read()!)).toBe('hello from the client');
  });

  test(`client: ${FLIGHT_ITERATIONS} mutations of the decrypted server flight, re-sealed, end cleanly`, () => {
    const int = seededInt(505);
    const bytes = seededRandom(606);
    // The server flight under its handshake secret, as plaintext handshake bytes.
    const secrets = new Map<string, Uint8Array>();
    const probe = makeClient({}, secrets, CLIENT_SEED);
    drain(probe);
    probe.feed(concat(...convo.fromServer));
    const hsSecret = secrets.get('SERVER_HANDSHAKE_TRAFFIC_SECRET')!;
    const ccsAt = convo.fromServer.findIndex((r) => r[0] === ContentType.change_cipher_spec);
    const flightRecs = convo.fromServer.slice(ccsAt + 1, ccsAt + 2);
    const flight = concat(...openRecords(flightRecs, hsSecret).map((r) => r.content));
    const head = convo.fromServer.slice(0, ccsAt + 1);
    const alerts = new Map<number, number>();
    for (let i = 0; i < FLIGHT_ITERATIONS; i++) {
      const kind = MUTATIONS[int(MUTATIONS.length)]!;
      const bad = mutate(flight, kind, int, bytes);
      const victim = makeClient({}, new Map(), CLIENT_SEED);
      drain(victim);
      const recs = [...head, ...(bad.length > 0 ? [seal(hsSecret, [bad])] : [])];
      const o = bounded(() => replay(victim, recs, `flight iteration ${i} (${kind})`));
      // Every change to the flight changes the transcript: the handshake must never complete.
      expect(victim.handshakeComplete).toBe(false);
      if (!o.accepted) alerts.set(o.alert!, (alerts.get(o.alert!) ?? 0) + 1);
    }
    expect(alerts.size).toBeGreaterThan(1);
  });

  for (const role of ['client', 'server'] as const) {
    test(`${role}: ${ITERATIONS} seeded mutations of the peer's records end cleanly`, () => {
      const int = seededInt(role === 'client' ? 101 : 202);
      const bytes = seededRandom(role === 'client' ? 303 : 404);
      const source = role === 'client' ? convo.fromServer : convo.fromClient;
      const alerts = new Map<number, number>();
      let accepted = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const victim = role === 'client' ? makeClient({}, new Map(), CLIENT_SEED) : makeServer({}, new Map(), SERVER_SEED);
        drain(victim);
        const which = int(source.length);
        const kind = MUTATIONS[int(MUTATIONS.length)]!;
        const recs = source.slice();
        recs[which] = mutate(source[which]!, kind, int, bytes);
        const o = bounded(() => replay(victim, recs, `${role} iteration ${i} (${kind} record ${which})`));
        if (o.accepted) accepted++;
        else alerts.set(o.alert!, (alerts.get(o.alert!) ?? 0) + 1);
      }
      // Most mutations must be caught; the alerts seen are the ones bad input should produce.
      expect(accepted).toBeLessThan(ITERATIONS / 4);
      for (const alert of alerts.keys()) {
        expect([
          A.close_notify, A.unexpected_message, A.bad_record_mac, A.record_overflow, A.handshake_failure, A.bad_certificate,
          A.illegal_parameter, A.decode_error, A.decrypt_error, A.protocol_version, A.missing_extension, A.unsupported_extension,
          A.unrecognized_name,
        ]).toContain(alert);
      }
    });
  }
});

describe('mutated resumed 0-RTT conversations', () => {
  const NOW = 1_700_000_000_000;
  const now = () => NOW;
  const ticketKeys = new TicketKeys({ random: seededRandom(77), now });
  /** The server side: fresh anti-replay state for each engine, so a replayed hello may use 0-RTT again. */
  const server = (secrets = new Map<string, Uint8Array>()) =>
    makeServer({ ticketKeys, maxEarlyData: 1024, tickets: 1, now, antiReplay: new SingleUseTickets() }, secrets, SERVER_SEED);
  let session: StoredSession;
  /** A client whose store holds the one session, writing early data before anything moves. */
  const client = (secrets = new Map<string, Uint8Array>()) => {
    const store = new MemorySessionStore();
    store.put('localhost', session);
    const c = makeClient({ sessionStore: store, earlyData: true, now }, secrets, CLIENT_SEED);
    c.write(text.encode('early hello'));
    return c;
  };
  let convo: { fromClient: Uint8Array[]; fromServer: Uint8Array[] };

  beforeAll(() => {
    // A full handshake that leaves one ticket in a store, then the resumed conversation to mutate.
    const store = new MemorySessionStore();
    const c0 = makeClient({ sessionStore: store, now }, new Map(), 5);
    const s0 = server();
    s0.feed(drain(c0));
    c0.feed(drain(s0));
    s0.feed(drain(c0));
    c0.feed(drain(s0));
    session = store.take('localhost', NOW)!;
    expect(session).toBeDefined();
    const c = client();
    const s = server();
    const fromClient: Uint8Array[] = [];
    const fromServer: Uint8Array[] = [];
    for (let round = 0; round < 6; round++) {
      if (round === 3) {
        c.closeWrite();
        s.closeWrite();
      }
      const up = drain(c);
      if (up.length > 0) {
        fromClient.push(...records(up));
        s.feed(up);
      }
      const down = drain(s);
      if (down.length > 0) {
        fromServer.push(...records(down));
        c.feed(down);
      }
    }
    expect(c.session!.resumed && c.session!.earlyData === 'accepted').toBe(true);
    expect(c.peerClosed && s.peerClosed).toBe(true);
    expect(new TextDecoder().decode(s.read()!)).toBe('early hello');
    convo = { fromClient, fromServer };
  });

  test('control: the unmutated conversation replays cleanly, with its early data', () => {
    const s = server();
    expect(replay(s, convo.fromClient, 'server control')).toEqual({ accepted: true });
    expect(s.session!.earlyData).toBe('accepted');
    const c = client();
    drain(c);
    expect(replay(c, convo.fromServer, 'client control')).toEqual({ accepted: true });
    expect(c.session!.resumed).toBe(true);
  });

  for (const role of ['client', 'server'] as const) {
    test(`${role}: ${FLIGHT_ITERATIONS} seeded mutations of the peer's records end cleanly`, () => {
      const int = seededInt(role === 'client' ? 707 : 808);
      const bytes = seededRandom(role === 'client' ? 909 : 1010);
      const source = role === 'client' ? convo.fromServer : convo.fromClient;
      const alerts = new Map<number, number>();
      let accepted = 0;
      for (let i = 0; i < FLIGHT_ITERATIONS; i++) {
        const victim = role === 'client' ? client() : server();
        drain(victim);
        const which = int(source.length);
        const kind = MUTATIONS[int(MUTATIONS.length)]!;
        const recs = source.slice();
        recs[which] = mutate(source[which]!, kind, int, bytes);
        const o = bounded(() => replay(victim, recs, `${role} resumed iteration ${i} (${kind} record ${which})`));
        if (o.accepted) accepted++;
        else alerts.set(o.alert!, (alerts.get(o.alert!) ?? 0) + 1);
      }
      expect(accepted).toBeLessThan(FLIGHT_ITERATIONS / 4);
      expect(alerts.size).toBeGreaterThan(1);
    });
  }
});
