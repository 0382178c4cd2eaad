export { loadOfflineResponder } from './load-offline-responder.js';
export {
  createOfflineResponder,
  OFFLINE_PROVIDER,
  type OfflineRequest,
  type OfflineResponder,
} from './offline-responder.js';
export { answerOffline, offlineMayAnswer } from './serve-offline.js';
