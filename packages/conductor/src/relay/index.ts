export {
  type AttemptRecorder,
  type AttemptRecorderOptions,
  createAttemptRecorder,
} from './attempt-recorder.js';
export { createRelay } from './create-relay.js';
export type { AttemptSink, RelayDeps } from './types.js';
