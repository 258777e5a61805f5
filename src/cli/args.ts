/**
 * Command-line parsing for `rxtls`: a small, strict option parser and the two commands'
 * options, checked and typed. Nothing here touches the network or the file system.
 *
 * @module
 */

/** A mistake on the command line (unknown option, missing value, bad port...): exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** One option of a command: a flag (no `value`) or an option taking a value. */
interface OptionSpec {
  readonly name: string;
  /** Placeholder of the value in the help text; absent for a flag. */
  readonly value?: string;
  /** One-letter alias, such as `q` for `--quiet`. */
  readonly short?: string;
  /** May be given more than once (values accumulate). */
  readonly repeat?: boolean;
  readonly help: string;
}

/** Raw parse result: positional arguments and option values by name. */
interface Parsed {
  readonly positionals: string[];
  readonly values: Map<string, string[]>;
  readonly flags: Set<string>;
}

/**
 * Parses `argv` against `specs`: `--name value`, `--name=value`, `-x`, `--` ends options.
 * Throws UsageError naming the offending argument.
 */
function parse(command: string, argv: readonly string[], specs: readonly OptionSpec[]): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const positionals: string[] = [];
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const key = eq >= 0 ? arg.slice(0, eq) : arg;
    const spec = key.startsWith('--') ? byName.get(key.slice(2)) : key.length === 2 ? byShort.get(key.slice(1)) : undefined;
    if (!spec) throw new UsageError(`unknown option ${key} for '${command}' (see rxtls ${command} --help)`);
    if (spec.value === undefined) {
      if (eq >= 0) throw new UsageError(`--${spec.name} takes no value`);
      flags.add(spec.name);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length) value = argv[++i];
    if (value === undefined || value === '') throw new UsageError(`--${spec.name} needs a value (${spec.value})`);
    const list = values.get(spec.name) ?? [];
    if (list.length > 0 && !spec.repeat) throw new UsageError(`--${spec.name} given twice`);
    list.push(value);
    values.set(spec.name, list);
  }
  return { positionals, values, flags };
}

function one(p: Parsed, name: string): string | undefined {
  return p.values.get(name)?.[0];
}

/** A TCP port, 0 to 65535 (0: let the system choose). */
function port(text: string, what: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) throw new UsageError(`${what} ${JSON.stringify(text)} is not a port number (0 to 65535)`);
  return Number(text);
}

/** ALPN names from one or more `--alpn a,b` options. */
function alpnList(p: Parsed): string[] {
  const names = (p.values.get('alpn') ?? []).flatMap((v) => v.split(',')).map((s) => s.trim());
  for (const n of names) {
    const size = new TextEncoder().encode(n).length;
    if (size < 1 || size > 255) throw new UsageError(`ALPN protocol name ${JSON.stringify(n)} must be 1 to 255 bytes`);
  }
  return names;
}

/**
 * An SPKI pin as curl and HPKP write it: `sha256/BASE64` or `sha256//BASE64` (curl's
 * `--pinnedpubkey`), or the bare SHA-256 in base64 or hex. Returns the bare value.
 */
export function parsePinArgument(text: string): string {
  const bare = text.replace(/^sha256\/\/?/i, '');
  if (/^[A-Za-z0-9+/]{43}=$/.test(bare) || /^[0-9a-fA-F]{64}$/.test(bare.replace(/:/g, ''))) return bare;
  throw new UsageError(`--pin ${JSON.stringify(text)} is not a SHA-256 SPKI pin (sha256/ followed by 44 base64 characters)`);
}

const COMMON: readonly OptionSpec[] = [
  { name: 'alpn', value: 'a,b', repeat: true, help: 'ALPN protocol names, most preferred first' },
  { name: 'keylog', value: 'FILE', help: 'append NSS key log lines (for Wireshark) to FILE; SSLKEYLOGFILE works too' },
  { name: 'quiet', short: 'q', help: 'print only errors on stderr' },
  { name: 'help', short: 'h', help: 'show this help' },
];

const SERVER_OPTIONS: readonly OptionSpec[] = [
  { name: 'host', value: 'ADDR', help: 'address to listen on (default 127.0.0.1)' },
  { name: 'port', value: 'N', help: 'TCP port (default 4433; 0 picks a free one)' },
  { name: 'cert', value: 'FILE', help: 'certificate chain, PEM, leaf first (default: a fresh self-signed one for localhost; none with --psk)' },
  { name: 'key', value: 'FILE', help: "the leaf certificate's private key, PEM" },
  { name: 'echo', help: 'send every client back what it sends' },
  { name: 'www', help: "answer an HTTP request with a page describing the connection (as openssl s_server -www)" },
  { name: 'ca', value: 'FILE', help: 'CA certificates (PEM) that issue client certificates; with --verify-client or --request-cert' },
  { name: 'verify-client', help: 'require a client certificate issued by --ca; refuse clients without one' },
  { name: 'request-cert', help: 'ask for a client certificate (checked against --ca) but let every client in; the log says why one was refused' },
  { name: 'psk', value: 'HEX', help: 'accept clients with this external pre-shared key (hex, 16 bytes or more); without --cert, no certificate at all' },
  { name: 'psk-identity', value: 'ID', help: 'the identity of --psk (default Client_identity, as openssl)' },
  { name: 'max-early-data', value: 'N', help: 'accept up to N bytes of 0-RTT early data on resumed connections (default 0: none; it can be replayed)' },
  { name: 'raw-public-key', help: 'present the key alone (RFC 7250 raw public key) to clients that ask for it' },
  ...COMMON,
];

const CLIENT_OPTIONS: readonly OptionSpec[] = [
  { name: 'servername', value: 'NAME', help: 'server name for SNI and certificate checks (default: HOST, unless an IP address)' },
  { name: 'ca', value: 'FILE', help: 'trust these CA certificates (PEM) instead of the system roots' },
  { name: 'pin', value: 'sha256/B64', repeat: true, help: "accept the server only if its public key has this SHA-256 (curl's --pinnedpubkey form)" },
  { name: 'cert', value: 'FILE', help: 'client certificate chain (PEM, leaf first), sent when the server asks for one' },
  { name: 'key', value: 'FILE', help: "the client certificate's private key (PEM)" },
  { name: 'psk', value: 'HEX', help: 'authenticate with this external pre-shared key (hex, 16 bytes or more) instead of certificates' },
  { name: 'psk-identity', value: 'ID', help: 'the identity of --psk (default Client_identity, as openssl)' },
  { name: 'sess-out', value: 'FILE', help: 'save the session ticket the server sends to FILE (mode 0600: it holds a secret)' },
  { name: 'sess-in', value: 'FILE', help: 'resume the session saved in FILE by --sess-out' },
  { name: 'early-data', help: 'with --sess-in: wait for the first chunk of stdin and send it as 0-RTT early data' },
  { name: 'raw-public-key', help: "ask for the server's raw public key (RFC 7250), checked against --pin" },
  ...COMMON,
];

function optionHelp(specs: readonly OptionSpec[]): string {
  const rows = specs.map((s) => [`${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.value ? ` ${s.value}` : ''}`, s.help] as const);
  const width = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, h]) => `  ${l.padEnd(width)}${h}`).join('\n');
}

/** The help text of a command, or of `rxtls` itself. */
export function usage(command?: 'server' | 'client'): string {
  if (command === 'server') {
    return (
      'usage: rxtls server [--host ADDR] [--port N] [--cert FILE --key FILE] [--echo | --www] [options]\n' +
      '       rxtls server --ca FILE (--verify-client | --request-cert) [options]\n' +
      '       rxtls server --psk HEX [--psk-identity ID] [--cert FILE --key FILE] [options]\n\n' +
      'A TLS 1.3 server. Each connection is logged on stderr; by default what clients send is\n' +
      'written to stdout. Ctrl-C stops listening, closes the connections and exits 0.\n\n' +
      optionHelp(SERVER_OPTIONS) +
      '\n'
    );
  }
  if (command === 'client') {
    return (
      'usage: rxtls client HOST:PORT [--servername NAME] [--ca FILE | --pin sha256/B64] [options]\n' +
      '       rxtls client HOST:PORT [--cert FILE --key FILE] [--sess-out FILE] [--sess-in FILE [--early-data]] [options]\n' +
      '       rxtls client HOST:PORT --psk HEX [--psk-identity ID] [options]\n\n' +
      'A TLS 1.3 client: stdin goes to the server, the server\'s data to stdout, a handshake\n' +
      "summary to stderr. End of stdin sends close_notify; rxtls exits 0 after the server's.\n\n" +
      optionHelp(CLIENT_OPTIONS) +
      '\n'
    );
  }
  return (
    'usage: rxtls <command> [options]\n\n' +
    'commands:\n' +
    '  server    a TLS 1.3 server (echo, www page, or print what clients send)\n' +
    '  client    a TLS 1.3 client between stdin/stdout and a server\n\n' +
    "run 'rxtls <command> --help' for a command's options.\n"
  );
}

/** An external pre-shared key from `--psk HEX --psk-identity ID`. */
export interface PskArgs {
  readonly identity: string;
  readonly key: Uint8Array;
}

/** What `rxtls server` was asked to do. */
export interface ServerArgs {
  readonly command: 'server';
  readonly host: string;
  readonly port: number;
  /** Certificate chain and key files; both absent means an ephemeral self-signed identity (none with `psk`). */
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly mode: 'echo' | 'www' | 'print';
  readonly alpn: readonly string[];
  readonly keylogFile: string | undefined;
  readonly quiet: boolean;
  /** Client certificates: not asked for, asked for (`--request-cert`), or required (`--verify-client`). */
  readonly clientAuth: 'none' | 'request' | 'require';
  /** The CAs that issue client certificates (`--ca`); set exactly when `clientAuth` is not `'none'`. */
  readonly clientCaFile: string | undefined;
  readonly psk: PskArgs | undefined;
  /** Bytes of 0-RTT data accepted (`--max-early-data`); 0: none. */
  readonly maxEarlyData: number;
  readonly rawPublicKey: boolean;
}

/** What `rxtls client` was asked to do. */
export interface ClientArgs {
  readonly command: 'client';
  readonly host: string;
  readonly port: number;
  readonly servername: string | undefined;
  readonly caFile: string | undefined;
  readonly pins: readonly string[];
  readonly alpn: readonly string[];
  readonly keylogFile: string | undefined;
  readonly quiet: boolean;
  /** Client certificate chain and key files (both or neither). */
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly psk: PskArgs | undefined;
  /** Where to save the server's session ticket (`--sess-out`). */
  readonly sessOut: string | undefined;
  /** The saved session to resume (`--sess-in`). */
  readonly sessIn: string | undefined;
  /** Send the first chunk of stdin as 0-RTT early data (`--early-data`; needs `sessIn`). */
  readonly earlyData: boolean;
  readonly rawPublicKey: boolean;
}

/** `rxtls help`, `--help`, or a command's `--help`. */
export interface HelpArgs {
  readonly command: 'help';
  readonly topic: 'server' | 'client' | undefined;
}

/** `rxtls --version`. */
export interface VersionArgs {
  readonly command: 'version';
}

/** A parsed command line. */
export type Args = ServerArgs | ClientArgs | HelpArgs | VersionArgs;

function serverArgs(argv: readonly string[]): ServerArgs | HelpArgs {
  const p = parse('server', argv, SERVER_OPTIONS);
  if (p.flags.has('help')) return { command: 'help', topic: 'server' };
  if (p.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(p.positionals[0])} for 'server'`);
  if (p.flags.has('echo') && p.flags.has('www')) throw new UsageError('give --echo or --www, not both');
  const certFile = one(p, 'cert');
  const keyFile = one(p, 'key');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--cert and --key go together');
  return {
    command: 'server',
    host: one(p, 'host') ?? '127.0.0.1',
    port: port(one(p, 'port') ?? '4433', '--port'),
    certFile,
    keyFile,
    mode: p.flags.has('echo') ? 'echo' : p.flags.has('www') ? 'www' : 'print',
    alpn: alpnList(p),
    keylogFile: one(p, 'keylog'),
    quiet: p.flags.has('quiet'),
    ...clientAuthArgs(p),
    psk: pskArgs(p),
    maxEarlyData: byteCount(one(p, 'max-early-data') ?? '0', '--max-early-data'),
    rawPublicKey: p.flags.has('raw-public-key'),
  };
}

/** `--ca` with `--verify-client` or `--request-cert`: each needs the other. */
function clientAuthArgs(p: Parsed): Pick<ServerArgs, 'clientAuth' | 'clientCaFile'> {
  const require = p.flags.has('verify-client');
  const request = p.flags.has('request-cert');
  const ca = one(p, 'ca');
  if (require && request) throw new UsageError('give --verify-client or --request-cert, not both');
  if ((require || request) && ca === undefined) throw new UsageError(`--${require ? 'verify-client' : 'request-cert'} needs --ca FILE (the CAs that issue client certificates)`);
  if (!require && !request && ca !== undefined) throw new UsageError('--ca checks client certificates: add --verify-client (require one) or --request-cert (ask for one)');
  return { clientAuth: require ? 'require' : request ? 'request' : 'none', clientCaFile: ca };
}

/** `--psk HEX [--psk-identity ID]`; the identity defaults to openssl's `Client_identity`. */
function pskArgs(p: Parsed): PskArgs | undefined {
  const hex = one(p, 'psk');
  const identity = one(p, 'psk-identity');
  if (hex === undefined) {
    if (identity !== undefined) throw new UsageError('--psk-identity needs --psk HEX');
    return undefined;
  }
  const clean = hex.replace(/^0x/i, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw new UsageError(`--psk ${JSON.stringify(hex)} is not hex (two digits a byte, as openssl's -psk)`);
  if (clean.length < 32) throw new UsageError(`--psk is ${clean.length / 2} bytes; give at least 16`);
  if (identity !== undefined && new TextEncoder().encode(identity).length > 0xffff) throw new UsageError('--psk-identity is longer than 65535 bytes');
  return { identity: identity ?? 'Client_identity', key: new Uint8Array(Buffer.from(clean, 'hex')) };
}

/** A byte count, 0 to 2^32 - 1. */
function byteCount(text: string, what: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > 0xffffffff) throw new UsageError(`${what} ${JSON.stringify(text)} is not a byte count (0 to 4294967295)`);
  return Number(text);
}

/** Splits `HOST:PORT`, `[v6]:PORT`. */
function hostPort(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw new UsageError(`expected HOST:PORT, got ${JSON.stringify(text)} (IPv6: [::1]:4433)`);
  return { host: m[1]!, port: port(m[2]!, 'port') };
}

function clientArgs(argv: readonly string[]): ClientArgs | HelpArgs {
  const p = parse('client', argv, CLIENT_OPTIONS);
  if (p.flags.has('help')) return { command: 'help', topic: 'client' };
  if (p.positionals.length !== 1) throw new UsageError(p.positionals.length === 0 ? "'client' needs HOST:PORT" : `unexpected argument ${JSON.stringify(p.positionals[1])} for 'client'`);
  const { host, port: portNumber } = hostPort(p.positionals[0]!);
  if (portNumber === 0) throw new UsageError('port 0 is not a port to connect to');
  const certFile = one(p, 'cert');
  const keyFile = one(p, 'key');
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--cert and --key go together');
  const pins = (p.values.get('pin') ?? []).flatMap((v) => v.split(',')).map(parsePinArgument);
  const rawPublicKey = p.flags.has('raw-public-key');
  if (rawPublicKey && pins.length === 0) throw new UsageError('--raw-public-key needs --pin (a raw key has no certificate to check)');
  const sessIn = one(p, 'sess-in');
  const earlyData = p.flags.has('early-data');
  if (earlyData && sessIn === undefined) throw new UsageError('--early-data needs --sess-in FILE (0-RTT resumes a saved session)');
  return {
    command: 'client',
    host,
    port: portNumber,
    servername: one(p, 'servername'),
    caFile: one(p, 'ca'),
    pins,
    alpn: alpnList(p),
    keylogFile: one(p, 'keylog'),
    quiet: p.flags.has('quiet'),
    certFile,
    keyFile,
    psk: pskArgs(p),
    sessOut: one(p, 'sess-out'),
    sessIn,
    earlyData,
    rawPublicKey,
  };
}

/** Parses the arguments after `rxtls`. Throws UsageError with a one-line reason. */
export function parseArgs(argv: readonly string[]): Args {
  const [command, ...rest] = argv;
  switch (command) {
    case 'server':
      return serverArgs(rest);
    case 'client':
      return clientArgs(rest);
    case undefined:
      throw new UsageError("missing command: 'server' or 'client'");
    case 'help':
    case '--help':
    case '-h':
      return { command: 'help', topic: rest[0] === 'server' || rest[0] === 'client' ? rest[0] : undefined };
    case '--version':
    case '-V':
      return { command: 'version' };
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}; expected 'server' or 'client'`);
  }
}
