/**
 * Test helpers: the RFC 8448 handshake messages from ../shared/vectors/rfc8448.json, and an
 * assertion for protocol errors. Not a spec file itself.
 */
import { readFileSync } from 'node:fs';
import { fromHex } from '../../../src/tls/codec/bytes.js';
import { TlsProtocolError } from '../../../src/tls/errors.js';

interface Item { label: string; octets: number | null; hex: string | null }
interface Step { index: number; party: string; action: string; items: Item[] }
interface Scenario { id: string; steps: Step[] }

const data = JSON.parse(
  readFileSync(new URL('../../../../shared/vectors/rfc8448.json', import.meta.url), 'utf8'),
) as { scenarios: Scenario[] };

/** The scenario ids of RFC 8448. */
export const SCENARIOS = ['simple_1rtt', 'resumed_0rtt', 'hello_retry_request', 'client_authentication', 'compatibility_mode'];

/** Item labels that are whole handshake messages (header included). */
export const MESSAGE_LABELS = new Set([
  'ClientHello', 'ServerHello', 'EncryptedExtensions', 'Certificate', 'CertificateRequest',
  'CertificateVerify', 'Finished', 'NewSessionTicket', 'EndOfEarlyData', 'KeyUpdate',
]);

/** One scenario by id; throws when absent so a renamed scenario cannot silently skip tests. */
export function scenario(id: string): Scenario {
  const s = data.scenarios.find((x) => x.id === id);
  if (!s) throw new Error(`no scenario ${id}`);
  return s;
}

/** The labelled handshake-message items of a scenario, in order. */
export function messageItems(id: string): { label: string; step: number; bytes: Uint8Array }[] {
  const out: { label: string; step: number; bytes: Uint8Array }[] = [];
  for (const st of scenario(id).steps) {
    for (const it of st.items) if (MESSAGE_LABELS.has(it.label) && it.hex) out.push({ label: it.label, step: st.index, bytes: fromHex(it.hex) });
  }
  return out;
}

/** The plaintext payloads of the scenario's handshake records, in order. */
export function handshakePayloads(id: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const st of scenario(id).steps) {
    if (st.action !== 'send handshake record') continue;
    for (const it of st.items) if (it.label === 'payload' && it.hex) out.push(fromHex(it.hex));
  }
  return out;
}

/** The hex of the first item labelled `label` in the step whose action is `action`. */
export function itemHex(id: string, action: string, label: string): string {
  for (const st of scenario(id).steps) {
    if (st.action !== action) continue;
    for (const it of st.items) if (it.label === label && it.hex) return it.hex;
  }
  throw new Error(`${id}: no item ${label} in step ${action}`);
}

/** Asserts that `fn` throws a TlsProtocolError carrying `alert`; returns the error. */
export function expectAlert(fn: () => unknown, alert: number): TlsProtocolError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(TlsProtocolError);
  expect((err as TlsProtocolError).alert).toBe(alert);
  return err as TlsProtocolError;
}
