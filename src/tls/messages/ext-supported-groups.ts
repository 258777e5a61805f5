/**
 * supported_groups (RFC 8446 section 4.2.7): `NamedGroup named_group_list<2..2^16-1>;`
 */
import { decodeU16List, encodeU16List } from './ext-util.js';

/** The extension_data of supported_groups: the groups in order of preference (non-empty). */
export function encodeSupportedGroups(groups: readonly number[]): Uint8Array {
  return encodeU16List(groups, 'supported_groups');
}

/**
 * Decodes supported_groups extension_data to its NamedGroup values, unknown ones included.
 * An empty list, an odd length or trailing bytes is decode_error.
 */
export function decodeSupportedGroups(data: Uint8Array): number[] {
  return decodeU16List(data, 'supported_groups');
}
