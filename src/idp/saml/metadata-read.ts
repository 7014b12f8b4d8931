import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { threadId, Worker } from 'node:worker_threads';
import { MetadataError, parseMetadataIndex, type IdpMetadata } from './metadata.js';
import { verifyMetadataSignature } from './metadata-signature.js';

/**
 * Metadata document → compact index (entityID, names, scopes, signing certificates, SSO/SLO
 * endpoints of each IdP): the federation's signature check, then the parse of the signed bytes.
 * Both take seconds for a large aggregate (a 5,000-IdP one: 3.3 s + 0.5 s on the bench machine),
 * so documents from `OFF_THREAD_FROM_BYTES` up are read in a worker thread; only the index crosses
 * back to the main thread.
 */

/** Documents at least this large are read in a worker thread (a single IdP's metadata is a few KB). */
export const OFF_THREAD_FROM_BYTES = 256 * 1024;

export interface MetadataJob {
  raw: string;
  /** Federation certificates the document must be signed with (none: not checked). */
  signers: string[];
  entityId?: string | undefined;
}

export interface MetadataIndexData {
  entities: IdpMetadata[];
  skipped: number;
  aggregate: boolean;
  validUntil?: number;
  /** SHA-256 of the signed content: tells a refresh that changed nothing without comparing entities. */
  digest: string;
}

export type MetadataJobResult = { ok: true; index: MetadataIndexData; threadId: number } | { ok: false; error: string; threadId: number };

export function readMetadata(job: MetadataJob): MetadataIndexData {
  const xml = job.signers.length > 0 ? verifyMetadataSignature(job.raw, job.signers) : job.raw;
  const parsed = parseMetadataIndex(xml, job.entityId);
  return { ...parsed, digest: createHash('sha256').update(xml).digest('base64url') };
}

/** The compiled worker: next to this module, or under dist/ when this module runs from TypeScript source (tests). */
function workerFile(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = here.replace(/metadata-read\.[jt]s$/, 'metadata-worker.js');
  if (here.endsWith('.js') || existsSync(sibling)) return sibling;
  return sibling.replace(/([\\/])src([\\/]idp[\\/]saml[\\/])/, '$1dist$1src$2');
}

/** Reads a document in a worker thread; rejects with MetadataError for what the document got wrong. */
export function readMetadataOffThread(job: MetadataJob, timeoutMs = 120_000): Promise<{ index: MetadataIndexData; threadId: number }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerFile());
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      outcome();
    };
    const timer = setTimeout(() => finish(() => reject(new MetadataError(`reading the metadata took longer than ${timeoutMs} ms`))), timeoutMs);
    timer.unref();
    worker.once('message', (result: MetadataJobResult) => finish(() => (result.ok ? resolve({ index: result.index, threadId: result.threadId }) : reject(Object.assign(new MetadataError(result.error), { threadId: result.threadId })))));
    worker.once('error', (error) => finish(() => reject(new MetadataError(`the metadata worker failed: ${error.message}`))));
    worker.once('exit', (code) => finish(() => reject(new MetadataError(`the metadata worker stopped (exit ${code})`))));
    worker.postMessage(job);
  });
}

/** The thread a failed read ran on, when the error says. */
export const threadOf = (error: unknown): number | undefined => (error instanceof MetadataError && typeof (error as { threadId?: unknown }).threadId === 'number' ? (error as unknown as { threadId: number }).threadId : undefined);

/**
 * Reads a document, in a worker thread when it is large; says on which thread it was read (a
 * MetadataError carries it as `threadId` too, see threadOf).
 */
export async function readMetadataIndex(job: MetadataJob, offThreadFromBytes = OFF_THREAD_FROM_BYTES): Promise<{ index: MetadataIndexData; threadId: number }> {
  if (job.raw.length >= offThreadFromBytes) return readMetadataOffThread(job);
  try {
    return { index: readMetadata(job), threadId };
  } catch (error) {
    throw error instanceof MetadataError ? Object.assign(error, { threadId }) : error;
  }
}
