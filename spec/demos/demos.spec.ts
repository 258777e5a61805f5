/**
 * The demos run, as a newcomer runs them (through tsx), and say what they promise. Each is a
 * child process with a bounded life, stopped by PID in `afterAll`; every wait is bounded.
 */
import { startProcess, stopProcessesAfterAll } from '../interop/support/process.js';
import { ROOT, START_MS, TSX, childEnv, runToEnd } from '../cli/support/commands.js';

const TEST_MS = 90_000;

stopProcessesAfterAll();

describe('demos', () => {
  it('the tour (npm run demo) runs to the end', async () => {
    const r = await runToEnd(TSX, ['demos/tour.ts'], '', { name: 'tour', timeoutMs: 60_000 });
    const out = r.stdout.toString();
    expect(r.status.code).toBe(0);
    expect(out).toMatch(/^1\. made a P-256 certificate for localhost; its SPKI pin is /m);
    expect(out).toMatch(/^3\. rxtls client sent 3 JSON messages and got back:$/m);
    expect(out).toMatch(/^4\. Node's tls client connected: TLSv1\.3 /m);
    expect(out).toMatch(/all 32 MiB arrived after [\d.]+ s; writable\$ changed \d+ times/);
  }, TEST_MS);

  it('pipeline.ts: JSON requests through connect, TLS and frames, and the answers back', async () => {
    const r = await runToEnd(TSX, ['demos/pipeline.ts'], '', { name: 'pipeline' });
    expect(r.status.code).toBe(0);
    expect(r.stdout.toString()).toBe(
      'answer {"id":1,"sum":3}\nanswer {"id":2,"sum":42}\nanswer {"id":3,"sum":0}\nthe server closed too: done\n',
    );
  }, TEST_MS);

  it('chat.ts: two processes chat over TLS with a pinned key, and both leave cleanly', async () => {
    const listener = await startProcess(TSX, ['demos/chat.ts', 'listen', '0'], {
      name: 'chat listen', cwd: ROOT, env: childEnv(), readyPattern: /my pin is sha256\/\S+\n/, timeoutMs: START_MS,
    });
    const [, port, pin] = /listening on 127\.0\.0\.1:(\d+); my pin is (sha256\/\S+)\n/.exec(listener.stderr().toString())!;
    const connector = await startProcess(TSX, ['demos/chat.ts', 'connect', port!, pin!], {
      name: 'chat connect', cwd: ROOT, env: childEnv(), readyPattern: /peer key matches the pin/, timeoutMs: START_MS,
    });
    await listener.waitFor(/\* connected \(TLSv1\.3, /, { stream: 'stderr' });
    await connector.write('hello from the connecting side\n');
    await listener.waitFor('peer: hello from the connecting side\n', { stream: 'stdout' });
    await listener.write('hi from the listening side\n');
    await connector.waitFor('peer: hi from the listening side\n', { stream: 'stdout' });
    connector.endStdin(); // Ctrl-D: close_notify; the listener sees the chat end and closes too
    expect(await listener.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    expect(await connector.waitForExit(10_000)).toEqual({ code: 0, signal: null });
    expect(listener.stderr().toString()).toMatch(/\* the peer left the chat\n/);
    expect(connector.stderr().toString()).toMatch(/\* the peer left the chat\n/);
  }, TEST_MS);

  it('chat.ts: a wrong pin ends the connection before anything is said', async () => {
    const listener = await startProcess(TSX, ['demos/chat.ts', 'listen', '0'], {
      name: 'chat listen', cwd: ROOT, env: childEnv(), readyPattern: /my pin is sha256\/\S+\n/, timeoutMs: START_MS,
    });
    const port = /listening on 127\.0\.0\.1:(\d+)/.exec(listener.stderr().toString())![1]!;
    const wrong = `sha256/${Buffer.alloc(32, 7).toString('base64')}`;
    const r = await runToEnd(TSX, ['demos/chat.ts', 'connect', port, wrong], '', { name: 'chat connect', keepStdinOpen: true });
    expect(r.status.code).toBe(1);
    expect(r.stderr).toMatch(/\* connection failed: .*matches no pin/);
    await listener.kill();
  }, TEST_MS);

  /** The lines of p2p.ts's transcript that hold in both modes; returns the output. */
  async function runP2p(mode: '--psk' | '--raw-keys'): Promise<string> {
    const r = await runToEnd(TSX, ['demos/p2p.ts', mode], '', { name: `p2p ${mode}`, timeoutMs: 60_000 });
    const out = r.stdout.toString();
    expect(out).not.toMatch(/FAILED/);
    expect(r.status.code).toBe(0);
    expect(out).toMatch(/^3\. connection 1: each side sends 2000 messages of 4 KiB; /m);
    // After the handshake, Alice's writable$ goes false with megabytes in flight, and comes back.
    const backedUp = /^ +t= *\d+ ms {2}alice's writable\$ false sent (\d+), bob read (\d+): (\d+) in flight \(~[\d.]+ MiB\), (\d+) KiB of it in alice's rxtls\+Node buffers$/m.exec(out);
    expect(backedUp).not.toBeNull();
    expect(Number(backedUp![3])).toBeGreaterThan(256); // over 1 MiB of 4 KiB messages waited for Bob
    expect(Number(backedUp![4])).toBeLessThan(256); //   of which rxtls and Node held a bounded part
    expect(out.slice(backedUp!.index)).toMatch(/^ +t= *\d+ ms {2}alice's writable\$ true {2}sent \d+, bob read \d+: /m);
    expect(out).toMatch(/^ {3}alice -> bob: 2000 of 2000 messages arrived in order, SHA-256 matches$/m);
    expect(out).toMatch(/^ {3}bob -> alice: 2000 of 2000 messages arrived in order, SHA-256 matches$/m);
    expect(out).toMatch(/^ {3}alice: full handshake, TLS_AES_128_GCM_SHA256, x25519 key exchange, /m);
    expect(out).toMatch(/^ {3}alice: resumed from a ticket, /m);
    expect(out).toMatch(/^ {3}bob: {3}resumed from a ticket, /m);
    expect(out).toMatch(/^ {3}resumed: alice true, bob true; 3 messages each way arrived in order$/m);
    expect(out).toMatch(/^ {3}mallory: refused: /m);
    expect(out).toMatch(/^ {3}bob: {5}refused her: /m);
    expect(out.endsWith(`all checks passed (${mode})\n`)).toBe(true);
    return out;
  }

  it('p2p.ts --psk: an external PSK both ways, backpressure, ordered delivery, resumption, a stranger refused', async () => {
    const out = await runP2p('--psk');
    expect(out).toMatch(/^ {3}bob: {3}full handshake, .*peer authenticated by the shared key "alice"$/m);
    expect(out).toMatch(/^ {3}alice: resumed from a ticket, .*peer authenticated by connection 1's secret$/m);
    expect(out).toMatch(/^ {3}mallory: refused: .*decrypt_error \(51\)$/m);
    expect(out).toMatch(/^ {3}bob: {5}refused her: .*binder/m);
  }, TEST_MS);

  it('p2p.ts --raw-keys: pinned raw public keys both ways, the same checks, the pins kept on resumption', async () => {
    const out = await runP2p('--raw-keys');
    const alicePin = /^ {3}alice sha256\/(\S{44})$/m.exec(out)![1]!;
    const bobPin = /^ {3}bob {3}sha256\/(\S{44})$/m.exec(out)![1]!;
    const pinned = (pin: string) => `peer's raw key sha256/${pin.slice(0, 8)}... is pinned`;
    // Each side sees the other's key: signed on the full handshake, from the ticket on resumption.
    expect(out).toContain(`   alice: full handshake, TLS_AES_128_GCM_SHA256, x25519 key exchange, ${pinned(bobPin)} (signed with ed25519)`);
    expect(out).toContain(`   bob:   full handshake, TLS_AES_128_GCM_SHA256, x25519 key exchange, ${pinned(alicePin)} (signed with ed25519)`);
    expect(out).toContain(`   alice: resumed from a ticket, TLS_AES_128_GCM_SHA256, x25519 key exchange, ${pinned(bobPin)} (no signature needed)`);
    expect(out).toContain(`   bob:   resumed from a ticket, TLS_AES_128_GCM_SHA256, x25519 key exchange, ${pinned(alicePin)} (no signature needed)`);
    expect(out).toMatch(/^ {3}mallory: refused: .*bad_certificate \(42\)$/m);
    expect(out).toMatch(/^ {3}bob: {5}refused her: .*matches no pin$/m);
  }, TEST_MS);

  it('backpressure.ts: writable$ flips, buffers stay flat, the bar reaches 100%', async () => {
    const r = await runToEnd(TSX, ['demos/backpressure.ts', '16', '8'], '', { name: 'backpressure', timeoutMs: 60_000 });
    const out = r.stdout.toString();
    expect(r.status.code).toBe(0);
    expect(out).toMatch(/^sending 16 MiB to a reader that takes 8 MiB\/s$/m);
    expect(out).toMatch(/writable\$ false/); // seen at some tick
    expect(out).toMatch(/^\[#{30}\] 100% +16\.0 MiB/m);
    const done = /done: 16 MiB in [\d.]+ s \([\d.]+ MiB\/s\); writable\$ flipped (\d+) times; at most (\d+) KiB buffered/.exec(out);
    expect(done).not.toBeNull();
    expect(Number(done![1])).toBeGreaterThan(2);
    expect(Number(done![2])).toBeLessThan(1024); // 16 MiB went through; at most a few hundred KiB were ever held
  }, TEST_MS);
});
