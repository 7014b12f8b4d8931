import { z } from 'zod';
import type { ConfigIssue } from '../settings/issues.js';

/** Where the gateway keeps its state (`store`): src/store/factory.ts builds the store from these settings. */

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'must be host:port');

export const storeSchema = z
  .strictObject({
    /** memory: one process only (development, a single replica); redis: shared by every replica. */
    kind: z.enum(['memory', 'redis']).default('memory'),
    /** Prefix of every store key (several gateways may share one Redis). */
    prefix: z.string().max(64).default('jsg:'),
    redis: z
      .strictObject({
        /** redis://host:6379/0 or rediss:// (TLS); not used with sentinel or cluster. */
        url: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
        username: z.string().optional(),
        password: z.string().optional(),
        /** TLS to Redis (implied by rediss://). */
        tls: z.boolean().default(false),
        sentinel: z
          .strictObject({
            /** The monitored master's name. */
            name: z.string().min(1),
            nodes: z.array(hostPort).min(1),
            password: z.string().optional(),
          })
          .optional(),
        cluster: z.strictObject({ nodes: z.array(hostPort).min(1) }).optional(),
        /** Time limit of one Redis command. */
        commandTimeoutMs: z.number().int().min(50).max(60000).default(1000),
        /**
         * Operator and security state (room registry, invites, invite use counters) is acknowledged
         * only once this many replicas have it (Redis WAIT); see docs/store.md. Default: 1 replica
         * with sentinel or cluster, 0 with a single url; timeoutMs default min(500, commandTimeoutMs / 2).
         */
        replicatedWrites: z
          .strictObject({
            /** Replicas that must confirm each such write (0: do not wait). */
            replicas: z.number().int().min(0).max(10).optional(),
            /** How long to wait for them; beyond it the API answers 503 store_not_replicated. */
            timeoutMs: z.number().int().min(10).max(30000).optional(),
          })
          .optional(),
      })
      .optional(),
  })
  .default({ kind: 'memory', prefix: 'jsg:' });
export type StoreConfig = z.infer<typeof storeSchema>;

/** What the schema cannot say about `store`: exactly one Redis mode, a replication wait inside the command timeout. */
export function storeIssues(store: StoreConfig): { issues: ConfigIssue[]; warnings: string[] } {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  if (store.kind === 'redis') {
    const redis = store.redis;
    const modes = redis ? [redis.url, redis.sentinel, redis.cluster].filter((mode) => mode !== undefined).length : 0;
    if (modes !== 1) {
      issues.push({ path: 'store.redis', problem: `needs exactly one of url, sentinel or cluster (found ${modes})`, fix: 'e.g. store.redis.url: redis://redis:6379' });
    }
    const waitMs = redis?.replicatedWrites?.timeoutMs;
    if (redis && waitMs !== undefined && waitMs >= redis.commandTimeoutMs) {
      issues.push({ path: 'store.redis.replicatedWrites.timeoutMs', problem: `(${waitMs}) must be below commandTimeoutMs (${redis.commandTimeoutMs}): the wait is part of the write`, fix: `lower it, e.g. to ${Math.floor(redis.commandTimeoutMs / 2)}` });
    }
  } else {
    warnings.push('store.kind is memory: state lives in this process only; run a single replica (use Redis for more)');
  }
  return { issues, warnings };
}
