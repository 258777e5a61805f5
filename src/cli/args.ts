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

/** A flag that rxtls understands but cannot honour yet: also exit status 2, never ignored silently. */
export class NotSupportedError extends UsageError {
  constructor(flag: string, why: string) {
    super(`${flag} is not supported yet: ${why}`);
    this.name = 'NotSupportedError';
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
  { name: 'cert', value: 'FILE', help: 'certificate chain, PEM, leaf first (default: a fresh self-signed one for localhost)' },
  { name: 'key', value: 'FILE', help: "the leaf certificate's private key, PEM" },
  { name: 'echo', help: 'send every client back what it sends' },
  { name: 'www', help: "answer an HTTP request with a page describing the connection (as openssl s_server -www)" },
  { name: 'ca', value: 'FILE', help: 'CA certificates for client certificates (not supported yet)' },
  { name: 'verify-client', help: 'require a client certificate (not supported yet)' },
  ...COMMON,
];

const CLIENT_OPTIONS: readonly OptionSpec[] = [
  { name: 'servername', value: 'NAME', help: 'server name for SNI and certificate checks (default: HOST, unless an IP address)' },
  { name: 'ca', value: 'FILE', help: 'trust these CA certificates (PEM) instead of the system roots' },
  { name: 'pin', value: 'sha256/B64', repeat: true, help: "accept the server only if its public key has this SHA-256 (curl's --pinnedpubkey form)" },
  { name: 'cert', value: 'FILE', help: 'client certificate (not supported yet)' },
  { name: 'key', value: 'FILE', help: 'client private key (not supported yet)' },
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
      'usage: rxtls server [--host ADDR] [--port N] [--cert FILE --key FILE] [--echo | --www] [options]\n\n' +
      'A TLS 1.3 server. Each connection is logged on stderr; by default what clients send is\n' +
      'written to stdout. Ctrl-C stops listening, closes the connections and exits 0.\n\n' +
      optionHelp(SERVER_OPTIONS) +
      '\n'
    );
  }
  if (command === 'client') {
    return (
      'usage: rxtls client HOST:PORT [--servername NAME] [--ca FILE | --pin sha256/B64] [options]\n\n' +
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

/** What `rxtls server` was asked to do. */
export interface ServerArgs {
  readonly command: 'server';
  readonly host: string;
  readonly port: number;
  /** Certificate chain and key files; both absent means an ephemeral self-signed identity. */
  readonly certFile: string | undefined;
  readonly keyFile: string | undefined;
  readonly mode: 'echo' | 'www' | 'print';
  readonly alpn: readonly string[];
  readonly keylogFile: string | undefined;
  readonly quiet: boolean;
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
  // Client certificates need engine support (CertificateRequest, the client's Certificate and
  // CertificateVerify) that does not exist yet: refuse rather than run without them.
  if (p.flags.has('verify-client') || p.values.has('ca')) {
    throw new NotSupportedError(p.flags.has('verify-client') ? '--verify-client' : '--ca', 'rxtls cannot request or check client certificates');
  }
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
  };
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
  if (p.values.has('cert') || p.values.has('key')) {
    throw new NotSupportedError(p.values.has('cert') ? '--cert' : '--key', 'rxtls cannot send client certificates');
  }
  if (p.positionals.length !== 1) throw new UsageError(p.positionals.length === 0 ? "'client' needs HOST:PORT" : `unexpected argument ${JSON.stringify(p.positionals[1])} for 'client'`);
  const { host, port: portNumber } = hostPort(p.positionals[0]!);
  if (portNumber === 0) throw new UsageError('port 0 is not a port to connect to');
  return {
    command: 'client',
    host,
    port: portNumber,
    servername: one(p, 'servername'),
    caFile: one(p, 'ca'),
    pins: (p.values.get('pin') ?? []).flatMap((v) => v.split(',')).map(parsePinArgument),
    alpn: alpnList(p),
    keylogFile: one(p, 'keylog'),
    quiet: p.flags.has('quiet'),
  };
}

/** Parses the arguments after `rxtls`. Throws UsageError (or NotSupportedError) with a one-line reason. */
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
