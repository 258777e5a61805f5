/**
 * OpenSSL and GnuTLS CLI peers for the authentication and resumption interop tests
 * (../peers.spec.ts): client certificates, session tickets, 0-RTT early data, external PSKs and
 * raw public keys. Thin wrappers over ./peers.ts (read its notes first: stdin commands,
 * close_notify, `-brief`, `-trace`, the namespace bridge) plus parsers of what the tools print.
 *
 * Everything below was observed on Debian 12 with OpenSSL 3.0.19 and GnuTLS 3.7.9, each tool
 * talking to itself over loopback (openssl <-> openssl, gnutls-cli <-> gnutls-serv in a
 * private network namespace), with no rxtls code involved.
 *
 * ## OpenSSL: client certificates
 * - `s_server -Verify 1 -CAfile ca.pem` requires a client certificate (`-verify 1` only asks).
 *   Its CertificateRequest carries signature_algorithms and certificate_authorities holding
 *   the subject names in `-CAfile`: s_server loads its client CA list from -CAfile (3.0 has no
 *   `-client_CA` option; s_client non-brief prints them as `Acceptable client certificate CA
 *   names`). With `-verifyCAfile ca.pem` instead of -CAfile it verifies against the file but
 *   sends NO certificate_authorities.
 * - Surprise: `-CAfile ca.pem -no_ca_names` sends a certificate_authorities extension with an
 *   EMPTY list (extension body `00 00`), which RFC 8446 section 4.2.4 (`<3..2^16-1>`) forbids;
 *   OpenSSL's own clients accept it (s_client, and a Node client with cert/key: handshake
 *   done, certificate verified).
 * - Accepted: s_server stdout gets `Client certificate`, the client's PEM, `subject=CN = rxtls
 *   test client`, `issuer=CN = rxtls test root CA` (after the SSL SESSION PARAMETERS block);
 *   stderr gets `depth=0 CN = rxtls test client` and `verify return:1`.
 * - No client certificate: s_server stderr `tls_process_client_certificate:peer did not return
 *   a certificate`; it sends certificate_required (116). A TLS 1.3 client has finished its
 *   handshake by then: s_client prints `CONNECTION ESTABLISHED` (brief), then on its next read
 *   `...:tlsv13 alert certificate required:...:SSL alert number 116` on stderr, exit code 1.
 * - Post-handshake auth: s_client `-enable_pha` offers post_handshake_auth; an s_server stdin
 *   chunk `c\n` sends a CertificateRequest after the handshake (stdout `SSL_do_handshake -> 1`,
 *   like `K\n`); the client's Certificate is read with its next data, then s_server's stderr
 *   shows `depth=0 CN = rxtls test client` / `verify return:1` (verified against -CAfile).
 * - Alert texts on the OpenSSL side (stderr): 116 `tlsv13 alert certificate required`, 48
 *   `tlsv1 alert unknown ca`, 42 `sslv3 alert bad certificate`, 51 `tlsv1 alert decrypt
 *   error`, 47 `sslv3 alert illegal parameter`, always followed by `SSL alert number N`.
 *
 * ## OpenSSL: resumption
 * - s_server sends 2 NewSessionTickets after a full handshake and 1 after a resumed one
 *   (`-num_tickets N`), lifetime hint 7200 s. One s_server process resumes its own tickets
 *   across its connections (`-naccept 2`); stdout then says `Reused session-id` (it says so for
 *   an external-PSK handshake too).
 * - s_client `-sess_out F` rewrites F each time a ticket arrives (F holds the last one);
 *   `-sess_in F` offers it. Non-brief stdout says `New, TLSv1.3, Cipher is X` or `Reused,
 *   TLSv1.3, Cipher is X`, then per ticket a `Post-Handshake New Session Ticket arrived:` block
 *   with `TLS session ticket lifetime hint: 7200 (seconds)` and `Max Early Data: N`. `-brief`
 *   prints none of this (a resumed brief summary merely lacks `Hash used`), so these tests run
 *   s_client non-brief ({@link startSClient} `verbose`) and read {@link SClientSummary}.
 * - Tickets travel after the handshake: s_client must read them before it quits. They come
 *   before any data, so waiting for the server's data is enough.
 *
 * ## OpenSSL: 0-RTT
 * - s_server accepts early data only with `-early_data`; its tickets then carry
 *   max_early_data 16384 (`-max_early_data N`). Without it tickets say `Max Early Data: 0` and
 *   s_client sends nothing early (`Early data was not sent`).
 * - Anti-replay is on by default and needs no `-no_anti_replay` here: one s_server process
 *   accepts a ticket's early data once. The same `-sess_in` file used again: full handshake
 *   (`New`), s_server prints `Early data was rejected`, s_client prints `Early data was
 *   rejected` and does NOT send the early data again (that is left to the application).
 * - s_server prints accepted early data on stdout as `Early data received:\n<bytes>\nEnd of
 *   early data\n`, before the session block ({@link sServerEarlyData}); after a full handshake
 *   it prints `No early data received`.
 * - s_client `-early_data FILE` (needs `-sess_in` or `-psk`) sends FILE as 0-RTT; non-brief
 *   stdout says `Early data was accepted` / `rejected` / `not sent`. It sends FILE even when it
 *   exceeds the ticket's limit (s_server then fails with `Error reading early data`).
 *
 * ## OpenSSL: external PSK
 * - `s_server -nocert -psk HEX -psk_identity ID` (with -nocert, -cert/-key are ignored, so
 *   ./peers.ts's startOpensslServer can be reused) and `s_client -psk HEX -psk_identity ID`.
 *   Both make their PSK session with TLS_AES_128_GCM_SHA256, so the PSK hash is SHA-256 and
 *   only SHA-256 suites can be used. s_server follows the CLIENT's suite order, skipping
 *   suites whose hash differs from the PSK's: against s_client (AES-256-GCM-SHA384 first)
 *   it picks TLS_CHACHA20_POLY1305_SHA256; against a client preferring AES-128-GCM, that.
 *   `-ciphersuites TLS_AES_128_GCM_SHA256` pins the choice.
 * - s_client offers psk_dhe_ke only, obfuscated_ticket_age 0; brief stderr says `No peer
 *   certificate` (and `Can't use SSL_get_servername` without -servername). s_server prints
 *   `Reused session-id`.
 * - Wrong key: s_server stderr `tls_psk_do_binder:binder does not verify`, and it sends
 *   illegal_parameter (47), not the decrypt_error (51) RFC 8446 section 6.2 asks for.
 * - Unknown identity: s_server falls back to certificate authentication; with -nocert that
 *   fails with `no suitable signature algorithm` / handshake_failure (40).
 *
 * ## Node tls (Node 20, OpenSSL inside)
 * - A Node server sends its two NewSessionTickets lazily: data it writes in its
 *   `'secureConnection'` handler reaches the client BEFORE the tickets (seen with a Node client:
 *   `data,ticket,ticket` every time). So a test must wait for the tickets, not assume them
 *   there once data has arrived. s_server and rxtls send theirs right after the handshake.
 * - A Node client emits `'session'` once per ticket; `tls.connect({ session })` offers it and
 *   `isSessionReused()` reports the outcome, on both ends.
 *
 * ## GnuTLS
 * - `gnutls-cli --resume` (`-r`): handshake, `- Disconnecting` (a close_notify), reconnect
 *   offering the ticket; stdin data goes over the second connection only. Log: `- Resume
 *   Handshake was completed`, `*** This is a resumed session`. In TLS 1.3 the ticket comes
 *   after the handshake: `--waitresumption` makes it wait for one before disconnecting
 *   (resumption also worked without it, against gnutls-serv and against rxtls, which both send
 *   tickets at once; the tests pass it so the outcome does not hang on timing).
 * - `--earlydata FILE` (with --resume) sends FILE as 0-RTT on the second connection.
 *   gnutls-serv `--earlydata --maxearlydata N` accepts it (`-d 4`: `early data accepted`,
 *   `END OF EARLY DATA`) but neither prints nor echoes it, and gnutls-cli reports nothing about
 *   it, so only our server can tell (not cross-checked against a peer that prints it).
 * - Client certificates: gnutls-serv `--require-client-cert --verify-client-cert --x509cafile
 *   ca.pem` prints the client's certificate (`Subject: CN=rxtls test client`) and `- Status: The
 *   certificate is trusted.` on stdout; with none: `Error in handshake: Certificate is
 *   required.` gnutls-cli `--x509certfile/--x509keyfile` logs `- Server has requested a
 *   certificate.` and `- Successfully sent 1 certificate(s) to server.`; refused, it logs
 *   `*** Received alert [116]: Certificate is required`.
 * - Raw public keys (RFC 7250), priority keywords `CTYPE-{CLI,SRV}-{X509,RAWPK,ALL}`:
 *   `+CTYPE-SRV-RAWPK` only ADDS the type after X.509, and a peer having both then still
 *   uses X.509. A client forces a raw server key with `-CTYPE-ALL:+CTYPE-SRV-RAWPK` (add
 *   `+CTYPE-CLI-RAWPK` to present its own, `--rawpkkeyfile K --rawpkfile P`); a server with
 *   both credentials serves its raw key to every client offering one with
 *   `-CTYPE-SRV-ALL:+CTYPE-SRV-RAWPK`. `--rawpkfile` takes a PEM `PUBLIC KEY` (./certs-extra.ts).
 *   gnutls-cli cannot verify a raw key (`Could not verify certificate (err: The request is
 *   invalid.)`): it needs `--insecure`; `--print-cert` puts the server's key in its log as
 *   `-----BEGIN PUBLIC KEY-----` PEM. Its description reads `(TLS1.3-<client type>-<server
 *   type>)`, e.g. `(TLS1.3-X.509-Raw Public Key)`, collapsed to `(TLS1.3-Raw Public Key)` when
 *   both are raw. gnutls-serv with a raw client key prints `- Certificate type: Raw Public Key`,
 *   the key's PEM, and `- Peer's certificate was NOT verified.`
 *
 * @module
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CertFiles, OpensslPeer, OpensslServer, OpensslServerOptions } from './peers.js';
import { startOpensslClient, startOpensslServer } from './peers.js';

// ---------------------------------------------------------------------------------
// Files

/** A temporary directory for session files, early-data files and the like. */
export interface TempFiles {
  readonly dir: string;
  /** A path in the directory (the file is not created). */
  path(name: string): string;
  /** Writes `data` to `name` and returns its path. */
  write(name: string, data: string | Uint8Array): string;
  /** Deletes the directory. */
  dispose(): void;
}

/** Makes a fresh temporary directory. */
export function tempFiles(prefix = 'rxtls-auth-'): TempFiles {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    dir,
    path: (name) => path.join(dir, name),
    write: (name, data) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, data);
      return p;
    },
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

// ---------------------------------------------------------------------------------
// OpenSSL s_client

/** An external PSK as the OpenSSL CLI takes it. */
export interface CliPsk {
  /** `-psk_identity`. */
  readonly identity: string;
  /** The key, `-psk` (hex). */
  readonly key: Uint8Array;
}

/** Options of {@link startSClient}. */
export interface SClientOptions {
  /** Our server's port on 127.0.0.1. */
  port: number;
  /** Verify our chain against this CA (`-CAfile -verify_return_error`); omit for PSK-only servers. */
  caPath?: string;
  /** Present this client certificate (`-cert -key`). */
  cert?: CertFiles;
  /** `-sess_out`: write the session (the last ticket received) to this file. */
  sessOut?: string;
  /** `-sess_in`: offer the ticket in this file. */
  sessIn?: string;
  /** `-early_data`: send this file's bytes as 0-RTT (with `sessIn` or `psk`). */
  earlyDataFile?: string;
  /** `-psk -psk_identity`. */
  psk?: CliPsk;
  /** `-enable_pha`: offer post-handshake authentication. */
  enablePha?: boolean;
  /** `-ciphersuites`. */
  ciphersuites?: string;
  /**
   * Non-brief mode (default false): stdout then also carries the session summary (`New`/
   * `Reused`, early data status, one block per ticket), see {@link sClientSummary}.
   */
  verbose?: boolean;
  /** Do not wait for the handshake (for one expected to fail). */
  expectFailure?: boolean;
  /** Extra arguments, appended last. */
  extraArgs?: readonly string[];
}

/** Where a verbose s_client's summary ends: after the handshake, before any data. */
const VERBOSE_SUMMARY = /^(New|Reused), TLSv1\.3, Cipher is [^\n]*\n[\s\S]*?^Verify return code: [^\n]*\n/m;

/**
 * Starts `openssl s_client -tls1_3` (./peers.ts startOpensslClient: `stdbuf -o0`, trace on,
 * `-servername localhost`) against our server and resolves once its handshake is done: brief
 * mode `CONNECTION ESTABLISHED`, verbose mode the summary through `Verify return code`.
 */
export async function startSClient(o: SClientOptions): Promise<OpensslPeer> {
  const extra: string[] = [];
  if (o.sessOut) extra.push('-sess_out', o.sessOut);
  if (o.sessIn) extra.push('-sess_in', o.sessIn);
  if (o.earlyDataFile) extra.push('-early_data', o.earlyDataFile);
  if (o.psk) extra.push('-psk', Buffer.from(o.psk.key).toString('hex'), '-psk_identity', o.psk.identity);
  if (o.enablePha) extra.push('-enable_pha');
  extra.push(...(o.extraArgs ?? []));
  const verbose = o.verbose ?? false;
  const peer = await startOpensslClient({
    port: o.port,
    caPath: o.caPath,
    cert: o.cert,
    ciphersuites: o.ciphersuites,
    brief: !verbose,
    waitForHandshake: !verbose && !o.expectFailure,
    extraArgs: extra,
  });
  if (verbose && !o.expectFailure) await peer.process.waitFor(VERBOSE_SUMMARY, { stream: 'stdout' });
  return peer;
}

/** What a verbose s_client printed about its session. */
export interface SClientSummary {
  /** `New` (full handshake) or `Reused` (resumed, or external PSK); undefined before the handshake. */
  readonly handshake: 'New' | 'Reused' | undefined;
  /** The suite from `Cipher is X`. */
  readonly cipher: string | undefined;
  /** From `Early data was ...`. */
  readonly earlyData: 'accepted' | 'rejected' | 'not sent' | undefined;
  /** How many `Post-Handshake New Session Ticket arrived` blocks: tickets received so far. */
  readonly tickets: number;
  /** Each ticket's `TLS session ticket lifetime hint`, in order. */
  readonly ticketLifetimes: readonly number[];
  /** Each ticket's `Max Early Data`, in order. */
  readonly ticketMaxEarlyData: readonly number[];
}

/** Parses a verbose (non-brief) s_client's stdout. */
export function sClientSummary(stdout: Uint8Array): SClientSummary {
  const text = Buffer.from(stdout).toString('latin1');
  const m = /^(New|Reused), (?:TLSv1\.3|\(NONE\)), Cipher is (\S+)$/m.exec(text);
  const e = /^Early data was (accepted|rejected|not sent)$/m.exec(text);
  const tickets = text.split('Post-Handshake New Session Ticket arrived:').slice(1);
  const num = (re: RegExp) => tickets.map((t) => Number(re.exec(t)?.[1] ?? NaN));
  return {
    handshake: m ? (m[1] as 'New' | 'Reused') : undefined,
    cipher: m?.[2],
    earlyData: e ? (e[1] as SClientSummary['earlyData']) : undefined,
    tickets: tickets.length,
    ticketLifetimes: num(/TLS session ticket lifetime hint: (\d+)/),
    ticketMaxEarlyData: num(/Max Early Data: (\d+)/),
  };
}

// ---------------------------------------------------------------------------------
// OpenSSL s_server

/** Options of {@link startSServer}: ./peers.ts's, plus the features here. */
export interface SServerOptions extends OpensslServerOptions {
  /** `-early_data`: accept 0-RTT (tickets then allow 16384 bytes). */
  earlyData?: boolean;
  /** `-num_tickets`. */
  numTickets?: number;
  /** `-nocert -psk -psk_identity`: external PSK only (`cert` is then ignored by s_server). */
  psk?: CliPsk;
}

/**
 * Starts `openssl s_server -tls1_3` (./peers.ts startOpensslServer: port from `ACCEPT`, trace
 * on, `-naccept 1` unless given) with the options here turned into arguments.
 */
export function startSServer(o: SServerOptions): Promise<OpensslServer> {
  const extra: string[] = [];
  if (o.earlyData) extra.push('-early_data');
  if (o.numTickets !== undefined) extra.push('-num_tickets', String(o.numTickets));
  if (o.psk) extra.push('-nocert', '-psk', Buffer.from(o.psk.key).toString('hex'), '-psk_identity', o.psk.identity);
  const { earlyData: _e, numTickets: _n, psk: _p, ...rest } = o;
  return startOpensslServer({ ...rest, extraArgs: [...extra, ...(o.extraArgs ?? [])] });
}

/** The early data blocks s_server printed (`Early data received:` ... `End of early data`), in order. */
export function sServerEarlyData(stdout: Uint8Array): Buffer[] {
  const text = Buffer.from(stdout).toString('latin1');
  const out: Buffer[] = [];
  for (const m of text.matchAll(/Early data received:\n([\s\S]*?)\nEnd of early data\n/g)) out.push(Buffer.from(m[1]!, 'latin1'));
  return out;
}

/** How many connections s_server reported as resumed (`Reused session-id`). */
export function sServerReused(stdout: Uint8Array): number {
  return (Buffer.from(stdout).toString('latin1').match(/^Reused session-id$/gm) ?? []).length;
}

/** The client certificates s_server printed (`Client certificate` + PEM), as DER, in order. */
export function sServerClientCertificates(stdout: Uint8Array): Buffer[] {
  const text = Buffer.from(stdout).toString('latin1');
  const out: Buffer[] = [];
  for (const m of text.matchAll(/Client certificate\n-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=\n]+?)-----END CERTIFICATE-----/g)) {
    out.push(Buffer.from(m[1]!.replace(/\n/g, ''), 'base64'));
  }
  return out;
}

// ---------------------------------------------------------------------------------
// Shared

/** How many times `needle` occurs in `haystack` (non-overlapping). */
export function occurrences(haystack: Uint8Array, needle: Uint8Array): number {
  const h = Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength);
  const n = Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength);
  let count = 0;
  for (let at = h.indexOf(n); at >= 0; at = h.indexOf(n, at + n.length)) count++;
  return count;
}

/** The DER blocks of the PEM blocks labelled `label` in `text`, in order. */
export function pemBlocks(text: string, label: string): Buffer[] {
  const re = new RegExp(`-----BEGIN ${label}-----\\n([A-Za-z0-9+/=\\n]+?)-----END ${label}-----`, 'g');
  return [...text.matchAll(re)].map((m) => Buffer.from(m[1]!.replace(/\n/g, ''), 'base64'));
}

/** The RFC 8446 alert numbers the tests name. */
export const Alert = {
  handshake_failure: 40,
  bad_certificate: 42,
  illegal_parameter: 47,
  unknown_ca: 48,
  decrypt_error: 51,
  certificate_required: 116,
} as const;
