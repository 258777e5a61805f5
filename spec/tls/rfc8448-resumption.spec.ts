/**
 * RFC 8448 section 4 (Resumed 0-RTT Handshake), reproduced by the engine in both roles, once
 * with each crypto provider. The section resumes the session of section 3 with its
 * NewSessionTicket and sends 0-RTT data.
 *
 * - Client: the section-3 client is run through the engine with an explicit session store,
 *   and stores the trace's NewSessionTicket itself; the resuming client then takes it from
 *   the store at a clock 6 ms later (the trace's obfuscated_ticket_age minus its
 *   ticket_age_add) and must send the trace's ClientHello (PSK binder included), early data,
 *   EndOfEarlyData and Finished byte for byte.
 * - Server: the trace's ticket is an opaque label of the trace server's own format, so a
 *   TicketKeys subclass maps exactly those bytes to the session-3 state (a state lookup, as
 *   RFC 8446 section 4.6.1 allows a ticket to be: nothing cryptographic is mocked); the server
 *   must answer the trace's ClientHello with the trace's ServerHello, EncryptedExtensions and
 *   Finished, read the early data, and complete on the trace's EndOfEarlyData and Finished.
 *
 * As in rfc8448.spec.ts, the extension bodies rxtls does not produce (renegotiation_info,
 * padding, the trace's signature_algorithms and supported_groups) are spliced in through
 * `extensionHook`, and only those; the hook also lays extensions out in the trace's order.
 */
import { CipherSuite, ContentType, ExtensionType, HandshakeType } from '../../src/tls/constants.js';
import { TlsClient } from '../../src/tls/client/tls13.js';
import { TlsServer } from '../../src/tls/server/tls13.js';
import { decodeCertificate } from '../../src/tls/messages/certificate.js';
import { decodeClientHello } from '../../src/tls/messages/client-hello.js';
import { decodeNewSessionTicket } from '../../src/tls/messages/new-session-ticket.js';
import { decodeMaxEarlyDataSize, decodeOfferedPsks, findExtension } from '../../src/tls/messages/index.js';
import { resumptionPsk } from '../../src/tls/keys/schedule.js';
import {
  MemorySessionStore, TicketKeys, decodeTicketState, encodeTicketState, type StoredSession, type TicketKeysOptions,
} from '../../src/tls/resumption/index.js';
import { PROVIDERS } from './crypto/providers.js';
import { toHex } from '../../src/tls/codec/bytes.js';
import {
  Trace, concatAll, decryptHandshakeMessages, decryptRecords, drain, extensionsOf, feedAll, keyLogger, scriptedRandom,
  serverRsaKeyPem, sha256, simple1RttClient, spliceHook, splitRecords, expectTraceTail,
} from '../support/rfc8448.js';

/** When the section-3 session's ticket was issued and received, on the injected clocks. */
const T0 = Date.UTC(2018, 0, 1);

/** A session store that also remembers every session put into it, in order. */
class RecordingStore extends MemorySessionStore {
  readonly puts: { key: string; session: StoredSession }[] = [];
  override put(key: string, session: StoredSession): void {
    this.puts.push({ key, session });
    super.put(key, session);
  }
}

/**
 * Ticket keys that know one foreign ticket: `open` maps its exact bytes to the given state
 * (what the trace server's own format would have held) and defers to the real keys for every
 * other ticket; `seal` records the state it seals.
 */
class TraceTicketKeys extends TicketKeys {
  readonly sealed: Uint8Array[] = [];
  constructor(private readonly ticket: Uint8Array, private readonly state: Uint8Array, o: TicketKeysOptions) {
    super(o);
  }
  override open(ticket: Uint8Array): Uint8Array | undefined {
    return toHex(ticket) === toHex(this.ticket) ? this.state.slice() : super.open(ticket);
  }
  override seal(plaintext: Uint8Array): Uint8Array {
    this.sealed.push(plaintext.slice());
    return super.seal(plaintext);
  }
}

describe.each(PROVIDERS)('%s provider', (_name, provider) => {
  describe('RFC 8448 section 4: Resumed 0-RTT', () => {
    const s3 = new Trace('simple_1rtt');
    const t = new Trace('resumed_0rtt');

    // Section 3's NewSessionTicket: what resumption starts from.
    const nst = decodeNewSessionTicket(s3.value('server', 'construct a NewSessionTicket', 'NewSessionTicket').subarray(4));
    const nstEarly = findExtension(nst.extensions, ExtensionType.early_data);
    const maxEarlyData = nstEarly ? decodeMaxEarlyDataSize(nstEarly) : 0;
    const serverCert = decodeCertificate(s3.value('server', 'construct a Certificate', 'Certificate').subarray(4)).entries[0]!.data;
    /** The resumption PSK (RFC 8446 section 4.6.1), from section 3's resumption_master_secret and the ticket nonce. */
    const psk = resumptionPsk(provider, 'sha256', s3.value('client', 'derive secret "tls13 res master"', 'expanded'), nst.nonce);

    // Section 4's messages.
    // "construct a ClientHello" shows the hello before its binders (477 of 512 bytes): the whole
    // message is the payload of the record that carries it.
    const clientHello = t.value('client', 'send handshake record', 'payload', 0);
    const serverHello = t.value('server', 'construct a ServerHello', 'ServerHello');
    const encryptedExtensions = t.value('server', 'construct an EncryptedExtensions', 'EncryptedExtensions');
    const offered = decodeOfferedPsks(findExtension(decodeClientHello(clientHello.subarray(4)).extensions, ExtensionType.pre_shared_key)!);
    /** The ticket age the trace's client reports (RFC 8446 section 4.2.11.1): obfuscated age minus ticket_age_add. */
    const ticketAge = (offered.identities[0]!.obfuscatedTicketAge - nst.ageAdd) >>> 0;

    const clientRecord = (n: number) => t.value('client', 'send handshake record', 'complete record', n); // CH, EOED, Finished
    const serverRecord = (n: number) => t.value('server', 'send handshake record', 'complete record', n); // SH, EE+Finished
    const earlyPayload = t.value('client', 'send application_data record', 'payload', 0);
    const earlyRecord = t.value('client', 'send application_data record', 'complete record', 0);
    const secret = (party: 'client' | 'server', label: string) => toHex(t.value(party, `derive secret "${label}"`, 'expanded'));
    const SECRETS = [
      ['CLIENT_EARLY_TRAFFIC_SECRET', 'client', 'tls13 c e traffic'],
      ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'server', 'tls13 c hs traffic'],
      ['SERVER_HANDSHAKE_TRAFFIC_SECRET', 'server', 'tls13 s hs traffic'],
      ['CLIENT_TRAFFIC_SECRET_0', 'server', 'tls13 c ap traffic'],
      ['SERVER_TRAFFIC_SECRET_0', 'server', 'tls13 s ap traffic'],
      ['EXPORTER_SECRET', 'server', 'tls13 exp master'],
    ] as const;

    test('the trace is self-consistent: the resumed hello offers section 3 ticket, with the PSK derived from it', () => {
      expect(offered.identities).toHaveLength(1);
      expect(toHex(offered.identities[0]!.identity)).toBe(toHex(nst.ticket));
      expect(toHex(psk)).toBe(toHex(t.value('client', 'extract secret "early"', 'IKM')));
      expect(ticketAge).toBe(6);
      // The binder covers the hello up to the binders list (RFC 8446 section 4.2.11.2).
      const prefix = t.value('client', 'calculate PSK binder', 'ClientHello prefix');
      expect(toHex(clientHello.subarray(0, prefix.length))).toBe(toHex(prefix));
      expect(toHex(offered.binders[0]!)).toBe(toHex(t.value('client', 'calculate PSK binder', 'finished')));
      expect(maxEarlyData).toBe(1024);
    });

    test('client: stores the section-3 ticket; ClientHello with binder, early data, EndOfEarlyData and Finished byte for byte', () => {
      // Section 3 through the engine, with a store of our own: it keeps the NewSessionTicket.
      const store = new RecordingStore();
      const first = simple1RttClient(provider, { sessionStore: store, now: () => T0 });
      drain(first);
      feedAll(first, s3.value('server', 'send handshake record', 'complete record', 0));
      feedAll(first, s3.value('server', 'send handshake record', 'complete record', 1));
      expect(first.handshakeComplete).toBe(true);
      drain(first);
      expect(store.puts).toHaveLength(0);
      feedAll(first, s3.value('server', 'send handshake record', 'complete record', 2)); // NewSessionTicket
      expect(store.puts).toHaveLength(1);
      const { key, session } = store.puts[0]!;
      expect(key).toBe('server');
      expect({ ...session, ticket: toHex(session.ticket), psk: toHex(session.psk), peerCertificates: session.peerCertificates.map(toHex) }).toEqual({
        ticket: toHex(nst.ticket),
        suite: CipherSuite.TLS_AES_128_GCM_SHA256,
        psk: toHex(psk),
        receivedAt: T0,
        lifetime: nst.lifetime,
        ageAdd: nst.ageAdd,
        maxEarlyData,
        alpn: undefined,
        serverName: 'server',
        peerCertificates: [toHex(serverCert)],
        certificateType: 'x509',
      });

      // Section 4: the same store, ticketAge ms later.
      const kl = keyLogger();
      const client = new TlsClient({
        provider,
        servername: 'server',
        cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384],
        middleboxCompat: false, // the trace's legacy_session_id is empty
        earlyData: true,
        sessionStore: store,
        now: () => T0 + ticketAge,
        random: scriptedRandom([t.value('client', 'create an ephemeral x25519', 'private key'), clientHello.subarray(6, 38)]),
        pins: { certSha256: [sha256(serverCert)] },
        extensionHook: spliceHook((_retry, type) => (type === HandshakeType.client_hello ? extensionsOf(type, clientHello) : undefined)),
        keyLog: kl.log,
      });
      expect(toHex(concatAll(drain(client)))).toBe(toHex(clientRecord(0)));
      expect(store.take('server', T0 + ticketAge)).toBeUndefined(); // the ticket was used up
      expect(client.earlyDataRoom).toBe(maxEarlyData);
      expect(kl.secrets.get('CLIENT_EARLY_TRAFFIC_SECRET')).toBe(secret('client', 'tls13 c e traffic'));

      expect(client.write(earlyPayload)).toBe(earlyPayload.length);
      expect(toHex(concatAll(drain(client)))).toBe(toHex(earlyRecord));
      expect(client.earlyDataRoom).toBe(maxEarlyData - earlyPayload.length);

      feedAll(client, serverRecord(0)); // ServerHello
      expect(client.handshakeComplete).toBe(false);
      expect(drain(client)).toEqual([]);
      feedAll(client, serverRecord(1)); // EncryptedExtensions, Finished
      expect(client.handshakeComplete).toBe(true);
      const records = splitRecords(concatAll(drain(client))).map(toHex);
      expect(records).toEqual([toHex(clientRecord(1)), toHex(clientRecord(2))]); // EndOfEarlyData, Finished

      for (const [log, party, label] of SECRETS) expect([log, kl.secrets.get(log)]).toEqual([log, secret(party, label)]);
      expect(client.session).toMatchObject({
        cipherSuite: 'TLS_AES_128_GCM_SHA256', group: 'x25519', peerSignatureScheme: undefined, helloRetry: false,
        resumed: true, psk: 'resumption', earlyData: 'accepted', serverName: 'server',
      });
      expect(client.session!.peerCertificates.map(toHex)).toEqual([toHex(serverCert)]);

      // The rest of the trace: application data both ways, then close_notify both ways.
      expectTraceTail(t, client, 1); // the client's 0-RTT record was the first application_data
    });

    test('server: ServerHello, EncryptedExtensions and Finished byte for byte; reads the early data; completes on EndOfEarlyData and Finished', () => {
      const now = () => T0 + ticketAge;
      const ticketKeys = new TraceTicketKeys(
        nst.ticket,
        encodeTicketState({
          suite: CipherSuite.TLS_AES_128_GCM_SHA256, psk, issuedAt: T0, lifetime: nst.lifetime, ageAdd: nst.ageAdd, maxEarlyData,
          alpn: undefined, serverName: 'server', peerCertificates: [], certificateType: 'x509',
        }),
        { provider, now, random: (n) => new Uint8Array(n).fill(0x7e) },
      );
      const ticketAgeAdd = Uint8Array.of(1, 2, 3, 4); // for the ticket the server issues after the handshake
      const kl = keyLogger();
      const server = new TlsServer({
        provider,
        cert: [serverCert],
        key: serverRsaKeyPem(),
        maxEarlyData,
        // 0-RTT needs tickets; the trace's server sends none after section 4, ours sends one.
        tickets: 1,
        ticketLifetime: nst.lifetime,
        ticketKeys,
        now,
        random: scriptedRandom([t.value('server', 'create an ephemeral x25519', 'private key'), serverHello.subarray(6, 38), ticketAgeAdd]),
        extensionHook: spliceHook((_retry, type) => extensionsOf(type, type === HandshakeType.server_hello ? serverHello : encryptedExtensions)),
        keyLog: kl.log,
      });

      // The client's first flight: ClientHello and the 0-RTT record, together.
      feedAll(server, concatAll([clientRecord(0), earlyRecord]));
      const [shRecord, ...flight] = drain(server);
      expect(toHex(shRecord!)).toBe(toHex(serverRecord(0)));
      expect(toHex(concatAll(flight))).toBe(toHex(serverRecord(1)));
      const messages = decryptHandshakeMessages(provider, concatAll(flight), t.value('server', 'derive secret "tls13 s hs traffic"', 'expanded'));
      expect(messages.map(toHex)).toEqual([toHex(encryptedExtensions), toHex(t.value('server', 'construct a Finished', 'Finished'))]);
      for (const [log, party, label] of SECRETS) expect([log, kl.secrets.get(log)]).toEqual([log, secret(party, label)]);

      expect(server.handshakeComplete).toBe(false);
      expect(toHex(server.read()!)).toBe(toHex(earlyPayload));
      expect(server.read()).toBeNull();

      feedAll(server, clientRecord(1)); // EndOfEarlyData
      expect(server.handshakeComplete).toBe(false);
      feedAll(server, clientRecord(2)); // Finished
      expect(server.handshakeComplete).toBe(true);
      expect(server.session).toMatchObject({
        cipherSuite: 'TLS_AES_128_GCM_SHA256', group: 'x25519', helloRetry: false, resumed: true, psk: 'resumption',
        earlyData: 'accepted', serverName: 'server', peerCertificates: [],
      });

      // Not in the trace: our server's NewSessionTicket, under the trace's server application
      // keys; its PSK comes from the trace's section-4 resumption_master_secret.
      const post = decryptRecords(provider, concatAll(drain(server)), t.value('server', 'derive secret "tls13 s ap traffic"', 'expanded'));
      expect(post.map((r) => [r.type, r.content[0]])).toEqual([[ContentType.handshake, HandshakeType.new_session_ticket]]);
      const issued = decodeNewSessionTicket(post[0]!.content.subarray(4));
      expect(issued.ageAdd).toBe(0x01020304);
      expect(ticketKeys.sealed).toHaveLength(1);
      const state = decodeTicketState(ticketKeys.sealed[0]!)!;
      expect(toHex(state.psk)).toBe(toHex(resumptionPsk(provider, 'sha256', t.value('client', 'derive secret "tls13 res master"', 'expanded'), issued.nonce)));

      // The client's application data of the trace.
      feedAll(server, t.value('client', 'send application_data record', 'complete record', 1));
      expect(toHex(server.read()!)).toBe(toHex(t.value('client', 'send application_data record', 'payload', 1)));
    });
  });
});
