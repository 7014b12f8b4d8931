import type { Context } from 'koa';
import type { Logger } from '../observability/logger.js';

/** What the invite pages (the guest's, routes.ts, and the moderator's, manage.ts) both need. */

/** A stored room name (roomSafe, percent-encoded) as a person reads it. */
export function roomForDisplay(room: string): string {
  try {
    return decodeURIComponent(room);
  } catch {
    return room;
  }
}

/** The request's logger (src/http/middleware/observe.ts), when the request went through it. */
export function requestLog(ctx: Context): Logger | undefined {
  return ctx.state.log as Logger | undefined;
}
