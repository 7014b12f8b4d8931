import { keysHttp } from '../lib/keys-http.js';
import type { BenchCase } from '../lib/types.js';

const asapPem: BenchCase = {
  name: 'GET /asap/<hex>.pem',
  description: 'real gateway (createGateway, RS256, listen) vs a bare node:http server answering the same bytes and headers',
  target: 0.9,
  path: '/asap/<hex>.pem ÷ node:http static answer',
  run: (options) => keysHttp('asap', options),
};

export default asapPem;
