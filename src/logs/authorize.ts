/**
 * May this `issue_comment` start a publish? `issue_comment` workflows run with the default
 * branch's secrets for anyone who can comment, so the answer must come from the repository's own
 * permission data, not from the payload: `author_association` says CONTRIBUTOR for a private member
 * of the organisation and proves nothing either way.
 *
 * In order: only a `created` comment (an edit could turn an approved old comment into a new
 * command); then the commenter must be on the allowlist or hold at least `minPermission`, as the
 * API reports it; then the command's arguments must pass strict validation, since they may become
 * part of a key. Each refusal says who was refused and why; nothing is written after one.
 *
 * The command line is read as a person reads it, and never repaired: a line too long is refused,
 * not cut (cutting once turned `fedora-rawhide` into a granted `fedora-raw`); a line holding a
 * character a reader cannot see or tell apart from a space (control and format characters such as
 * NUL or U+200B, Unicode spaces, line and paragraph separators) is refused, not split on; only
 * spaces and tabs separate words. So a grant's command and arguments are the words of the
 * comment's first line, verbatim and in order. Comment text is untrusted: refusals show at most a
 * short, escaped part of it.
 */
import { ConfigurationError, quote } from '../config/configuration-error';
import type { CommentEvent } from './run-context';

/** Repository roles, weakest first. */
export const PERMISSION_LEVELS = ['none', 'read', 'triage', 'write', 'maintain', 'admin'] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

/**
 * What `GET /repos/{owner}/{repo}/collaborators/{user}/permission` answered; `undefined` for 404.
 * The runtime's GitHub API declares the same shape; this engine may not import it.
 */
export interface PermissionAnswer {
  /** `admin`, `write`, `read` or `none` (maintain and triage are folded into write and read here). */
  readonly permission: string;
  /** `admin`, `maintain`, `write`, `triage`, `read`, or a custom role's name. */
  readonly roleName?: string;
}

/** Asks the API for a user's permission. Throws when it could not be asked. */
export type PermissionLookup = (login: string) => Promise<PermissionAnswer | undefined>;

export interface CommentPolicy {
  readonly minPermission: PermissionLevel;
  /** Logins that may trigger whatever their permission; compared case-insensitively. */
  readonly allowlist: readonly string[];
  /** The command word the first line must start with (`/image-refresh`); `undefined`: any `/word`. */
  readonly command?: string;
  /** Every argument must match this whole. */
  readonly argumentPattern: ArgumentPattern;
  readonly maxArguments: number;
}

/** The grant: who, on what grounds, and the validated arguments. */
export interface CommentGrant {
  readonly commenter: string;
  readonly via: 'allowlist' | 'permission';
  readonly level?: PermissionLevel;
  readonly command: string;
  readonly arguments: readonly string[];
}

/** Raised when a comment may not trigger a publish. It is the user's matter, not a bug. */
export class RefusedError extends ConfigurationError {}

/** The default for `argument-pattern`: what is safe inside a key segment and a shell word. */
export const DEFAULT_ARGUMENT_PATTERN = '^[a-z0-9][a-z0-9._-]{0,63}$';
/** A comment's first line may be this many characters long at most; a longer one is refused whole. */
export const MAX_COMMAND_LINE = 1000;
/** The command word: a slash and an ASCII word, as the `command` input must be. */
const COMMAND_WORD = /^\/[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Lines end as Markdown ends them; what GitHub shows as the first line is what is read. */
const LINE_END = /\r\n|\r|\n/;
/** Words are separated by spaces and tabs, nothing else. */
const BLANK = /^[ \t]*$/;
/**
 * Characters refused anywhere in the command line: control (but tab), format (zero-width, bidi
 * overrides, BOM), surrogate, private-use and unassigned characters, and every separator but the
 * ASCII space (NBSP, U+3000, U+2028, U+2029).
 */
const INVISIBLE = /(?![ \t])[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Z}]/u;

/** The effective level of an answer: the role when it is a known one (custom roles fall back). */
export function levelOf(answer: PermissionAnswer | undefined): PermissionLevel {
  if (answer === undefined) return 'none';
  const known = (v: string | undefined): v is PermissionLevel => v !== undefined && (PERMISSION_LEVELS as readonly string[]).includes(v);
  if (known(answer.roleName)) return answer.roleName;
  if (known(answer.permission)) return answer.permission;
  return 'none';
}

/** True when `level` is at least `min`. */
export function atLeast(level: PermissionLevel, min: PermissionLevel): boolean {
  return PERMISSION_LEVELS.indexOf(level) >= PERMISSION_LEVELS.indexOf(min);
}

/**
 * Splits the comment's first non-blank line into the command and its arguments, each a word of
 * that line as written. `undefined` when that line (or the comment) does not start with `/`.
 * Throws {@link RefusedError} with the reason (no who or where: the caller adds them) for a line
 * longer than {@link MAX_COMMAND_LINE} characters, one holding an invisible or space-like
 * character other than a space or tab, and a command that is not a slash and an ASCII word.
 */
export function parseCommand(body: string): { command: string; arguments: string[] } | undefined {
  const line = body.split(LINE_END).find((l) => !BLANK.test(l));
  if (line === undefined) return undefined;
  const chars = [...line];
  if (chars.length > MAX_COMMAND_LINE) {
    throw new RefusedError(`its first line is ${chars.length.toLocaleString('en-US')} characters long; at most ${MAX_COMMAND_LINE.toLocaleString('en-US')} are allowed`);
  }
  const words = line.split(/[ \t]+/).filter((w) => w !== '');
  const [command, ...args] = words;
  if (command === undefined || !command.startsWith('/')) return undefined;
  const bad = chars.findIndex((c) => INVISIBLE.test(c));
  if (bad >= 0) {
    const code = `U+${chars[bad]!.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new RefusedError(`its first line holds ${code} at character ${bad + 1}; only visible characters, spaces and tabs are allowed there`);
  }
  if (!COMMAND_WORD.test(command)) {
    throw new RefusedError(`its command ${shown(command)} is not a slash and an ASCII word (letters, digits, ".", "_", "-")`);
  }
  return { command, arguments: args };
}

/** A word of the comment, for a message: escaped, and cut short with its length when long. */
function shown(word: string): string {
  const chars = [...word];
  return chars.length <= 40 ? quote(word) : `${quote(chars.slice(0, 40).join(''))}... (${chars.length} characters)`;
}

/** Decides on a comment. Resolves the grant, or throws {@link RefusedError}. */
export async function authorizeComment(event: CommentEvent, policy: CommentPolicy, lookup: PermissionLookup): Promise<CommentGrant> {
  const who = `@${event.commenter}`;
  const where = `comment ${event.commentId} on #${event.issueNumber}`;
  if (event.action !== 'created') {
    throw new RefusedError(
      `refused: ${where} by ${who} was ${event.action || 'changed'}, not created; only a newly created comment may start a publish ` +
        '(an edit could turn an approved comment into a different command). Nothing was written',
    );
  }

  let via: CommentGrant['via'];
  let level: PermissionLevel | undefined;
  if (policy.allowlist.some((a) => a.toLowerCase() === event.commenter.toLowerCase())) {
    via = 'allowlist';
  } else {
    let answer: PermissionAnswer | undefined;
    try {
      answer = await lookup(event.commenter);
    } catch (e) {
      throw new RefusedError(
        `refused: could not ask the API for the permission of ${who} (${where}): ${e instanceof Error ? e.message : String(e)}. Nothing was written`,
      );
    }
    level = levelOf(answer);
    if (!atLeast(level, policy.minPermission)) {
      const association = event.association ? `; author_association ${event.association} is not a permission` : '';
      throw new RefusedError(
        `refused: ${who} (${where}) has ${level} permission on the repository; at least ${policy.minPermission} is required, ` +
          `or a place in allowed-users${association}. Nothing was written`,
      );
    }
    via = 'permission';
  }

  let parsed: ReturnType<typeof parseCommand>;
  try {
    parsed = parseCommand(event.body);
  } catch (e) {
    if (!(e instanceof RefusedError)) throw e;
    throw new RefusedError(`refused: ${where} by ${who}: ${e.message}. Nothing was written`);
  }
  if (parsed === undefined) throw new RefusedError(`refused: ${where} by ${who} does not start with a /command. Nothing was written`);
  if (policy.command !== undefined && parsed.command !== policy.command) {
    throw new RefusedError(`refused: ${where} by ${who} is the command ${shown(parsed.command)}, not ${quote(policy.command)}. Nothing was written`);
  }
  if (parsed.arguments.length > policy.maxArguments) {
    throw new RefusedError(`refused: ${where} by ${who} gives ${parsed.arguments.length} arguments; at most ${policy.maxArguments} are allowed. Nothing was written`);
  }
  parsed.arguments.forEach((arg, i) => {
    if (!policy.argumentPattern.regexp.test(arg)) {
      throw new RefusedError(
        `refused: argument ${i + 1} ${shown(arg)} of ${where} by ${who} is not allowed; allowed: arguments matching ${policy.argumentPattern.text}. Nothing was written`,
      );
    }
  });
  return { commenter: event.commenter, via, level, command: parsed.command, arguments: parsed.arguments };
}

/** A checked `argument-pattern`: the text as written, for messages, and the regexp, anchored whole. */
export interface ArgumentPattern {
  readonly text: string;
  readonly regexp: RegExp;
}

/** Compiles `argument-pattern`, anchored whole whatever the user wrote. */
export function parseArgumentPattern(text: string): ArgumentPattern {
  if (text === '') throw new ConfigurationError(`empty argument pattern; allowed: a regular expression such as ${DEFAULT_ARGUMENT_PATTERN}`);
  try {
    return { text, regexp: new RegExp(`^(?:${text})$`) };
  } catch (e) {
    throw new ConfigurationError(`${quote(text)} is not a regular expression: ${(e as Error).message}`);
  }
}
