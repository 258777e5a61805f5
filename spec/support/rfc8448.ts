/**
 * Access to ../shared/vectors/rfc8448.json: the labelled values of RFC 8448's traces.
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

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
