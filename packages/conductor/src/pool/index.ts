export { createPool } from './create-pool.js';
export type { PoolDeps } from './types.js';
