import { keysHttp } from '../lib/keys-http.js';
import type { BenchCase } from '../lib/types.js';

const asapPem: BenchCase = {
  name: 'GET /asap/<hex>.pem',
  description: 'real gateway app (createGateway, RS256) vs bare Koa serving the same PEM',
  target: 0.8,
  run: (options) => keysHttp('asap', options),
};

export default asapPem;
