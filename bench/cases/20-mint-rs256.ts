import { sign } from 'node:crypto';
import { benchTarget, typicalRequest } from '../lib/fixtures.js';
import { compareSync } from '../lib/measure.js';
import type { BenchCase } from '../lib/types.js';

/** RS256 minting: JitsiTarget.issue() against a bare crypto.sign('sha256') with the same RSA-2048 key. */
const mintRs256: BenchCase = {
  name: 'mint RS256',
  description: "JitsiTarget.issue() vs bare crypto.sign('sha256', input, RSA-2048 KeyObject)",
  target: 0.95,
  path: 'mint RS256 ÷ RSA sign loop',
  async run({ rounds, roundMs, clock }) {
    const target = benchTarget('RS256');
    const privateKey = target.keyring?.signing.privateKey;
    if (!privateKey) throw new Error('RS256 target without signing key');
    const request = typicalRequest(target);
    const sample = target.issue(request).token;
    const input = Buffer.from(sample.slice(0, sample.lastIndexOf('.')));
    const result = await compareSync(
      () => target.issue(request),
      () => sign('sha256', input, privateKey),
      { rounds, roundMs, clock },
    );
    return { ...result, note: `token ${sample.length} bytes` };
  },
};

export default mintRs256;
