/**
 * Server options: the identity it presents, whether and how it authenticates clients, and
 * what it offers for resumption, 0-RTT and external PSKs.
 */
import type { CommonConfig } from '../config.js';
import { PskKeyExchangeMode } from '../constants.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { TlsMisuseError } from '../errors.js';
import { loadIdentity, type CertificateOption, type Identity, type PrivateKeyOption } from '../identity.js';
import { parseCaOption, caVerifier, type CaOption } from '../x509/ca-verifier.js';
import { pinningVerifier, type PinOptions } from '../x509/pinning.js';
import type { CertificateVerifier } from '../x509/verifier.js';
import { DEFAULT_TICKET_ROTATE_AFTER, SingleUseTickets, TicketKeys, type AntiReplay } from '../resumption/index.js';
import { pskModeValues, type PskMode } from '../handshake/psk-modes.js';

/** Options of a TLS server. */
export interface ServerConfig extends CommonConfig {
  /**
   * The certificate chain, leaf first: PEM text (one or more CERTIFICATE blocks) or DER
   * certificates. Optional with `rawPublicKey` or when only external PSKs are accepted.
   */
  cert?: CertificateOption;
  /**
   * The leaf's private key: PEM text, DER PKCS#8, or a loaded key (`provider.loadPrivateKey`).
   * Text and DER are parsed for every connection, so a server making many should load it once.
   */
  key?: PrivateKeyOption;
  /**
   * Ask clients for a certificate (CertificateRequest, RFC 8446 section 4.3.2). Default false.
   * `'postHandshake'` does not ask during the handshake, only when `requestCertificate()` is
   * called (RFC 8446 section 4.6.2).
   */
  requestCert?: boolean | 'postHandshake';
  /**
   * With `requestCert` (default true): a client that sends no certificate is refused with
   * certificate_required, one that fails verification with the verifier's alert. When false,
   * as in Node, the handshake completes and `session.authorizationError` says why.
   */
  rejectUnauthorized?: boolean;
  /**
   * CAs trusted to issue client certificates (validated for clientAuth, RFC 5280); their
   * subject names go in the request's certificate_authorities (RFC 8446 section 4.2.4).
   */
  ca?: CaOption;
  /** Accept clients whose leaf certificate or public key matches a pin (peer-to-peer use). */
  pins?: PinOptions;
  /** Decides on client certificates, replacing `ca` and `pins`. */
  verifier?: CertificateVerifier;
  /**
   * NewSessionTickets sent after each full or resumed handshake (RFC 8446 section 4.6.1);
   * default 2, 0 turns resumption off.
   */
  tickets?: number;
  /**
   * Ticket lifetime in seconds; default 7200, at most 604800 (7 days). Given `ticketKeys`
   * must not rotate faster (`rotateAfter` at least the lifetime).
   */
  ticketLifetime?: number;
  /**
   * The keys tickets are sealed under. Default: one rotating key set per options object, so
   * connections made from the same options resume each other's sessions.
   */
  ticketKeys?: TicketKeys;
  /**
   * Bytes of 0-RTT data accepted on a resumed connection (RFC 8446 section 4.2.10); default 0,
   * no 0-RTT. Early data can be replayed by an attacker: accept it only for idempotent requests.
   */
  maxEarlyData?: number;
  /**
   * Anti-replay for 0-RTT (RFC 8446 section 8); default single-use tickets, shared by every
   * server using the same `ticketKeys` (one process; servers in several processes sharing
   * ticket keys need a shared `antiReplay`).
   */
  antiReplay?: AntiReplay;
  /**
   * Resolves an external PSK identity to its key, or null to refuse it. The identity is given
   * decoded as UTF-8 and as sent. External PSKs are not accepted while `requestCert: true`
   * requires a client certificate: a PSK handshake carries none (RFC 8446 section 4.3.2).
   */
  pskCallback?: (identity: string, identityBytes: Uint8Array) => Uint8Array | null | undefined;
  /** The hash external PSKs are used with; default 'sha256' (so SHA-256 cipher suites). */
  pskHash?: 'sha256' | 'sha384';
  /** PSK key exchange modes accepted; default ['psk_dhe_ke']. 'psk_ke' gives no forward secrecy. */
  pskModes?: readonly PskMode[];
  /**
   * Use RFC 7250 raw public keys when the client asks: present the key alone, and accept a
   * client's raw key (checked against `pins.spkiSha256` or `verifier.verifyRawPublicKey`).
   */
  rawPublicKey?: boolean;
}

/** How a server checks client certificates. */
export interface ClientAuthPolicy {
  readonly verifier: CertificateVerifier;
  /** rejectUnauthorized: refuse a client with no or a bad certificate. */
  readonly required: boolean;
  /** Whether the handshake itself asks (false: only post-handshake requests). */
  readonly inHandshake: boolean;
  /** DER subject names for certificate_authorities (empty when `ca` is not given). */
  readonly authorities: readonly Uint8Array[];
}

/** Server options resolved once per options object (see {@link resolveServer}). */
export interface ResolvedServer {
  readonly clientAuth: ClientAuthPolicy | undefined;
  readonly tickets: number;
  readonly ticketLifetime: number;
  readonly ticketKeys: TicketKeys;
  readonly antiReplay: AntiReplay;
  readonly maxEarlyData: number;
  readonly pskCallback: ServerConfig['pskCallback'];
  readonly pskHash: 'sha256' | 'sha384';
  readonly pskModes: ReadonlySet<number>;
  readonly rawPublicKey: boolean;
}

const resolved = new WeakMap<ServerConfig, ResolvedServer>();

/**
 * The default anti-replay state goes with the ticket keys, not the options object: servers
 * sharing `ticketKeys` accept each other's tickets, so they must share which were used for
 * 0-RTT too (RFC 8446 section 8.1).
 */
const antiReplays = new WeakMap<TicketKeys, AntiReplay>();
function antiReplayOf(keys: TicketKeys): AntiReplay {
  let a = antiReplays.get(keys);
  if (!a) antiReplays.set(keys, (a = new SingleUseTickets()));
  return a;
}

/**
 * Checks the server options and fills in defaults, once per options object: the client CA
 * store, ticket keys and anti-replay state are shared by every connection made from it.
 * Throws TlsMisuseError naming a bad option.
 */
export function resolveServer(c: ServerConfig, provider: CryptoProvider): ResolvedServer {
  const hit = resolved.get(c);
  if (hit) return hit;
  const tickets = intIn(c.tickets, 2, 0, 16, 'tickets');
  const ticketLifetime = intIn(c.ticketLifetime, 7200, 1, 604800, 'ticketLifetime');
  // The default keys rotate no faster than tickets live (at least every 12 hours).
  const ticketKeys = c.ticketKeys ?? new TicketKeys({ provider, random: c.random, now: c.now, rotateAfter: Math.max(DEFAULT_TICKET_ROTATE_AFTER, ticketLifetime * 1000) });
  if (ticketLifetime * 1000 > ticketKeys.rotateAfter) {
    throw new TlsMisuseError(`tls: ticketLifetime ${ticketLifetime} s exceeds the ticket key rotation period (${ticketKeys.rotateAfter / 1000} s)`);
  }
  const r: ResolvedServer = {
    clientAuth: c.requestCert ? clientAuthPolicy(c) : undefined,
    tickets,
    ticketLifetime,
    ticketKeys,
    antiReplay: c.antiReplay ?? antiReplayOf(ticketKeys),
    maxEarlyData: intIn(c.maxEarlyData, 0, 0, 0xffffffff, 'maxEarlyData'),
    pskCallback: c.pskCallback,
    pskHash: c.pskHash ?? 'sha256',
    pskModes: new Set(pskModeValues(c.pskModes)),
    rawPublicKey: c.rawPublicKey ?? false,
  };
  if (r.pskHash !== 'sha256' && r.pskHash !== 'sha384') throw new TlsMisuseError(`tls: pskHash must be 'sha256' or 'sha384'`);
  if (r.maxEarlyData > 0 && tickets === 0) throw new TlsMisuseError('tls: maxEarlyData needs tickets (0-RTT is offered on resumption)');
  if (!r.pskModes.has(PskKeyExchangeMode.psk_dhe_ke) && !r.pskModes.has(PskKeyExchangeMode.psk_ke)) throw new TlsMisuseError('tls: pskModes is empty');
  resolved.set(c, r);
  return r;
}

function clientAuthPolicy(c: ServerConfig): ClientAuthPolicy {
  const given = [c.verifier, c.pins, c.ca].filter((x) => x !== undefined).length;
  if (given === 0) throw new TlsMisuseError('tls: requestCert needs ca, pins or a verifier to check client certificates with');
  if (c.verifier && given > 1) throw new TlsMisuseError('tls: a custom verifier replaces ca and pins; give either');
  const verifier =
    c.verifier ??
    (c.ca === undefined ? pinningVerifier(c.pins!) : caVerifier({ ca: c.ca, purpose: 'client', spkiPins: c.pins?.spkiSha256 }));
  if (c.ca !== undefined && c.pins?.certSha256?.length) throw new TlsMisuseError('tls: with ca, only pins.spkiSha256 can be combined');
  const authorities = c.ca === undefined ? [] : parseCaOption(c.ca).map((p) => p.subject.der);
  return { verifier, required: c.rejectUnauthorized ?? true, inHandshake: c.requestCert === true, authorities };
}

/**
 * Loads the server's certificate identity, or undefined when it has none (external PSKs
 * only). Throws TlsMisuseError when options are missing or do not match.
 */
export function loadServerIdentity(c: ServerConfig, provider: CryptoProvider): Identity | undefined {
  if (c.key === undefined) {
    if (c.cert !== undefined) throw new TlsMisuseError('tls: cert given without its key');
    if (!c.pskCallback) throw new TlsMisuseError('tls: a server needs cert and key (or key with rawPublicKey, or a pskCallback)');
    return undefined;
  }
  if (c.cert === undefined && !c.rawPublicKey) throw new TlsMisuseError('tls: a server needs both cert and key (key alone only with rawPublicKey)');
  return loadIdentity(c.cert, c.key, provider);
}

function intIn(v: number | undefined, dflt: number, min: number, max: number, name: string): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min || v > max) throw new TlsMisuseError(`tls: ${name} must be an integer in ${min}..${max}, got ${v}`);
  return v;
}
