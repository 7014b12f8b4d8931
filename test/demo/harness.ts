import type { Page } from 'playwright-core';
import { parseConfig } from '../../src/config/load.js';
import { createDemo } from '../../src/demo/index.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { freePort } from '../support/redis.js';

/** A free TCP port on 127.0.0.1 (the demo's publicUrl must name its port before it listens). */
export { freePort };

export interface RunningDemo {
  url: string;
  gateway: Gateway;
  running: RunningServer;
  /** The development IdP's issuer (http://127.0.0.1:<port>). */
  idpIssuer(provider?: string): string;
  close(): Promise<void>;
}

/**
 * The demo exactly as `serve --demo` builds it (src/demo/index.ts defaults, the stand-in Jitsi
 * page), on a free port; `overrides` are merged over the defaults like a --config file.
 */
export async function startDemo(overrides: (defaults: Record<string, unknown>) => Record<string, unknown> = (defaults) => defaults): Promise<RunningDemo> {
  const port = await freePort();
  const demo = await createDemo(port);
  const defaults = demo.defaults as { server: Record<string, unknown> };
  const settings = overrides({ ...demo.defaults, log: { level: 'silent' }, server: { ...defaults.server, shutdownGraceSeconds: 1 } });
  const gateway = await createGateway(parseConfig(settings, 'test demo'), { extraFeatures: demo.extraFeatures });
  const running = await listen(gateway, port, '127.0.0.1');
  return {
    url: running.url,
    gateway,
    running,
    idpIssuer(provider = 'demo') {
      const found = gateway.services.providers.get(provider) as unknown as { issuer?: string } | undefined;
      if (!found?.issuer) throw new Error(`no development IdP named ${provider}`);
      return found.issuer;
    },
    close: () => running.shutdown('test done'),
  };
}

/** Submits the development IdP's sign-in form (its accounts' password is the user name). */
export async function signInAtDevIdp(page: Page, username: string, password = username): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}
