import { guard, parse } from '../args.js';

/**
 * `serve`: run the gateway until SIGTERM (or SIGINT).
 *
 * - The signal handlers are installed before anything else (before the heavy modules load): a
 *   signal during start-up is remembered and acted on once the listeners are up.
 * - SIGTERM drains (src/http/server.ts): readiness 503 at once, accepting for
 *   server.shutdownDelaySeconds, then finishing in-flight requests within
 *   server.shutdownGraceSeconds, closing the store, exit 0. SIGINT (an operator at a terminal)
 *   skips the delay; a second signal ends a running delay.
 * - A fatal start-up error (invalid configuration, a port in use, …) is ONE structured log line
 *   naming the cause, and exit 1 at once (pending discovery requests and reconnection timers do
 *   not keep the process alive).
 */
export async function run(argv: string[]): Promise<number> {
  const signals = new SignalLatch();
  return guard(async () => {
    const { values } = parse(argv, {
      config: { type: 'string', short: 'c' },
      demo: { type: 'boolean', default: false },
      port: { type: 'string' },
    });
    const [{ loadConfig }, { ConfigError }, { createGateway }, { listen, ListenError }, { createLogger }] = await Promise.all([
      import('../../config/load.js'),
      import('../../config/errors.js'),
      import('../../gateway.js'),
      import('../../http/server.js'),
      import('../../observability/logger.js'),
    ]);
    // Until the configuration names the level, start-up failures are logged at info and above.
    let logger = createLogger('info');
    const fatal = (cause: string, fields: Record<string, unknown>, message: string): never => {
      logger.fatal({ cause, ...fields }, `cannot start: ${message}`);
      process.exit(1);
    };
    try {
      const demoPort = Number(values.port ?? process.env.PORT ?? 8080);
      const demo = values.demo ? await (await import('../../demo/index.js')).createDemo(demoPort) : undefined;
      let loaded;
      try {
        loaded = loadConfig({ file: values.config, defaults: demo?.defaults });
      } catch (error) {
        if (error instanceof ConfigError) {
          const problems = error.issues.map((issue) => `${issue.path || '(top level)'}: ${issue.problem}${issue.fix ? ` (fix: ${issue.fix})` : ''}`);
          fatal('invalid_configuration', { config: error.source, problems }, `invalid configuration (${error.source}): ${problems.join('; ')}`);
        }
        throw error;
      }
      const { config } = loaded;
      if (config.mode === 'demo' && !values.demo) {
        fatal('demo_without_flag', {}, 'mode: demo is only allowed with an explicit --demo flag (it enables a development IdP)');
      }
      logger = createLogger(config.log.level);
      const gateway = await createGateway(loaded, { logger, extraFeatures: demo?.extraFeatures });
      const port = values.port !== undefined && !values.demo ? Number(values.port) : config.server.port;
      let running;
      try {
        running = await listen(gateway, port, config.server.host);
      } catch (error) {
        if (error instanceof ListenError) fatal(error.code === 'EADDRINUSE' ? 'port_in_use' : 'cannot_listen', { host: error.host, port: error.port, code: error.code }, error.message);
        throw error;
      }
      const server = running;
      logger.info(
        {
          url: server.url,
          ...(server.management ? { managementUrl: server.management.url } : {}),
          publicUrl: config.publicUrl,
          store: gateway.services.store.kind,
          targets: [...gateway.services.targets.keys()],
          providers: [...gateway.services.providers.keys()],
        },
        'jitsi-sso-gateway listening',
      );
      if (values.demo) {
        process.stdout.write(`\n  Demo running: open ${config.publicUrl}/ in a browser.\n\n`);
      }
      const signal = await signals.first();
      // A signal before the listeners were up: nobody was sent here yet, so no delay.
      const delaySeconds = signal === 'SIGTERM' && !signals.arrivedEarly ? config.server.shutdownDelaySeconds : 0;
      signals.onAnother(() => server.skipDelay());
      try {
        await server.shutdown(signal, { delaySeconds });
      } catch (error) {
        logger.error({ err: error }, 'shutdown failed');
      }
      // Everything is closed; a handle still open (a socket of a library) must not keep the
      // process past its grace period.
      setTimeout(() => process.exit(0), 1000).unref();
      return 0;
    } catch (error) {
      return fatal('startup_failed', { err: error }, error instanceof Error ? error.message : String(error));
    }
  });
}

/** Remembers the first SIGTERM/SIGINT from the moment it is created. */
class SignalLatch {
  private received: NodeJS.Signals | undefined;
  private waiting: ((signal: NodeJS.Signals) => void) | undefined;
  private another: (() => void) | undefined;
  /** Whether the first signal came before first() was called (during start-up). */
  arrivedEarly = false;

  constructor() {
    const handler = (signal: NodeJS.Signals) => {
      if (this.received) {
        this.another?.();
        return;
      }
      this.received = signal;
      if (this.waiting) this.waiting(signal);
      else this.arrivedEarly = true;
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  }

  first(): Promise<NodeJS.Signals> {
    if (this.received) return Promise.resolve(this.received);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  onAnother(listener: () => void): void {
    this.another = listener;
  }
}
