import { randomBytes } from 'node:crypto';
import type { RouteFactory } from '../http/app.js';

export interface Demo {
  /** Settings used under any --config file: memory store, a generated secret, the dev IdP. */
  defaults: Record<string, unknown>;
  extraFeatures: RouteFactory[];
}

/**
 * The one-command demo: no Redis, no config file. Only ever active with an explicit --demo
 * (mode: demo); the development IdP refuses to start otherwise.
 */
export async function createDemo(port: number): Promise<Demo> {
  const publicUrl = `http://127.0.0.1:${port}`;
  return {
    defaults: {
      mode: 'demo',
      publicUrl,
      server: { host: '127.0.0.1', port },
      log: { level: 'info' },
      store: { kind: 'memory' },
      targets: {
        demo: {
          url: `${publicUrl}/demo-jitsi`,
          xmppDomain: 'meet.jitsi',
          tenants: ['acme'],
          appId: 'jitsi-sso-demo',
          audience: 'jitsi',
          algorithm: 'HS256',
          secret: randomBytes(32).toString('base64url'),
        },
      },
    },
    extraFeatures: [],
  };
}
