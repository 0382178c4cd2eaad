export { createPool, poolGaugeSource } from './create-pool.js';
export type { PoolDeps } from './types.js';
