export { messagesRoutes } from './routes.js';
