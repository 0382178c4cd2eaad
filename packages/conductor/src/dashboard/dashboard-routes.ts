import { Hono } from 'hono';
import type { AppEnv } from '../http/app-env.js';
import { DASHBOARD_CSS } from './dashboard-css.js';
import { DASHBOARD_HTML } from './dashboard-html.js';
import { DASHBOARD_SCRIPT } from './dashboard-script.js';

/*
 * Only our own script and stylesheet, only our own origin to fetch from: a model name or error message
 * that slipped into the page as markup still could not run or phone home.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Small and versioned with the binary: revalidate so an upgrade shows at once.
  'cache-control': 'no-cache',
};

function asset(body: string, contentType: string): Response {
  return new Response(body, { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': contentType } });
}

/**
 * The operator's dashboard: static assets outside auth (they hold no data; the page asks for the admin
 * token and calls /admin/* with it). Served from memory, so the production bundle needs no files.
 */
export function dashboardRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get('/dashboard', () => asset(DASHBOARD_HTML, 'text/html; charset=utf-8'));
  routes.get('/dashboard/', () => asset(DASHBOARD_HTML, 'text/html; charset=utf-8'));
  routes.get('/dashboard/app.js', () => asset(DASHBOARD_SCRIPT, 'text/javascript; charset=utf-8'));
  routes.get('/dashboard/app.css', () => asset(DASHBOARD_CSS, 'text/css; charset=utf-8'));
  return routes;
}
