import { expect } from 'vitest';
import { GatewayError } from '../../src/errors/gateway-error.js';

/** The GatewayError a promise rejects with (the test fails if it resolves or rejects otherwise). */
export async function gatewayFailure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

/** The GatewayError a function throws (the test fails if it returns or throws something else). */
export function thrownBy(action: () => unknown): GatewayError {
  let error: unknown;
  try {
    action();
  } catch (thrown) {
    error = thrown;
  }
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}
