import { gcm } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
test('noble loads in ESM jest', () => {
  expect(gcm(new Uint8Array(16), new Uint8Array(12)).encrypt(new Uint8Array(0)).length).toBe(16);
  expect(x25519.getPublicKey(new Uint8Array(32).fill(1)).length).toBe(32);
});
