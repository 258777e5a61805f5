/**
 * The `tlsServer` options that `rxtls server`'s command line asks for: its identity (or none,
 * with a PSK only), client certificates, an external PSK, 0-RTT and raw public keys. Files are
 * read here, once, at start-up.
 *
 * @module
 */
import type { TlsServerOptions } from '../index.js';
import type { ServerArgs } from './args.js';
import { loadServerIdentity, readText, type ServerIdentity } from './identity.js';

/** The options, and the identity they present (undefined: external PSKs only). */
export interface ServerSetup {
  readonly options: TlsServerOptions;
  readonly identity: ServerIdentity | undefined;
}

/**
 * The engine and layer options for `args`. Without `--cert`/`--key` the server makes a
 * self-signed identity, unless `--psk` is given: then it has no certificate at all. Throws a
 * one-line error for a file that cannot be used.
 */
export function serverSetup(args: ServerArgs, keyLog: ((line: string) => void) | undefined): ServerSetup {
  const pskOnly = args.psk !== undefined && args.certFile === undefined;
  const identity = pskOnly ? undefined : loadServerIdentity(args.certFile, args.keyFile);
  const options: TlsServerOptions = { ALPNProtocols: args.alpn };
  if (identity) {
    options.cert = identity.chain;
    options.key = identity.key;
  }
  if (args.clientAuth !== 'none' && args.clientCaFile !== undefined) {
    options.requestCert = true;
    options.rejectUnauthorized = args.clientAuth === 'require';
    options.ca = readText(args.clientCaFile, 'client CA file');
  }
  const psk = args.psk;
  if (psk) options.pskCallback = (identityText) => (identityText === psk.identity ? psk.key : null);
  if (args.maxEarlyData > 0) options.maxEarlyData = args.maxEarlyData;
  if (args.rawPublicKey) options.rawPublicKey = true;
  if (keyLog) options.keyLog = keyLog;
  return { options, identity };
}
