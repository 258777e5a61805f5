/**
 * Access to ../shared/vectors/rfc8448.json: the labelled values of RFC 8448's traces, and the
 * helpers the specs reproducing them share.
 */
import { readFileSync } from 'node:fs';
import { createHash, createPrivateKey } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { CipherSuite, ContentType, ExtensionType, HandshakeType } from '../../src/tls/constants.js';
import { TlsClient } from '../../src/tls/client/tls13.js';
import type { ClientConfig } from '../../src/tls/client/config.js';
import type { TlsConnection } from '../../src/tls/connection.js';
import type { CryptoProvider } from '../../src/tls/crypto/provider.js';
import type { Extension } from '../../src/tls/messages/types.js';
import { decodeCertificate } from '../../src/tls/messages/certificate.js';
import { decodeClientHello } from '../../src/tls/messages/client-hello.js';
import { decodeEncryptedExtensions } from '../../src/tls/messages/encrypted-extensions.js';
import { decodeServerHello } from '../../src/tls/messages/server-hello.js';
import { HandshakeReassembler } from '../../src/tls/messages/handshake.js';
import { RecordDeframer } from '../../src/tls/record/deframer.js';
import { RecordDecrypter } from '../../src/tls/record/protection.js';
import { cipherSuiteInfo } from '../../src/tls/suites.js';
import { toHex } from '../../src/tls/codec/bytes.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Where the shared reference material lives (beside the repository). */
export const SHARED = resolve(here, '../../../shared');

interface Item { label: string; octets: number | null; hex: string | null; text: string | null }
interface Step { index: number; party: 'client' | 'server'; action: string; items: Item[] }
interface Scenario { id: string; section: string; steps: Step[] }
interface Vectors { server_rsa_key: Record<string, string>; scenarios: Scenario[] }

const vectors: Vectors = JSON.parse(readFileSync(resolve(SHARED, 'vectors/rfc8448.json'), 'utf8'));

/** Bytes of a hex string. */
export function hex(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'));
}

/** One scenario of the traces, with lookups by step action and item label. */
export class Trace {
  readonly steps: Step[];
  constructor(id: string) {
    const s = vectors.scenarios.find((x) => x.id === id);
    if (!s) throw new Error(`no scenario ${id}`);
    this.steps = s.steps;
  }

  /**
   * The `n`-th (0-based) item labelled `label` in steps by `party` whose action contains
   * `action`, with a hex value.
   */
  value(party: 'client' | 'server', action: string, label: string, n = 0): Uint8Array {
    const found = this.steps
      .filter((s) => s.party === party && s.action.includes(action))
      .flatMap((s) => s.items.filter((i) => i.label === label && i.hex !== null));
    const item = found[n];
    if (!item) throw new Error(`no ${party} "${action}" item "${label}" #${n}`);
    return hex(item.hex!);
  }
}

/** The RSA key of RFC 8448 section 2 as PKCS#8 PEM. */
export function serverRsaKeyPem(): string {
  const k = vectors.server_rsa_key;
  const b64u = (h: string) => Buffer.from(h.replace(/^0x/, '').replace(/\s+/g, ''), 'hex').toString('base64url');
  const jwk = {
    kty: 'RSA', n: b64u(k.modulus!), e: b64u(k.public_exponent!), d: b64u(k.private_exponent!), p: b64u(k.prime1!),
    q: b64u(k.prime2!), dp: b64u(k.exponent1!), dq: b64u(k.exponent2!), qi: b64u(k.coefficient!),
  };
  return createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A `random(n)` that hands out the given values in order and fails loudly on a mismatch. */
export function scriptedRandom(values: Uint8Array[]): ((n: number) => Uint8Array) & { remaining(): number } {
  const queue = [...values];
  const f = (n: number): Uint8Array => {
    const v = queue.shift();
    if (!v) throw new Error(`scriptedRandom: asked for ${n} bytes after the script ended`);
    if (v.length !== n) throw new Error(`scriptedRandom: asked for ${n} bytes, script has ${v.length}`);
    return v;
  };
  return Object.assign(f, { remaining: () => queue.length });
}

// ---------------------------------------------------------------------------------------
// Helpers the RFC 8448 specs share (spec/tls/rfc8448*.spec.ts): splicing trace extensions,
// driving engines, reading records back.

/**
 * Extension types whose bodies come from the trace: what the trace's peers advertise that
 * rxtls does not implement (ffdhe and secp521r1 groups, DSA and SHA-1 signature schemes) plus
 * TLS 1.2 leftovers (renegotiation_info, session_ticket, padding) and the HelloRetryRequest's
 * cookie.
 */
export const SPLICED = new Set<number>([
  ExtensionType.renegotiation_info, ExtensionType.session_ticket, ExtensionType.padding,
  ExtensionType.signature_algorithms, ExtensionType.supported_groups, ExtensionType.cookie,
]);

/**
 * An `extensionHook` that lays the engine's extensions out in the trace's order, taking the
 * bodies of SPLICED types from the trace and every other body from the engine. It fails the
 * test when the engine omits an extension the trace has, or adds one the trace lacks.
 *
 * A client appends pre_shared_key itself after the hook (RFC 8446 section 4.2.11: it must be
 * last, and its binders cover the hook's output), so the hook never sees it: it is skipped in
 * a trace ClientHello here, and the byte-for-byte comparison of the whole ClientHello checks it.
 */
export function spliceHook(traceExtensions: (helloRetry: boolean, type: number) => Extension[] | undefined) {
  return (type: number, exts: Extension[], helloRetry: boolean): Extension[] => {
    const traced = traceExtensions(helloRetry, type);
    if (!traced) return exts;
    const wanted = type === HandshakeType.client_hello ? traced.filter((w) => w.type !== ExtensionType.pre_shared_key) : traced;
    const mine = new Map(exts.map((e) => [e.type, e]));
    const out = wanted.map((w) => {
      if (SPLICED.has(w.type)) return w;
      const e = mine.get(w.type);
      if (!e) throw new Error(`engine did not produce extension ${w.type}`);
      return e;
    });
    for (const e of exts) if (!wanted.some((w) => w.type === e.type)) throw new Error(`engine produced extension ${e.type} the trace lacks`);
    return out;
  };
}

/** The extensions of a trace handshake message (ClientHello/ServerHello/EncryptedExtensions), header included. */
export function extensionsOf(type: number, message: Uint8Array): Extension[] {
  const body = message.subarray(4);
  if (type === HandshakeType.client_hello) return decodeClientHello(body).extensions;
  if (type === HandshakeType.server_hello) return decodeServerHello(body).extensions;
  return decodeEncryptedExtensions(body).extensions;
}

/** Everything the engine has queued for the transport, chunk by chunk. */
export function drain(c: TlsConnection): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let x = c.takeOutput(); x; x = c.takeOutput()) out.push(x);
  return out;
}

/** Feeds `data` and expects the engine to take all of it. */
export function feedAll(c: TlsConnection, data: Uint8Array): void {
  expect(c.feed(data)).toBe(data.length);
}

export function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest());
}

export function concatAll(parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

/** Key log lines as a map label → secret hex. */
export function keyLogger(): { log: (l: string) => void; secrets: Map<string, string> } {
  const secrets = new Map<string, string>();
  return { secrets, log: (l) => { const [label, , secret] = l.split(' '); secrets.set(label!, secret!); } };
}

/** The records of a byte stream, each whole (header included); fails on a partial record. */
export function splitRecords(stream: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < stream.length; ) {
    if (off + 5 > stream.length) throw new Error('partial record header');
    const end = off + 5 + ((stream[off + 3]! << 8) | stream[off + 4]!);
    if (end > stream.length) throw new Error('partial record');
    out.push(stream.slice(off, end));
    off = end;
  }
  return out;
}

/** Splits the records of `stream` and decrypts each under `secret` (TLS_AES_128_GCM_SHA256), in order. */
export function decryptRecords(provider: CryptoProvider, stream: Uint8Array, secret: Uint8Array): { type: ContentType; content: Uint8Array }[] {
  const suite = cipherSuiteInfo(CipherSuite.TLS_AES_128_GCM_SHA256)!;
  const dec = new RecordDecrypter(provider, suite, secret);
  const deframer = new RecordDeframer();
  const out: { type: ContentType; content: Uint8Array }[] = [];
  for (let off = 0; off < stream.length; ) {
    off += deframer.push(stream.subarray(off));
    const rec = deframer.take();
    if (rec) {
      const { type, content } = dec.open(rec);
      out.push({ type, content: content.slice() });
    }
  }
  return out;
}

/** Decrypts the records of `stream` under `secret`, expecting handshake records only, and returns their messages. */
export function decryptHandshakeMessages(provider: CryptoProvider, stream: Uint8Array, secret: Uint8Array): Uint8Array[] {
  const hs = new HandshakeReassembler();
  const out: Uint8Array[] = [];
  for (const { type, content } of decryptRecords(provider, stream, secret)) {
    expect(type).toBe(ContentType.handshake);
    hs.push(content);
    for (let m = hs.next(); m; m = hs.next()) out.push(m.raw.slice());
  }
  return out;
}

/**
 * The end of a trace, on an established client: its application data record (the
 * `clientData`-th of the trace, 0-based) byte for byte, the server's decrypted, then
 * close_notify both ways. Each step is asserted.
 */
export function expectTraceTail(t: Trace, client: TlsClient, clientData = 0): void {
  const payload = t.value('client', 'send application_data record', 'payload', clientData);
  expect(client.write(payload)).toBe(payload.length);
  expect(toHex(concatAll(drain(client)))).toBe(toHex(t.value('client', 'send application_data record', 'complete record', clientData)));
  feedAll(client, t.value('server', 'send application_data record', 'complete record'));
  expect(toHex(client.read()!)).toBe(toHex(t.value('server', 'send application_data record', 'payload')));
  client.closeWrite();
  expect(toHex(concatAll(drain(client)))).toBe(toHex(t.value('client', 'send alert record', 'complete record')));
  feedAll(client, t.value('server', 'send alert record', 'complete record'));
  expect(client.peerClosed).toBe(true);
}

/**
 * The client of RFC 8448 section 3 (Simple 1-RTT), which section 4 resumes: its suites, SNI,
 * randoms and ClientHello extensions, the server pinned by its certificate; `extra` adds or
 * overrides options (key log, session store, clock).
 */
export function simple1RttClient(provider: CryptoProvider, extra: Partial<ClientConfig> = {}): TlsClient {
  const t = new Trace('simple_1rtt');
  const clientHello = t.value('client', 'construct a ClientHello', 'ClientHello');
  const serverCert = decodeCertificate(t.value('server', 'construct a Certificate', 'Certificate').subarray(4)).entries[0]!.data;
  return new TlsClient({
    provider,
    servername: 'server',
    cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384],
    middleboxCompat: false,
    random: scriptedRandom([t.value('client', 'create an ephemeral x25519', 'private key'), clientHello.subarray(6, 38)]),
    pins: { certSha256: [sha256(serverCert)] },
    extensionHook: spliceHook((_retry, type) => (type === HandshakeType.client_hello ? extensionsOf(type, clientHello) : undefined)),
    ...extra,
  });
}
