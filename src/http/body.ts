import type { Context } from 'koa';
import { GatewayError } from './errors.js';

/**
 * Reads a request body with a size limit and a content-type allow-list. Errors are 413/415/400
 * GatewayErrors; nothing is buffered past the limit.
 */
export async function readBody(ctx: Context, options: { limit: number; types: readonly string[] }): Promise<string> {
  const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
  if (!options.types.includes(type)) {
    throw new GatewayError(415, 'unsupported_media_type', `Content-Type must be ${options.types.join(' or ')}.`);
  }
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > options.limit) {
    throw new GatewayError(413, 'payload_too_large', `The request body is larger than ${options.limit} bytes.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > options.limit) {
      ctx.req.destroy();
      throw new GatewayError(413, 'payload_too_large', `The request body is larger than ${options.limit} bytes.`);
    }
    chunks.push(chunk);
  }
  const buffer = Buffer.concat(chunks);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    throw new GatewayError(400, 'invalid_request', 'The request body is not valid UTF-8.');
  }
}

/** Reads and parses a JSON object body. */
export async function readJsonObject(ctx: Context, limit: number): Promise<Record<string, unknown>> {
  const text = await readBody(ctx, { limit, types: ['application/json'] });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError(400, 'invalid_request', 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError(400, 'invalid_request', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}
