/**
 * (EC)DHE key exchange on node:crypto: X25519 (RFC 7748) and the NIST curves secp256r1 and
 * secp384r1, with the public value formats and checks of RFC 8446 sections 4.2.8.2 and 7.4.2.
 *
 * Private keys come from the injected `random` exactly as in the noble provider (32 bytes for
 * X25519; `size` bytes redrawn until in [1, n-1] for the NIST curves), so injected RFC 8448 keys
 * reproduce the same key shares whichever provider runs.
 */
import { b64url, der, u8 } from './node-bytes.js';
import { createECDH, createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { p256, p384 } from '@noble/curves/nist.js';
import { NamedGroup } from '../constants.js';
import { illegalParameter } from '../errors.js';
import { allZero, draw, drawScalar } from './draw.js';
import type { KeyExchange, KeyShare } from './provider.js';

/** DER PKCS#8 PrivateKeyInfo for X25519 (RFC 8410 section 7) up to the 32 key bytes. */
const X25519_PKCS8_PREFIX = Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);
/** DER SubjectPublicKeyInfo for X25519 (RFC 8410 section 4) up to the 32 key bytes. */
const X25519_SPKI_PREFIX = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00);



/** A JWK `x` for import: node:crypto requires the member and derives the real value from `d`. */
const PLACEHOLDER_X = b64url(new Uint8Array(32));

/**
 * Whether this runtime imports an X25519 JWK private key from `d` alone, deriving the public
 * value itself (Node does; the JWK `x` member is required but not used). Checked once against
 * RFC 7748 section 6.1 (Alice's key pair); otherwise every key goes through DER.
 */
let jwkImportWorks: boolean | undefined;

function checkJwkImport(): boolean {
  const alice = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
  const alicePublic = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
  try {
    const k = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(alice), x: PLACEHOLDER_X }, format: 'jwk' });
    const x = k.export({ format: 'jwk' }).x;
    return typeof x === 'string' && Buffer.from(x, 'base64url').toString('hex') === alicePublic;
  } catch {
    return false;
  }
}

/**
 * The X25519 private key object for a 32-byte scalar. JWK import costs a fraction of DER
 * import (OpenSSL's decoder framework), so it is used where {@link checkJwkImport} vouches for it.
 */
function x25519PrivateKey(secret: Uint8Array): KeyObject {
  jwkImportWorks ??= checkJwkImport();
  if (jwkImportWorks) return createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(secret), x: PLACEHOLDER_X }, format: 'jwk' });
  return createPrivateKey({ key: der(X25519_PKCS8_PREFIX, secret), format: 'der', type: 'pkcs8' });
}

/** The public value of an X25519 key object, as derived by OpenSSL from its private scalar. */
function x25519PublicValue(key: KeyObject): Uint8Array {
  const x = key.export({ format: 'jwk' }).x;
  const pub = typeof x === 'string' ? Buffer.from(x, 'base64url') : undefined;
  if (pub?.length === 32) return u8(pub);
  return u8(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(X25519_SPKI_PREFIX.length));
}

/**
 * X25519: the private key is 32 random bytes used as the scalar as given (OpenSSL clamps inside
 * the function, RFC 7748 section 5), the public value is 32 bytes.
 */
export const nodeX25519: KeyExchange = {
  group: NamedGroup.x25519,
  generate(random) {
    const secret = draw(random, 32);
    const privateKey = x25519PrivateKey(secret);
    secret.fill(0);
    return {
      group: NamedGroup.x25519,
      publicKey: x25519PublicValue(privateKey),
      agree(peer) {
        if (peer.length !== 32) throw illegalParameter(`x25519 key share must be 32 bytes, got ${peer.length}`);
        let shared: Uint8Array;
        try {
          const publicKey: KeyObject = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(peer) }, format: 'jwk' });
          shared = diffieHellman({ privateKey, publicKey });
        } catch {
          // OpenSSL refuses low-order inputs whose result would be all zero.
          throw illegalParameter('x25519 key share yields an all-zero shared secret');
        }
        // RFC 8446 section 7.4.2: the all-zero value must be refused.
        if (allZero(shared)) throw illegalParameter('x25519 key share yields an all-zero shared secret');
        return u8(shared);
      },
    };
  },
};

/** The noble curve used only for its scalar range check, so both providers redraw alike. */
type NistCurve = typeof p256;

/**
 * An ECDHE group over a NIST curve: the private key is `size` random bytes, redrawn until it is
 * a valid scalar in [1, n-1]; the public value is the uncompressed point 0x04 || X || Y.
 */
function nistGroup(group: NamedGroup, name: string, opensslName: string, curve: NistCurve, size: number): KeyExchange {
  const publicLength = 1 + 2 * size;
  return {
    group,
    generate(random): KeyShare {
      const secret = drawScalar(random, size, (s) => curve.utils.isValidSecretKey(s), name);
      const ecdh = createECDH(opensslName);
      ecdh.setPrivateKey(secret);
      secret.fill(0);
      return {
        group,
        publicKey: u8(ecdh.getPublicKey(null, 'uncompressed')),
        agree(peer) {
          // RFC 8446 section 4.2.8.2: only the uncompressed form, legacy_form 4, is allowed.
          if (peer.length !== publicLength || peer[0] !== 0x04) {
            throw illegalParameter(`${name} key share must be an uncompressed point of ${publicLength} bytes`);
          }
          try {
            // Decoding checks that the point is on the curve (RFC 8446 section 4.2.8.2); the
            // result is the X coordinate, padded to the field size (section 7.4.2).
            return u8(ecdh.computeSecret(peer));
          } catch {
            throw illegalParameter(`${name} key share is not a point on the curve`);
          }
        },
      };
    },
  };
}

/** secp256r1 (P-256) ECDHE. */
export const nodeSecp256r1: KeyExchange = nistGroup(NamedGroup.secp256r1, 'secp256r1', 'prime256v1', p256, 32);

/** secp384r1 (P-384) ECDHE. */
export const nodeSecp384r1: KeyExchange = nistGroup(NamedGroup.secp384r1, 'secp384r1', 'secp384r1', p384, 48);
