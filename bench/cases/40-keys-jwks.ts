import { keysHttp } from '../lib/keys-http.js';
import type { BenchCase } from '../lib/types.js';

const jwks: BenchCase = {
  name: 'GET /.well-known/jwks.json',
  description: 'real gateway app (createGateway, RS256) vs bare Koa serving the same JWKS',
  target: 0.8,
  run: (options) => keysHttp('jwks', options),
};

export default jwks;
