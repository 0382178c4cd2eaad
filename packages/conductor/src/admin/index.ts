export { type AdminAuthOptions, adminAuth } from './admin-auth.js';
export { ADMIN_ACTOR, type AdminRoutesDeps, adminRoutes } from './admin-routes.js';
export { type AdminStatus, buildAdminStatus } from './admin-status.js';
