import { loadConfig } from '../../config/load.js';
import { createTargets } from '../../tokens/targets.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { guard, parse, UsageError } from '../args.js';

/** Mints one token for a room from the command line; prints the JWT alone on stdout. */
export async function run(argv: string[]): Promise<number> {
  return guard(async () => {
    const { values } = parse(argv, {
      config: { type: 'string', short: 'c' },
      target: { type: 'string' },
      room: { type: 'string' },
      tenant: { type: 'string' },
      moderator: { type: 'boolean', default: false },
      name: { type: 'string' },
      email: { type: 'string' },
      id: { type: 'string' },
      ttl: { type: 'string' },
    });
    if (!values.room) throw new UsageError('--room is required');
    const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
    if (ttl !== undefined && (!Number.isInteger(ttl) || ttl <= 0)) throw new UsageError('--ttl must be a positive whole number of seconds');
    const config = loadConfig({ file: values.config }).config;
    const targets = createTargets(config);
    const name = values.target ?? config.defaultTarget ?? [...targets.keys()][0] ?? '';
    const target = targets.get(name);
    if (!target) throw new UsageError(`--target: no target named "${name}" (configured: ${[...targets.keys()].join(', ')})`);
    if (ttl !== undefined && ttl > target.config.maxTokenTtlSeconds) {
      process.stderr.write(`--ttl ${ttl} is above the target's maxTokenTtlSeconds (${target.config.maxTokenTtlSeconds})\n`);
      return 1;
    }
    try {
      const location = target.locate(values.room, values.tenant);
      const { token } = target.issue({
        location,
        user: { id: values.id ?? values.email ?? 'cli', name: values.name, email: values.email, moderator: values.moderator, affiliation: values.moderator ? 'owner' : undefined },
        ttlSeconds: ttl,
      });
      process.stdout.write(`${token}\n`);
      return 0;
    } catch (error) {
      if (error instanceof GatewayError) {
        process.stderr.write(`${error.message}\n`);
        return 1;
      }
      throw error;
    }
  });
}
