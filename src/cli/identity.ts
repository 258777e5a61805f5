/**
 * Certificates and keys for `rxtls`: the server's identity, read from PEM files or, when none
 * is given, a fresh self-signed one made in memory (its pin is printed, for `rxtls client
 * --pin`); and the client's certificate for servers that ask. Loaded and checked once, at
 * start-up.
 *
 * @module
 */
import fs from 'node:fs';
import {
  TlsServer, defaultProvider, generateSigningKey, pemDecode, selfSignedCertificate, type SigningKey,
} from '../index.js';
import { spkiPin } from './output.js';

/** A loaded identity: what `tlsServer` takes, and how to describe it. */
export interface ServerIdentity {
  /** DER certificates, leaf first. */
  readonly chain: readonly Uint8Array[];
  /** The leaf's private key. */
  readonly key: SigningKey;
  /** The leaf's SPKI pin, `sha256/BASE64`. */
  readonly pin: string;
  /** True when rxtls made it up (no --cert / --key). */
  readonly ephemeral: boolean;
}

/** Reads a file as text, with the path in the error. */
export function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Reads a PEM certificate chain (leaf first) and its PEM private key, and checks that the key
 * fits the leaf (by building a server engine with them). Throws a one-line error naming the file.
 */
export function loadCertificateFiles(certFile: string, keyFile: string): { chain: Uint8Array[]; key: SigningKey } {
  const chain = pemDecode(readText(certFile, 'certificate file'))
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => b.der);
  if (chain.length === 0) throw new Error(`${certFile} holds no CERTIFICATE block`);
  const key = defaultProvider().loadPrivateKey(readText(keyFile, 'key file'));
  new TlsServer({ cert: chain, key }); // throws when the key does not match the leaf
  return { chain, key };
}

/**
 * Loads `certFile` (PEM chain, leaf first) and `keyFile` (PEM private key), and checks that
 * they fit together by building a server engine with them; or, with neither file, makes a
 * self-signed P-256 certificate for `localhost` and `127.0.0.1`. Throws a one-line error.
 */
export function loadServerIdentity(certFile: string | undefined, keyFile: string | undefined): ServerIdentity {
  if (certFile !== undefined && keyFile !== undefined) {
    const { chain, key } = loadCertificateFiles(certFile, keyFile);
    return { chain, key, pin: spkiPin(chain[0]!), ephemeral: false };
  }
  const key = generateSigningKey('ecdsa-p256');
  const chain = [selfSignedCertificate(key, { commonName: 'localhost', altNames: ['localhost', '127.0.0.1'] })];
  return { chain, key, pin: spkiPin(chain[0]!), ephemeral: true };
}
