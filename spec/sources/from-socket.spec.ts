import * as net from 'node:net';
import { NEVER, Subject, firstValueFrom, from, of, toArray, lastValueFrom } from 'rxjs';
import { fromSocket } from '../../src/sources/from-socket.js';
import { SocketClosedError, WriteBufferOverflowError } from '../../src/sources/errors.js';
import { TlsMisuseError } from '../../src/tls/errors.js';
import { Resources, paced, pseudoRandom, sha256, sleep, socketPair, waitFor, withTimeout } from './support/net.js';

const res = new Resources();
afterEach(() => res.closeAll());

const closed = (s: net.Socket) => new Promise<void>((resolve) => (s.destroyed && s.closed ? resolve() : s.once('close', () => resolve())));

describe('fromSocket', () => {
  it('carries 8 MiB each way at once, intact (hashes), and then closes both sockets', async () => {
    const { client, server } = await socketPair(res);
    const c = fromSocket(client);
    const s = fromSocket(server);
    const up = pseudoRandom(8 << 20, 7);
    const down = pseudoRandom(8 << 20, 11);
    const atServer = lastValueFrom(s.read(of(Infinity)).pipe(toArray()));
    const atClient = lastValueFrom(c.read(of(Infinity)).pipe(toArray()));
    const w1 = lastValueFrom(c.write(paced(c, up, 64 * 1024)), { defaultValue: 'done' });
    const w2 = lastValueFrom(s.write(paced(s, down, 50_000)), { defaultValue: 'done' });
    const [gotUp, gotDown] = await withTimeout(Promise.all([atServer, atClient, w1, w2]), 8000, 'transfer');
    expect(sha256(gotUp)).toBe(sha256(up));
    expect(sha256(gotDown)).toBe(sha256(down));
    // both directions are done: both sockets are destroyed
    await withTimeout(Promise.all([closed(client), closed(server)]), 2000, 'sockets closed');
  });

  it('half-closes: one side completes its write, the other still writes back and the first still reads', async () => {
    const { client, server } = await socketPair(res);
    const c = fromSocket(client);
    const s = fromSocket(server);
    const clientRead = lastValueFrom(c.read(of(Infinity)).pipe(toArray()));
    await lastValueFrom(c.write(of(Buffer.from('ping'))), { defaultValue: 0 }); // FIN sent
    const request = await withTimeout(lastValueFrom(s.read(of(Infinity)).pipe(toArray())), 2000, 'server read to EOF');
    expect(Buffer.concat(request).toString()).toBe('ping');
    expect(client.destroyed).toBe(false); // the client still reads
    await sleep(20);
    await lastValueFrom(s.write(of(Buffer.from('po'), Buffer.from('ng'))), { defaultValue: 0 });
    const reply = await withTimeout(clientRead, 2000, 'client read to EOF');
    expect(Buffer.concat(reply).toString()).toBe('pong');
    await withTimeout(Promise.all([closed(client), closed(server)]), 2000, 'sockets closed');
  });

  it('releases one read per credit; a read returns what Node has buffered', async () => {
    const { client, server } = await socketPair(res);
    const c = fromSocket(client);
    const s = fromSocket(server);
    const credits = new Subject<number>();
    const got: string[] = [];
    res.keep(s.read(credits).subscribe((chunk) => got.push(Buffer.from(chunk).toString())));
    const out = new Subject<Uint8Array>();
    res.keep(c.write(out).subscribe());
    out.next(Buffer.from('a'));
    await waitFor(() => server.readableLength === 1, 2000, 'a buffered at the server');
    await sleep(30);
    expect(got).toEqual([]); // no credit, no read
    credits.next(1);
    expect(got).toEqual(['a']); // synchronous on credit: Node had it buffered
    out.next(Buffer.from('b'));
    await waitFor(() => server.readableLength === 1, 2000, 'b buffered at the server');
    out.next(Buffer.from('c'));
    await waitFor(() => server.readableLength === 2, 2000, 'c buffered at the server');
    expect(s.stats().readBuffered).toBe(2);
    expect(got).toEqual(['a']);
    credits.next(1);
    expect(got).toEqual(['a', 'bc']); // one credit, one read: both arrivals, joined by Node
    credits.next(2);
    out.next(Buffer.from('d'));
    await waitFor(() => got.length === 2 + 1, 2000, 'd');
    out.next(Buffer.from('e'));
    await waitFor(() => got.length === 2 + 2, 2000, 'e');
    out.next(Buffer.from('f'));
    await sleep(50);
    expect(got).toEqual(['a', 'bc', 'd', 'e']);
    expect(s.stats().readBuffered).toBe(1);
  });

  it('a reader with no credit closes the window: writable$ turns and stays false, buffers stay bounded, then everything arrives', async () => {
    const readHwm = 16 * 1024;
    const { client, server } = await socketPair(res, { serverReadHighWaterMark: readHwm });
    const c = fromSocket(client, { writeHighWaterMark: 64 * 1024 });
    const s = fromSocket(server);
    expect(server.readableHighWaterMark).toBe(readHwm);
    const data = pseudoRandom(48 << 20, 3);
    const writableLog: boolean[] = [];
    c.writable$.subscribe((w) => writableLog.push(w));
    let sent = 0;
    let maxWriteBuffered = 0;
    let maxReadBuffered = 0;
    const written = lastValueFrom(c.write(paced(c, data, 16 * 1024, (n) => {
      sent = n;
      maxWriteBuffered = Math.max(maxWriteBuffered, c.stats().writeBuffered);
    })), { defaultValue: 'done' });
    const credits = new Subject<number>();
    const received = lastValueFrom(s.read(credits).pipe(toArray()));

    // wait until the writer stalls: writable$ false and no progress for 300 ms
    let last = -1;
    let stableSince = Date.now();
    const deadline = Date.now() + 6000;
    while (Date.now() - stableSince < 300) {
      if (Date.now() > deadline) throw new Error(`writer never stalled; sent ${sent}`);
      await sleep(20);
      maxReadBuffered = Math.max(maxReadBuffered, server.readableLength);
      if (sent !== last || writableLog[writableLog.length - 1] !== false) {
        last = sent;
        stableSince = Date.now();
      }
    }
    expect(writableLog[writableLog.length - 1]).toBe(false);
    expect(sent).toBeLessThan(data.length); // it really was stopped, not finished
    // the app's buffers are bounded by their marks (+ one chunk / one kernel read)
    expect(maxWriteBuffered).toBeLessThanOrEqual(64 * 1024 + 16 * 1024);
    expect(maxReadBuffered).toBeLessThanOrEqual(readHwm + 64 * 1024);
    expect(server.readableLength).toBeLessThanOrEqual(readHwm + 64 * 1024);
    // what the kernels hold is bounded too: socket buffers, not the 48 MiB on offer
    const inKernels = sent - client.writableLength - server.readableLength;
    if (process.env.RXTLS_VERBOSE) console.log({ sent, inKernels, maxWriteBuffered, maxReadBuffered });
    expect(inKernels).toBeLessThan(24 << 20);
    // still stalled a little later: the no-credit reader keeps it false
    await sleep(100);
    expect(writableLog[writableLog.length - 1]).toBe(false);
    expect(sent).toBe(last);

    credits.next(Infinity);
    const [chunks] = await withTimeout(Promise.all([received, written]), 8000, 'drain after credit');
    expect(sha256(chunks)).toBe(sha256(data));
    expect(writableLog.filter((w, i) => i > 0 && w === writableLog[i - 1])).toEqual([]); // only changes
  });

  it('a reader that unsubscribes leaves the data for the next reader, without loss or duplication', async () => {
    const { client, server } = await socketPair(res);
    const c = fromSocket(client);
    const s = fromSocket(server);
    const data = pseudoRandom(1 << 20, 5);
    res.keep(c.write(paced(c, data, 4096)).subscribe());
    const got: Uint8Array[] = [];
    for (let i = 0; i < 5; i++) {
      const one = await withTimeout(firstValueFrom(s.read(of(1))), 2000, 'one chunk');
      got.push(one);
    }
    const rest = await withTimeout(lastValueFrom(s.read(of(Infinity)).pipe(toArray())), 4000, 'rest');
    expect(sha256([...got, ...rest])).toBe(sha256(data));
  });

  it('errors a second concurrent reader and writer with TlsMisuseError, and a write after half-close', async () => {
    const { client } = await socketPair(res);
    const c = fromSocket(client);
    res.keep(c.read(NEVER).subscribe());
    await expect(firstValueFrom(c.read(of(1)))).rejects.toBeInstanceOf(TlsMisuseError);
    const w = c.write(NEVER).subscribe();
    await expect(lastValueFrom(c.write(of(Buffer.from('x'))), { defaultValue: 0 })).rejects.toBeInstanceOf(TlsMisuseError);
    w.unsubscribe();
    await lastValueFrom(c.write(of(Buffer.from('x'))), { defaultValue: 0 });
    await expect(lastValueFrom(c.write(of(Buffer.from('y'))), { defaultValue: 0 })).rejects.toThrow(/after the write side was closed/);
  });

  it('requires allowHalfOpen', async () => {
    const { client } = await socketPair(res);
    client.allowHalfOpen = false;
    expect(() => fromSocket(client)).toThrow(TlsMisuseError);
  });

  it('a writer that ignores writable$ gets WriteBufferOverflowError and the connection is torn down', async () => {
    const { client, server } = await socketPair(res);
    const c = fromSocket(client, { writeHighWaterMark: 16 * 1024, maxWriteBuffer: 128 * 1024 });
    const s = fromSocket(server);
    const readErr = lastValueFrom(c.read(NEVER), { defaultValue: 0 }).catch((e: unknown) => e);
    const big = new Uint8Array(1 << 20);
    const err = await withTimeout(
      lastValueFrom(c.write(from(Array.from({ length: 64 }, () => big))), { defaultValue: 0 }).catch((e: unknown) => e),
      4000,
      'overflow',
    );
    expect(err).toBeInstanceOf(WriteBufferOverflowError);
    expect((err as Error).message).toMatch(/limit of 131072 bytes/);
    expect(await readErr).toBe(err);
    // the peer drains what was written, sees the end, and our socket goes away
    s.read(of(Infinity)).subscribe({ error: () => undefined });
    await withTimeout(closed(client), 4000, 'client socket closed');
  });

  it('a peer reset errors both directions with the socket error', async () => {
    const { client, server } = await socketPair(res);
    const s = fromSocket(server);
    const readErr = lastValueFrom(s.read(of(Infinity)), { defaultValue: 0 }).catch((e: unknown) => e);
    const writeErr = lastValueFrom(s.write(NEVER), { defaultValue: 0 }).catch((e: unknown) => e);
    client.resetAndDestroy();
    const [r, w] = await withTimeout(Promise.all([readErr, writeErr]), 2000, 'errors');
    expect((r as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    expect(w).toBe(r);
    await expect(firstValueFrom(s.read(of(1)))).rejects.toBe(r);
  });

  it('close() destroys the socket; a pending read and write error with SocketClosedError', async () => {
    const { client, server } = await socketPair(res);
    const c = fromSocket(client);
    const seen: unknown[] = [];
    c.read(of(Infinity)).subscribe({ error: (e) => seen.push(e) });
    c.write(NEVER).subscribe({ error: (e) => seen.push(e) });
    const ws: boolean[] = [];
    c.writable$.subscribe((w) => ws.push(w));
    c.close();
    expect(seen.length).toBe(2);
    expect(seen[0]).toBeInstanceOf(SocketClosedError);
    expect(seen[1]).toBeInstanceOf(SocketClosedError);
    expect(ws).toEqual([true, false]);
    expect(client.destroyed).toBe(true);
    // the peer sees the connection end
    const s = fromSocket(server);
    await withTimeout(lastValueFrom(s.read(of(Infinity)), { defaultValue: 0 }).catch(() => 0), 2000, 'peer end');
  });

  it('reports its addresses and buffered bytes', async () => {
    const { client, server } = await socketPair(res);
    const c = fromSocket(client);
    expect(c.remoteAddress).toBe('127.0.0.1');
    expect(c.remotePort).toBe(server.localPort);
    expect(c.localPort).toBe(server.remotePort);
    expect(c.stats()).toEqual({ readBuffered: 0, writeBuffered: 0 });
  });
});
