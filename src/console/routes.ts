// The support console under /console/ on the service's own host: sign-in by magic link, pages and
// actions. Server-rendered HTML, no JavaScript needed.
import { Elysia } from 'elysia';
import type { AppDeps } from '../app-deps.ts';
import { consoleBrandingRoutes } from './branding-routes.ts';
import { consolePageRoutes } from './page-routes.ts';
import { consoleSignInRoutes } from './sign-in-routes.ts';
import { consoleWebhookRoutes } from './webhook-routes.ts';

export function consoleRoutes(deps: AppDeps) {
  return new Elysia({ name: 'console' })
    .use(consoleSignInRoutes(deps))
    .use(consolePageRoutes(deps))
    .use(consoleBrandingRoutes(deps))
    .use(consoleWebhookRoutes(deps));
}
