import { Agent, createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Koa from 'koa';
import { FixedAnswers, type FixedAnswer } from '../../src/http/fixed-answers.js';
import { servePublished } from '../../src/http/middleware/published.js';

/**
 * The answers written before Koa (src/http/fixed-answers.ts), on a real node:http server: what
 * the table does not hold goes to the next handler (here a plain 404 with a marker header).
 */
const PEM: FixedAnswer = { type: 'application/x-pem-file', body: '-----BEGIN PUBLIC KEY-----\nÄ\n', cacheControl: 'public, max-age=60', route: '/asap/:name' };

let server: Server;
let base: string;
let closing = false;
/** Keep-alive, as Prosody's and the load balancers' clients: `Connection: close` is then the server's word. */
const keepAlive = new Agent({ keepAlive: true });
const registry = new Registry();
const requests = new Counter({ name: 'test_http_requests_total', help: 'requests', labelNames: ['method', 'route', 'status'], registers: [registry] });
const answers = new FixedAnswers(requests, new Map([['/asap/abc.pem', PEM]]));

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(method: string, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${base}${path}`, { method, agent: keepAlive }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

const counted = async (method: string) => (await requests.get()).values.find((value) => value.labels.method === method && value.labels.route === '/asap/:name')?.value ?? 0;

beforeAll(async () => {
  server = createServer((incoming, response) => {
    if (answers.answer(incoming, response, closing)) return;
    response.writeHead(404, { 'X-Passed-On': 'yes' });
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  keepAlive.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('fixed answers before Koa', () => {
  it('GET of a path in the table: 200, the body, exactly the headers Koa wrote, counted under its route', async () => {
    const before = await counted('GET');
    const answer = await send('GET', '/asap/abc.pem');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(PEM.body);
    expect(answer.headers).toMatchObject({
      'cache-control': 'public, max-age=60',
      'x-content-type-options': 'nosniff',
      'content-type': 'application/x-pem-file',
      'content-length': String(Buffer.byteLength(PEM.body)),
    });
    expect(answer.headers['x-passed-on']).toBeUndefined();
    expect(answer.headers.connection).not.toBe('close');
    expect(await counted('GET')).toBe(before + 1);
  });

  it('the query string is ignored, as ctx.path did', async () => {
    const answer = await send('GET', '/asap/abc.pem?v=2');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(PEM.body);
  });

  it('HEAD: the same status and headers, no body, counted as HEAD', async () => {
    const before = await counted('HEAD');
    const answer = await send('HEAD', '/asap/abc.pem');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('');
    expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(PEM.body)));
    expect(await counted('HEAD')).toBe(before + 1);
  });

  it.each([
    ['POST', '/asap/abc.pem'],
    ['DELETE', '/asap/abc.pem'],
    ['GET', '/asap/abc.pem/'],
    ['GET', '/asap/ABC.pem'],
    ['GET', '/asap/abc%2Epem'],
    ['GET', '/asap/'],
  ])('%s %s is not in the table: passed on untouched', async (method, path) => {
    const answer = await send(method, path);
    expect(answer.status).toBe(404);
    expect(answer.headers['x-passed-on']).toBe('yes');
    expect(answer.headers['cache-control']).toBeUndefined();
  });

  it('while the process drains, the answer says Connection: close', async () => {
    closing = true;
    try {
      const answer = await send('GET', '/asap/abc.pem');
      expect(answer.status).toBe(200);
      expect(answer.headers.connection).toBe('close');
      expect(answer.body).toBe(PEM.body);
    } finally {
      closing = false;
    }
  });

  it('replace(): the next request sees the new table, whole', async () => {
    const rotated: FixedAnswer = { ...PEM, body: 'rotated' };
    answers.replace(new Map([['/asap/def.pem', rotated]]));
    try {
      expect((await send('GET', '/asap/def.pem')).body).toBe('rotated');
      expect((await send('GET', '/asap/abc.pem')).headers['x-passed-on']).toBe('yes');
    } finally {
      answers.replace(new Map([['/asap/abc.pem', PEM]]));
    }
  });
});

describe('what reaches Koa for a path in the table', () => {
  it('an absolute-form request target (only Koa parses it) gets the same answer from the same table', async () => {
    const app = new Koa();
    app.use(servePublished(answers));
    app.use((ctx) => {
      ctx.status = 404;
      ctx.set('X-Passed-On', 'koa');
    });
    const koaServer = createServer((incoming, response) => {
      if (!answers.answer(incoming, response, false)) void app.callback()(incoming, response);
    });
    await new Promise<void>((resolve) => koaServer.listen(0, '127.0.0.1', () => resolve()));
    const port = (koaServer.address() as AddressInfo).port;
    const absolute = (path: string) =>
      new Promise<Answer>((resolve, reject) => {
        const outgoing = request({ host: '127.0.0.1', port, method: 'GET', path: `http://127.0.0.1:${port}${path}` }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
        });
        outgoing.on('error', reject);
        outgoing.end();
      });
    try {
      const before = await counted('GET');
      const viaKoa = await absolute('/asap/abc.pem');
      const direct = await send('GET', '/asap/abc.pem');
      expect(viaKoa.status).toBe(200);
      expect(viaKoa.body).toBe(PEM.body);
      for (const name of ['cache-control', 'x-content-type-options', 'content-type', 'content-length']) expect(viaKoa.headers[name]).toBe(direct.headers[name]);
      expect(await counted('GET')).toBe(before + 2);
      expect((await absolute('/asap/other.pem')).headers['x-passed-on']).toBe('koa');
    } finally {
      koaServer.closeAllConnections();
      await new Promise<void>((resolve) => koaServer.close(() => resolve()));
    }
  });
});
