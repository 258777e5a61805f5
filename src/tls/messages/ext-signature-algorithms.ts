/**
 * signature_algorithms and signature_algorithms_cert (RFC 8446 section 4.2.3), which share
 * one format: `SignatureScheme supported_signature_algorithms<2..2^16-2>;`
 */
import { decodeU16List, encodeU16List } from './ext-util.js';

/** The extension_data of signature_algorithms: the schemes in order of preference (non-empty). */
export function encodeSignatureAlgorithms(schemes: readonly number[]): Uint8Array {
  return encodeU16List(schemes, 'signature_algorithms');
}

/**
 * Decodes signature_algorithms extension_data to its SignatureScheme values, unknown ones
 * included. An empty list, an odd length or trailing bytes is decode_error.
 */
export function decodeSignatureAlgorithms(data: Uint8Array): number[] {
  return decodeU16List(data, 'signature_algorithms');
}

/** The extension_data of signature_algorithms_cert (same format as signature_algorithms). */
export function encodeSignatureAlgorithmsCert(schemes: readonly number[]): Uint8Array {
  return encodeU16List(schemes, 'signature_algorithms_cert');
}

/** Decodes signature_algorithms_cert extension_data (same rules as signature_algorithms). */
export function decodeSignatureAlgorithmsCert(data: Uint8Array): number[] {
  return decodeU16List(data, 'signature_algorithms_cert');
}
