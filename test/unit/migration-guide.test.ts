/**
 * docs/migration.md says what its bucket policies do and shows complete workflows: the policies are
 * held to the project's own evaluator (the images policy lets strangers read public images and no
 * rhel* image, in folders too; the logs policy lets them read every log), and each workflow is a
 * file of examples/workflows/ (parsed by yaml-files.test.ts) with every action pinned to a full SHA.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { load } from 'js-yaml';
import { parseBucketPolicy, strangerReadAllowed } from '../../src/acl/bucket-policy';
import { decideVisibility, parseVisibilityRules } from '../../src/acl/visibility';

const root = path.resolve(__dirname, '..', '..');
const guide = fs.readFileSync(path.join(root, 'docs', 'migration.md'), 'utf8');

/** The JSON block right after `<!-- policy: NAME -->` (indented as in a list item). */
function policy(name: string) {
  const m = new RegExp(`<!-- policy: ${name} -->\\n( *)\`\`\`json\\n([\\s\\S]*?)\\n\\1\`\`\``).exec(guide);
  if (!m) throw new Error(`docs/migration.md has no json block after <!-- policy: ${name} -->`);
  return parseBucketPolicy(m[2]!);
}

const WORKFLOWS = [...guide.matchAll(/<!-- workflow: (examples\/workflows\/[a-z0-9.-]+\.yml) -->/g)].map((m) => m[1]!);

test('the guide names a workflow for each of its six phases', () => {
  expect(WORKFLOWS).toHaveLength(6);
  for (let phase = 1; phase <= 6; phase++) expect(WORKFLOWS.filter((w) => w.startsWith(`examples/workflows/migration-${phase}-`))).toHaveLength(1);
});

describe('the images bucket policy', () => {
  const rules = parseVisibilityRules('rhel* private\n* public');
  const keys = ['fedora-42.qcow2', 'canary/canary.qcow2', 'rhel-9.6.qcow2', 'rhel-10.qcow2', 'canary/rhel-canary.qcow2', 'images/rhel-9/disk.qcow2', 'a/b/rhel8.qcow2'];

  test.each(keys)('%s: strangers may read it exactly when the rules say public', (key) => {
    const rule = decideVisibility(rules, key).visibility;
    expect(strangerReadAllowed(policy('images'), 'cockpit-ci-images', key).readable).toBe(rule === 'public');
  });

  test('is case-sensitive where the rules are not, as the guide warns: upload-image then refuses the write', () => {
    expect(decideVisibility(rules, 'RHEL-9.qcow2').visibility).toBe('private');
    expect(strangerReadAllowed(policy('images'), 'cockpit-ci-images', 'RHEL-9.qcow2').readable).toBe(true);
    expect(guide).toContain('`RHEL-9.qcow2`');
  });
});

test('the logs bucket policy lets strangers read every log', () => {
  for (const key of ['cockpit/pull-1-20260101-000000-abc-1-fedora-42/index.html', 'x/y/z.log.gz']) {
    expect(strangerReadAllowed(policy('logs'), 'cockpit-ci-logs', key).readable).toBe(true);
  }
});

describe.each(WORKFLOWS)('%s', (file) => {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const doc = load(text) as { jobs: Record<string, { steps?: { uses?: string; run?: string }[] }> };
  const steps = Object.values(doc.jobs).flatMap((j) => j.steps ?? []);

  test('pins every action it uses to a full commit SHA', () => {
    const uses = steps.map((s) => s.uses).filter((u): u is string => u !== undefined);
    expect(uses.length).toBeGreaterThan(0);
    for (const u of uses) expect(u).toMatch(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+@[0-9a-f]{40}$/);
  });

  test('puts no ${{ }} expression into a shell line (values go through env)', () => {
    for (const s of steps) if (s.run !== undefined) expect(s.run).not.toMatch(/\$\{\{/);
  });
});
