import { randomBytes } from 'node:crypto';
import type { RouteFactory } from '../http/app.js';
import { STAND_IN_PATH, standInJitsiRoutes, type StandInDeps } from './jitsi.js';

export interface Demo {
  /** Settings used under any --config file: memory store, a generated secret, the dev IdP. */
  defaults: Record<string, unknown>;
  extraFeatures: RouteFactory<StandInDeps>[];
}

/**
 * The one-command demo (`npm start` = `serve --demo`): no Redis, no config file.
 *
 * - the gateway on 127.0.0.1:<port> with the in-memory store;
 * - a Jitsi target whose url is the stand-in Jitsi page served by the gateway itself
 *   (`/demo-jitsi/<tenant>/<room>`, src/demo/jitsi.ts), signing HS256 with a secret generated at
 *   start-up (a --config file may point `targets.demo.url` at a real Jitsi instead);
 * - provider `demo` of kind `dev`: the development OpenID provider with the demo users
 *   (src/demo/idp/), which refuses to start unless mode is demo;
 * - a policy showing the three outcomes: moderators, participants, and a refusal with a message.
 *
 * Only ever active with an explicit --demo (mode: demo).
 */
export async function createDemo(port: number): Promise<Demo> {
  const publicUrl = `http://127.0.0.1:${port}`;
  return {
    defaults: {
      mode: 'demo',
      publicUrl,
      server: { host: '127.0.0.1', port, shutdownDelaySeconds: 0 },
      log: { level: 'info' },
      store: { kind: 'memory' },
      ui: { organisation: 'Demo Organisation' },
      targets: {
        demo: {
          url: `${publicUrl}${STAND_IN_PATH}`,
          xmppDomain: 'meet.jitsi',
          tenants: ['acme'],
          appId: 'jitsi-sso-demo',
          audience: 'jitsi',
          algorithm: 'HS256',
          secret: randomBytes(32).toString('base64url'),
          tokenTtlSeconds: 300,
        },
      },
      providers: {
        demo: { kind: 'dev' },
      },
      policy: {
        rules: [
          { name: 'moderators', when: { groups: 'moderators' }, allow: { role: 'moderator', affiliation: 'owner' } },
          { name: 'staff', when: { groups: 'staff' }, allow: { role: 'participant' } },
          {
            name: 'everyone else',
            deny: 'Demo meetings are for Demo Organisation staff. Sign out and sign in as alice (moderator) or bob (participant).',
          },
        ],
      },
    },
    extraFeatures: [standInJitsiRoutes],
  };
}
