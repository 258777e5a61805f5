/**
 * The providers every conformance spec in this folder runs against: each test is written once
 * and must pass, unchanged, for both.
 */
import { nobleProvider } from '../../../src/tls/crypto/noble.js';
import { nodeProvider } from '../../../src/tls/crypto/node.js';
import type { CryptoProvider } from '../../../src/tls/crypto/provider.js';

/** `[name, provider]` pairs for `describe.each`. */
export const PROVIDERS: readonly (readonly [string, CryptoProvider])[] = [
  ['noble', nobleProvider],
  ['node', nodeProvider],
];
