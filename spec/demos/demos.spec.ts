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
