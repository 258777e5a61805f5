/**
 * The `rxtls` command line: options, defaults, and the one-line reasons for refusing one.
 */
import { UsageError, parseArgs, parsePinArgument, usage } from '../../src/cli/args.js';

const PIN = 'mB2coOmxMtWwyo5UIT065q/bG3CSCVWVflTf3KWfKCU=';
const PSK = '00112233445566778899aabbccddeeff';
/** The server options a bare `rxtls server` leaves at their defaults, besides the basics. */
const SERVER_EXTRAS = { clientAuth: 'none', clientCaFile: undefined, psk: undefined, maxEarlyData: 0, rawPublicKey: false };
/** Likewise for `rxtls client`. */
const CLIENT_EXTRAS = { certFile: undefined, keyFile: undefined, psk: undefined, sessOut: undefined, sessIn: undefined, earlyData: false, rawPublicKey: false };

describe('parseArgs', () => {
  it('fills in the server defaults', () => {
    expect(parseArgs(['server'])).toEqual({
      command: 'server', host: '127.0.0.1', port: 4433, certFile: undefined, keyFile: undefined, mode: 'print', alpn: [], keylogFile: undefined, quiet: false,
      ...SERVER_EXTRAS,
    });
  });

  it('reads server options in both spellings, lists and flags', () => {
    expect(parseArgs(['server', '--port=0', '--host', '::1', '--cert', 'c.pem', '--key=k.pem', '--www', '--alpn', 'h2,http/1.1', '--alpn', 'x', '--keylog', 'f', '-q'])).toEqual({
      command: 'server', host: '::1', port: 0, certFile: 'c.pem', keyFile: 'k.pem', mode: 'www', alpn: ['h2', 'http/1.1', 'x'], keylogFile: 'f', quiet: true,
      ...SERVER_EXTRAS,
    });
  });

  it('reads a client command line, IPv6 included', () => {
    expect(parseArgs(['client', '[::1]:8443', '--servername', 'localhost', '--ca', 'ca.pem', '--pin', `sha256/${PIN}`, '--pin', `sha256//${PIN}`])).toEqual({
      command: 'client', host: '::1', port: 8443, servername: 'localhost', caFile: 'ca.pem', pins: [PIN, PIN], alpn: [], keylogFile: undefined, quiet: false,
      ...CLIENT_EXTRAS,
    });
  });

  it('reads the server\'s client-certificate, PSK, 0-RTT and raw-key options', () => {
    expect(parseArgs(['server', '--ca', 'ca.pem', '--verify-client'])).toMatchObject({ clientAuth: 'require', clientCaFile: 'ca.pem' });
    expect(parseArgs(['server', '--ca', 'ca.pem', '--request-cert'])).toMatchObject({ clientAuth: 'request', clientCaFile: 'ca.pem' });
    expect(parseArgs(['server', '--psk', PSK, '--psk-identity', 'dev', '--max-early-data', '16384', '--raw-public-key'])).toMatchObject({
      psk: { identity: 'dev', key: new Uint8Array(Buffer.from(PSK, 'hex')) }, maxEarlyData: 16384, rawPublicKey: true,
    });
    expect(parseArgs(['server', '--psk', `0x${PSK.toUpperCase()}`])).toMatchObject({ psk: { identity: 'Client_identity' } });
  });

  it('reads the client\'s certificate, PSK, session file, 0-RTT and raw-key options', () => {
    expect(parseArgs(['client', 'h:1', '--cert', 'c.pem', '--key', 'k.pem', '--sess-out', 's1', '--sess-in', 's0', '--early-data'])).toMatchObject({
      certFile: 'c.pem', keyFile: 'k.pem', sessOut: 's1', sessIn: 's0', earlyData: true,
    });
    expect(parseArgs(['client', 'h:1', '--psk', PSK, '--raw-public-key', '--pin', PIN])).toMatchObject({
      psk: { identity: 'Client_identity', key: new Uint8Array(Buffer.from(PSK, 'hex')) }, rawPublicKey: true, pins: [PIN],
    });
  });

  it.each([
    [['server', '--bogus'], "unknown option --bogus for 'server' (see rxtls server --help)"],
    [['server', '--port', '70000'], '--port "70000" is not a port number (0 to 65535)'],
    [['server', '--port'], '--port needs a value (N)'],
    [['server', '--echo', '--www'], 'give --echo or --www, not both'],
    [['server', '--cert', 'c.pem'], '--cert and --key go together'],
    [['server', '--echo=yes'], '--echo takes no value'],
    [['server', '--port', '1', '--port', '2'], '--port given twice'],
    [['client'], "'client' needs HOST:PORT"],
    [['client', 'example.com'], 'expected HOST:PORT, got "example.com" (IPv6: [::1]:4433)'],
    [['client', 'a:1', 'b:2'], 'unexpected argument "b:2" for \'client\''],
    [['client', 'a:0'], 'port 0 is not a port to connect to'],
    [['client', 'a:1', '--pin', 'abc'], '--pin "abc" is not a SHA-256 SPKI pin (sha256/ followed by 44 base64 characters)'],
    [['client', 'a:1', '--alpn', ','], 'ALPN protocol name "" must be 1 to 255 bytes'],
    [['serve'], 'unknown command "serve"; expected \'server\' or \'client\''],
    [[], "missing command: 'server' or 'client'"],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(new UsageError(message));
  });

  it.each([
    [['server', '--verify-client'], '--verify-client needs --ca FILE (the CAs that issue client certificates)'],
    [['server', '--request-cert'], '--request-cert needs --ca FILE (the CAs that issue client certificates)'],
    [['server', '--ca', 'ca.pem'], '--ca checks client certificates: add --verify-client (require one) or --request-cert (ask for one)'],
    [['server', '--ca', 'ca.pem', '--verify-client', '--request-cert'], 'give --verify-client or --request-cert, not both'],
    [['server', '--psk', 'xyz'], '--psk "xyz" is not hex (two digits a byte, as openssl\'s -psk)'],
    [['server', '--psk', '0011'], '--psk is 2 bytes; give at least 16'],
    [['server', '--psk-identity', 'dev'], '--psk-identity needs --psk HEX'],
    [['server', '--max-early-data', '-1'], '--max-early-data "-1" is not a byte count (0 to 4294967295)'],
    [['client', 'a:1', '--key', 'k.pem'], '--cert and --key go together'],
    [['client', 'a:1', '--raw-public-key'], '--raw-public-key needs --pin (a raw key has no certificate to check)'],
    [['client', 'a:1', '--early-data'], '--early-data needs --sess-in FILE (0-RTT resumes a saved session)'],
  ])('refuses %j: %s', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(new UsageError(message));
  });

  it('answers help and version', () => {
    expect(parseArgs(['--help'])).toEqual({ command: 'help', topic: undefined });
    expect(parseArgs(['help', 'client'])).toEqual({ command: 'help', topic: 'client' });
    expect(parseArgs(['server', '-h'])).toEqual({ command: 'help', topic: 'server' });
    expect(parseArgs(['--version'])).toEqual({ command: 'version' });
    expect(usage('server')).toMatch(/--verify-client +require a client certificate issued by --ca/);
    expect(usage('client')).toMatch(/^ +rxtls client HOST:PORT --psk HEX \[--psk-identity ID\]/m);
    expect(usage('client')).not.toMatch(/not supported yet/);
  });
});

describe('parsePinArgument', () => {
  it('takes the sha256/ and sha256// forms, bare base64 and hex', () => {
    const hex = Buffer.from(PIN, 'base64').toString('hex');
    expect([`sha256/${PIN}`, `sha256//${PIN}`, PIN, hex].map(parsePinArgument)).toEqual([PIN, PIN, PIN, hex]);
  });
});
