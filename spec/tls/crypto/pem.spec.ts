import { TlsMisuseError } from '../../../src/tls/errors.js';
import { pemDecode, pemEncode } from '../../../src/tls/crypto/pem.js';

const bytes = (n: number, seed = 1) => new Uint8Array(n).map((_, i) => (i * 73 + seed) & 0xff);

describe('pemEncode / pemDecode', () => {
  test.each([0, 1, 2, 3, 47, 48, 49, 1000])('round-trips %i bytes', (n) => {
    const der = bytes(n);
    const text = pemEncode('TEST DATA', der);
    expect(text.startsWith('-----BEGIN TEST DATA-----\n')).toBe(true);
    expect(text.endsWith('-----END TEST DATA-----\n')).toBe(true);
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(64);
    if (n === 0) {
      expect(() => pemDecode(text)).toThrow('is empty');
    } else {
      expect(pemDecode(text)).toEqual([{ label: 'TEST DATA', der }]);
    }
  });

  test('matches Node base64 with the standard 64-column layout', () => {
    const der = bytes(100);
    const b64 = Buffer.from(der).toString('base64');
    expect(b64.length).toBe(136);
    const body = `${b64.slice(0, 64)}\n${b64.slice(64, 128)}\n${b64.slice(128)}`;
    expect(pemEncode('X', der)).toBe(`-----BEGIN X-----\n${body}\n-----END X-----\n`);
  });

  test('decodes every block in order, with CRLF and text around and between them', () => {
    const a = bytes(40, 3);
    const b = bytes(70, 9);
    const text =
      'Bag Attributes\r\n    friendlyName: a\r\n' +
      pemEncode('CERTIFICATE', a).replace(/\n/g, '\r\n') +
      'subject=CN = b\n\n' +
      pemEncode('PRIVATE KEY', b) +
      'trailing words';
    expect(pemDecode(text)).toEqual([
      { label: 'CERTIFICATE', der: a },
      { label: 'PRIVATE KEY', der: b },
    ]);
  });

  test('text without blocks decodes to no blocks', () => {
    expect(pemDecode('')).toEqual([]);
    expect(pemDecode('just words\n')).toEqual([]);
  });

  test('rejects bad base64, missing or mismatched END lines, and encapsulated headers', () => {
    const good = pemEncode('X', bytes(30));
    const cases: [string, string][] = [
      [good.replace(/^(-----BEGIN X-----\n)(.)/, '$1!'), 'not valid base64'],
      [good.replace(/^(-----BEGIN X-----\n.)/, '$1='), 'not valid base64'],
      [good.replace(/=*\n-----END/, 'A\n-----END'), 'not valid base64'],
      [good.replace('-----END X-----\n', ''), 'no END line'],
      [good.replace('-----END X-----', '-----END Y-----'), 'different label'],
      [good.replace('-----END X-----\n', '') + good, 'no END line'],
      [good.replace('-----BEGIN X-----\n', '-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n\n'), 'has headers'],
    ];
    for (const [text, message] of cases) {
      let caught: unknown;
      try {
        pemDecode(text);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(TlsMisuseError);
      expect((caught as Error).message).toContain(message);
    }
  });
});
