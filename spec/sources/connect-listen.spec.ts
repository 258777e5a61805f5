import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { Subject, firstValueFrom, lastValueFrom, of, toArray } from 'rxjs';
import type { Subscription } from 'rxjs';
import { connect } from '../../src/sources/connect.js';
import { listen } from '../../src/sources/listen.js';
import type { SocketDuplex } from '../../src/sources/from-socket.js';
import { Resources, sleep, waitFor, withTimeout } from './support/net.js';

const res = new Resources();
afterEach(() => res.closeAll());

/** Subscribes to listen() on 127.0.0.1:0; resolves with the port once bound. */
async function startServer(opts: Parameters<typeof listen>[0] = {}) {
  const accepted = new Subject<SocketDuplex>();
  const conns: SocketDuplex[] = [];
  let port = 0;
  const bound = new Promise<void>((resolve) => {
    opts = { ...opts, host: '127.0.0.1', port: 0, onListening: (a: AddressInfo) => { port = a.port; resolve(); } };
  });
  const errors: unknown[] = [];
  const subscription: Subscription = listen(opts).subscribe({
    next: (d) => {
      conns.push(d);
      res.onCleanup(() => d.close());
      accepted.next(d);
    },
    error: (e) => errors.push(e),
  });
  res.onCleanup(() => subscription.unsubscribe());
  await withTimeout(bound, 2000, 'listening');
  return { port, subscription, accepted, conns, errors };
}

async function connectTo(port: number, extra: Partial<Parameters<typeof connect>[0]> = {}): Promise<SocketDuplex> {
  const d = await withTimeout(firstValueFrom(connect({ host: '127.0.0.1', port, ...extra })), 2000, 'connect');
  res.onCleanup(() => d.close());
  return d;
}

describe('connect and listen', () => {
  it('connect emits once connected and completes; listen emits each accepted connection', async () => {
    const srv = await startServer();
    const emitted: SocketDuplex[] = [];
    let completed = false;
    const done = new Promise<void>((resolve, reject) => {
      connect({ host: '127.0.0.1', port: srv.port }).subscribe({
        next: (d) => { emitted.push(d); res.onCleanup(() => d.close()); },
        complete: () => { completed = true; resolve(); },
        error: reject,
      });
    });
    await withTimeout(done, 2000, 'connect');
    expect(emitted.length).toBe(1);
    expect(completed).toBe(true);
    const c = emitted[0]!;
    await waitFor(() => srv.conns.length === 1, 2000, 'accept');
    const s = srv.conns[0]!;
    expect(c.remotePort).toBe(srv.port);
    expect(s.localPort).toBe(srv.port);
    expect(s.remotePort).toBe(c.localPort);
    expect(s.remoteAddress).toBe('127.0.0.1');
    // the pair carries data both ways, with half-close
    const reply = lastValueFrom(c.read(of(Infinity)).pipe(toArray()));
    s.write(s.read(of(Infinity))).subscribe(); // echo until the client's FIN, then FIN back
    c.write(of(Buffer.from('hello'))).subscribe();
    expect(Buffer.concat(await withTimeout(reply, 2000, 'echo')).toString()).toBe('hello');
    // a second connection is a second emission
    await connectTo(srv.port);
    await waitFor(() => srv.conns.length === 2, 2000, 'second accept');
  });

  it('unsubscribing closes the server; connections already accepted stay up', async () => {
    const srv = await startServer();
    const c = await connectTo(srv.port);
    await waitFor(() => srv.conns.length === 1, 2000, 'accept');
    const s = srv.conns[0]!;
    srv.subscription.unsubscribe();
    await expect(withTimeout(firstValueFrom(connect({ host: '127.0.0.1', port: srv.port })), 2000, 'refused'))
      .rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const got = firstValueFrom(s.read(of(1)));
    res.keep(c.write(of(Buffer.from('still here'))).subscribe());
    expect(Buffer.from(await withTimeout(got, 2000, 'data after close')).toString()).toBe('still here');
  });

  it('connection refused errors the observable', async () => {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const err = await withTimeout(firstValueFrom(connect({ host: '127.0.0.1', port })).catch((e: unknown) => e), 2000, 'refused');
    expect(err).toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('unsubscribing before the connection is established abandons it quietly', async () => {
    const srv = await startServer();
    const seen: unknown[] = [];
    const sub = connect({ host: '127.0.0.1', port: srv.port }).subscribe({ next: (d) => seen.push(d), error: (e) => seen.push(e) });
    sub.unsubscribe();
    await sleep(100);
    expect(seen).toEqual([]);
    // if the server saw the attempt at all, it sees it end
    for (const s of srv.conns) {
      await withTimeout(lastValueFrom(s.read(of(Infinity)), { defaultValue: 0 }).catch(() => 0), 2000, 'abandoned connection ends');
    }
  });

  it('a listen error (address in use) errors the observable', async () => {
    const srv = await startServer();
    const err = await withTimeout(
      firstValueFrom(listen({ host: '127.0.0.1', port: srv.port })).catch((e: unknown) => e),
      2000,
      'EADDRINUSE',
    );
    expect(err).toMatchObject({ code: 'EADDRINUSE' });
  });

  it('applies the read and write high-water marks to the sockets', async () => {
    const srv = await startServer({ readHighWaterMark: 4096 });
    const c = await connectTo(srv.port, { readHighWaterMark: 2048, writeHighWaterMark: 1024 });
    await waitFor(() => srv.conns.length === 1, 2000, 'accept');
    const s = srv.conns[0]!;
    // a reader that holds no credit: the server socket buffers no more than its mark + one read
    const big = new Uint8Array(4 << 20);
    const ws: boolean[] = [];
    c.writable$.subscribe((w) => ws.push(w));
    res.keep(c.write(of(big)).subscribe({ error: () => undefined }));
    expect(ws).toEqual([true, false]); // 4 MiB at once is far above 1 KiB
    await sleep(100);
    expect(s.stats().readBuffered).toBeLessThanOrEqual(4096 + 64 * 1024);
    expect(s.stats().readBuffered).toBeGreaterThan(0);
  });
});
