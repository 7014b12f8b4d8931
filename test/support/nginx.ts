/**
 * Debian's nginx (/usr/sbin/nginx, with its auth_request module) for tests: one process in the
 * foreground (`daemon off`, `master_process off`) with a configuration in a temporary directory
 * (its temp paths, pid, error and access logs there too), listening on free ports of 127.0.0.1.
 * The test writes the `http { … }` block's content; this file supplies the rest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NGINX = '/usr/sbin/nginx';

export interface RunningNginx {
  dir: string;
  /** The access log so far (the test's log_format decides what a line holds). */
  accessLog(): string;
  errorLog(): string;
  stop(): Promise<void>;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts nginx with `http` as the content of its http block; resolves once every port in `ports` accepts. */
export async function startNginx(http: (dir: string) => string, ports: number[]): Promise<RunningNginx> {
  if (!existsSync(NGINX)) throw new Error(`${NGINX} not found: apt-get install -y nginx`);
  const dir = mkdtempSync(join(tmpdir(), 'jsg-nginx-'));
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `${name}_temp_path ${join(dir, name)};`).join('\n    ');
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} info;
events { worker_connections 512; }
http {
    ${temp}
    access_log ${join(dir, 'access.log')};
${http(dir)}
}
`,
  );
  writeFileSync(join(dir, 'access.log'), '');
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const errorLog = () => (existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '');
  for (let attempt = 0; ; attempt += 1) {
    if (exited || attempt > 200) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not start: ${stderr}\n${errorLog()}`);
    }
    if ((await Promise.all(ports.map(listening))).every(Boolean)) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    dir,
    accessLog: () => readFileSync(join(dir, 'access.log'), 'utf8'),
    errorLog,
    async stop() {
      if (!exited) {
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGQUIT');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
