export { responsesRoutes } from './routes.js';
