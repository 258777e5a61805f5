/**
 * The error classes of rxtls. Every failure the engine reports is one of these, and every one
 * that ends a connection knows which alert (RFC 8446 section 6) to send the peer.
 */
import { AlertDescription, nameOf } from './constants.js';

/** The base of every rxtls error: `alert` is what was (or would be) sent to the peer. */
export class TlsError extends Error {
  /** The alert that this error sends to the peer, if it ends the connection. */
  readonly alert: AlertDescription;
  constructor(message: string, alert: AlertDescription = AlertDescription.internal_error) {
    super(message);
    this.name = new.target.name;
    this.alert = alert;
  }
}

/**
 * The peer broke the protocol, or sent bytes that do not parse: a malformed message, a message
 * out of order, a value we never offered. The alert says which.
 */
export class TlsProtocolError extends TlsError {}

/** A fatal alert: received from the peer (`fromPeer` true) or sent by us. */
export class TlsAlertError extends TlsError {
  /** True when the peer sent this alert, false when we sent it. */
  readonly fromPeer: boolean;
  constructor(alert: AlertDescription, fromPeer: boolean, detail?: string) {
    const who = fromPeer ? 'peer sent' : 'sent';
    super(`tls: ${who} fatal alert ${nameOf(AlertDescription, alert)} (${alert})${detail ? `: ${detail}` : ''}`, alert);
    this.fromPeer = fromPeer;
  }
}

/**
 * The peer's certificate was refused. `code` is stable and matches Node's codes where the
 * concept is the same (`CERT_HAS_EXPIRED`, `ERR_TLS_CERT_ALTNAME_INVALID`, ...).
 */
export class TlsCertificateError extends TlsError {
  /** A stable machine-readable reason, such as `CERT_HAS_EXPIRED`. */
  readonly code: string;
  constructor(code: string, message: string, alert: AlertDescription = AlertDescription.bad_certificate) {
    super(message, alert);
    this.code = code;
  }
}

/** The transport ended without the peer's close_notify: the data may have been cut short. */
export class TlsTruncationError extends TlsError {
  constructor(message = 'tls: transport closed without close_notify; data may be truncated') {
    super(message, AlertDescription.close_notify);
  }
}

/** The caller used the API wrongly (bad option, write after close, ...). Nothing is sent. */
export class TlsMisuseError extends TlsError {
  constructor(message: string) {
    super(message, AlertDescription.internal_error);
  }
}

/** Shorthand for a {@link TlsProtocolError} with decode_error. */
export function decodeError(message: string): TlsProtocolError {
  return new TlsProtocolError(`tls: ${message}`, AlertDescription.decode_error);
}

/** Shorthand for a {@link TlsProtocolError} with illegal_parameter. */
export function illegalParameter(message: string): TlsProtocolError {
  return new TlsProtocolError(`tls: ${message}`, AlertDescription.illegal_parameter);
}

/** Shorthand for a {@link TlsProtocolError} with unexpected_message. */
export function unexpectedMessage(message: string): TlsProtocolError {
  return new TlsProtocolError(`tls: ${message}`, AlertDescription.unexpected_message);
}
