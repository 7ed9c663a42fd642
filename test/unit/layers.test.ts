// The layer rules of eslint.config.js fire: each kind of forbidden import, as a new file of src/
// would hold it, gets a message that names what its layer may import; an allowed import gets none.
import * as path from 'node:path';
import { ESLint } from 'eslint';

const repoRoot = path.resolve(__dirname, '../..');
const LAYER_RULES = ['@typescript-eslint/no-restricted-imports', 'no-restricted-syntax'];

let eslint: ESLint;
beforeAll(() => {
  // ESLint reads eslint.config.js with a dynamic import(), which Jest's module sandbox refuses; so
  // the test reads the same file and hands it over: the rules are the ones `npm run lint` applies.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const config = require(path.join(repoRoot, 'eslint.config.js'));
  eslint = new ESLint({ cwd: repoRoot, overrideConfigFile: true, overrideConfig: config });
});

/** Every message the whole config gives `source` as the file `filePath` (which need not exist). */
async function lint(filePath: string, source: string): Promise<{ ruleId: string | null; message: string }[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return result!.messages.map((m) => ({ ruleId: m.ruleId, message: m.message }));
}

interface Violation {
  readonly name: string;
  readonly filePath: string;
  readonly source: string;
  /** One entry a message, in order: text the message must hold. */
  readonly expect: readonly string[];
}

const violations: Violation[] = [
  {
    name: 's3 importing storage',
    filePath: 'src/s3/some-new-file.ts',
    source: "export { LocalStore } from '../storage/local-store';\n",
    expect: ['src/s3 may import only src/errors, src/config, src/flow'],
  },
  {
    name: 'storage importing an engine (sync)',
    filePath: 'src/storage/some-new-file.ts',
    source: "import { mirror } from '../sync/mirror';\nexport const run = mirror;\n",
    expect: ['src/storage may import only'],
  },
  {
    name: 'an engine importing another engine',
    filePath: 'src/download/some-new-file.ts',
    source: "import { parseSize } from '../upload/plan';\nexport const size = parseSize;\n",
    expect: ['An engine may not import another engine'],
  },
  {
    name: 'the prune engine importing another engine (sync)',
    filePath: 'src/prune/some-new-file.ts',
    source: "export { deleteExtra } from '../sync/delete-extra';\n",
    expect: ['An engine may not import another engine'],
  },
  {
    name: 'another engine importing the prune engine',
    filePath: 'src/sync/some-new-file.ts',
    source: "export { planPrune } from '../prune/plan';\n",
    expect: ['An engine may not import another engine'],
  },
  {
    name: 'the prune engine importing the runtime',
    filePath: 'src/prune/some-new-file.ts',
    source: "export { Progress } from '../runtime/progress';\n",
    expect: ['src/prune may import only src/errors, src/config, src/flow, src/storage, src/acl, src/operations'],
  },
  {
    name: 'an engine importing the wire',
    filePath: 'src/audit/some-new-file.ts',
    source: "import { probeAnonymous } from '../s3/anonymous';\nexport const probe = probeAnonymous;\n",
    expect: ['src/audit may import only src/errors, src/config, src/flow, src/storage, src/acl, src/operations'],
  },
  {
    name: 'operations importing the wire',
    filePath: 'src/operations/some-new-file.ts',
    source: "export { encodeKey } from '../s3/anonymous';\n",
    expect: ['src/operations may import only'],
  },
  {
    name: 'runtime importing an engine (logs)',
    filePath: 'src/runtime/some-new-file.ts',
    source: "import { levelOf } from '../logs/authorize';\nexport const level = levelOf;\n",
    expect: ['src/runtime may import only src/errors, src/config, src/flow, src/storage'],
  },
  {
    name: 'a file outside s3 importing the AWS SDK and node:https',
    filePath: 'src/storage/some-new-file.ts',
    source: "import { S3Client } from '@aws-sdk/client-s3';\nimport * as https from 'node:https';\nexport const both = [S3Client, https];\n",
    expect: ['Only src/s3 (the S3 wire) may import', 'Only src/s3 (the S3 wire) may import'],
  },
  {
    name: 'a file outside s3 importing @smithy/*, http and https',
    filePath: 'src/actions/upload-image/some-new-file.ts',
    source: "import { NodeHttpHandler } from '@smithy/node-http-handler';\nimport * as http from 'http';\nimport * as https from 'https';\nexport const all = [NodeHttpHandler, http, https];\n",
    expect: ['Only src/s3', 'Only src/s3', 'Only src/s3'],
  },
  {
    name: 'a file outside runtime importing @actions/core',
    filePath: 'src/logs/some-new-file.ts',
    source: "import * as core from '@actions/core';\nexport const info = core.info;\n",
    expect: ['Only src/runtime (the GitHub Actions adapter) may import @actions/*'],
  },
  {
    name: 'a type-only import from an upper layer',
    filePath: 'src/s3/some-new-file.ts',
    source: "import type { ObjectStore } from '../storage/object-store';\nexport type Store = ObjectStore;\n",
    expect: ['src/s3 may import only'],
  },
  {
    name: 'a type-only re-export from an upper layer',
    filePath: 'src/acl/some-new-file.ts',
    source: "export type { Finding } from '../audit/findings';\n",
    expect: ['src/acl may import only'],
  },
  {
    name: 'an import type expression from an upper layer',
    filePath: 'src/flow/some-new-file.ts',
    source: "export type Store = import('../storage/object-store').ObjectStore;\n",
    expect: ['src/flow may import only'],
  },
  {
    name: 'a dynamic import of @actions/* outside runtime',
    filePath: 'src/operations/some-new-file.ts',
    source: "export const load = () => import('@actions/github');\n",
    expect: ['Only src/runtime'],
  },
  {
    name: 'a layer other than cli importing an action',
    filePath: 'src/runtime/some-new-file.ts',
    source: "export { uploadImage } from '../actions/upload-image/main';\n",
    expect: ['src/runtime may import only'],
  },
  {
    name: 'an action importing another action',
    filePath: 'src/actions/upload-image/some-new-file.ts',
    source: "export { uploadLogs } from '../upload-logs/main';\n",
    expect: ['An action may not import another action'],
  },
  {
    name: 'a step importing another step',
    filePath: 'src/steps/mirror-bucket/some-new-file.ts',
    source: "export { auditAcl } from '../audit-acl/main';\n",
    expect: ['A step may not import another step'],
  },
  {
    name: 'a step importing an action',
    filePath: 'src/steps/audit-acl/some-new-file.ts',
    source: "export { reconcile } from '../../actions/reconcile/main';\n",
    expect: ['src/steps may import only'],
  },
  {
    name: 'runtime importing a step',
    filePath: 'src/runtime/some-new-file.ts',
    source: "export { mirrorBucket } from '../steps/mirror-bucket/main';\n",
    expect: ['src/runtime may import only'],
  },
  {
    name: 'an engine importing a step',
    filePath: 'src/sync/some-new-file.ts',
    source: "export type { MirrorBucketInputs } from '../steps/mirror-bucket/inputs';\n",
    expect: ['src/sync may import only'],
  },
  {
    name: 'an action importing the wire',
    filePath: 'src/actions/upload-logs/some-new-file.ts',
    source: "export { probeAnonymous } from '../../s3/anonymous';\n",
    expect: ['src/actions may import only'],
  },
  {
    name: 'errors.ts importing anything of src',
    filePath: 'src/errors.ts',
    source: "export { quote } from './config/configuration-error';\n",
    expect: ['src/errors.ts is a leaf'],
  },
  {
    name: 'a folder that is in no layer',
    filePath: 'src/some-new-folder/some-new-file.ts',
    source: "export { StoreError } from '../errors';\n",
    expect: ['This folder is in no layer'],
  },
];

describe('each layer rule fires', () => {
  test.each(violations.map((v) => [v.name, v] as const))('%s', async (_name, v) => {
    const messages = await lint(v.filePath, v.source);
    expect(messages.map((m) => m.ruleId)).toEqual(v.expect.map(() => expect.stringMatching(/^(@typescript-eslint\/no-restricted-imports|no-restricted-syntax)$/)));
    v.expect.forEach((text, i) => {
      expect(messages[i]!.message).toContain(text);
      expect(messages[i]!.message).toContain('See ARCHITECTURE.md.');
    });
  });
});

describe('allowed imports give no message', () => {
  const allowed: [string, string, string][] = [
    ['storage importing s3', 'src/storage/some-new-file.ts', "import { S3Bucket } from '../s3/bucket';\nimport type { ObjectStore } from './object-store';\nexport type Both = [S3Bucket, ObjectStore];\n"],
    ['s3 importing errors, config, flow and the AWS SDK', 'src/s3/some-new-file.ts', "export { StoreError } from '../errors';\nexport { quote } from '../config/configuration-error';\nexport { Semaphore } from '../flow/semaphore';\nexport { S3Client } from '@aws-sdk/client-s3';\nexport * as https from 'node:https';\n"],
    ['an engine importing operations, acl, storage and flow', 'src/sync/some-new-file.ts', "export { checkWritten } from '../operations/verify-visibility';\nexport { decideVisibility } from '../acl/visibility';\nexport { probeAnonymous } from '../storage/anonymous';\nexport { ByteBudget } from '../flow/byte-budget';\n"],
    ['the prune engine importing operations, acl, storage and flow', 'src/prune/some-new-file.ts', "export { transfer } from '../operations/copy-object';\nexport { globToRegExp } from '../acl/glob';\nexport { compareKeys } from '../storage/key-range';\nexport { forEachLimit } from '../flow/pool';\n"],
    ['an action importing the prune engine', 'src/actions/prune/some-new-file.ts', "export { prune } from '../../prune/prune';\nexport { readPruneInputs } from './inputs';\n"],
    ['runtime importing @actions/core and storage', 'src/runtime/some-new-file.ts', "export * as core from '@actions/core';\nexport { openStore } from '../storage/open-store';\n"],
    ['an action importing engines, runtime and its own files', 'src/actions/upload-image/some-new-file.ts', "export { uploadImages } from '../../upload/upload-images';\nexport { mirror } from '../../sync/mirror';\nexport { runAction } from '../../runtime/run-action';\nexport { readUploadImageInputs } from './inputs';\n"],
    ['an action importing steps, runtime and its own files', 'src/actions/reconcile/some-new-file.ts', "export { runMirrorBucket } from '../../steps/mirror-bucket/main';\nexport { runAuditAcl } from '../../steps/audit-acl/main';\nexport { partHost } from '../../runtime/part-host';\nexport { readReconcileInputs } from './inputs';\n"],
    ['a step importing engines, runtime and its own files', 'src/steps/mirror-bucket/some-new-file.ts', "export { mirror } from '../../sync/mirror';\nexport { runAction } from '../../runtime/run-action';\nexport { readMirrorBucketInputs } from './inputs';\n"],
    ['cli importing steps', 'src/cli/some-new-file.ts', "export { auditAcl } from '../steps/audit-acl/main';\n"],
    ['cli importing actions and runtime', 'src/cli/some-new-file.ts', "export { uploadImage } from '../actions/upload-image/main';\nexport { cliHost } from '../runtime/cli-host';\n"],
  ];
  test.each(allowed)('%s', async (_name, filePath, source) => {
    expect(await lint(filePath, source)).toEqual([]);
  });
});

test('test files are exempt from the layer rules', async () => {
  const source = "import { S3Client } from '@aws-sdk/client-s3';\nimport * as core from '@actions/core';\nimport { LocalStore } from '../../src/storage/local-store';\nexport const all = [S3Client, core, LocalStore];\n";
  const messages = await lint('test/unit/some-new-file.test.ts', source);
  expect(messages.filter((m) => m.ruleId !== null && LAYER_RULES.includes(m.ruleId))).toEqual([]);
});
