import { describe, expect, it } from 'vitest';
import { GatewayError, type GatewayErrorOptions, type ErrorCode } from '../../src/errors/gateway-error.js';
import { answerOf } from '../../src/http/errors.js';

/**
 * The edge's answer to a domain error (src/http/errors.ts): status, the public code clients see
 * (docs/api.md) and the headers of its semantic fields, exactly as the core used to set them.
 */
const answer = (code: ErrorCode, options: GatewayErrorOptions = {}) => answerOf(new GatewayError(code, 'message', options));

describe('answerOf', () => {
  it.each([
    ['invalid_request', 400, 'invalid_request'],
    ['unknown_tenant', 400, 'unknown_tenant'],
    ['unknown_target', 404, 'unknown_target'],
    ['unknown_target_requested', 400, 'unknown_target'],
    ['idp_unavailable', 502, 'idp_unavailable'],
    ['idp_timeout', 504, 'idp_unavailable'],
    ['client_closed_request', 499, 'client_closed_request'],
    ['store_not_replicated', 503, 'store_not_replicated'],
    ['internal_error', 500, 'internal_error'],
  ] as const)('%s → %i %s', (code, status, shown) => {
    expect(answer(code)).toMatchObject({ status, code: shown, headers: {} });
  });

  it('semantic fields become headers', () => {
    expect(answer('rate_limited', { retryAfterSeconds: 45 }).headers).toEqual({ 'Retry-After': '45' });
    expect(answer('method_not_allowed', { allowedMethods: ['GET', 'HEAD'] }).headers).toEqual({ Allow: 'GET, HEAD' });
    expect(answer('unauthorized', { challenge: ['Bearer', 'Basic'] }).headers).toEqual({
      'WWW-Authenticate': 'Bearer realm="jitsi-sso-gateway", Basic realm="jitsi-sso-gateway"',
    });
  });

  it('logs failures on the gateway side as errors, the rest at info, unless the error says', () => {
    expect(answer('idp_error').level).toBe('error');
    expect(answer('invalid_request').level).toBe('info');
    expect(answer('idp_timeout', { level: 'warn' }).level).toBe('warn');
  });

  it('a status from outside (a Koa client error) overrides the table', () => {
    expect(answer('invalid_request', {}).status).toBe(400);
    expect(answerOf(new GatewayError('invalid_request', 'm'), 414)).toMatchObject({ status: 414, code: 'invalid_request', level: 'info' });
  });
});
