export { createApp } from './app.js';
export type { AppDeps } from './app-deps.js';
export type { AppEnv } from './app-env.js';
export { type ResolveInput, type ResolveResult, resolveTiers } from './resolve-tiers.js';
export { type Conductor, type ConductorOptions, startConductor } from './start-conductor.js';
