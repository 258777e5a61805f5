/**
 * Certificate and public-key pinning: accept a peer only when its leaf certificate, or the
 * leaf's SubjectPublicKeyInfo, hashes (SHA-256) to one of the pins.
 */
import { equalBytes, fromHex, toHex } from '../codec/bytes.js';
import { AlertDescription } from '../constants.js';
import { TlsCertificateError, TlsMisuseError } from '../errors.js';
import { certificateSpki } from './spki.js';
import type { CertificateVerifier, VerifyContext } from './verifier.js';

/** A SHA-256 pin: raw 32 bytes, hex (colons allowed, as `openssl x509 -fingerprint` prints), or base64 (as HPKP's pin-sha256). */
export type Pin = Uint8Array | string;

/** Which pins to accept; a chain matching any one pin is accepted. */
export interface PinOptions {
  /** SHA-256 of the leaf's DER SubjectPublicKeyInfo. */
  spkiSha256?: readonly Pin[];
  /** SHA-256 of the leaf certificate's DER. */
  certSha256?: readonly Pin[];
}

/** Decodes a pin to its 32 bytes; throws TlsMisuseError for anything else. */
export function parsePin(pin: Pin): Uint8Array {
  let bytes: Uint8Array | undefined;
  if (pin instanceof Uint8Array) bytes = pin;
  else {
    const hex = pin.replace(/:/g, '');
    if (/^[0-9a-fA-F]{64}$/.test(hex)) bytes = fromHex(hex);
    else if (/^[A-Za-z0-9+/]{43}=$/.test(pin)) bytes = new Uint8Array(Buffer.from(pin, 'base64'));
  }
  if (!bytes || bytes.length !== 32) throw new TlsMisuseError(`tls: pin ${String(pin).slice(0, 20)}... is not a SHA-256 value in hex or base64`);
  return bytes;
}

/**
 * A verifier that accepts exactly the pinned certificates or keys; raw public keys
 * (RFC 7250) are matched against `spkiSha256`.
 */
export function pinningVerifier(options: PinOptions): CertificateVerifier {
  const spki = (options.spkiSha256 ?? []).map(parsePin);
  const cert = (options.certSha256 ?? []).map(parsePin);
  if (spki.length + cert.length === 0) throw new TlsMisuseError('tls: pinningVerifier needs at least one pin');
  return {
    verify(chain: readonly Uint8Array[], ctx: VerifyContext): void {
      const leaf = chain[0];
      if (!leaf) throw new TlsCertificateError('CERT_MISSING', `tls: the ${ctx.peer} sent no certificate`, AlertDescription.certificate_required);
      const sha256 = ctx.provider.hash('sha256');
      if (cert.length > 0) {
        const h = sha256.digest(leaf);
        if (cert.some((p) => equalBytes(p, h))) return;
      }
      if (spki.length > 0) {
        const h = sha256.digest(certificateSpki(leaf));
        if (spki.some((p) => equalBytes(p, h))) return;
      }
      throw new TlsCertificateError(
        'ERR_TLS_PIN_MISMATCH',
        `tls: the ${ctx.peer}'s certificate (sha256 ${toHex(sha256.digest(leaf))}) matches no pin`,
        AlertDescription.bad_certificate,
      );
    },
    verifyRawPublicKey(key: Uint8Array, ctx: VerifyContext): void {
      const h = ctx.provider.hash('sha256').digest(key);
      if (spki.some((p) => equalBytes(p, h))) return;
      // SPKI pins are usually written in base64 (HPKP, curl's --pinnedpubkey): name the key so.
      const pin = `sha256/${Buffer.from(h).toString('base64')}`;
      throw new TlsCertificateError('ERR_TLS_PIN_MISMATCH', `tls: the ${ctx.peer}'s raw public key (${pin}) matches no pin`, AlertDescription.bad_certificate);
    },
  };
}
