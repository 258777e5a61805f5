/**
 * The client's checks of the server's certificate type answers (RFC 7250 section 4.2): only a
 * type it offered, and none at all in a PSK handshake, where no Certificate follows.
 */
import { AlertDescription, type ClientConfig } from '../../../src/tls/index.js';
import { ExtensionType, HandshakeType } from '../../../src/tls/constants.js';
import { CertificateType, encodeSelectedCertificateType } from '../../../src/tls/messages/index.js';
import { TicketKeys } from '../../../src/tls/resumption/index.js';
import { disposeIdentities, identity } from './support.js';
import { join } from './peers-support.js';

afterAll(disposeIdentities);

const sid = () => identity('ecdsa-p256');
const cid = () => identity('ed25519');


describe('certificate type answers checked by the client', () => {
  test('a server_certificate_type in the EncryptedExtensions of a PSK (resumed) handshake, where no Certificate follows, is refused and does not relabel the resumed raw key as X.509', () => {
    const ticketKeys = new TicketKeys();
    const ccfg: ClientConfig = { rawPublicKey: true, pins: { spkiSha256: [sid().spkiSha256] } };
    join(ccfg, { key: sid().keyPem, rawPublicKey: true, ticketKeys });
    const hook = (type: number, exts: { type: number; data: Uint8Array }[]) =>
      type === HandshakeType.encrypted_extensions
        ? [...exts, { type: ExtensionType.server_certificate_type, data: encodeSelectedCertificateType(CertificateType.X509) }]
        : exts;
    const wire = join(ccfg, { key: sid().keyPem, rawPublicKey: true, ticketKeys, extensionHook: hook });
    const clientErr = wire.errors.find((e) => e.end === 'client');
    expect((clientErr?.error as { alert?: number } | undefined)?.alert).toBe(AlertDescription.illegal_parameter);
  });

  test('...without the stray answer the raw-key session resumes, still described as raw (control)', () => {
    const ticketKeys = new TicketKeys();
    const ccfg: ClientConfig = { rawPublicKey: true, pins: { spkiSha256: [sid().spkiSha256] } };
    join(ccfg, { key: sid().keyPem, rawPublicKey: true, ticketKeys });
    const wire = join(ccfg, { key: sid().keyPem, rawPublicKey: true, ticketKeys });
    expect(wire.errors).toEqual([]);
    expect(wire.client.session!.resumed).toBe(true);
    expect(wire.client.session!.certificateType).toBe('raw');
  });

  test('RFC 7250 4.2: a client_certificate_type the client did not offer (X.509 to a raw-key-only client) is illegal_parameter', () => {
    const hook = (type: number, exts: { type: number; data: Uint8Array }[]) =>
      type === HandshakeType.encrypted_extensions
        ? exts.map((e) => (e.type === ExtensionType.client_certificate_type ? { type: e.type, data: encodeSelectedCertificateType(CertificateType.X509) } : e))
        : exts;
    const wire = join(
      { rawPublicKey: true, key: cid().keyPem, pins: { spkiSha256: [sid().spkiSha256] } }, // offers client_certificate_type [RawPublicKey] only
      { key: sid().keyPem, rawPublicKey: true, requestCert: true, pins: { spkiSha256: [cid().spkiSha256] }, extensionHook: hook },
    );
    const clientErr = wire.errors.find((e) => e.end === 'client');
    expect(clientErr).toBeDefined();
    expect((clientErr!.error as { alert?: number }).alert).toBe(AlertDescription.illegal_parameter);
  });
});
