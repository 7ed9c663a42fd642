/**
 * Visibility decisions against a small reference (test/helpers/visibility-reference.ts) written from the rules' contract (README,
 * "Visibility"), sharing no code with src/acl: generated rules, file names and key templates. The
 * contract: the first rule that matches a text decides for it; an object is private when its key
 * matches no rule, or when its key, a folder of its key, or its source file name first-matches a
 * private rule; names compare in NFC with Unicode simple case folding, and a compatibility form
 * (NFKC) that first-matches a private rule makes it private.
 */
import fc from 'fast-check';
import { decideObjectVisibility, parseVisibilityRules } from '../../src/acl/visibility';
import { checkProperty } from '../helpers/property';
import { judge, reference, render, rules, name, TEMPLATES } from '../helpers/visibility-reference';

test('visibility: production decides as the reference, for the file name, the key and its folders', async () => {
  const seen = { private: 0, public: 0, byName: 0 };
  await checkProperty(
    'visibility: file name and key against a reference',
    fc.property(rules, fc.constantFrom(...TEMPLATES), name, (rs, template, n) => {
      const parsed = parseVisibilityRules(rs.map((r) => `${r.glob} ${r.visibility}`).join('\n'));
      const key = render(template, n);
      const want = reference(rs, key, n);
      const got = decideObjectVisibility(parsed, key, n);
      expect([key, n, got.visibility, got.decidedBy]).toEqual([key, n, want.visibility, want.decidedBy]);
      // Fail closed, in so many words: a name whose first matching rule is private never goes out public.
      if (judge(rs, n) === 'private') expect(got.visibility).toBe('private');
      seen[got.visibility]++;
      if (got.decidedBy === 'name') seen.byName++;
    }),
    1500,
  );
  console.log(`[visibility] ${seen.private} private (${seen.byName} by the file name alone), ${seen.public} public`);
});
