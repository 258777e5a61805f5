/**
 * The key schedule, traffic keys, Finished values, PSK binder and resumption PSK, checked
 * against every labelled value of the RFC 8448 traces. Inputs come from the trace (PSK, the
 * (EC)DHE shared secret); transcript hashes are recomputed here with node:crypto from the
 * handshake messages the trace sends, and also compared with the trace's own "hash" items.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HELLO_RETRY_REQUEST_RANDOM } from '../../../src/tls/constants.js';
import { nobleProvider as p } from '../../../src/tls/crypto/noble.js';
import { TlsMisuseError } from '../../../src/tls/errors.js';
import { deriveSecret, hkdfExpand, hkdfExtract } from '../../../src/tls/keys/hkdf.js';
import { KeySchedule } from '../../../src/tls/keys/schedule.js';
import { finishedKey, finishedVerifyData, resumptionPsk, trafficKeys } from '../../../src/tls/keys/traffic.js';
import { cipherSuiteInfo } from '../../../src/tls/suites.js';

// ---- the RFC 8448 traces -------------------------------------------------------------------

interface Item { label: string; hex: string | null }
interface Step { index: number; party: 'client' | 'server'; action: string; items: Item[] }
interface Scenario { id: string; steps: Step[]; derived: { cipher_suites: string[] } }
const here = dirname(fileURLToPath(import.meta.url));
const vectors = JSON.parse(readFileSync(resolve(here, '../../../../shared/vectors/rfc8448.json'), 'utf8')) as { scenarios: Scenario[] };
const scenario = (id: string): Scenario => vectors.scenarios.find((s) => s.id === id)!;

const hex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const sha256 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('sha256');
  for (const x of parts) h.update(x);
  return new Uint8Array(h.digest());
};
const item = (st: Step, label: string): Uint8Array => {
  const it = st.items.find((i) => i.label === label);
  if (!it || it.hex === null) throw new Error(`step ${st.index} "${st.action}" has no item "${label}"`);
  return hex(it.hex);
};
/** The first step (with values) whose action is exactly `action`. */
const stepOf = (s: Scenario, action: string): Step | undefined => s.steps.find((st) => st.action === action && st.items.length > 0);
/** The "expanded" output of `derive secret "tls13 <label>"`. */
const secretOf = (s: Scenario, label: string): Uint8Array => item(stepOf(s, `derive secret "tls13 ${label}"`)!, 'expanded');

interface Msg { type: number; raw: Uint8Array }

/**
 * The handshake, independently of the code under test: the payloads of every "send handshake
 * record" step, in order, split into messages (type u8, length u24).
 */
function handshakeOf(s: Scenario) {
  const stream = Buffer.concat(s.steps.filter((st) => st.action === 'send handshake record').map((st) => item(st, 'payload')));
  const msgs: Msg[] = [];
  for (let at = 0; at < stream.length; ) {
    const len = stream.readUIntBE(at + 1, 3);
    msgs.push({ type: stream[at]!, raw: new Uint8Array(stream.subarray(at, at + 4 + len)) });
    at += 4 + len;
  }
  const isHrr = (m: Msg) => m.type === 2 && Buffer.from(m.raw.subarray(6, 38)).equals(HELLO_RETRY_REQUEST_RANDOM);
  const sh = msgs.findIndex((m) => m.type === 2 && !isHrr(m));
  const fins = msgs.flatMap((m, i) => (m.type === 20 ? [i] : []));
  const lastCh = msgs.slice(0, sh).map((m) => m.type).lastIndexOf(1);
  /** Transcript-Hash(messages[0..k]) (RFC 8446 section 4.4.1), with the HelloRetryRequest rule. */
  const th = (k: number): Uint8Array => {
    let parts = msgs.slice(0, k + 1).map((m) => m.raw);
    if (msgs.length > 1 && isHrr(msgs[1]!) && k >= 1) {
      // ClientHello1 is replaced by message_hash || 00 00 Hash.length || Hash(ClientHello1).
      parts = [Uint8Array.of(254, 0, 0, 32), sha256(msgs[0]!.raw), ...parts.slice(1)];
    }
    return sha256(...parts);
  };
  return { msgs, sh, lastCh, serverFin: fins[0]!, clientFin: fins[1]!, th, hrr: msgs.length > 1 && isHrr(msgs[1]!) };
}

/** The transcript each RFC 8446 section 7.1 secret is derived from. */
function transcriptFor(hs: ReturnType<typeof handshakeOf>, label: string): Uint8Array {
  switch (label) {
    case 'c e traffic':
    case 'e exp master':
      return hs.th(hs.lastCh); // ClientHello
    case 'c hs traffic':
    case 's hs traffic':
      return hs.th(hs.sh); // ClientHello...ServerHello
    case 'c ap traffic':
    case 's ap traffic':
    case 'exp master':
      return hs.th(hs.serverFin); // ClientHello...server Finished
    case 'res master':
      return hs.th(hs.clientFin); // ClientHello...client Finished
    default:
      throw new Error(`no transcript rule for "${label}"`);
  }
}

const ALL = ['simple_1rtt', 'resumed_0rtt', 'hello_retry_request', 'client_authentication', 'compatibility_mode'];
const suite = cipherSuiteInfo(0x1301)!;

// ---- tests ---------------------------------------------------------------------------------

describe('RFC 8448 handshakes: the test-side transcript is sound', () => {
  test.each(ALL)('%s: the trace negotiates TLS_AES_128_GCM_SHA256 and has both Finished messages', (id) => {
    const s = scenario(id);
    expect(s.derived.cipher_suites.every((c) => c === '1301')).toBe(true);
    const hs = handshakeOf(s);
    expect(hs.msgs[hs.serverFin]!.raw).toEqual(item(s.steps.find((st) => st.party === 'server' && st.action === 'construct a Finished handshake message')!, 'Finished'));
    expect(hs.msgs[hs.clientFin]!.raw).toEqual(item(s.steps.find((st) => st.party === 'client' && st.action === 'construct a Finished handshake message')!, 'Finished'));
    expect(hs.hrr).toBe(id === 'hello_retry_request');
  });
});

describe.each(ALL)('RFC 8448 %s: every key schedule step, recomputed from its inputs', (id) => {
  const s = scenario(id);
  const hs = handshakeOf(s);
  const emptyHash = sha256();

  // Each step whose action is a key derivation, checked on its own terms.
  const steps = s.steps.filter((st) => st.items.length > 0 && /^(extract|derive|calculate|generate)/.test(st.action));

  test.each(steps.map((st) => [`step ${st.index} ${st.party}: ${st.action}`, st] as const))('%s', (_, st) => {
    let m: RegExpExecArray | null;
    if ((m = /^extract secret "(early|handshake|master)"$/.exec(st.action))) {
      const salt = m[1] === 'early' ? new Uint8Array(32) : item(st, 'salt');
      expect(hkdfExtract(p, 'sha256', salt, item(st, 'IKM'))).toEqual(item(st, 'secret'));
      if (m[1] === 'master') expect(item(st, 'IKM')).toEqual(new Uint8Array(32));
    } else if (/^derive secret for (handshake|master) "tls13 derived"$/.test(st.action)) {
      expect(item(st, 'hash')).toEqual(emptyHash); // Derive-Secret(., "derived", "")
      expect(deriveSecret(p, 'sha256', item(st, 'PRK'), 'derived', emptyHash)).toEqual(item(st, 'expanded'));
    } else if ((m = /^derive secret "tls13 ([^"]+)"$/.exec(st.action))) {
      const th = transcriptFor(hs, m[1]!);
      expect(item(st, 'hash')).toEqual(th); // our transcript equals the trace's
      expect(deriveSecret(p, 'sha256', item(st, 'PRK'), m[1]!, th)).toEqual(item(st, 'expanded'));
    } else if ((m = /^derive (read|write) traffic keys for (early application|handshake|application) data$/.exec(st.action))) {
      const sender = m[1] === 'write' ? st.party : st.party === 'client' ? 'server' : 'client';
      const label = m[2] === 'early application' ? 'c e traffic' : `${sender[0]} ${m[2] === 'handshake' ? 'hs' : 'ap'} traffic`;
      expect(item(st, 'PRK')).toEqual(secretOf(s, label)); // the secret RFC 8446 section 7.3's table names
      const { key, iv } = trafficKeys(p, suite, item(st, 'PRK'));
      expect(key).toEqual(item(st, 'key expanded'));
      expect(iv).toEqual(item(st, 'iv expanded'));
      expect(hkdfExpand(p, 'sha256', item(st, 'PRK'), item(st, 'key info'), 16)).toEqual(key);
      expect(hkdfExpand(p, 'sha256', item(st, 'PRK'), item(st, 'iv info'), 12)).toEqual(iv);
    } else if (st.action === 'calculate finished "tls13 finished"') {
      const server = st.party === 'server';
      expect(item(st, 'PRK')).toEqual(secretOf(s, server ? 's hs traffic' : 'c hs traffic')); // BaseKey (4.4.4)
      expect(finishedKey(p, 'sha256', item(st, 'PRK'))).toEqual(item(st, 'expanded'));
      const fin = server ? hs.serverFin : hs.clientFin;
      const verify = finishedVerifyData(p, 'sha256', item(st, 'PRK'), hs.th(fin - 1));
      expect(verify).toEqual(item(st, 'finished'));
      expect(verify).toEqual(hs.msgs[fin]!.raw.subarray(4)); // what the Finished message carries
    } else if (st.action === 'calculate PSK binder') {
      // The binder covers the ClientHello up to the binders list (RFC 8446 section 4.2.11.2):
      // here one 32-byte binder, so the list is 2 + 1 + 32 bytes at the end of the message.
      const ch = hs.msgs[0]!.raw;
      expect(item(st, 'ClientHello prefix')).toEqual(ch.subarray(0, ch.length - 35));
      expect(item(st, 'binder hash')).toEqual(sha256(ch.subarray(0, ch.length - 35)));
      expect(finishedKey(p, 'sha256', item(st, 'PRK'))).toEqual(item(st, 'expanded'));
      const binder = finishedVerifyData(p, 'sha256', item(st, 'PRK'), item(st, 'binder hash'));
      expect(binder).toEqual(item(st, 'finished'));
      expect(binder).toEqual(ch.subarray(ch.length - 32));
    } else if (st.action === 'generate resumption secret "tls13 resumption"') {
      // ticket_nonce, parsed from the NewSessionTicket: lifetime u32, age_add u32, nonce<0..255>.
      const nst = hs.msgs.find((x) => x.type === 4)!.raw;
      const nonce = nst.subarray(13, 13 + nst[12]!);
      expect(item(st, 'hash')).toEqual(nonce);
      expect(item(st, 'PRK')).toEqual(secretOf(s, 'res master'));
      expect(resumptionPsk(p, 'sha256', item(st, 'PRK'), nonce)).toEqual(item(st, 'expanded'));
    } else {
      throw new Error(`unrecognised key step: ${st.action}`);
    }
  });
});

describe.each(['simple_1rtt', 'hello_retry_request', 'resumed_0rtt', 'client_authentication', 'compatibility_mode'])(
  'RFC 8448 %s: KeySchedule walked with the trace inputs',
  (id) => {
    const s = scenario(id);
    const hs = handshakeOf(s);
    const psk = item(stepOf(s, 'extract secret "early"')!, 'IKM');
    const shared = item(stepOf(s, 'extract secret "handshake"')!, 'IKM');
    const resumed = id === 'resumed_0rtt';

    test('early → handshake → master produces every secret of the trace', () => {
      const ks = new KeySchedule(p, 'sha256');
      expect(ks.stage).toBe('initial');
      expect(ks.hashLength).toBe(32);
      if (resumed) {
        expect(psk).not.toEqual(new Uint8Array(32));
        ks.early(psk);
        const binderStep = stepOf(s, 'calculate PSK binder')!;
        expect(ks.binderKey('res')).toEqual(item(binderStep, 'PRK'));
        expect(ks.binderKey('ext')).not.toEqual(item(binderStep, 'PRK'));
        expect(ks.clientEarlyTrafficSecret(hs.th(hs.lastCh))).toEqual(secretOf(s, 'c e traffic'));
        expect(ks.earlyExporterMasterSecret(hs.th(hs.lastCh))).toEqual(secretOf(s, 'e exp master'));
      } else {
        expect(psk).toEqual(new Uint8Array(32));
        ks.early(); // no PSK: zeros of Hash.length
      }
      expect(ks.stage).toBe('early');
      ks.handshake(shared);
      expect(ks.stage).toBe('handshake');
      const chs = ks.clientHandshakeTrafficSecret(hs.th(hs.sh));
      const shs = ks.serverHandshakeTrafficSecret(hs.th(hs.sh));
      expect(chs).toEqual(secretOf(s, 'c hs traffic'));
      expect(shs).toEqual(secretOf(s, 's hs traffic'));
      ks.master();
      expect(ks.stage).toBe('master');
      expect(ks.clientApplicationTrafficSecret(hs.th(hs.serverFin))).toEqual(secretOf(s, 'c ap traffic'));
      expect(ks.serverApplicationTrafficSecret(hs.th(hs.serverFin))).toEqual(secretOf(s, 's ap traffic'));
      expect(ks.exporterMasterSecret(hs.th(hs.serverFin))).toEqual(secretOf(s, 'exp master'));
      expect(ks.resumptionMasterSecret(hs.th(hs.clientFin))).toEqual(secretOf(s, 'res master'));
      // Finished values from the schedule's own secrets.
      expect(finishedVerifyData(p, 'sha256', shs, hs.th(hs.serverFin - 1))).toEqual(hs.msgs[hs.serverFin]!.raw.subarray(4));
      expect(finishedVerifyData(p, 'sha256', chs, hs.th(hs.clientFin - 1))).toEqual(hs.msgs[hs.clientFin]!.raw.subarray(4));
    });

    test('a wrong input changes the result (the comparison is not vacuous)', () => {
      const ks = new KeySchedule(p, 'sha256');
      ks.early();
      const bad = shared.slice();
      bad[0]! ^= 1;
      ks.handshake(bad);
      expect(ks.clientHandshakeTrafficSecret(hs.th(hs.sh))).not.toEqual(secretOf(s, 'c hs traffic'));
    });
  },
);

test('the resumption PSK of simple_1rtt is the PSK that resumed_0rtt uses (RFC 8448 section 4)', () => {
  const s1 = scenario('simple_1rtt');
  const rms = secretOf(s1, 'res master');
  const psk = resumptionPsk(p, 'sha256', rms, Uint8Array.of(0, 0));
  expect(psk).toEqual(item(stepOf(scenario('resumed_0rtt'), 'extract secret "early"')!, 'IKM'));
});

describe('KeySchedule stages', () => {
  const th = new Uint8Array(32);

  test('each method throws TlsMisuseError outside its stage', () => {
    const ks = new KeySchedule(p, 'sha256');
    expect(() => ks.binderKey('ext')).toThrow(TlsMisuseError);
    expect(() => ks.clientHandshakeTrafficSecret(th)).toThrow(TlsMisuseError);
    expect(() => ks.handshake(th)).toThrow(TlsMisuseError);
    expect(() => ks.master()).toThrow(TlsMisuseError);
    expect(() => ks.clientApplicationTrafficSecret(th)).toThrow(TlsMisuseError);
    ks.early();
    expect(() => ks.early()).toThrow(TlsMisuseError);
    expect(() => ks.serverHandshakeTrafficSecret(th)).toThrow(TlsMisuseError);
    expect(() => ks.master()).toThrow(TlsMisuseError);
    expect(() => ks.exporterMasterSecret(th)).toThrow(TlsMisuseError);
    ks.handshake(th);
    expect(() => ks.clientEarlyTrafficSecret(th)).toThrow(TlsMisuseError);
    expect(() => ks.earlyExporterMasterSecret(th)).toThrow(TlsMisuseError);
    expect(() => ks.binderKey('res')).toThrow(TlsMisuseError);
    expect(() => ks.handshake(th)).toThrow(TlsMisuseError);
    expect(() => ks.resumptionMasterSecret(th)).toThrow(TlsMisuseError);
    ks.master();
    expect(() => ks.clientHandshakeTrafficSecret(th)).toThrow(TlsMisuseError);
    expect(() => ks.master()).toThrow(TlsMisuseError);
    expect(() => ks.early()).toThrow(TlsMisuseError);
    expect(ks.resumptionMasterSecret(th)).toHaveLength(32);
    ks.destroy();
    expect(ks.stage).toBe('destroyed');
    expect(() => ks.resumptionMasterSecret(th)).toThrow(TlsMisuseError);
    expect(() => ks.early()).toThrow(TlsMisuseError);
  });

  test('the same derivation twice gives the same secret, and fresh arrays', () => {
    const ks = new KeySchedule(p, 'sha256');
    ks.early();
    ks.handshake(new Uint8Array(32).fill(9));
    const a = ks.clientHandshakeTrafficSecret(th);
    a.fill(0); // a caller wiping its copy must not disturb the schedule
    expect(ks.clientHandshakeTrafficSecret(th)).not.toEqual(a);
    expect(ks.clientHandshakeTrafficSecret(th)).toEqual(ks.clientHandshakeTrafficSecret(th));
  });

  test('sha384 schedules give 48-byte secrets and refuse 32-byte transcript hashes', () => {
    const ks = new KeySchedule(p, 'sha384');
    expect(ks.hashLength).toBe(48);
    ks.early();
    expect(ks.binderKey('ext')).toHaveLength(48);
    ks.handshake(new Uint8Array(48).fill(3));
    expect(ks.serverHandshakeTrafficSecret(new Uint8Array(48))).toHaveLength(48);
    expect(() => ks.serverHandshakeTrafficSecret(new Uint8Array(32))).toThrow(TlsMisuseError);
    // Independent recomputation of the sha384 chain with the HKDF primitives.
    const z = new Uint8Array(48);
    const empty = new Uint8Array(createHash('sha384').digest());
    const early = hkdfExtract(p, 'sha384', z, z);
    const hsSecret = hkdfExtract(p, 'sha384', deriveSecret(p, 'sha384', early, 'derived', empty), new Uint8Array(48).fill(3));
    expect(ks.serverHandshakeTrafficSecret(z)).toEqual(deriveSecret(p, 'sha384', hsSecret, 's hs traffic', z));
    ks.master();
    const master = hkdfExtract(p, 'sha384', deriveSecret(p, 'sha384', hsSecret, 'derived', empty), z);
    expect(ks.exporterMasterSecret(z)).toEqual(deriveSecret(p, 'sha384', master, 'exp master', z));
  });
});
