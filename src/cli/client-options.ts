/**
 * The `tlsClient` options that `rxtls client`'s command line asks for: server authentication
 * (CA, pins, raw public key), the client certificate, an external PSK, and the session file.
 * Files are read here, once, so that a bad one stops the command before it connects.
 *
 * @module
 */
import type { TlsClientOptions } from '../index.js';
import type { StoredSession } from '../tls/resumption/index.js';
import type { ClientArgs } from './args.js';
import { loadCertificateFiles, readText } from './identity.js';
import { FileSessionStore } from './session-file.js';

/** What happens around the options: key log lines, and a ticket saved by `--sess-out`. */
export interface ClientHooks {
  readonly keyLog?: (line: string) => void;
  readonly onSessionSaved?: (session: StoredSession) => void;
}

/** The engine and layer options for `args`. Throws a one-line error for a file that cannot be used. */
export function clientOptions(args: ClientArgs, hooks: ClientHooks = {}): TlsClientOptions {
  // An IP host is the name to verify (against iPAddress SANs); the engine sends no SNI for it.
  const servername = args.servername ?? args.host;
  const options: TlsClientOptions = { ALPNProtocols: args.alpn };
  if (servername !== undefined) options.servername = servername;
  if (args.pins.length > 0) options.pins = { spkiSha256: args.pins };
  if (args.caFile !== undefined) options.ca = readText(args.caFile, 'CA file');
  if (args.certFile !== undefined && args.keyFile !== undefined) {
    const { chain, key } = loadCertificateFiles(args.certFile, args.keyFile);
    options.cert = chain;
    options.key = key;
  }
  if (args.psk) options.psk = { identity: args.psk.identity, key: args.psk.key };
  if (args.rawPublicKey) options.rawPublicKey = true;
  if (args.sessIn !== undefined || args.sessOut !== undefined) {
    const files = { ...(args.sessIn !== undefined && { inFile: args.sessIn }), ...(args.sessOut !== undefined && { outFile: args.sessOut }) };
    options.sessionStore = new FileSessionStore({ ...files, ...(hooks.onSessionSaved && { onSaved: hooks.onSessionSaved }) });
  }
  if (args.earlyData) options.earlyData = true;
  if (hooks.keyLog) options.keyLog = hooks.keyLog;
  return options;
}
