import { Router } from '@koa/router';
import type { Config } from '../config/schema.js';
import type { IdentityProvider } from '../idp/provider.js';
import type { ReadinessCheck } from '../observability/readiness.js';
import type { JitsiTarget } from '../tokens/target.js';
import { isDemoGuideSource, type DemoGuideDeps } from './demo-guide.js';
import { createPages, ThemedPages, type LandingPageInput } from './pages.js';
import type { PageRenderer } from './renderer.js';

/** Readiness is checked at most this often for the landing page (it is public: no amplification). */
const STATUS_CACHE_MS = 5000;
const CHECK_TIMEOUT_MS = 1500;

/** What the landing page shows: the targets, the sign-in providers, readiness, the demo guide. */
export interface PageRouteDeps extends DemoGuideDeps {
  config: Config;
  basePath: string;
  pages: PageRenderer;
  targets: ReadonlyMap<string, JitsiTarget>;
  providers: ReadonlyMap<string, IdentityProvider>;
  readiness: readonly ReadinessCheck[];
}

/**
 * The pages feature: the landing page at `/` and the stylesheet every page links to. Mounted under
 * the path of publicUrl like every feature.
 */
export function pageRoutes(services: PageRouteDeps): Router {
  const router = new Router();
  const pages = services.pages instanceof ThemedPages ? services.pages : createPages(services.config.ui, { basePath: services.basePath });
  const { theme } = pages;
  const status = cachedStatus(services);

  router.get(theme.path, (ctx) => {
    ctx.type = 'text/css; charset=utf-8';
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.body = theme.css;
  });

  router.get('/', async (ctx) => {
    const input: LandingPageInput = {
      acceptLanguage: ctx.get('accept-language'),
      details: services.config.ui.landingDetails,
      targets: [...services.targets.values()].map((target) => ({ name: target.name, url: target.config.url, tenants: target.config.tenants })),
      providers: [...services.providers.values()].map((provider) => ({ name: provider.name, displayName: provider.displayName })),
      status: await status(),
      demo: services.config.mode === 'demo' ? demoGuide(services) : undefined,
    };
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = pages.landingPage(input);
  });

  return router;
}

/** In demo mode, the development IdP's users and where to click (see src/demo/). */
function demoGuide(services: PageRouteDeps): LandingPageInput['demo'] {
  for (const provider of services.providers.values()) {
    if (isDemoGuideSource(provider)) return provider.demoGuide(services);
  }
  return undefined;
}

function cachedStatus(services: PageRouteDeps): () => Promise<LandingPageInput['status']> {
  let cached: { at: number; value: Promise<LandingPageInput['status']> } | undefined;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > STATUS_CACHE_MS) {
      cached = { at: now, value: readStatus(services) };
    }
    return cached.value;
  };
}

async function readStatus(services: PageRouteDeps): Promise<LandingPageInput['status']> {
  const checks = await Promise.all(
    services.readiness.map(async ({ name, check }) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<{ ok: boolean }>((resolve) => {
          timer = setTimeout(() => resolve({ ok: false }), CHECK_TIMEOUT_MS);
        });
        const result = await Promise.race([check(), timeout]);
        return { name, ok: result.ok };
      } catch {
        return { name, ok: false };
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { ready: checks.every((check) => check.ok), checks };
}
