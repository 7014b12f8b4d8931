import type { Context } from 'koa';
import { GatewayError } from '../errors/gateway-error.js';

/**
 * Reads a request body with a size limit and a content-type allow-list. Errors are 413/415/400
 * GatewayErrors; nothing is buffered past the limit.
 */
export async function readBody(ctx: Context, options: { limit: number; types: readonly string[] }): Promise<string> {
  const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
  if (!options.types.includes(type)) {
    throw new GatewayError('unsupported_media_type', `Content-Type must be ${options.types.join(' or ')}.`);
  }
  const declared = Number(ctx.get('content-length') || 0);
  if (declared > options.limit) {
    throw new GatewayError('payload_too_large', `The request body is larger than ${options.limit} bytes.`);
  }
  const buffer = await collect(ctx, options.limit);
  try {
    return UTF8.decode(buffer);
  } catch {
    throw new GatewayError('invalid_request', 'The request body is not valid UTF-8.');
  }
}

/** Strict UTF-8 decoder; decode() without { stream } keeps no state between calls. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body's bytes, read with 'data'/'end' listeners (cheaper per request than an async
 * iterator); more than `limit` bytes: the request is destroyed and 413 thrown.
 */
function collect(ctx: Context, limit: number): Promise<Buffer> {
  const req = ctx.req;
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  if (req.destroyed) return Promise.reject(prematureClose());
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.destroy();
        reject(new GatewayError('payload_too_large', `The request body is larger than ${limit} bytes.`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = () => {
      cleanup();
      reject(prematureClose()); // a reset or aborted upload: the client's connection failed
    };
    // The client went away before the end of the body (as the async iterator did: an error).
    const onClose = () => {
      cleanup();
      reject(prematureClose());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * The client went away before the end of its body: its doing, not ours. 499 (nginx's "client
 * closed request"; nobody receives it) at info, so aborts never show up as 5xx in logs or metrics.
 */
const prematureClose = () =>
  new GatewayError('client_closed_request', 'The client closed the connection before the end of the request body.', { level: 'info' });

/** Reads and parses a JSON object body. */
export async function readJsonObject(ctx: Context, limit: number): Promise<Record<string, unknown>> {
  const text = await readBody(ctx, { limit, types: ['application/json'] });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError('invalid_request', 'The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GatewayError('invalid_request', 'The request body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}
