export * from './schemas';
export * from './signer';
export * from './errors';
export * from './credentials';
export * from './retry';
export * from './client';
