/**
 * Sources: adapters from real I/O to {@link Duplex}, and an in-memory pair for tests.
 */
export * from './duplex.js';
export * from './errors.js';
export * from './duplex-pair.js';
export * from './from-socket.js';
export * from './connect.js';
export * from './listen.js';
