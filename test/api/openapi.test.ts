import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from '../../src/api/routes.js';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { MemoryStore } from '../../src/store/memory.js';
import { hsSettings } from '../support/config.js';

/** The OpenAPI document served at /api/v1/openapi.json says exactly what the router serves. */

let gateway: Gateway;
let running: RunningServer;
let document: { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, Record<string, unknown>> }; servers: Array<{ url: string }> };

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace']);

beforeAll(async () => {
  gateway = await createGateway(parseConfig(hsSettings({ publicUrl: 'http://127.0.0.1:9/sso' })), { store: new MemoryStore() });
  running = await listen(gateway, 0, '127.0.0.1');
  const response = await fetch(`${running.url}/sso/api/v1/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  document = (await response.json()) as typeof document;
});

afterAll(async () => {
  await running?.shutdown('test done');
});

/** "METHOD /path/{param}" for every route of the API router. */
function routerOperations(): string[] {
  const router = apiRoutes(gateway.services);
  const operations: string[] = [];
  for (const layer of router.stack) {
    if (typeof layer.path !== 'string') throw new Error('API routes must be string paths');
    const path = layer.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    for (const method of layer.methods) {
      // @koa/router answers HEAD for every GET on its own.
      if (method === 'HEAD' && layer.methods.includes('GET')) continue;
      operations.push(`${method} ${path}`);
    }
  }
  return operations.sort();
}

function documentOperations(): string[] {
  const operations: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of Object.keys(item)) if (HTTP_METHODS.has(method)) operations.push(`${method.toUpperCase()} ${path}`);
  }
  return operations.sort();
}

describe('OpenAPI document', () => {
  it('lists exactly the routes of the API router, method by method', () => {
    const routes = routerOperations();
    expect(routes.length).toBeGreaterThanOrEqual(8);
    expect(documentOperations()).toEqual(routes);
  });

  it('declares every path parameter of every route', () => {
    for (const [path, item] of Object.entries(document.paths)) {
      const declared = new Set(
        [item.parameters, ...Object.values(item).map((operation) => (operation as { parameters?: unknown }).parameters)]
          .flatMap((list) => (Array.isArray(list) ? (list as Array<{ name: string; in: string }>) : []))
          .filter((parameter) => parameter.in === 'path')
          .map((parameter) => parameter.name),
      );
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
      expect([...declared].sort(), path).toEqual(inPath.sort());
    }
  });

  it('every $ref resolves, and request bodies are strict like the validation', () => {
    const refs = JSON.stringify(document).match(/#\/components\/schemas\/[A-Za-z]+/g) ?? [];
    for (const ref of new Set(refs)) expect(document.components.schemas[ref.split('/').at(-1)!], ref).toBeDefined();
    const tokenRequest = document.components.schemas.TokenRequest!;
    expect(tokenRequest.additionalProperties).toBe(false);
    expect(tokenRequest.required).toEqual(['room', 'user']);
    const features = (tokenRequest.properties as Record<string, Record<string, unknown>>).features!;
    expect(features.additionalProperties).toBe(false);
    expect(Object.keys(features.properties as object)).toContain('recording');
    expect(document.servers).toEqual([{ url: 'http://127.0.0.1:9/sso' }]);
  });

  it('is served without credentials and the routes answer where the document says', async () => {
    for (const operation of documentOperations()) {
      const [method, path] = operation.split(' ') as [string, string];
      if (path === '/api/v1/openapi.json') continue;
      const response = await fetch(`${running.url}/sso${path.replace(/\{[^}]+\}/g, 'x')}`, { method });
      // No credentials: 401 from the route itself (not 404/405 from the router).
      expect(response.status, operation).toBe(401);
    }
  });
});
