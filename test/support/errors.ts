import { expect } from 'vitest';
import { GatewayError } from '../../src/http/errors.js';

/** The GatewayError a promise rejects with (the test fails if it resolves or rejects otherwise). */
export async function gatewayFailure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}
