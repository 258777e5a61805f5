/**
 * Which extensions may appear in which TLS 1.3 message (the table in RFC 8446 section 4.2),
 * and the checks a receiver makes against what it offered.
 */
import { AlertDescription, ExtensionType, nameOf } from '../constants.js';
import { TlsProtocolError, illegalParameter } from '../errors.js';
import type { Extension } from '../messages/types.js';

const E = ExtensionType;

/** The messages a receiver checks extensions of. `hello_retry_request` is a ServerHello with the HRR random. */
export type ExtensionContext = 'server_hello' | 'hello_retry_request' | 'encrypted_extensions' | 'certificate' | 'certificate_request' | 'new_session_ticket';

/** RFC 8446 section 4.2: the extensions each message may carry. */
const ALLOWED: Record<ExtensionContext, ReadonlySet<number>> = {
  server_hello: new Set([E.key_share, E.pre_shared_key, E.supported_versions]),
  hello_retry_request: new Set([E.key_share, E.cookie, E.supported_versions]),
  encrypted_extensions: new Set([
    E.server_name, E.max_fragment_length, E.supported_groups, E.use_srtp, E.heartbeat,
    E.application_layer_protocol_negotiation, E.client_certificate_type, E.server_certificate_type,
    E.early_data, E.record_size_limit,
  ]),
  certificate: new Set([E.status_request, E.signed_certificate_timestamp]),
  certificate_request: new Set([
    E.status_request, E.signature_algorithms, E.signed_certificate_timestamp, E.certificate_authorities,
    E.oid_filters, E.signature_algorithms_cert,
  ]),
  new_session_ticket: new Set([E.early_data]),
};

/** Extensions a server may send although the client did not send them first. */
const UNSOLICITED_OK: Record<ExtensionContext, ReadonlySet<number>> = {
  server_hello: new Set(),
  hello_retry_request: new Set([E.cookie]),
  encrypted_extensions: new Set(),
  certificate: new Set(),
  certificate_request: new Set(ALLOWED.certificate_request),
  new_session_ticket: new Set(ALLOWED.new_session_ticket),
};

/** Every extension type TLS 1.3 defines, to tell "misplaced" from "unknown". */
const KNOWN = new Set<number>(Object.values(E));

/**
 * Checks the extensions of a message the peer sent: each must be allowed in that message (a
 * known extension that is not: illegal_parameter) and have been offered (else
 * unsupported_extension, RFC 8446 section 4.2). Unknown types in a CertificateRequest or NewSessionTicket are ignored,
 * as the RFC asks.
 */
export function checkPeerExtensions(context: ExtensionContext, extensions: readonly Extension[], offered: ReadonlySet<number>): void {
  for (const ext of extensions) {
    const name = nameOf(ExtensionType, ext.type);
    const mayBeUnsolicited = UNSOLICITED_OK[context].has(ext.type);
    if (!KNOWN.has(ext.type) && (context === 'certificate_request' || context === 'new_session_ticket')) continue;
    // A known extension in a message that may not carry it is illegal_parameter, offered or not;
    // one the peer answers without our asking is unsupported_extension (RFC 8446 section 4.2).
    if (KNOWN.has(ext.type) && !ALLOWED[context].has(ext.type)) throw illegalParameter(`extension ${name} is not allowed in ${context}`);
    if (!offered.has(ext.type) && !mayBeUnsolicited) {
      throw new TlsProtocolError(`tls: ${context} carries extension ${name} that was not offered`, AlertDescription.unsupported_extension);
    }
    if (!ALLOWED[context].has(ext.type)) throw illegalParameter(`extension ${name} is not allowed in ${context}`);
  }
}

