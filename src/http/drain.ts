/**
 * Whether this process is shutting down. Set once, on SIGTERM (or a test's shutdown): from then on
 * the `shutdown` readiness check fails, so load balancers stop sending new requests, and every
 * response carries `Connection: close`, so keep-alive clients move to another replica instead of
 * reusing a connection that is about to be closed.
 */
export class Drain {
  private startedAt: number | undefined;

  /** Marks the process as draining; later calls keep the first time. */
  begin(): void {
    this.startedAt ??= Date.now();
  }

  get active(): boolean {
    return this.startedAt !== undefined;
  }

  /** For /readyz?verbose. */
  describe(): string {
    return this.startedAt === undefined ? 'running' : `shutting down since ${new Date(this.startedAt).toISOString()}`;
  }
}
