/**
 * The IAM policies in the action READMEs against the S3 requests the code sends.
 *
 * - Every S3 command class that src/ imports, and every hand-signed (lean) request it builds, has an
 *   entry in PERMISSIONS (the IAM actions it needs, and on which resource): a new request fails
 *   here until someone says which permission it needs and adds it to the READMEs of the actions
 *   that send it.
 * - The permission names the audit's messages give ("needs s3:...") agree with that table.
 * - Each README's `## Permissions` policy is a policy the project's own reader accepts, names only
 *   s3: actions from the table, each on the resource kind it applies to (a bucket action on
 *   arn:aws:s3:::BUCKET, an object action on arn:aws:s3:::BUCKET/*: the other way round grants
 *   nothing), and holds exactly the permissions of the requests that action sends (REQUESTS_BY_ACTION,
 *   read from the code; see each entry).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseBucketPolicy } from '../../src/acl/policy-document';

const root = path.resolve(__dirname, '..', '..');

type On = 'bucket' | 'object';
interface Need {
  readonly action: string;
  readonly on: On;
}
const bucket = (action: string): Need => ({ action, on: 'bucket' });
const object = (action: string): Need => ({ action, on: 'object' });

/** SDK command classes and lean requests, with the IAM actions S3 checks for them. */
const PERMISSIONS: Record<string, readonly Need[]> = {
  HeadBucketCommand: [bucket('s3:ListBucket')],
  ListObjectsV2Command: [bucket('s3:ListBucket')],
  GetBucketPolicyCommand: [bucket('s3:GetBucketPolicy')],
  GetBucketOwnershipControlsCommand: [bucket('s3:GetBucketOwnershipControls')],
  GetBucketAclCommand: [bucket('s3:GetBucketAcl')],
  GetPublicAccessBlockCommand: [bucket('s3:GetBucketPublicAccessBlock')],
  GetBucketVersioningCommand: [bucket('s3:GetBucketVersioning')],
  GetBucketLifecycleConfigurationCommand: [bucket('s3:GetLifecycleConfiguration')],
  ListMultipartUploadsCommand: [bucket('s3:ListBucketMultipartUploads')],
  HeadObjectCommand: [object('s3:GetObject')],
  GetObjectCommand: [object('s3:GetObject')],
  GetObjectAclCommand: [object('s3:GetObjectAcl')],
  PutObjectAclCommand: [object('s3:PutObjectAcl')],
  PutObjectCommand: [object('s3:PutObject')],
  CreateMultipartUploadCommand: [object('s3:PutObject')],
  UploadPartCommand: [object('s3:PutObject')],
  CompleteMultipartUploadCommand: [object('s3:PutObject')],
  AbortMultipartUploadCommand: [object('s3:AbortMultipartUpload')],
  // The source object is read, the destination written.
  CopyObjectCommand: [object('s3:GetObject'), object('s3:PutObject')],
  UploadPartCopyCommand: [object('s3:GetObject'), object('s3:PutObject')],
  DeleteObjectCommand: [object('s3:DeleteObject')],
  // The hand-signed requests of src/s3/lean-requests.ts (export function build<Name>).
  'lean:Put': [object('s3:PutObject')],
  'lean:Get': [object('s3:GetObject')],
  'lean:Head': [object('s3:GetObject')],
  'lean:List': [bucket('s3:ListBucket')],
  // A canned ACL sent with the request that creates an object (acl and detect modes).
  'header:x-amz-acl': [object('s3:PutObjectAcl')],
};

const WRITE = ['PutObjectCommand', 'lean:Put', 'CreateMultipartUploadCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand', 'AbortMultipartUploadCommand', 'ListMultipartUploadsCommand', 'header:x-amz-acl'];
const PREFLIGHT = ['HeadBucketCommand', 'GetBucketPolicyCommand', 'GetBucketOwnershipControlsCommand'];
const AUDIT = [
  ...PREFLIGHT,
  'ListObjectsV2Command',
  'lean:List',
  'HeadObjectCommand',
  'lean:Head',
  'GetBucketAclCommand',
  'GetPublicAccessBlockCommand',
  'GetBucketVersioningCommand',
  'GetBucketLifecycleConfigurationCommand',
  'GetObjectAclCommand',
];
const MIRROR_COPY = [...PREFLIGHT, 'ListObjectsV2Command', 'lean:List', 'HeadObjectCommand', 'lean:Head', 'GetObjectCommand', 'lean:Get', 'CopyObjectCommand', 'UploadPartCopyCommand', ...WRITE];

/**
 * The requests each action sends in the configuration its README's policy is written for (read from
 * the code: the entry's store calls, down through src/storage/s3-store.ts to src/s3/), plus
 * permissions the README grants on purpose for a request S3 answers differently without them.
 */
const REQUESTS_BY_ACTION: Record<string, { readonly requests: readonly string[]; readonly extra?: readonly Need[] }> = {
  // preflight, HEAD (skip check, verification), dual-write, abort and stale-upload cleanup
  'upload-image': { requests: [...PREFLIGHT, 'HeadObjectCommand', 'lean:Head', ...WRITE] },
  // preflight, a listing of the run's prefix, writes, a signed HEAD when the anonymous check answers 404
  'upload-logs': { requests: [...PREFLIGHT, 'ListObjectsV2Command', 'lean:List', 'HeadObjectCommand', 'lean:Head', ...WRITE] },
  // copy, update and sync (DeleteObject); check and plan-shards only read
  'mirror-bucket': { requests: [...MIRROR_COPY, 'DeleteObjectCommand'] },
  // the audit, and fix: true
  'audit-acl': { requests: [...AUDIT, 'PutObjectAclCommand'] },
  // HEAD per store (through the SDK: the caller may abort it), then a ranged GET; ListBucket makes a missing key answer 404 rather than 403
  'download-image': { requests: ['HeadObjectCommand', 'GetObjectCommand'], extra: [bucket('s3:ListBucket')] },
  // preflight, the listing of every store, DeleteObject; with backup-prefix, the copy to it (inside
  // the provider, or streamed) and the HEAD that checks it
  prune: {
    requests: [...PREFLIGHT, 'ListObjectsV2Command', 'lean:List', 'DeleteObjectCommand', 'HeadObjectCommand', 'GetObjectCommand', 'lean:Get', 'CopyObjectCommand', 'UploadPartCopyCommand', ...WRITE.filter((r) => r !== 'ListMultipartUploadsCommand')],
  },
  // mirror-bucket in copy mode, then audit-acl with fix: dry-run
  reconcile: { requests: [...MIRROR_COPY, ...AUDIT] },
};

/** Every .ts file under a folder of src/. */
function sources(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) return sources(rel);
    return e.name.endsWith('.ts') ? [rel] : [];
  });
}

/** The S3 command classes each source file imports from the SDK, and the lean request kinds it builds. */
function requestsInSource(): Map<string, string> {
  const found = new Map<string, string>();
  for (const file of sources('src')) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'@aws-sdk\/client-s3'/g)) {
      for (const name of m[1]!.split(',').map((s) => s.trim().replace(/^type\s+/, ''))) {
        if (/Command$/.test(name)) found.set(name, file);
      }
    }
    for (const m of text.matchAll(/\bnew\s+([A-Za-z0-9]+Command)\s*\(/g)) found.set(m[1]!, file);
    for (const m of text.matchAll(/^export (?:async )?function build([A-Z][A-Za-z0-9]*)\(/gm)) found.set(`lean:${m[1]}`, file);
    if (/'x-amz-acl'/.test(text)) found.set('header:x-amz-acl', file);
  }
  return found;
}

describe('every S3 request the code sends has its IAM permissions in the table', () => {
  const found = requestsInSource();

  test('the scan finds the requests (so an empty scan cannot pass)', () => {
    for (const name of ['PutObjectCommand', 'HeadObjectCommand', 'GetBucketPolicyCommand', 'lean:Put', 'lean:List']) expect(found.has(name)).toBe(true);
  });

  test.each([...requestsInSource().entries()])('%s (in %s) is mapped', (name, file) => {
    if (!(name in PERMISSIONS)) {
      throw new Error(
        `${file} sends ${name}, which test/unit/iam-permissions.test.ts does not map to IAM permissions: add it to PERMISSIONS, to REQUESTS_BY_ACTION for each action that sends it, and to those actions' README policies`,
      );
    }
  });

  test('the table has no entry the code no longer sends', () => {
    expect(Object.keys(PERMISSIONS).filter((name) => !found.has(name))).toEqual([]);
  });

  test('the permissions the audit names in its messages are the table\'s', () => {
    const text = fs.readFileSync(path.join(root, 'src/s3/bucket-audit.ts'), 'utf8');
    const named = [...text.matchAll(/new (\w+Command)\([\s\S]*?this\.what\('\w+', '(s3:\w+)'/g)].map((m) => [m[1]!, m[2]!] as const);
    expect(named.length).toBeGreaterThanOrEqual(6);
    for (const [command, permission] of named) expect(PERMISSIONS[command]!.map((n) => n.action)).toContain(permission);
  });
});

interface Policy {
  Version?: string;
  Statement: { Sid?: string; Effect: string; Action: string | string[]; Resource: string | string[]; [k: string]: unknown }[];
}

/** The JSON policies in a README's `## Permissions` section. */
function readmePolicies(action: string): Policy[] {
  const file = path.join(root, 'actions', action, 'README.md');
  if (!fs.existsSync(file)) throw new Error(`actions/${action} has no README.md`);
  const text = fs.readFileSync(file, 'utf8');
  const start = text.indexOf('\n## Permissions\n');
  if (start < 0) throw new Error(`actions/${action}/README.md has no "## Permissions" section`);
  const rest = text.slice(start + 1);
  const end = rest.indexOf('\n## ', 1);
  const section = end < 0 ? rest : rest.slice(0, end);
  const blocks = [...section.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => m[1]!);
  if (blocks.length === 0) throw new Error(`actions/${action}/README.md: the Permissions section holds no json policy`);
  return blocks.map((b) => JSON.parse(b) as Policy);
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);
const KIND: Record<string, On> = Object.fromEntries(Object.values(PERMISSIONS).flatMap((needs) => needs.map((n) => [n.action, n.on])));
const ACTIONS = fs
  .readdirSync(path.join(root, 'actions'))
  .filter((a) => fs.existsSync(path.join(root, 'actions', a, 'action.yml')))
  .sort();

test('every action has its requests listed here', () => {
  expect(Object.keys(REQUESTS_BY_ACTION).sort()).toEqual(ACTIONS);
});

describe.each(ACTIONS)('actions/%s/README.md: the IAM policy', (action) => {
  test('is a policy the project\'s reader accepts, with s3: actions only, each on its kind of resource', () => {
    for (const policy of readmePolicies(action)) {
      expect(policy.Version).toBe('2012-10-17');
      for (const s of policy.Statement) {
        // An identity policy (for the role or user the step runs as) names no principal; as a
        // bucket policy for that principal it must read the same.
        expect(Object.keys(s).filter((k) => !['Sid', 'Effect', 'Action', 'Resource'].includes(k))).toEqual([]);
        expect(s.Effect).toBe('Allow');
        const kinds = new Set(list(s.Action).map((a) => {
          if (!(a in KIND)) throw new Error(`actions/${action}/README.md: ${a} is not a permission any request of the code needs`);
          return KIND[a]!;
        }));
        expect(kinds.size).toBe(1);
        const on = [...kinds][0]!;
        for (const r of list(s.Resource)) {
          expect(r).toMatch(on === 'bucket' ? /^arn:aws:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/ : /^arn:aws:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/\*$/);
        }
      }
      const asBucketPolicy = {
        ...policy,
        Statement: policy.Statement.map((s) => ({ ...s, Principal: { AWS: 'arn:aws:iam::123456789012:role/ci' } })),
      };
      const parsed = parseBucketPolicy(JSON.stringify(asBucketPolicy));
      expect(parsed.statements).toHaveLength(policy.Statement.length);
    }
  });

  test('grants exactly what the requests of the action need', () => {
    const spec = REQUESTS_BY_ACTION[action]!;
    const needed = new Set([...spec.requests.flatMap((r) => PERMISSIONS[r]!), ...(spec.extra ?? [])].map((n) => n.action));
    const granted = new Set(readmePolicies(action).flatMap((p) => p.Statement.flatMap((s) => list(s.Action))));
    expect({ missing: [...needed].filter((a) => !granted.has(a)).sort(), unneeded: [...granted].filter((a) => !needed.has(a)).sort() }).toEqual({ missing: [], unneeded: [] });
  });

  test('its permissions table explains every permission the policy grants', () => {
    const text = fs.readFileSync(path.join(root, 'actions', action, 'README.md'), 'utf8');
    const granted = new Set(readmePolicies(action).flatMap((p) => p.Statement.flatMap((s) => list(s.Action))));
    // reconcile refers to the tables of the two actions it runs.
    const explained = action === 'reconcile' ? ['mirror-bucket', 'audit-acl'].map((a) => fs.readFileSync(path.join(root, 'actions', a, 'README.md'), 'utf8')).join('\n') : text;
    for (const a of granted) expect(explained).toMatch(new RegExp(`^\\| \`${a}\` \\|`, 'm'));
  });
});
