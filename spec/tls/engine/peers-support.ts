/**
 * Helpers for the peer-authentication, resumption, 0-RTT and PSK engine specs: checking that a
 * failure sent the right alert and that the peer received it, a hand-moved clock, reading the
 * hellos off the wire, decrypting and re-sealing records with secrets from the key log (for
 * tampering with encrypted handshake messages), and DER name extraction from certificates.
 */
import { X509Certificate } from 'node:crypto';
import {
  TlsAlertError, TlsClient, TlsError, TlsServer, type ClientConfig, type CryptoProvider, type ServerConfig, type SigningKey, type TlsEvent, nodeProvider,
} from '../../../src/tls/index.js';
import { ContentType, ExtensionType, HandshakeType } from '../../../src/tls/constants.js';
import { RecordDecrypter, RecordEncrypter } from '../../../src/tls/record/protection.js';
import { cipherSuiteInfo, type CipherSuiteInfo } from '../../../src/tls/suites.js';
import {
  decodeClientHello, decodeEncryptedExtensions, decodeOfferedPsks, decodeServerHello, findExtension,
} from '../../../src/tls/messages/index.js';
import type { ClientHello, Extension, OfferedPsks } from '../../../src/tls/messages/types.js';
import { Wire, concat, splitRecords, type WireRecord } from './support.js';

type End = TlsClient | TlsServer;

/** A client and server of these options joined in memory and pumped (reading both ends) until nothing moves; errors are in `wire.errors`. */
export function join(c: ClientConfig, s: ServerConfig): Wire {
  const wire = new Wire(new TlsClient(c), new TlsServer(s));
  wire.pump({ read: true });
  return wire;
}

/** The alert events among `events` (from `takeEvents()`). */
export function alertEvents(events: readonly TlsEvent[]): { alert: number; fromPeer: boolean }[] {
  return events.flatMap((e) => (e.type === 'alert' ? [{ alert: e.alert, fromPeer: e.fromPeer }] : []));
}

/**
 * Checks that `failing` ended the connection with `alert` (its error's `.alert`, an
 * `{type:'alert', fromPeer:false}` event) and that the other end received exactly that alert
 * (its feed threw a TlsAlertError from the peer, and it reported `{type:'alert', fromPeer:true}`).
 * Returns the failing end's error.
 */
export function expectAlert(wire: Wire, failing: 'client' | 'server', alert: number): TlsError {
  const bad: End = failing === 'client' ? wire.client : wire.server;
  const other: End = failing === 'client' ? wire.server : wire.client;
  const err = bad.failure;
  expect(err).toBeInstanceOf(TlsError);
  expect({ failing, alert: err!.alert, message: err!.message }).toEqual({ failing, alert, message: err!.message });
  expect(err instanceof TlsAlertError && err.fromPeer).toBe(false);
  expect(alertEvents(bad.takeEvents())).toContainEqual({ alert, fromPeer: false });
  const got = other.failure;
  expect(got).toBeInstanceOf(TlsAlertError);
  expect((got as TlsAlertError).fromPeer).toBe(true);
  expect(got!.alert).toBe(alert);
  expect(alertEvents(other.takeEvents())).toContainEqual({ alert, fromPeer: true });
  // The feed that threw is on record too.
  const thrownBy = wire.errors.find((e) => e.end === failing)?.error;
  expect(thrownBy).toBe(err);
  return err!;
}

/** Feeds `bytes` to one end of `wire`, recording a failed feed in `wire.errors` (as Wire does). */
export function feed(wire: Wire, to: 'client' | 'server', bytes: Uint8Array): void {
  const end = to === 'client' ? wire.client : wire.server;
  if (end.failure) return;
  try {
    end.feed(bytes);
  } catch (error) {
    wire.errors.push({ end: to, error });
  }
}

/** Every queued output chunk of one end. */
export function takeAll(end: End): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  for (let c = end.takeOutput(); c; c = end.takeOutput()) chunks.push(c);
  return chunks;
}

/** Moves every queued output chunk of `from` to the other end (see {@link feed}); returns the chunks. */
export function move(wire: Wire, from: 'client' | 'server'): Uint8Array[] {
  const chunks = takeAll(from === 'client' ? wire.client : wire.server);
  for (const c of chunks) feed(wire, from === 'client' ? 'server' : 'client', c);
  return chunks;
}

/** A clock moved by hand (milliseconds since the epoch). */
export function manualClock(start = 1_700_000_000_000): { now: () => number; set(t: number): void; advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    set(v) {
      t = v;
    },
    advance(ms) {
      t += ms;
    },
  };
}

/** Handshake messages (type, raw bytes with header) in plaintext handshake records of `records`. */
export function plaintextHandshakes(records: readonly WireRecord[]): { type: number; raw: Uint8Array }[] {
  const body = concat(records.filter((r) => r.type === ContentType.handshake).map((r) => r.body));
  return splitMessages(body);
}

/** Splits concatenated handshake messages. */
export function splitMessages(body: Uint8Array): { type: number; raw: Uint8Array }[] {
  const out: { type: number; raw: Uint8Array }[] = [];
  for (let at = 0; at + 4 <= body.length; ) {
    const len = (body[at + 1]! << 16) | (body[at + 2]! << 8) | body[at + 3]!;
    out.push({ type: body[at]!, raw: body.subarray(at, at + 4 + len) });
    at += 4 + len;
  }
  return out;
}

/** The ClientHellos a client sent (in order), decoded, with their raw bytes. */
export function clientHellos(fromClient: readonly Uint8Array[]): { ch: ClientHello; raw: Uint8Array }[] {
  return plaintextHandshakes(splitRecords(fromClient))
    .filter((m) => m.type === HandshakeType.client_hello)
    .map((m) => ({ ch: decodeClientHello(m.raw.subarray(4)), raw: m.raw }));
}

/** The pre_shared_key offer of a ClientHello, if any. */
export function offeredPsks(ch: ClientHello): OfferedPsks | undefined {
  const ext = findExtension(ch.extensions, ExtensionType.pre_shared_key);
  return ext ? decodeOfferedPsks(ext) : undefined;
}

/**
 * The client's first flight as one buffer, with `mutate` applied to the ClientHello message
 * (header included) of its first record, which must be that ClientHello. `binders` lists the
 * offsets of each PSK binder within the message.
 */
export function tamperClientHello(chunks: readonly Uint8Array[], mutate: (ch: Uint8Array, binders: number[]) => void): Uint8Array {
  const all = concat(chunks);
  if (all[0] !== ContentType.handshake || all[5] !== HandshakeType.client_hello) throw new Error('first record is not a ClientHello');
  const len = (all[3]! << 8) | all[4]!;
  const msg = all.subarray(5, 5 + len);
  const ch = decodeClientHello(msg.subarray(4));
  const psks = offeredPsks(ch);
  const binders: number[] = [];
  if (psks) {
    const total = psks.binders.reduce((n, b) => n + 1 + b.length, 2);
    let at = msg.length - total + 2;
    for (const b of psks.binders) {
      binders.push(at + 1);
      at += 1 + b.length;
    }
  }
  mutate(msg, binders);
  return all;
}

/** Whether a ClientHello carries the extension. */
export function hasExtension(ch: ClientHello, type: number): boolean {
  return findExtension(ch.extensions, type) !== undefined;
}

/** Collects NSS key log lines; `secret(label)` gives the last secret logged under `label`. */
export function keyLogger(): { keyLog: (line: string) => void; lines: string[]; secret(label: string, nth?: number): Uint8Array | undefined } {
  const lines: string[] = [];
  return {
    lines,
    keyLog: (line) => lines.push(line),
    secret(label, nth = 0) {
      const hits = lines.filter((l) => l.startsWith(`${label} `));
      const hit = hits[nth];
      return hit ? new Uint8Array(Buffer.from(hit.split(' ')[2]!, 'hex')) : undefined;
    },
  };
}

/** The cipher suite of the (last) ServerHello among a server's records. */
export function serverSuite(fromServer: readonly Uint8Array[]): CipherSuiteInfo {
  const shs = plaintextHandshakes(splitRecords(fromServer)).filter((m) => m.type === HandshakeType.server_hello);
  return cipherSuiteInfo(decodeServerHello(shs.at(-1)!.raw.subarray(4)).cipherSuite)!;
}

/**
 * The extensions of the server's EncryptedExtensions, decrypted with the server handshake
 * traffic secret from its key log.
 */
export function encryptedExtensionsOf(fromServer: readonly Uint8Array[], serverHsSecret: Uint8Array, provider: CryptoProvider = nodeProvider): Extension[] {
  const suite = serverSuite(fromServer);
  const dec = new RecordDecrypter(provider, suite, serverHsSecret);
  const first = splitRecords(fromServer).find((r) => r.type === ContentType.application_data)!;
  const { content } = dec.open(asRaw(first));
  const ee = splitMessages(content).find((m) => m.type === HandshakeType.encrypted_extensions)!;
  return decodeEncryptedExtensions(ee.raw.subarray(4)).extensions;
}

/** A WireRecord as the RawRecord the record layer takes. */
export function asRaw(r: WireRecord): { type: number; version: number; header: Uint8Array; fragment: Uint8Array } {
  const header = Uint8Array.of(r.type, 0x03, 0x03, r.length >> 8, r.length & 0xff);
  return { type: r.type, version: 0x0303, header, fragment: r.body };
}

/** Record bytes (header + body) of a WireRecord. */
export function recordBytes(r: WireRecord): Uint8Array {
  return concat([Uint8Array.of(r.type, 0x03, 0x03, r.length >> 8, r.length & 0xff), r.body]);
}

/**
 * Re-encrypts the protected records of `chunks` (all sealed under `secret`, starting at
 * sequence number 0; plaintext records pass unchanged) after `mutate` had its way with each
 * decrypted record's content. Returns the new wire bytes. With a no-op `mutate` the result
 * equals the input byte for byte.
 */
export function resealRecords(
  chunks: readonly Uint8Array[],
  suite: CipherSuiteInfo,
  secret: Uint8Array,
  mutate: (content: Uint8Array, type: number, index: number) => void,
  provider: CryptoProvider = nodeProvider,
): Uint8Array {
  const dec = new RecordDecrypter(provider, suite, secret);
  const enc = new RecordEncrypter(provider, suite, secret);
  const out: Uint8Array[] = [];
  let index = 0;
  for (const r of splitRecords(chunks)) {
    if (r.type !== ContentType.application_data) {
      out.push(recordBytes(r));
      continue;
    }
    const { type, content } = dec.open(asRaw(r));
    const copy = content.slice();
    mutate(copy, type, index++);
    out.push(enc.seal(type, copy));
  }
  return concat(out);
}

/** The offset of the handshake message of `type` in `content` (decrypted handshake records), or -1. */
export function messageOffset(content: Uint8Array, type: number): number {
  let at = 0;
  for (const m of splitMessages(content)) {
    if (m.type === type) return at;
    at += m.raw.length;
  }
  return -1;
}

/** A signing key that signs like `key` but flips the last byte of every signature. */
export function corruptSigner(key: SigningKey): SigningKey {
  const k = Object.create(key) as SigningKey;
  (k as { sign: SigningKey['sign'] }).sign = (scheme, data, random) => {
    const sig = key.sign(scheme, data, random).slice();
    sig[sig.length - 1]! ^= 0x01;
    return sig;
  };
  return k;
}

// --------------------------------------------------------------------- DER names

/** One TLV: tag, and content bounds within `der`. */
function tlv(der: Uint8Array, at: number): { tag: number; start: number; end: number; next: number } {
  const tag = der[at]!;
  let len = der[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = (len << 8) | der[start + i]!;
    start += n;
  }
  return { tag, start, end: start + len, next: start + len };
}

/** The DER encodings of the issuer and subject Names of a certificate (independent of src/). */
export function certificateNames(certDer: Uint8Array): { issuer: Uint8Array; subject: Uint8Array } {
  const cert = tlv(certDer, 0);
  const tbs = tlv(certDer, cert.start);
  let at = tbs.start;
  const fields: { start: number; next: number; tag: number }[] = [];
  while (at < tbs.end) {
    const f = tlv(certDer, at);
    fields.push({ start: at, next: f.next, tag: f.tag });
    at = f.next;
  }
  // [0] version (optional), serial, signature, issuer, validity, subject
  const base = fields[0]!.tag === 0xa0 ? 1 : 0;
  const slice = (f: { start: number; next: number }) => certDer.slice(f.start, f.next);
  return { issuer: slice(fields[base + 2]!), subject: slice(fields[base + 4]!) };
}

/** DER of the first certificate in PEM text. */
export function pemCertDer(pem: string): Uint8Array {
  return new Uint8Array(new X509Certificate(pem).raw);
}

/** The DER SubjectPublicKeyInfo of a certificate, from PEM (what a raw public key Certificate carries). */
export function spkiDer(pem: string): Uint8Array {
  return new Uint8Array(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }));
}

/** UTF-8 bytes. */
export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
/** UTF-8 text of chunks. */
export const text = (chunks: readonly Uint8Array[]): string => Buffer.from(concat(chunks)).toString('utf8');
