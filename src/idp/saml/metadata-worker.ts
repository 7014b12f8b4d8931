import { parentPort, threadId } from 'node:worker_threads';
import { readMetadata, type MetadataJob, type MetadataJobResult } from './metadata-read.js';

/**
 * Worker thread entry (src/idp/saml/metadata-read.ts runs it): checks the signature of one metadata
 * document and reduces it to the compact index, so a 10 MB federation aggregate never holds the
 * gateway's event loop. One job per worker; the document's DOM dies with the thread.
 */
parentPort?.once('message', (job: MetadataJob) => {
  let result: MetadataJobResult;
  try {
    result = { ok: true, index: readMetadata(job), threadId };
  } catch (error) {
    result = { ok: false, error: error instanceof Error ? error.message : String(error), threadId };
  }
  parentPort?.postMessage(result);
});
