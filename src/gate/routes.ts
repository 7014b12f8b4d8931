import { Router } from '@koa/router';
import type { Context } from 'koa';
import { httpIn, run } from '../login/routes.js';
import { clientAddress } from '../security/client-address.js';
import type { LoginDeps } from '../login/deps.js';
import { enter } from './enter.js';
import type { Gate } from './gate.js';
import { signIn } from './sign-in.js';

/**
 * The gate's pages (the check itself is check.ts, served before routing):
 *
 *   GET /gate/start/:target   sign-in: where the proxy sends a refused browser (sign-in.ts)
 *   GET /gate/enter/:target   on the Jitsi host: a ticket becomes the gate pass and the meeting's token (enter.ts)
 */
export function gateRoutes(gate: Gate) {
  return (services: LoginDeps): Router => {
    const router = new Router();
    const { trustProxy } = services.config.server;
    const target = (ctx: Context & { params: Record<string, string | undefined> }) => String(ctx.params.target ?? '');

    router.get('/gate/start/:target', (ctx) => {
      const address = clientAddress(ctx.req.socket.remoteAddress, ctx.get('x-forwarded-for') || undefined, trustProxy);
      return run(ctx, { services, gate, http: httpIn(ctx, address), out: { cookies: [] } }, (flow) => signIn(flow, target(ctx)));
    });

    router.get('/gate/enter/:target', (ctx) => run(ctx, { services, gate, http: httpIn(ctx), out: { cookies: [] } }, (flow) => enter(flow, target(ctx))));

    return router;
  };
}
