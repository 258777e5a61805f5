// Opens `count` node:tls connections to 127.0.0.1:`port` (a few at a time), prints "ready <n>"
// once every handshake is done, and holds them idle until stdin ends (or 120 s pass), then exits.
// Run by the idle-conn-heap benchmark in its own process, so that the clients' memory is not
// counted with the server's. Plain JavaScript: node runs it without a loader.
import * as tls from 'node:tls';

const [port, count] = process.argv.slice(2).map(Number);
const ca = process.env.BENCH_CA_PEM;
const CONCURRENCY = 16;
const sockets = [];
let started = 0;
let done = 0;
let failed = 0;

function open() {
  if (started >= count) return;
  started++;
  const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca, minVersion: 'TLSv1.3' });
  s.once('secureConnect', () => {
    done++;
    if (done + failed === count) process.stdout.write(`ready ${done}\n`);
    else open();
  });
  s.on('error', () => {
    failed++;
    if (done + failed === count) process.stdout.write(`ready ${done}\n`);
    else open();
  });
  s.on('data', () => undefined);
  sockets.push(s);
}

for (let i = 0; i < CONCURRENCY; i++) open();
const quit = () => {
  for (const s of sockets) s.destroy();
  process.exit(0);
};
process.stdin.on('end', quit);
process.stdin.on('close', quit);
process.stdin.resume();
setTimeout(quit, 120_000).unref();
