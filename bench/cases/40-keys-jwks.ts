import { keysHttp } from '../lib/keys-http.js';
import type { BenchCase } from '../lib/types.js';

const jwks: BenchCase = {
  name: 'GET /.well-known/jwks.json',
  description: 'real gateway (createGateway, RS256, listen) vs a bare node:http server answering the same bytes and headers',
  target: 0.9,
  path: 'JWKS ÷ node:http static answer',
  run: (options) => keysHttp('jwks', options),
};

export default jwks;
