/**
 * Peer-to-peer messaging: two rxtls peers that authenticate EACH OTHER, with no certificate
 * authority and no certificates at all.
 *
 *   npx tsx demos/p2p.ts              # by an external pre-shared key (the default; or --psk)
 *   npx tsx demos/p2p.ts --raw-keys   # by pinned raw public keys (RFC 7250)
 *
 * Alice connects to Bob on 127.0.0.1 (both peers live in this one process, to keep it short).
 *
 * - --psk: both peers hold the same secret key under an identity ("alice"); the handshake
 *   proves each side has it (RFC 8446 section 2.2), and an x25519 exchange on top
 *   (psk_dhe_ke) keeps the traffic forward-secret.
 * - --raw-keys: each peer makes a key pair and hands the SHA-256 of its public key (its "pin")
 *   to the other, out of band. Each side sends its bare public key (no certificate) and proves
 *   it holds the private half; Bob asks for Alice's key (`requestCert`) and accepts only hers.
 *
 * Then, on connection 1, each peer sends the other a burst of 2000 numbered JSON messages of
 * 4 KiB in length-prefixed frames, both directions at once, writing only while `writable$` is
 * true. Bob is slow at first: he takes 5 ms over each of his first 100 messages, and
 * `consume` asks for the next one only when he is done with the last. So Alice's writes back
 * up: the kernel's socket buffers fill (a few MiB on loopback), then rxtls's (64 KiB), and
 * Alice's `writable$` turns false until Bob catches up. Each burst ends with a summary message
 * (count and SHA-256); the receiver checks that every message came, in order, unchanged.
 *
 * Connection 2 reconnects and resumes the session from a ticket Bob sent on connection 1
 * (`session.resumed`): no signatures and no key checks this time (a fresh x25519 exchange still
 * keeps it forward-secret). For that, each peer makes every connection from the same options
 * object: the client's session store and the server's ticket keys belong to it. Last, a stranger (Mallory, with the wrong key) is refused. The
 * program exits 1 if any check fails (2 on a bad argument).
 */
import { createHash, randomBytes } from 'node:crypto';
import { EMPTY, Observable, ReplaySubject, elementAt, firstValueFrom, map, timer } from 'rxjs';
import {
  type SessionInfo, type SocketDuplex, type TlsClientOptions, type TlsDuplex, type TlsServerOptions,
  bidi, connect, consume, generateSigningKey, lengthPrefixed, listen, tlsClient, tlsServer,
} from '../src/index.js';

const say = (line: string): void => console.log(line);
const failures: string[] = [];
/** Records a failed check (the program then exits 1); returns `ok`. */
const check = (ok: boolean, what: string): boolean => (ok || failures.push(what), ok);
const MiB = (bytes: number): string => `${(bytes / 1048576).toFixed(1)} MiB`;
const kib = (bytes: number): string => `${(bytes / 1024).toFixed(0)} KiB`;
/** `p`'s value; if it fails, says what failed and exits 1. */
const orFail = <T>(p: Promise<T>, what: string): Promise<T> =>
  p.catch((e: Error) => {
    say(`FAILED: ${what}: ${e.message}`);
    process.exit(1);
  });

const args = process.argv.slice(2);
if (args.length > 1 || (args.length === 1 && args[0] !== '--psk' && args[0] !== '--raw-keys')) {
  console.error('usage: tsx demos/p2p.ts [--psk | --raw-keys]');
  process.exit(2);
}
const mode = args[0] === '--raw-keys' ? 'raw-keys' : 'psk';
const BURST = 2000; // messages each way on connection 1
const SIZE = 4096; // bytes of text in each
const SLOW_COUNT = 100; // Bob is slow for his first 100 messages...
const SLOW_EACH_MS = 5; // ...taking 5 ms over each
const PER_TURN = 64; // messages written at most per turn of the event loop
const deadline = setTimeout(() => {
  console.error('p2p: no result after 30 s');
  process.exit(1);
}, 30_000);

// ---- What travels: numbered text messages, then one summary message per direction.
type Message =
  | { kind: 'text'; from: string; n: number; body: string }
  | { kind: 'end'; from: string; count: number; sha256: string };

/** Frames and JSON on top of TLS: a Duplex of Messages. */
const messagesOver = (tls: TlsDuplex) =>
  tls.pipe(
    lengthPrefixed({ maxFrame: 64 * 1024 }),
    bidi(
      map((frame: Uint8Array) => JSON.parse(new TextDecoder().decode(frame)) as Message),
      map((message: Message) => new TextEncoder().encode(JSON.stringify(message))),
    ),
  );

const pinOf = (spki: Uint8Array): string => createHash('sha256').update(spki).digest('base64');

// ---- 1. Who is who. The options objects are all either peer needs.
let alice: TlsClientOptions;
let bob: TlsServerOptions;
let mallory: TlsClientOptions;
let alicePin = '';
let bobPin = '';
if (mode === 'psk') {
  const secret = new Uint8Array(randomBytes(32)); // given to both peers out of band
  alice = { psk: { identity: 'alice', key: secret } };
  bob = { pskCallback: (identity) => (identity === 'alice' ? secret : null) }; // no certificate, no key pair
  mallory = { psk: { identity: 'alice', key: new Uint8Array(randomBytes(32)) } }; // the right name, the wrong key
  say(`1. alice and bob share a 256-bit key under the identity "alice" (mode --psk)`);
} else {
  const aliceKey = generateSigningKey('ed25519');
  const bobKey = generateSigningKey('ed25519');
  alicePin = pinOf(aliceKey.spki);
  bobPin = pinOf(bobKey.spki);
  alice = { rawPublicKey: true, key: aliceKey, pins: { spkiSha256: [bobPin] } };
  bob = { rawPublicKey: true, key: bobKey, requestCert: true, pins: { spkiSha256: [alicePin] } };
  mallory = { rawPublicKey: true, key: generateSigningKey('ed25519'), pins: { spkiSha256: [bobPin] } }; // knows bob's pin, not alice's key
  say(`1. each peer made an Ed25519 key (mode --raw-keys); pins exchanged out of band:`);
  say(`   alice sha256/${alicePin}`);
  say(`   bob   sha256/${bobPin}`);
}

/** One line about how the peer was authenticated, and the checks that go with it. */
function authenticated(me: 'alice' | 'bob', s: SessionInfo): string {
  const how = s.resumed ? 'resumed from a ticket' : 'full handshake';
  check(s.version === 'TLSv1.3', `${me}: version ${s.version}`);
  if (mode === 'psk') {
    check(s.psk === (s.resumed ? 'resumption' : 'external'), `${me}: psk ${String(s.psk)}`);
    check(s.peerCertificates.length === 0, `${me}: got a certificate in --psk mode`);
    const by = s.psk === 'external' ? `the shared key "${s.pskIdentity ?? '?'}"` : "connection 1's secret";
    return `${how}, ${s.cipherSuite}, ${s.group ?? 'no'} key exchange, peer authenticated by ${by}`;
  }
  const key = s.peerCertificates[0];
  const pin = key ? pinOf(key) : 'none';
  check(s.certificateType === 'raw' && pin === (me === 'alice' ? bobPin : alicePin), `${me}: peer key ${s.certificateType} ${pin}`);
  const sig = s.peerSignatureScheme ? `signed with ${s.peerSignatureScheme}` : 'no signature needed';
  return `${how}, ${s.cipherSuite}, ${s.group ?? 'no'} key exchange, peer's raw key sha256/${pin.slice(0, 8)}... is pinned (${sig})`;
}

// ---- The conversation, the same on both sides: send a burst, read the other's, check it.
interface Plan {
  count: number;
  size: number;
  slowFor?: number; // take SLOW_EACH_MS over each of the first `slowFor` messages
  onWritable?: (writable: boolean) => void;
}
/** Each peer's counts on its latest connection; `intact`: what it read came in order and matched the summary. */
interface Counts {
  sent: number;
  read: number;
  intact: boolean;
}
const progress: Record<'alice' | 'bob', Counts> = { alice: { sent: 0, read: 0, intact: false }, bob: { sent: 0, read: 0, intact: false } };

async function converse(me: 'alice' | 'bob', tls: TlsDuplex, plan: Plan, label: string = me): Promise<SessionInfo> {
  const messages = messagesOver(tls);
  const counts: Counts = (progress[me] = { sent: 0, read: 0, intact: false });
  const session = firstValueFrom(tls.session$);
  session.then((s) => say(`   ${`${label}:`.padEnd(6)} ${authenticated(me, s)}`), () => undefined);

  // Writing: while writable$ is true; it may turn false inside out.next(), which ends the loop.
  const sentHash = createHash('sha256');
  const burst = new Observable<Message>((out) => {
    let writable: boolean | undefined; // the first value is the current state, not a change
    let ended = false;
    let scheduled = false;
    const schedule = (): void => {
      if (!scheduled) (scheduled = true), setImmediate(pump);
    };
    const pump = (): void => {
      scheduled = false;
      if (out.closed) return;
      // A few messages per turn of the event loop: while the kernel has room, every write is
      // taken at once, and a loop running until writable$ turned false would starve the rest
      // of the process (here: Bob) for as long.
      for (let turn = 0; writable && counts.sent < plan.count; turn++) {
        if (turn === PER_TURN) return schedule();
        const n = ++counts.sent;
        const body = `${me} #${n} `.repeat(Math.ceil(plan.size / 8)).slice(0, plan.size);
        sentHash.update(`${n}:${body}\n`);
        out.next({ kind: 'text', from: me, n, body });
      }
      if (counts.sent === plan.count && !ended) {
        ended = true;
        out.next({ kind: 'end', from: me, count: counts.sent, sha256: sentHash.digest('hex') });
        out.complete(); // sends close_notify: we have nothing more to say (we still listen)
      }
    };
    const sub = messages.writable$.subscribe((w) => {
      if (writable !== undefined && w !== writable) plan.onWritable?.(w);
      writable = w;
      schedule();
    });
    return () => sub.unsubscribe();
  });

  // Reading: consume() asks for the next message only when the handler for the last one is done.
  const readHash = createHash('sha256');
  const them = me === 'alice' ? 'bob' : 'alice';
  let summary: Extract<Message, { kind: 'end' }> | undefined;
  let inOrder = true;
  const reading = consume(messages, (m) => {
    if (summary) inOrder = check(false, `${me}: a message after ${them}'s summary`);
    else if (m.kind === 'end') summary = m;
    else {
      if (m.n !== counts.read + 1 || m.from !== them) inOrder = check(false, `${me}: got ${m.from} #${m.n} when ${them} #${counts.read + 1} was due`);
      counts.read++;
      readHash.update(`${m.n}:${m.body}\n`);
      if (counts.read <= (plan.slowFor ?? 0)) return timer(SLOW_EACH_MS); // busy: no read demand meanwhile
    }
    return EMPTY;
  }, { concurrency: 1 });

  const done = (o: Observable<unknown>) => new Promise<void>((resolve, reject) => o.subscribe({ complete: resolve, error: reject }));
  await Promise.all([session, done(messages.write(burst)), done(reading)]);
  counts.intact =
    check(summary !== undefined, `${me}: no summary from ${them}`) &&
    check(summary!.count === counts.read, `${me}: ${them} sent ${summary!.count} messages, ${counts.read} arrived`) &&
    check(summary!.sha256 === readHash.digest('hex'), `${me}: the SHA-256 of ${them}'s messages does not match`) &&
    inOrder;
  return session;
}

// ---- 2. Bob listens. All his connections come from one options object: they share its ticket
// ---- keys, so a ticket from connection 1 opens connection 2.
const bobTls = tlsServer(bob);
const bobPlans: Plan[] = [{ count: BURST, size: SIZE, slowFor: SLOW_COUNT }, { count: 3, size: 32 }, { count: 3, size: 32 }];
type Outcome = { session: SessionInfo; error?: undefined } | { session?: undefined; error: Error };
const bobOutcomes = new ReplaySubject<Promise<Outcome>>();
let bobNow: { socket: SocketDuplex; tls: TlsDuplex } | undefined; // Bob's latest connection, for its buffer sizes
let accepted = 0;
const port = await new Promise<number>((ready) => {
  listen({ host: '127.0.0.1', port: 0, onListening: (a) => ready(a.port) }).subscribe((socket) => {
    const plan = bobPlans[Math.min(accepted++, bobPlans.length - 1)]!;
    bobNow = { socket, tls: socket.pipe(bobTls) };
    bobOutcomes.next(converse('bob', bobNow.tls, plan).then((session) => ({ session }), (error: Error) => ({ error })));
  });
});
const bobOutcome = (i: number): Promise<Outcome> => firstValueFrom(bobOutcomes.pipe(elementAt(i))).then((p) => p);
const bobSession = (i: number): Promise<SessionInfo> =>
  orFail(bobOutcome(i).then((o) => o.session ?? Promise.reject(o.error)), `connection ${i + 1}, bob`);
say(`2. bob listens on 127.0.0.1:${port}`);

// ---- Alice's side. Likewise one options object for all her connections: its session store
// ---- keeps the tickets Bob sends for the next connection.
const aliceTls = tlsClient(alice);

// ---- 3. Connection 1: full handshake, then the bursts, with Bob slow to read at first.
say(`3. connection 1: each side sends ${BURST} messages of ${SIZE / 1024} KiB; bob takes ${SLOW_EACH_MS} ms over each of his first ${SLOW_COUNT}`);
const t0 = Date.now();
const aliceSocket = await orFail(firstValueFrom(connect({ host: '127.0.0.1', port })), 'connect');
const tls1 = aliceSocket.pipe(aliceTls);
let handshakeDone = false;
tls1.session$.subscribe({ next: () => (handshakeDone = true), error: () => undefined });
const tickets: number[] = []; // the lifetime of each session ticket Bob sends (events$ is hot: subscribe first)
tls1.events$.subscribe({ next: (e) => void (e.type === 'newSessionTicket' && tickets.push(e.lifetime)), error: () => undefined });
let changes = 0;
let backedUp = false; // writable$ went false after the handshake, while Bob was slow
let recovered = false; // and true again
const messageBytes = SIZE + 64; // about, with the JSON around the text and the frame
// Alice's messages not yet read by Bob, and the bytes rxtls and Node hold for them on each side
// (Alice: plaintext and ciphertext waiting to be written; Bob: received, not yet read). The rest
// is in the kernel's socket buffers.
const aliceHolds = (): number => tls1.stats().writeBuffered + aliceSocket.stats().writeBuffered;
const bobHolds = (): number => (bobNow ? bobNow.tls.stats().readBuffered + bobNow.socket.stats().readBuffered : 0);
let maxInFlight = 0;
let maxHeld = 0;
const sample = (): void => {
  maxInFlight = Math.max(maxInFlight, progress.alice.sent - progress.bob.read);
  maxHeld = Math.max(maxHeld, aliceHolds(), bobHolds());
};
const sampler = setInterval(sample, 20);
const onWritable = (w: boolean): void => {
  sample();
  if (handshakeDone) {
    if (!w) backedUp = true;
    else if (backedUp) recovered = true;
  }
  if (++changes > 8) return void (changes === 9 && say('   ...'));
  const inFlight = progress.alice.sent - progress.bob.read;
  const when = handshakeDone ? '' : ' (handshake not finished: writes wait in rxtls)';
  say(
    `   t=${String(Date.now() - t0).padStart(4)} ms  alice's writable$ ${w ? 'true ' : 'false'} sent ${progress.alice.sent}, bob read ${progress.bob.read}: ` +
      `${inFlight} in flight (~${MiB(inFlight * messageBytes)}), ${kib(aliceHolds())} of it in alice's rxtls+Node buffers${when}`,
  );
};
const [aliceSession1, bobSession1] = await Promise.all([
  orFail(converse('alice', tls1, { count: BURST, size: SIZE, onWritable }), 'connection 1, alice'),
  bobSession(0),
]);
clearInterval(sampler);
check(!aliceSession1.resumed && !bobSession1.resumed, 'connection 1 was resumed');
check(backedUp && recovered, `alice's writable$ did not go false and back after the handshake (${changes} changes)`);
for (const [from, to] of [['alice', 'bob'], ['bob', 'alice']] as const) {
  const ok = check(progress[from].sent === BURST && progress[to].read === BURST && progress[to].intact, `${from} -> ${to}: not all arrived intact`);
  say(`   ${from} -> ${to}: ${progress[to].read} of ${progress[from].sent} messages arrived${ok ? ' in order, SHA-256 matches' : ', NOT intact'}`);
}
check(tickets.length > 0, 'bob sent no session ticket');
say(`   bob sent alice ${tickets.length} session ticket(s), valid ${tickets[0] ?? 0} s; her options' session store keeps them for next time`);
say(
  `   done in ${((Date.now() - t0) / 1000).toFixed(1)} s; alice's writable$ changed ${changes} times; at most ${maxInFlight} messages ` +
    `(~${MiB(maxInFlight * messageBytes)}) in flight; rxtls+Node held at most ${kib(maxHeld)} on either side`,
);

// ---- 4. Connection 2: Alice reconnects and resumes connection 1's session.
say('4. connection 2: alice reconnects');
const tls2 = (await orFail(firstValueFrom(connect({ host: '127.0.0.1', port })), 'connect')).pipe(aliceTls);
const [aliceSession2, bobSession2] = await Promise.all([orFail(converse('alice', tls2, { count: 3, size: 32 }), 'connection 2, alice'), bobSession(1)]);
check(aliceSession2.resumed && bobSession2.resumed, `connection 2 not resumed (alice ${aliceSession2.resumed}, bob ${bobSession2.resumed})`);
check(progress.bob.read === 3 && progress.alice.read === 3 && progress.bob.intact && progress.alice.intact, 'connection 2: messages missing');
say(`   resumed: alice ${aliceSession2.resumed}, bob ${bobSession2.resumed}; 3 messages each way arrived in order`);

// ---- 5. A stranger: Mallory knows Bob's address (and, in --raw-keys, his pin), not Alice's key.
say(`5. mallory connects with ${mode === 'psk' ? 'identity "alice" but another key' : 'a key of her own'}`);
const tls3 = (await orFail(firstValueFrom(connect({ host: '127.0.0.1', port })), 'connect')).pipe(tlsClient(mallory));
// She runs Alice's side of the conversation: she claims to be Alice.
let malloryDone = false;
tls3.session$.subscribe({ next: () => (malloryDone = true), error: () => undefined });
const mallory3: Outcome = await converse('alice', tls3, { count: 3, size: 32 }, 'mallory').then((session) => ({ session }), (error: Error) => ({ error }));
const bob3 = await bobOutcome(2);
check(mallory3.error !== undefined && bob3.error !== undefined && progress.bob.read === 0, 'mallory was let in');
if (malloryDone) say("   (a TLS 1.3 client's handshake ends before the server has checked her key: bob's answer comes next)");
say(`   mallory: ${mallory3.error ? `refused: ${mallory3.error.message}` : 'got in!'}`);
say(`   bob:     ${bob3.error ? `refused her: ${bob3.error.message}` : 'let her in!'}`);

clearTimeout(deadline);
if (failures.length > 0) {
  say(`FAILED: ${failures.length} check(s):`);
  for (const f of failures.slice(0, 20)) say(`   ${f}`);
  process.exit(1);
}
say(`all checks passed (${mode === 'psk' ? '--psk' : '--raw-keys'})`);
process.exit(0);
