/**
 * (EC)DHE key exchange on @noble/curves: X25519 (RFC 7748) and the NIST curves secp256r1 and
 * secp384r1, with the public value formats and checks of RFC 8446 sections 4.2.8.2 and 7.4.2.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { NamedGroup } from '../constants.js';
import { illegalParameter } from '../errors.js';
import { allZero, draw, drawScalar } from './draw.js';
import type { KeyExchange, KeyShare } from './provider.js';

/**
 * X25519: the private key is 32 random bytes used as the scalar as given (clamping happens
 * inside the function, RFC 7748 section 5), the public value is 32 bytes.
 */
export const nobleX25519: KeyExchange = {
  group: NamedGroup.x25519,
  generate(random) {
    const secret = draw(random, 32);
    return {
      group: NamedGroup.x25519,
      publicKey: x25519.getPublicKey(secret),
      agree(peer) {
        if (peer.length !== 32) throw illegalParameter(`x25519 key share must be 32 bytes, got ${peer.length}`);
        let shared: Uint8Array;
        try {
          shared = x25519.getSharedSecret(secret, peer);
        } catch {
          // noble refuses low-order inputs whose result would be all zero.
          throw illegalParameter('x25519 key share yields an all-zero shared secret');
        }
        // RFC 8446 section 7.4.2: the all-zero value must be refused.
        if (allZero(shared)) throw illegalParameter('x25519 key share yields an all-zero shared secret');
        return shared;
      },
    };
  },
};

/** The noble NIST curve operations a group needs. */
type NistCurve = typeof p256;

/**
 * An ECDHE group over a NIST curve: the private key is `size` random bytes, redrawn until it is
 * a valid scalar in [1, n-1]; the public value is the uncompressed point 0x04 || X || Y.
 */
function nistGroup(group: NamedGroup, name: string, curve: NistCurve, size: number): KeyExchange {
  const publicLength = 1 + 2 * size;
  return {
    group,
    generate(random): KeyShare {
      const secret = drawScalar(random, size, (s) => curve.utils.isValidSecretKey(s), name);
      return {
        group,
        publicKey: curve.getPublicKey(secret, false),
        agree(peer) {
          // RFC 8446 section 4.2.8.2: only the uncompressed form, legacy_form 4, is allowed.
          if (peer.length !== publicLength || peer[0] !== 0x04) {
            throw illegalParameter(`${name} key share must be an uncompressed point of ${publicLength} bytes`);
          }
          let point: Uint8Array;
          try {
            // Decoding checks that the point is on the curve (RFC 8446 section 4.2.8.2).
            point = curve.getSharedSecret(secret, peer, true);
          } catch {
            throw illegalParameter(`${name} key share is not a point on the curve`);
          }
          // RFC 8446 section 7.4.2: the shared secret is the X coordinate only.
          return point.slice(1);
        },
      };
    },
  };
}

/** secp256r1 (P-256) ECDHE. */
export const nobleSecp256r1: KeyExchange = nistGroup(NamedGroup.secp256r1, 'secp256r1', p256, 32);

/** secp384r1 (P-384) ECDHE. */
export const nobleSecp384r1: KeyExchange = nistGroup(NamedGroup.secp384r1, 'secp384r1', p384, 48);
