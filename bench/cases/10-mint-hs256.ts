import { createHmac, createSecretKey } from 'node:crypto';
import { benchTarget, SECRET, typicalRequest } from '../lib/fixtures.js';
import { compareSync } from '../lib/measure.js';
import type { BenchCase } from '../lib/types.js';

/**
 * HS256 minting: the whole JitsiTarget.issue() (features filter, claims, jti, JSON, base64url,
 * HMAC) against a bare node:crypto HMAC-SHA256 over the same signing input with a pre-built
 * KeyObject — the floor no implementation can go under.
 */
const mintHs256: BenchCase = {
  name: 'mint HS256',
  description: 'JitsiTarget.issue() vs bare createHmac(sha256, KeyObject) over the same bytes',
  target: 0.45,
  path: 'mint HS256 ÷ bare HMAC loop',
  async run({ rounds, roundMs, clock }) {
    const target = benchTarget('HS256');
    const request = typicalRequest(target);
    const sample = target.issue(request).token;
    const input = sample.slice(0, sample.lastIndexOf('.'));
    const key = createSecretKey(Buffer.from(SECRET, 'utf8'));
    const result = await compareSync(
      () => target.issue(request),
      () => createHmac('sha256', key).update(input).digest('base64url'),
      { rounds, roundMs, clock },
    );
    return { ...result, note: `token ${sample.length} bytes, signing input ${input.length} bytes` };
  },
};

export default mintHs256;
