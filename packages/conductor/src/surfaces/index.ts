export { messagesRoutes } from './messages/index.js';
export { responsesRoutes } from './responses/index.js';
