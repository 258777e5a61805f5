/**
 * The `rxtls` command line: options, defaults, and the one-line reasons for refusing one.
 */
import { NotSupportedError, UsageError, parseArgs, parsePinArgument, usage } from '../../src/cli/args.js';

const PIN = 'mB2coOmxMtWwyo5UIT065q/bG3CSCVWVflTf3KWfKCU=';

describe('parseArgs', () => {
  it('fills in the server defaults', () => {
    expect(parseArgs(['server'])).toEqual({
      command: 'server', host: '127.0.0.1', port: 4433, certFile: undefined, keyFile: undefined, mode: 'print', alpn: [], keylogFile: undefined, quiet: false,
    });
  });

  it('reads server options in both spellings, lists and flags', () => {
    expect(parseArgs(['server', '--port=0', '--host', '::1', '--cert', 'c.pem', '--key=k.pem', '--www', '--alpn', 'h2,http/1.1', '--alpn', 'x', '--keylog', 'f', '-q'])).toEqual({
      command: 'server', host: '::1', port: 0, certFile: 'c.pem', keyFile: 'k.pem', mode: 'www', alpn: ['h2', 'http/1.1', 'x'], keylogFile: 'f', quiet: true,
    });
  });

  it('reads a client command line, IPv6 included', () => {
    expect(parseArgs(['client', '[::1]:8443', '--servername', 'localhost', '--ca', 'ca.pem', '--pin', `sha256/${PIN}`, '--pin', `sha256//${PIN}`])).toEqual({
      command: 'client', host: '::1', port: 8443, servername: 'localhost', caFile: 'ca.pem', pins: [PIN, PIN], alpn: [], keylogFile: undefined, quiet: false,
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
    [['server', '--verify-client'], '--verify-client is not supported yet: rxtls cannot request or check client certificates'],
    [['server', '--ca', 'ca.pem'], '--ca is not supported yet: rxtls cannot request or check client certificates'],
    [['client', 'a:1', '--cert', 'c.pem', '--key', 'k.pem'], '--cert is not supported yet: rxtls cannot send client certificates'],
    [['client', 'a:1', '--key', 'k.pem'], '--key is not supported yet: rxtls cannot send client certificates'],
  ])('parses %j but refuses it as not supported yet', (argv, message) => {
    let error: unknown;
    try {
      parseArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NotSupportedError);
    expect((error as Error).message).toBe(message);
  });

  it('answers help and version', () => {
    expect(parseArgs(['--help'])).toEqual({ command: 'help', topic: undefined });
    expect(parseArgs(['help', 'client'])).toEqual({ command: 'help', topic: 'client' });
    expect(parseArgs(['server', '-h'])).toEqual({ command: 'help', topic: 'server' });
    expect(parseArgs(['--version'])).toEqual({ command: 'version' });
    expect(usage('server')).toMatch(/--verify-client +require a client certificate \(not supported yet\)/);
  });
});

describe('parsePinArgument', () => {
  it('takes the sha256/ and sha256// forms, bare base64 and hex', () => {
    const hex = Buffer.from(PIN, 'base64').toString('hex');
    expect([`sha256/${PIN}`, `sha256//${PIN}`, PIN, hex].map(parsePinArgument)).toEqual([PIN, PIN, PIN, hex]);
  });
});
