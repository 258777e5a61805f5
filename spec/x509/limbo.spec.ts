/**
 * Every case of x509-limbo part A (/work/shared/vectors/x509-limbo-part-a.json, from
 * C2SP/x509-limbo) through the default verifier, `caVerifier` with default options: the
 * trusted certificates are `ca`, the untrusted intermediates follow the peer certificate as a
 * server would send them, `validation_time` is the clock (now when absent), the expected peer
 * name is the server name, `max_chain_depth` bounds the intermediates.
 *
 * At least 95% must agree with limbo's expected result. Each disagreement is listed below with
 * the reason; a case that starts or stops disagreeing fails the test, so the list stays true.
 */
import fs from 'node:fs';
import { nobleProvider } from '../../src/tls/crypto/noble.js';
import { pemDecode } from '../../src/tls/crypto/pem.js';
import { TlsCertificateError } from '../../src/tls/errors.js';
import { caVerifier } from '../../src/tls/x509/ca-verifier.js';

interface LimboCase {
  readonly id: string;
  readonly validation_kind: string;
  readonly trusted_certs: readonly string[];
  readonly untrusted_intermediates: readonly string[];
  readonly peer_certificate: string;
  readonly validation_time: string | null;
  readonly expected_peer_name: { readonly kind: 'DNS' | 'IP'; readonly value: string } | null;
  readonly expected_result: 'SUCCESS' | 'FAILURE';
  readonly max_chain_depth: number | null;
  readonly extended_key_usage: readonly string[] | null;
  readonly key_usage: readonly string[] | null;
}

const CASES: readonly LimboCase[] = JSON.parse(fs.readFileSync('/work/shared/vectors/x509-limbo-part-a.json', 'utf8')).testcases;

/** Where rxtls and x509-limbo differ, with the error rxtls gives (if any) and why. */
const DISAGREEMENTS: Readonly<Record<string, { readonly ours: string; readonly why: string }>> = {
  'pathlen::validation-ignores-pathlen-in-leaf': {
    ours: 'INVALID_PURPOSE',
    why:
      "The peer certificate is a CA certificate whose keyUsage is keyCertSign and cRLSign only. RFC 8446 section 4.4.2.2 requires " +
      'digitalSignature when keyUsage is present, and Node refuses it as well (OpenSSL ssl_server purpose: INVALID_PURPOSE). ' +
      'Limbo tests path length only and ignores the leaf key usage.',
  },
  'webpki::eku::ee-without-eku': {
    ours: 'OK',
    why:
      'A leaf without extKeyUsage may be used for any purpose (RFC 5280 section 4.2.1.12), and Node accepts it. The requirement ' +
      'is the CA/Browser Forum\'s (BR 7.1.2.7.6) for publicly trusted CAs; refusing it would refuse most private certificates.',
  },
  'webpki::v1-cert': {
    ours: 'OK',
    why:
      'RFC 5280 allows version 1 certificates and Node accepts this one: it has no subjectAltName, so its CN (example.com) ' +
      'is the name checked, as Node does. The version 3 requirement is the CA/Browser Forum\'s (BR 7.1.1).',
  },
};

const der = (pem: string): Uint8Array => pemDecode(pem)[0]!.der;

/** 'OK', or the code of the refusal. */
function ourVerdict(c: LimboCase): string {
  const verifier = caVerifier({ ca: c.trusted_certs, maxIntermediates: c.max_chain_depth ?? undefined });
  try {
    verifier.verify([der(c.peer_certificate), ...c.untrusted_intermediates.map(der)], {
      serverName: c.expected_peer_name?.value,
      now: c.validation_time === null ? Date.now() : Date.parse(c.validation_time),
      peer: 'server',
      provider: nobleProvider,
    });
    return 'OK';
  } catch (e) {
    // A refusal must be a certificate error, never a stray exception.
    if (!(e instanceof TlsCertificateError)) throw e;
    return e.code;
  }
}

/** Each case's verdict, computed once. */
const verdicts = new Map<string, string>();
const verdictOf = (c: LimboCase): string => {
  let v = verdicts.get(c.id);
  if (v === undefined) verdicts.set(c.id, (v = ourVerdict(c)));
  return v;
};

describe('x509-limbo part A', () => {
  test('has 64 server validation cases this harness can express', () => {
    expect(CASES).toHaveLength(64);
    for (const c of CASES) {
      expect(c.validation_kind).toBe('SERVER');
      // The verifier checks serverAuth and, for TLS 1.3, digitalSignature: what these cases ask for.
      expect([null, ['serverAuth']]).toContainEqual(c.extended_key_usage);
      expect([null, ['digitalSignature']]).toContainEqual(c.key_usage);
    }
  });

  test.each(CASES.map((c) => [c.id, c] as const))('%s', (id, c) => {
    const ours = verdictOf(c);
    const known = DISAGREEMENTS[id];
    if (known) {
      expect({ id, ours }).toEqual({ id, ours: known.ours });
      expect(ours === 'OK' ? 'SUCCESS' : 'FAILURE').not.toBe(c.expected_result);
    } else {
      expect({ id, result: ours === 'OK' ? 'SUCCESS' : `FAILURE` }).toEqual({ id, result: c.expected_result });
    }
  });

  test('at least 95% agree, and the disagreements are exactly the listed ones', () => {
    const disagreeing = CASES.filter((c) => (verdictOf(c) === 'OK' ? 'SUCCESS' : 'FAILURE') !== c.expected_result).map((c) => c.id);
    expect(disagreeing.sort()).toEqual(Object.keys(DISAGREEMENTS).sort());
    expect((CASES.length - disagreeing.length) / CASES.length).toBeGreaterThanOrEqual(0.95);
  });
});
