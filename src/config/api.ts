import { z } from 'zod';

/** API clients for backends (token API, room registry, invites). */
export const apiSchema = z.looseObject({}).default({});
