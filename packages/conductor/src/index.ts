export {
  type AppDeps,
  type Conductor,
  type ConductorOptions,
  createApp,
  resolveTiers,
  startConductor,
} from './http/index.js';
export { createPool } from './pool/index.js';
export { createAttemptRecorder, createRelay } from './relay/index.js';
