/**
 * The end of a publish, once the files are written: each store's index page (unless the logs have
 * their own), then an anonymous check of a sample of what was written, so that a link that will
 * not open, or private logs that are readable, are found by the run that wrote them.
 */
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { forEachLimit } from '../flow/pool';
import { checkWritten } from '../operations/verify-visibility';
import { encodeKey, formatAddress, probeAnonymous } from '../storage/anonymous';
import type { ObjectStore, Visibility } from '../storage/object-store';
import type { StoreSpec } from '../storage/store-spec';
import { renderIndex, type IndexPage, type MissingEntry } from './index-page';
import { probeSample } from './probe-sample';
import type { RunContext } from './run-context';
import { putObject, type FileReport, type TreeReport, type TreeTarget } from './upload-tree';
import type { WalkResult } from './walk';

/** The page a publish links to, at the top of its prefix. */
export const INDEX_PAGE = 'index.html';
/** Anonymous checks in flight per store. */
const PROBES_IN_FLIGHT = 16;

/** One object of a store's sample, checked anonymously. */
export interface ProbeSample {
  readonly key: string;
  readonly expected: 'readable' | 'denied';
  readonly access: string;
  readonly reason?: string;
}

/** The anonymous check of a store's sample. */
export interface ProbeResult {
  readonly store: string;
  readonly indexError?: string;
  readonly samples: readonly ProbeSample[];
}

/** Where the publish says what it did: info lines, and warnings a person must act on. */
export interface PublishLog {
  info(message: string): void;
  warning(message: string): void;
}

export interface PublishIndexOptions {
  readonly prefix: string;
  readonly visibility: Visibility;
  readonly run: RunContext;
  /** The commit the logs belong to, linked from the page. */
  readonly sha: string;
  readonly walked: Extract<WalkResult, { kind: 'walked' }>;
  readonly tree: TreeReport;
  readonly targets: readonly TreeTarget[];
  readonly log: PublishLog;
}

/** The address people open: through `proxyUrl` when given, else the store's public address. */
export function indexUrl(proxyUrl: string | undefined, spec: StoreSpec, store: ObjectStore, prefix: string): string {
  const key = prefix + INDEX_PAGE;
  if (proxyUrl !== undefined) return `${proxyUrl}/${encodeKey(store.locate(key)?.key ?? key)}`;
  if (spec.kind === 'file') return pathToFileURL(path.join(spec.root, ...key.split('/'))).href;
  const address = store.anonymousAddress(key);
  return address !== undefined ? formatAddress(address) : key;
}

/** Writes each store's index page (unless the logs have their own), then checks visibility anonymously. */
export async function publishIndex(options: PublishIndexOptions): Promise<ProbeResult[]> {
  const ownIndex = options.walked.files.some((file) => file.rel === INDEX_PAGE);
  if (ownIndex) options.log.info(`the logs have their own ${INDEX_PAGE}; it is the page linked to, and none is generated`);
  const links = runLinks(options.run, options.sha);
  const unusable: MissingEntry[] = options.walked.unusable.map((note) => ({ path: note.rel, reason: note.reason }));
  return Promise.all(options.targets.map((target) => publishTo(target, ownIndex, links, unusable, options)));
}

/** The workflow run, the commit and the pull request, as far as the run knows them. */
function runLinks(run: RunContext, sha: string): NonNullable<IndexPage['links']> {
  return [
    ...(run.runUrl ? [{ text: 'workflow run', href: run.runUrl }] : []),
    ...(run.repository && sha ? [{ text: `commit ${sha.slice(0, 12)}`, href: `${run.serverUrl}/${run.repository}/commit/${sha}` }] : []),
    ...(run.repository && run.pr !== undefined ? [{ text: `pull request #${run.pr}`, href: `${run.serverUrl}/${run.repository}/pull/${run.pr}` }] : []),
  ];
}

async function publishTo(
  target: TreeTarget,
  ownIndex: boolean,
  links: IndexPage['links'],
  unusable: readonly MissingEntry[],
  options: PublishIndexOptions,
): Promise<ProbeResult> {
  const { prefix, tree, log } = options;
  const held = tree.files.filter((file) => file.stores.includes(target.name));
  const indexError = ownIndex ? undefined : await writeIndexPage(target, held, links, unusable, options);
  const written = held.map((file) => prefix + file.rel);
  const index = indexError === undefined ? [prefix + INDEX_PAGE] : [];
  // Private logs under a policy nobody could read: it may expose any one key (a policy naming one
  // file), so every key is checked. Otherwise every folder and every extension written, and the
  // index: what an ACL or a checked policy exposes of one file of a kind, it exposes of them all.
  const everyKey = options.visibility === 'private' && (await target.store.policy()).kind === 'unknown';
  const keys = everyKey ? [...index, ...written] : probeSample(written, index);
  const samples = await probeKeys(target, keys, options.visibility);
  log.info(`${target.name}: ${keys.length} object(s) checked anonymously (${everyKey ? 'every one written, as the bucket policy could not be read' : 'every folder and extension written'}${indexError === undefined ? ', and the index' : ''})`);
  for (const sample of samples) {
    if (sample.access === 'n/a' || sample.access === sample.expected) continue;
    if (sample.expected === 'readable') log.warning(`${target.name}: ${sample.key} is not readable anonymously (${sample.access}); the link will not open for people without credentials`);
    else if (sample.access !== 'readable') log.warning(`${target.name}: ${sample.key} is not shown private: ${sample.reason ?? sample.access}`);
  }
  return { store: target.name, indexError, samples };
}

/** Writes the generated index page to one store; the error's message when it could not be written. */
async function writeIndexPage(
  target: TreeTarget,
  held: readonly FileReport[],
  links: IndexPage['links'],
  unusable: readonly MissingEntry[],
  options: PublishIndexOptions,
): Promise<string | undefined> {
  const { prefix, tree } = options;
  const html = renderIndex({
    title: prefix.slice(0, -1),
    entries: held.map((file) => ({ path: file.rel, size: file.size ?? file.sourceSize })),
    missing: [...tree.files.filter((file) => !file.stores.includes(target.name)).map((file) => ({ path: file.rel, reason: file.reason ?? file.outcome })), ...unusable],
    links,
    generated: new Date(),
  });
  try {
    await putObject(target.store, prefix + INDEX_PAGE, Buffer.from(html), { contentType: 'text/html; charset=utf-8', visibility: options.visibility });
    return undefined;
  } catch (e) {
    const indexError = e instanceof Error ? e.message : String(e);
    options.log.warning(`${target.name}: the index page could not be written: ${indexError}`);
    return indexError;
  }
}

/** Checks each key anonymously, `PROBES_IN_FLIGHT` at a time; the samples in the keys' order. */
async function probeKeys(target: TreeTarget, keys: readonly string[], visibility: Visibility): Promise<ProbeSample[]> {
  const expected = visibility === 'public' ? 'readable' : 'denied';
  const samples: ProbeSample[] = new Array(keys.length);
  await forEachLimit(keys, PROBES_IN_FLIGHT, async (key, index) => {
    const check = await checkWritten(target.store, key, visibility, probeAnonymous);
    samples[index] = { key, expected, access: check.access, ...(check.verdict !== 'ok' ? { reason: check.reason } : {}) };
  });
  return samples;
}
