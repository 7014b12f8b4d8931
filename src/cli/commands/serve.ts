import { loadConfig } from '../../config/load.js';
import { ConfigError } from '../../config/errors.js';
import { createGateway } from '../../gateway.js';
import { listen } from '../../http/server.js';
import { createLogger } from '../../observability/logger.js';
import { guard, parse } from '../args.js';

export async function run(argv: string[]): Promise<number> {
  return guard(async () => {
    const { values } = parse(argv, {
      config: { type: 'string', short: 'c' },
      demo: { type: 'boolean', default: false },
      port: { type: 'string' },
    });
    const demoPort = Number(values.port ?? process.env.PORT ?? 8080);
    const demo = values.demo ? await (await import('../../demo/index.js')).createDemo(demoPort) : undefined;
    let loaded;
    try {
      loaded = loadConfig({ file: values.config, defaults: demo?.defaults });
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`${error.message}\n`);
        return 1;
      }
      throw error;
    }
    const { config } = loaded;
    if (config.mode === 'demo' && !values.demo) {
      process.stderr.write('mode: demo is only allowed with an explicit --demo flag (it enables a development IdP)\n');
      return 1;
    }
    const logger = createLogger(config.log.level);
    const gateway = await createGateway(loaded, { logger, extraFeatures: demo?.extraFeatures });
    const port = values.port !== undefined && !values.demo ? Number(values.port) : config.server.port;
    const running = await listen(gateway, port, config.server.host);
    logger.info({ url: running.url, publicUrl: config.publicUrl, store: gateway.services.store.kind, targets: [...gateway.services.targets.keys()], providers: [...gateway.services.providers.keys()] }, 'jitsi-sso-gateway listening');
    if (values.demo) {
      process.stdout.write(`\n  Demo running: open ${config.publicUrl}/ in a browser.\n\n`);
    }
    await new Promise<void>((resolve) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        void running.shutdown(signal).then(resolve, (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          resolve();
        });
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    return 0;
  });
}
