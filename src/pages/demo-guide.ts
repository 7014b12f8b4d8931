import type { IdentityProvider } from '../idp/provider.js';
import type { Services } from '../services.js';
import type { DemoGuide } from './pages.js';

/**
 * A provider that can tell newcomers what to click (the demo's development IdP). The landing page
 * shows the guide only in demo mode.
 */
export interface DemoGuideSource {
  demoGuide(services: Services): DemoGuide;
}

export function isDemoGuideSource(provider: IdentityProvider): provider is IdentityProvider & DemoGuideSource {
  return provider.kind === 'dev' && typeof (provider as Partial<DemoGuideSource>).demoGuide === 'function';
}
