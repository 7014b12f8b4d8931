/**
 * A gateway with API clients on a real Redis, listening on 127.0.0.1:0, and small HTTP helpers
 * for the API, room registry and invite tests.
 */
import { randomBytes } from 'node:crypto';
import { jwtVerify, type JWTPayload } from 'jose';
import { parseConfig } from '../../src/config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { listen, type RunningServer } from '../../src/http/server.js';
import { hsSettings } from '../support/config.js';

export const TARGET_SECRET = randomBytes(32).toString('base64url');
export const VIDEO_SECRET = randomBytes(32).toString('base64url');

/** Settings of a gateway at publicUrl http://127.0.0.1:<any>/sso with targets meet and video. */
export function apiSettings(redisUrl: string, prefix: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const base = hsSettings(
    {
      publicUrl: 'http://127.0.0.1:9/sso',
      store: { kind: 'redis', prefix, redis: { url: redisUrl } },
      server: { maxBodyBytes: 4096 },
      ...extra,
    },
    { tenants: ['acme', 'school'], secret: TARGET_SECRET, tokenTtlSeconds: 300, maxTokenTtlSeconds: 1800, features: ['recording', 'livestreaming', 'screen-sharing', 'lobby'] },
  );
  const targets = base.targets as Record<string, unknown>;
  targets.video = {
    url: 'https://video.example.com',
    xmppDomain: 'video.jitsi',
    tenants: ['acme'],
    appId: 'video-sso',
    algorithm: 'HS256',
    secret: VIDEO_SECRET,
  };
  base.defaultTarget = 'meet';
  return base;
}

export interface TestGateway {
  gateway: Gateway;
  running: RunningServer;
  /** http://127.0.0.1:<port>/sso */
  base: string;
  /** Tokens issued so far (the audit counter), all labels. */
  issued(): Promise<number>;
  stop(): Promise<void>;
}

export async function startGateway(settings: Record<string, unknown>): Promise<TestGateway> {
  const gateway = await createGateway(parseConfig(settings));
  const running = await listen(gateway, 0, '127.0.0.1');
  return {
    gateway,
    running,
    base: `${running.url}/sso`,
    async issued() {
      const metric = await gateway.services.metrics.tokensIssued.get();
      return metric.values.reduce((sum, value) => sum + value.value, 0);
    },
    stop: () => running.shutdown('test done'),
  };
}

export const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
export const basic = (client: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${client}:${secret}`).toString('base64')}` });

export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

export async function call(method: string, url: string, options: { headers?: Record<string, string>; json?: unknown; body?: string } = {}): Promise<JsonAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(url, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null) parsed = value as Record<string, unknown>;
  } catch {
    // not JSON (204, pages)
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

export async function verifyMeetToken(token: string, secret = TARGET_SECRET): Promise<JWTPayload & { context: { user: Record<string, unknown>; features?: Record<string, boolean>; tenant?: string } }> {
  const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ['HS256'] });
  if (protectedHeader.typ !== 'JWT') throw new Error('typ must be JWT');
  return payload as JWTPayload & { context: { user: Record<string, unknown>; features?: Record<string, boolean>; tenant?: string } };
}

/** The JWT inside a join URL's #jwt="…". */
export function tokenOfJoinUrl(joinUrl: string): string {
  const match = /#jwt=%22([^%]+)%22/.exec(joinUrl);
  if (!match?.[1]) throw new Error(`no token in ${joinUrl}`);
  return match[1];
}
