/**
 * The comment parser against a reference that shares no code with it: for generated comment
 * bodies (Unicode and zero-width spaces, CR, NUL, homoglyphs, long lines, many words), a comment is
 * either refused, or granted with a command and arguments that are exactly the words of its first
 * line as a person reads it (lines end at CR, LF or CRLF; words are separated by spaces and tabs):
 * nothing shortened, nothing invented, nothing dropped, in order. And a clean line is never refused.
 */
import fc from 'fast-check';
import { checkProperty } from '../helpers/property';
import { authorizeComment, MAX_COMMAND_LINE, parseArgumentPattern, parseCommand, RefusedError, type CommentPolicy } from '../../src/logs/authorize';
import type { CommentEvent } from '../../src/logs/run-context';

/** The words of the first non-blank line, as a reader sees them. */
function referenceWords(body: string): string[] | undefined {
  let start = 0;
  for (;;) {
    let end = start;
    while (end < body.length && body[end] !== '\n' && body[end] !== '\r') end++;
    const line = body.slice(start, end);
    const words = line.split(/[ \t]+/).filter((w) => w !== '');
    if (words.length > 0) return words;
    if (end >= body.length) return undefined;
    start = end + (body[end] === '\r' && body[end + 1] === '\n' ? 2 : 1);
  }
}

const event = (body: string): CommentEvent => ({ action: 'created', commentId: 1, body, commenter: 'alice', association: 'NONE', issueNumber: 2, isPullRequest: true });
// Everything the parser must not repair: the arguments may be anything the pattern allows.
const policy: CommentPolicy = { minPermission: 'write', allowlist: ['alice'], command: undefined, argumentPattern: parseArgumentPattern('[\\s\\S]+'), maxArguments: 10_000 };

const CLEAN = fc.constantFrom(...'abcz019-._'.split(''));
const HOSTILE = fc.constantFrom(
  '\u00a0', // no-break space
  '\u200b', // zero-width space
  '\u200d', // zero-width joiner
  '\u2028', // line separator
  '\u2029', // paragraph separator
  '\u3000', // ideographic space
  '\ufeff', // byte order mark
  '\u202e', // right-to-left override
  '\u0000',
  '\u000b',
  '\u000c',
  '\u0085', // NEL
  '\r',
  '\u0456', // Cyrillic i, looks like i
  '\u0430', // Cyrillic a, looks like a
  '\uff0f', // fullwidth solidus, looks like /
  '😀',
  '\ud800', // a lone surrogate
);
const word = (hostile: boolean) =>
  fc.array(hostile ? fc.oneof({ arbitrary: CLEAN, weight: 6 }, { arbitrary: HOSTILE, weight: 1 }) : CLEAN, { minLength: 1, maxLength: 12 }).map((c) => c.join(''));
const SEP = fc.constantFrom(' ', '\t', '  ', ' \t ');
const EOL = fc.constantFrom('\n', '\r\n', '\r');

/** A body: blank lines, then a command line of words (sometimes very long), then more lines. */
const bodyArb = (hostile: boolean) =>
  fc
    .record({
      blank: fc.array(fc.constantFrom('', ' ', '\t', ' \t'), { maxLength: 2 }),
      eols: fc.array(EOL, { minLength: 3, maxLength: 3 }),
      slash: hostile ? fc.constantFrom('/', '/', '/', '', '\uff0f') : fc.constant('/'),
      words: fc.array(fc.tuple(SEP, word(hostile)), { minLength: 1, maxLength: 8 }),
      // Pushes the line past the limit, or close to it, with one long word or many short ones.
      padding: fc.oneof(fc.constant(''), fc.integer({ min: 900, max: 1100 }).map((n) => 'x'.repeat(n)), fc.integer({ min: 300, max: 560 }).map((n) => Array(n).fill('a').join(' '))),
      rest: fc.array(word(true), { maxLength: 3 }),
    })
    .map(({ blank, eols, slash, words, padding, rest }) => {
      const [first, ...others] = words;
      // A clean command word starts with a letter, as the `command` input's must.
      const line = `${slash}${hostile ? '' : 'r'}${first![1]}${padding === '' ? '' : ` ${padding}`}${others.map(([s, w]) => `${s}${w}`).join('')}`;
      return [...blank.map((b, i) => `${b}${eols[i]!}`), line, eols[2]!, rest.join(' ')].join('');
    });

describe('comment parsing, property-based', () => {
  test('refused, or the words of the first line verbatim and in order; a clean line within the limit is granted', async () => {
    await checkProperty(
      'authorize: grant = the first line\'s words, verbatim (hostile bodies)',
      fc.asyncProperty(fc.oneof(bodyArb(true), bodyArb(false)), async (body) => {
        const words = referenceWords(body);
        let parsed: ReturnType<typeof parseCommand>;
        try {
          parsed = parseCommand(body);
        } catch (e) {
          expect(e).toBeInstanceOf(RefusedError);
          await expect(authorizeComment(event(body), policy, async () => undefined)).rejects.toBeInstanceOf(RefusedError);
          return;
        }
        if (parsed === undefined) {
          expect(words === undefined || !words[0]!.startsWith('/')).toBe(true);
          await expect(authorizeComment(event(body), policy, async () => undefined)).rejects.toThrow(/does not start with a \/command/);
          return;
        }
        expect([parsed.command, ...parsed.arguments]).toEqual(words);
        const grant = await authorizeComment(event(body), policy, async () => undefined);
        expect([grant.command, ...grant.arguments]).toEqual(words);
      }),
      400,
    );
  });

  test('a line of clean words within the limit is never refused', async () => {
    await checkProperty(
      'authorize: clean lines within the limit are granted whole',
      fc.asyncProperty(bodyArb(false), async (body) => {
        const words = referenceWords(body)!;
        const firstLine = body.split(/\r\n|\r|\n/).find((l) => /[^ \t]/.test(l))!;
        if ([...firstLine].length > MAX_COMMAND_LINE) {
          await expect(authorizeComment(event(body), policy, async () => undefined)).rejects.toThrow(/characters long; at most 1,000 are allowed/);
        } else {
          const grant = await authorizeComment(event(body), policy, async () => undefined);
          expect([grant.command, ...grant.arguments]).toEqual(words);
        }
      }),
      200,
    );
  });
});
