/**
 * RFC 8448 example traces, reproduced by the engine with the traces' randoms and keys
 * injected: section 3 (Simple 1-RTT) and section 5 (HelloRetryRequest), both roles, once with
 * each crypto provider (noble and node:crypto): both must reproduce the traces byte for byte.
 *
 * The trace's peers advertise groups and signature schemes rxtls does not implement (ffdhe,
 * secp521r1, DSA, SHA-1) plus TLS 1.2 leftovers (renegotiation_info, session_ticket,
 * padding). Those extension bodies are spliced in through `extensionHook`, and only those;
 * every other extension, and every other byte of every message, is the engine's own.
 */
import { HandshakeType, NamedGroup, CipherSuite } from '../../src/tls/constants.js';
import { TlsClient } from '../../src/tls/client/tls13.js';
import { TlsServer } from '../../src/tls/server/tls13.js';
import { decodeCertificate } from '../../src/tls/messages/certificate.js';
import { PROVIDERS } from './crypto/providers.js';
import { toHex } from '../../src/tls/codec/bytes.js';
import {
  Trace, concatAll, decryptHandshakeMessages, drain, extensionsOf, feedAll, keyLogger, scriptedRandom, serverRsaKeyPem, sha256,
  simple1RttClient, spliceHook, expectTraceTail,
} from '../support/rfc8448.js';

/** The RSA-PSS salt for the server's CertificateVerify; the trace's own salt is not published. */
const PSS_SALT = new Uint8Array(32).fill(0x5a);

describe.each(PROVIDERS)('%s provider', (_name, provider) => {
  describe('RFC 8448 section 3: Simple 1-RTT', () => {
    const t = new Trace('simple_1rtt');
    const certificateMsg = t.value('server', 'construct a Certificate', 'Certificate');
    const serverCert = decodeCertificate(certificateMsg.subarray(4)).entries[0]!.data;
    const secret = (label: string) => toHex(t.value('server', `derive secret "${label}"`, 'expanded'));

    const traceClient = (keyLog?: (l: string) => void): TlsClient => simple1RttClient(provider, { keyLog });

    test('client: ClientHello, Finished, data and close_notify records byte for byte; secrets match', () => {
      const kl = keyLogger();
      const client = traceClient(kl.log);
      expect(toHex(concatAll(drain(client)))).toBe(toHex(t.value('client', 'send handshake record', 'complete record', 0)));

      feedAll(client, t.value('server', 'send handshake record', 'complete record', 0)); // ServerHello
      expect(client.handshakeComplete).toBe(false);
      feedAll(client, t.value('server', 'send handshake record', 'complete record', 1)); // EE..Finished
      expect(client.handshakeComplete).toBe(true);
      expect(toHex(concatAll(drain(client)))).toBe(toHex(t.value('client', 'send handshake record', 'complete record', 1)));

      expect(kl.secrets.get('CLIENT_HANDSHAKE_TRAFFIC_SECRET')).toBe(secret('tls13 c hs traffic'));
      expect(kl.secrets.get('SERVER_HANDSHAKE_TRAFFIC_SECRET')).toBe(secret('tls13 s hs traffic'));
      expect(kl.secrets.get('CLIENT_TRAFFIC_SECRET_0')).toBe(secret('tls13 c ap traffic'));
      expect(kl.secrets.get('SERVER_TRAFFIC_SECRET_0')).toBe(secret('tls13 s ap traffic'));
      expect(kl.secrets.get('EXPORTER_SECRET')).toBe(secret('tls13 exp master'));
      expect(client.session).toMatchObject({ cipherSuite: 'TLS_AES_128_GCM_SHA256', group: 'x25519', peerSignatureScheme: 'rsa_pss_rsae_sha256', helloRetry: false });

      feedAll(client, t.value('server', 'send handshake record', 'complete record', 2)); // NewSessionTicket
      expect(client.takeEvents().some((e) => e.type === 'newSessionTicket')).toBe(true);

      expectTraceTail(t, client);
    });

    test('server: ServerHello, EncryptedExtensions and Certificate byte for byte; a trace client completes against it', () => {
      const kl = keyLogger();
      const server = new TlsServer({
        provider,
        cert: [serverCert],
        key: serverRsaKeyPem(),
        // The trace's NewSessionTicket holds a ticket in its server's own opaque format: none here.
        tickets: 0,
        random: scriptedRandom([
          t.value('server', 'create an ephemeral x25519', 'private key'),
          t.value('server', 'construct a ServerHello', 'ServerHello').subarray(6, 38),
          PSS_SALT,
        ]),
        extensionHook: spliceHook((_retry, type) =>
          type === HandshakeType.encrypted_extensions ? extensionsOf(type, t.value('server', 'construct an EncryptedExtensions', 'EncryptedExtensions')) : undefined),
        keyLog: kl.log,
      });
      const client = traceClient();
      const ch = concatAll(drain(client));
      expect(toHex(ch)).toBe(toHex(t.value('client', 'send handshake record', 'complete record', 0)));
      feedAll(server, ch);
      const [shRecord, ...flight] = drain(server);
      expect(toHex(shRecord!)).toBe(toHex(t.value('server', 'send handshake record', 'complete record', 0)));
      expect(kl.secrets.get('SERVER_HANDSHAKE_TRAFFIC_SECRET')).toBe(secret('tls13 s hs traffic'));

      const flightBytes = concatAll(flight);
      const messages = decryptHandshakeMessages(provider, flightBytes, t.value('server', 'derive secret "tls13 s hs traffic"', 'expanded'));
      expect(messages.map((m) => m[0])).toEqual([HandshakeType.encrypted_extensions, HandshakeType.certificate, HandshakeType.certificate_verify, HandshakeType.finished]);
      expect(toHex(messages[0]!)).toBe(toHex(t.value('server', 'construct an EncryptedExtensions', 'EncryptedExtensions')));
      expect(toHex(messages[1]!)).toBe(toHex(certificateMsg));

      // RSA-PSS signatures are salted and the trace's salt is unknown, so CertificateVerify (and
      // what follows) differs from the trace; the trace's client checks it and finishes.
      feedAll(client, shRecord!);
      feedAll(client, flightBytes);
      expect(client.handshakeComplete).toBe(true);
      feedAll(server, concatAll(drain(client)));
      expect(server.handshakeComplete).toBe(true);
      expect(server.session).toMatchObject({ cipherSuite: 'TLS_AES_128_GCM_SHA256', group: 'x25519', serverName: 'server' });

      const hello = new TextEncoder().encode('hello over rfc 8448');
      server.write(hello);
      feedAll(client, concatAll(drain(server)));
      expect(Buffer.from(client.read()!).toString()).toBe('hello over rfc 8448');
    });
  });

  describe('RFC 8448 section 5: HelloRetryRequest', () => {
    const t = new Trace('hello_retry_request');
    const clientHello1 = t.value('client', 'construct a ClientHello', 'ClientHello', 0);
    const clientHello2 = t.value('client', 'construct a ClientHello', 'ClientHello', 1);
    const helloRetry = t.value('server', 'construct a ServerHello', 'ServerHello', 0);
    const serverHello = t.value('server', 'construct a ServerHello', 'ServerHello', 1);
    const certificateMsg = t.value('server', 'construct a Certificate', 'Certificate');
    const serverCert = decodeCertificate(certificateMsg.subarray(4)).entries[0]!.data;
    const secret = (label: string) => toHex(t.value('server', `derive secret "${label}"`, 'expanded'));

    function traceClient(keyLog?: (l: string) => void): TlsClient {
      return new TlsClient({
        provider,
        servername: 'server',
        cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384],
        middleboxCompat: false,
        random: scriptedRandom([
          t.value('client', 'create an ephemeral x25519', 'private key'),
          clientHello1.subarray(6, 38),
          t.value('client', 'create an ephemeral P-256', 'private key'),
        ]),
        pins: { certSha256: [sha256(serverCert)] },
        extensionHook: spliceHook((retry, type) => (type === HandshakeType.client_hello ? extensionsOf(type, retry ? clientHello2 : clientHello1) : undefined)),
        keyLog,
      });
    }

    test('client: both ClientHellos and Finished byte for byte; secrets match', () => {
      const kl = keyLogger();
      const client = traceClient(kl.log);
      expect(toHex(concatAll(drain(client)))).toBe(toHex(t.value('client', 'send handshake record', 'complete record', 0)));
      feedAll(client, t.value('server', 'send handshake record', 'complete record', 0)); // HelloRetryRequest
      expect(toHex(concatAll(drain(client)))).toBe(toHex(t.value('client', 'send handshake record', 'complete record', 1)));
      feedAll(client, t.value('server', 'send handshake record', 'complete record', 1)); // ServerHello
      feedAll(client, t.value('server', 'send handshake record', 'complete record', 2)); // EE..Finished
      expect(client.handshakeComplete).toBe(true);
      expect(toHex(concatAll(drain(client)))).toBe(toHex(t.value('client', 'send handshake record', 'complete record', 2)));
      for (const [log, label] of [
        ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'tls13 c hs traffic'], ['SERVER_HANDSHAKE_TRAFFIC_SECRET', 'tls13 s hs traffic'],
        ['CLIENT_TRAFFIC_SECRET_0', 'tls13 c ap traffic'], ['SERVER_TRAFFIC_SECRET_0', 'tls13 s ap traffic'], ['EXPORTER_SECRET', 'tls13 exp master'],
      ] as const) expect(kl.secrets.get(log)).toBe(secret(label));
      expect(client.session).toMatchObject({ group: 'secp256r1', helloRetry: true });

      // This trace exchanges no application data; it closes at once.
      client.closeWrite();
      expect(toHex(concatAll(drain(client)))).toBe(toHex(t.value('client', 'send alert record', 'complete record')));
      feedAll(client, t.value('server', 'send alert record', 'complete record'));
      expect(client.peerClosed).toBe(true);
    });

    test('server: HelloRetryRequest, ServerHello, EncryptedExtensions and Certificate byte for byte', () => {
      const kl = keyLogger();
      const server = new TlsServer({
        provider,
        cert: [serverCert],
        key: serverRsaKeyPem(),
        groups: [NamedGroup.secp256r1, NamedGroup.secp384r1],
        tickets: 0,
        random: scriptedRandom([t.value('server', 'create an ephemeral P-256', 'private key'), serverHello.subarray(6, 38), PSS_SALT]),
        extensionHook: spliceHook((retry, type) => {
          if (type === HandshakeType.server_hello) return retry ? extensionsOf(type, helloRetry) : undefined;
          return extensionsOf(type, t.value('server', 'construct an EncryptedExtensions', 'EncryptedExtensions'));
        }),
        keyLog: kl.log,
      });
      const client = traceClient();
      feedAll(server, concatAll(drain(client)));
      const hrr = concatAll(drain(server));
      expect(toHex(hrr)).toBe(toHex(t.value('server', 'send handshake record', 'complete record', 0)));
      feedAll(client, hrr);
      const ch2 = concatAll(drain(client));
      expect(toHex(ch2)).toBe(toHex(t.value('client', 'send handshake record', 'complete record', 1)));
      feedAll(server, ch2);
      const [shRecord, ...flight] = drain(server);
      expect(toHex(shRecord!)).toBe(toHex(t.value('server', 'send handshake record', 'complete record', 1)));
      expect(kl.secrets.get('SERVER_HANDSHAKE_TRAFFIC_SECRET')).toBe(secret('tls13 s hs traffic'));
      const messages = decryptHandshakeMessages(provider, concatAll(flight), t.value('server', 'derive secret "tls13 s hs traffic"', 'expanded'));
      expect(toHex(messages[0]!)).toBe(toHex(t.value('server', 'construct an EncryptedExtensions', 'EncryptedExtensions')));
      expect(toHex(messages[1]!)).toBe(toHex(certificateMsg));

      feedAll(client, shRecord!);
      feedAll(client, concatAll(flight));
      expect(client.handshakeComplete).toBe(true);
      feedAll(server, concatAll(drain(client)));
      expect(server.handshakeComplete).toBe(true);
      expect(server.session).toMatchObject({ group: 'secp256r1', helloRetry: true });
    });
  });
});
