import { createHash, createHmac } from 'node:crypto';
import { fromHex, toHex, utf8 } from '../../../src/tls/codec/bytes.js';
import { TlsMisuseError } from '../../../src/tls/errors.js';
import type { HashName } from '../../../src/tls/crypto/provider.js';
import { PROVIDERS } from './providers.js';

const names: HashName[] = ['sha256', 'sha384', 'sha512'];

describe.each(PROVIDERS)('%s hashes', (_name, provider) => {
  // FIPS 180-4 examples (one-block message "abc").
  const abc: Record<HashName, string> = {
    sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    sha384:
      'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7',
    sha512:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
  };

  test.each(names)('%s of "abc" matches FIPS 180-4', (name) => {
    const h = provider.hash(name);
    expect(h.name).toBe(name);
    expect(h.outputLength).toBe(abc[name].length / 2);
    expect(toHex(h.digest(utf8('abc')))).toBe(abc[name]);
    const ctx = h.create();
    ctx.update(utf8('a'));
    ctx.update(utf8('bc'));
    expect(toHex(ctx.digest())).toBe(abc[name]);
  });

  test('sha256 of the empty string', () => {
    expect(toHex(provider.hash('sha256').digest(new Uint8Array(0)))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });

  test.each(names)('%s clone() forks an independent state', (name) => {
    const ctx = provider.hash(name).create();
    ctx.update(utf8('ab'));
    const fork = ctx.clone();
    ctx.update(utf8('c'));
    fork.update(utf8('x'));
    const forkOfFork = fork.clone();
    expect(toHex(ctx.digest())).toBe(abc[name]);
    expect(toHex(fork.digest())).toBe(createHash(name).update('abx').digest('hex'));
    forkOfFork.update(utf8('yz'));
    expect(toHex(forkOfFork.digest())).toBe(createHash(name).update('abxyz').digest('hex'));
  });

  test.each(names)('%s agrees with node:crypto on multi-block input', (name) => {
    const data = new Uint8Array(1000).map((_, i) => (i * 31 + 7) & 0xff);
    expect(toHex(provider.hash(name).digest(data))).toBe(createHash(name).update(data).digest('hex'));
  });

  test('an unknown hash name is a misuse', () => {
    expect(() => provider.hash('md5' as HashName)).toThrow(TlsMisuseError);
  });
});

describe.each(PROVIDERS)('%s HMAC', (_name, provider) => {
  // RFC 4231 section 4.3, test case 2.
  const key = utf8('Jefe');
  const data = utf8('what do ya want for nothing?');
  const case2: Record<HashName, string> = {
    sha256: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    sha384:
      'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649',
    sha512:
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
  };

  test.each(names)('HMAC-%s matches RFC 4231 test case 2', (name) => {
    expect(toHex(provider.hmac(name, key, data))).toBe(case2[name]);
  });

  test('HMAC-SHA-256 with a key longer than the block matches RFC 4231 test case 6', () => {
    const longKey = new Uint8Array(131).fill(0xaa);
    const msg = utf8('Test Using Larger Than Block-Size Key - Hash Key First');
    expect(provider.hmac('sha256', longKey, msg)).toEqual(
      fromHex('60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'),
    );
    expect(toHex(provider.hmac('sha512', longKey, msg))).toBe(
      createHmac('sha512', longKey).update(msg).digest('hex'),
    );
  });
});
