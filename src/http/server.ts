import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Gateway } from '../gateway.js';

export interface RunningServer {
  server: Server;
  url: string;
  /** Stop accepting, finish in-flight requests (up to the grace period), close the store. */
  shutdown(reason: string): Promise<void>;
}

/** Listens and wires graceful shutdown. Keep-alive sockets are closed once idle. */
export async function listen(gateway: Gateway, port: number, host: string): Promise<RunningServer> {
  const { logger, config } = gateway.services;
  const server = createServer(gateway.app.callback());
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10000;
  server.requestTimeout = 30000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  let closing: Promise<void> | undefined;
  const shutdown = (reason: string) => {
    closing ??= (async () => {
      logger.info({ reason }, 'shutting down: no new connections, finishing in-flight requests');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = new Promise<void>((resolve) => setTimeout(resolve, config.server.shutdownGraceSeconds * 1000).unref());
      await Promise.race([closed, grace]);
      server.closeAllConnections();
      await gateway.close();
      logger.info('stopped');
    })();
    return closing;
  };
  return { server, url, shutdown };
}
