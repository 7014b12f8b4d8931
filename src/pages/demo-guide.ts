import type { IdentityProvider } from '../idp/provider.js';
import type { JitsiTarget } from '../tokens/target.js';
import type { DemoGuide } from './pages.js';

/**
 * A provider that can tell newcomers what to click (the demo's development IdP). The landing page
 * shows the guide only in demo mode.
 */
/** What a demo guide is made of: where the meeting and the gateway's pages are. */
export interface DemoGuideDeps {
  publicUrl: string;
  defaultTarget: JitsiTarget;
}

export interface DemoGuideSource {
  demoGuide(deps: DemoGuideDeps): DemoGuide;
}

export function isDemoGuideSource(provider: IdentityProvider): provider is IdentityProvider & DemoGuideSource {
  return provider.kind === 'dev' && typeof (provider as Partial<DemoGuideSource>).demoGuide === 'function';
}
