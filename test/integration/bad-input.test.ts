/**
 * Bad input, as a table: each case runs an action twice, in this process (to see the error's class)
 * and as the built bundle under Node 24 the way a runner does (to see what the user sees: exit 1 and
 * one `::error::` naming the input, the value and what is allowed). After each case the stores
 * hold nothing: no object, no open multipart upload.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { auditAcl } from '../../src/steps/audit-acl/main';
import { downloadImageAction } from '../../src/actions/download-image/main';
import { mirrorBucket } from '../../src/steps/mirror-bucket/main';
import { reconcile } from '../../src/actions/reconcile/main';
import { uploadImage } from '../../src/actions/upload-image/main';
import { uploadLogs } from '../../src/actions/upload-logs/main';
import { pruneAction } from '../../src/actions/prune/main';
import { quietHost } from '../helpers/quiet-host';
import type { ActionContext } from '../../src/runtime/run-action';
import { Summary } from '../../src/runtime/summary';
import { errors, runBundle } from '../helpers/bundle';
import { startFakeGitHub, type FakeGitHub } from '../helpers/fake-github';
import { credentialEnv, githubEnv, listKeys, openUploads, rgw, useBuckets } from '../helpers/rgw';

const TOKEN = 'ghs_badInputToken0123456789';
const SHA = 'a'.repeat(64);

let oldBucket: string;
let newBucketName: string;
const makeBucket = useBuckets();
let gh: FakeGitHub;
let ws: string;
beforeAll(async () => {
  oldBucket = await makeBucket('old', 'badin');
  newBucketName = await makeBucket('new', 'badin');
  gh = await startFakeGitHub(TOKEN);
  gh.permissions.set('maintainer', { permission: 'write', role_name: 'maintain' });
  gh.permissions.set('reader', { permission: 'read', role_name: 'read' });
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'badin-'));
  fs.writeFileSync(path.join(ws, 'fedora-42.qcow2'), 'fedora');
  // The name promises a sha256 the content does not have.
  fs.writeFileSync(path.join(ws, `fedora-42-${SHA}.qcow2`), 'not what the name says');
  fs.mkdirSync(path.join(ws, 'logs'));
  fs.writeFileSync(path.join(ws, 'logs', 'test.log'), 'ok\n');
});
afterAll(async () => {
  await gh?.close();
});

const OLD = () => `${rgw('old').endpoint}/${oldBucket}/in credentials=env:OLD name=old`;
const NEW = () => `${rgw('new').endpoint}/${newBucketName}/in credentials=env:NEW name=new`;

let eventSeq = 0;
function commentEvent(login: string, body: string, action = 'created'): string {
  const file = path.join(ws, `event-${eventSeq++}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      action,
      issue: { number: 7 },
      comment: { id: 900 + eventSeq, body, user: { login, type: 'User' }, author_association: 'MEMBER' },
      repository: { full_name: 'cockpit-project/bots' },
    }),
  );
  return file;
}
function runEnv(event?: string): NodeJS.ProcessEnv {
  return {
    ...credentialEnv(),
    ...githubEnv({ GITHUB_API_URL: gh.url }),
    ...(event !== undefined ? { GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: event } : {}),
  };
}

type ErrorClass = 'ConfigurationError' | 'RefusedError' | 'ContentMismatchError';
interface Case {
  readonly action: 'upload-image' | 'upload-logs' | 'mirror-bucket' | 'audit-acl' | 'download-image' | 'reconcile' | 'prune';
  readonly inputs: () => Record<string, string>;
  readonly env?: () => NodeJS.ProcessEnv;
  readonly error: ErrorClass;
  /** The message: names the input and the value, and says what is allowed. */
  readonly message: RegExp;
  /**
   * Only as the bundle: the GitHub API client loads an ES module that jest's CommonJS runtime
   * cannot, so the class is known by the message's shape (a RefusedError starts with "refused:").
   */
  readonly bundleOnly?: boolean;
}

type Over = Record<string, string> | (() => Record<string, string>);
const lazy = (over: Over) => (typeof over === 'function' ? over() : over);
const image = (over: Over) => () => ({ files: 'fedora-42.qcow2', stores: `${OLD()}\n${NEW()}`, ...lazy(over) });
const logs = (over: Over) => () => ({ path: 'logs', stores: `${OLD()}\n${NEW()}`, prefix: 'ci/{run-id}', ...lazy(over) });
const mirror = (over: Over) => () => ({ source: OLD(), destination: NEW(), ...lazy(over) });
const audit = (over: Over) => () => ({ stores: `${OLD()}\n${NEW()}`, ...lazy(over) });
const nightly = (over: Over) => () => ({ source: OLD(), destination: NEW(), ...lazy(over) });
const download = (over: Over) => () => ({ 'object-key': 'fedora-42.qcow2', stores: `${OLD()}\n${NEW()}`, 'save-to': 'dl/', ...lazy(over) });
const pruned = (over: Over) => () => ({ stores: `${OLD()}\n${NEW()}`, match: '(?<group>fedora-\\d+)-[0-9a-f]{64}\\.qcow2', 'keep-newest': '7', 'dry-run': 'false', ...lazy(over) });
const comment = (login: string, body: string, action?: string) => () => runEnv(commentEvent(login, body, action));

const CASES: Record<string, Case> = {
  // upload-image: inputs
  'image: files missing': { action: 'upload-image', inputs: image({ files: '' }), error: 'ConfigurationError', message: /^input "files" is required and was not given$/ },
  'image: files match nothing': { action: 'upload-image', inputs: image({ files: 'nothing-*.qcow2' }), error: 'ConfigurationError', message: /^input "files": .*"nothing-\*\.qcow2"/ },
  'image: stores missing': { action: 'upload-image', inputs: image({ stores: '' }), error: 'ConfigurationError', message: /^input "stores" is required and was not given$/ },
  'image: unsupported scheme': { action: 'upload-image', inputs: image({ stores: 'ftp://example.com/bucket' }), error: 'ConfigurationError', message: /^input "stores": line 1: "ftp:\/\/example\.com\/bucket": unsupported scheme "ftp:"; allowed: https:, http:, s3:, file:$/ },
  'image: store URL without bucket': { action: 'upload-image', inputs: image({ stores: 'http://127.0.0.1:1/' }), error: 'ConfigurationError', message: /^input "stores": line 1: "http:\/\/127\.0\.0\.1:1\/" names no bucket; write it as/ },
  'image: bad bucket name': { action: 'upload-image', inputs: image({ stores: 'http://127.0.0.1:1/Bad_Bucket' }), error: 'ConfigurationError', message: /^input "stores": line 1: .*"Bad_Bucket" is not a valid bucket name; allowed: 3 to 63/ },
  'image: store URL with a query': { action: 'upload-image', inputs: image({ stores: 'http://127.0.0.1:1/bucket?x=1' }), error: 'ConfigurationError', message: /^input "stores": line 1: "http:\/\/127\.0\.0\.1:1\/bucket\?x=1": a store URL takes no query/ },
  'image: prefix with ..': { action: 'upload-image', inputs: image({ stores: 'http://127.0.0.1:1/bucket/a/../b' }), error: 'ConfigurationError', message: /^input "stores": line 1: .*'\.\.' segments$/ },
  // Issue 10, item 8: credentials in a URL are refused and never shown; item 11 and the prefix part of item 3.
  'image: store URL with credentials': {
    action: 'upload-image',
    inputs: image({ stores: `https://AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY@127.0.0.1:1/bucket/x credentials=env:OLD` }),
    error: 'ConfigurationError',
    message: /^input "stores": "https:\/\/\*\*\*@127\.0\.0\.1:1\/bucket\/x credentials=env:OLD": the input must not carry credentials, so nothing in it, comments included, may hold an "@" after a ":" \(as in https:\/\/KEY:SECRET@host\); give keys with credentials=env:NAME .*, and write an "@" that belongs in a prefix or folder path as %40$/,
  },
  'image: store URL with credentials split by a line break': {
    action: 'upload-image',
    inputs: image({ stores: `https://AKIAIOSFODNN7EXAMPLE:wJalr\n#XUtnFEMI@127.0.0.1:1/bucket` }),
    error: 'ConfigurationError',
    message: /^input "stores": "https:\/\/\*\*\*@127\.0\.0\.1:1\/bucket": the input must not carry credentials/,
  },
  'image: file store with a bare %': { action: 'upload-image', inputs: image({ stores: 'file:///tmp/100%' }), error: 'ConfigurationError', message: /^input "stores": line 1: "file:\/\/\/tmp\/100%": the folder path "\/tmp\/100%" is not valid percent-encoding; allowed: %XX sequences that spell UTF-8, and "%" itself written as %25$/ },
  'image: prefix with %2F..%2F': { action: 'upload-image', inputs: image({ stores: 'http://127.0.0.1:1/bucket/a%2F..%2Fb' }), error: 'ConfigurationError', message: /^input "stores": line 1: "http:\/\/127\.0\.0\.1:1\/bucket\/a%2F\.\.%2Fb": a prefix must not contain '\.' or '\.\.' segments$/ },
  'image: prefix with a backslash': { action: 'upload-image', inputs: image({ stores: 'http://127.0.0.1:1/bucket/..\\other' }), error: 'ConfigurationError', message: /^input "stores": line 1: .*: a store URL must not hold "\\" \(URL parsing reads it as "\/"\); write it as %5C in a prefix$/ },
  'image: unknown store option': { action: 'upload-image', inputs: image(() => ({ stores: `${OLD()} colour=blue` })), error: 'ConfigurationError', message: /^input "stores": line 1: unknown store option "colour=blue"; allowed: / },
  'image: store option twice': { action: 'upload-image', inputs: image(() => ({ stores: `${OLD()} name=x` })), error: 'ConfigurationError', message: /^input "stores": line 1: store option name= given twice$/ },
  'image: credentials not allowed': { action: 'upload-image', inputs: image({ credentials: 'vault:x' }), error: 'ConfigurationError', message: /^input "credentials": credentials "vault:x" is not allowed; allowed: default, env:NAME, key-dir:PATH$/ },
  'image: credentials env name': { action: 'upload-image', inputs: image(() => ({ stores: `${rgw('old').endpoint}/${oldBucket} credentials=env:OLD-KEY` })), error: 'ConfigurationError', message: /^input "stores": line 1: credentials "env:OLD-KEY": "OLD-KEY" is not an environment variable prefix/ },
  'image: credentials env unset': { action: 'upload-image', inputs: image(() => ({ stores: `${rgw('old').endpoint}/${oldBucket} credentials=env:NOPE` })), error: 'ConfigurationError', message: /NOPE_ACCESS_KEY_ID/ },
  'image: key folder missing': { action: 'upload-image', inputs: image(() => ({ stores: `${rgw('old').endpoint}/${oldBucket} credentials=key-dir:/nonexistent-keys` })), error: 'ConfigurationError', message: /key folder "\/nonexistent-keys" does not exist/ },
  'image: store listed twice': { action: 'upload-image', inputs: image(() => ({ stores: `${OLD()}\n${OLD()}` })), error: 'ConfigurationError', message: /^input "stores": "old" is listed twice/ },
  'image: missing bucket': { action: 'upload-image', inputs: image(() => ({ stores: `${rgw('old').endpoint}/no-such-bucket-x1 credentials=env:OLD` })), error: 'ConfigurationError', message: /^input "stores": .*NoSuchBucket.*the bucket does not exist.*Nothing was written\.$/ },
  'image: refused credentials': {
    action: 'upload-image',
    inputs: image(() => ({ stores: OLD() })),
    env: () => ({ ...credentialEnv(), OLD_SECRET_ACCESS_KEY: 'wrong-secret-0000000000' }),
    error: 'ConfigurationError',
    message: /^input "stores": old: .*(SignatureDoesNotMatch|AccessDenied|HTTP 403).*refused.*Nothing was written\.$/,
  },
  'image: visibility-mode': { action: 'upload-image', inputs: image({ 'visibility-mode': 'public' }), error: 'ConfigurationError', message: /^input "visibility-mode": "public" is not allowed; allowed: auto, acl, policy, detect$/ },
  'image: rule without visibility': { action: 'upload-image', inputs: image({ 'visibility-rules': 'rhel*' }), error: 'ConfigurationError', message: /^input "visibility-rules": rule 1 "rhel\*" is not "GLOB public" or "GLOB private"$/ },
  'image: rule with unknown visibility': { action: 'upload-image', inputs: image({ 'visibility-rules': '* public\nrhel* secret' }), error: 'ConfigurationError', message: /^input "visibility-rules": rule 2 "rhel\* secret" is not/ },
  'image: key placeholder': { action: 'upload-image', inputs: image({ key: 'images/{nope}' }), error: 'ConfigurationError', message: /^input "key": unknown placeholder \{nope\} in "images\/\{nope\}"; allowed: \{name\}/ },
  'image: key braces': { action: 'upload-image', inputs: image({ key: '{name' }), error: 'ConfigurationError', message: /^input "key": unbalanced braces in key template "\{name"$/ },
  'image: cache-control with a line break': { action: 'upload-image', inputs: image({ 'cache-control': 'max-age=60\r\nx-amz-acl: public-read' }), error: 'ConfigurationError', message: /^input "cache-control": "max-age=60\\r\\nx-amz-acl: public-read" holds a line break \(U\+000D\) at character 11; allowed: printable ASCII \(space to "~"; no tab, CR or LF\), no space at either end, at most 1024 characters, such as "public, max-age=86400"$/ },
  'image: cache-control too long': { action: 'upload-image', inputs: image({ 'cache-control': `max-age=${'9'.repeat(1100)}` }), error: 'ConfigurationError', message: /^input "cache-control": "max-age=9+…" is 1108 characters long; allowed: printable ASCII/ },
  'image: content-type not ASCII': { action: 'upload-image', inputs: image({ 'content-type': 'text/plain; charset=utf-8; name=ünï' }), error: 'ConfigurationError', message: /^input "content-type": "text\/plain; charset=utf-8; name=ünï" holds U\+00FC, which is not ASCII, at character 33; allowed: printable ASCII .*, such as "application\/octet-stream"$/ },
  'image: key with ..': { action: 'upload-image', inputs: image({ key: '../{name}' }), error: 'ConfigurationError', message: /key "\.\.\/fedora-42\.qcow2" from .* has an empty, '\.' or '\.\.' segment/ },
  'image: require above stores': { action: 'upload-image', inputs: image({ require: '3' }), error: 'ConfigurationError', message: /^input "require": "3" is out of range; allowed: all, any, or a number from 1 to 2/ },
  'image: require word': { action: 'upload-image', inputs: image({ require: 'most' }), error: 'ConfigurationError', message: /^input "require": "most" is not allowed; allowed: all, any/ },
  'image: part-size too small': { action: 'upload-image', inputs: image({ 'part-size': '1MiB' }), error: 'ConfigurationError', message: /^input "part-size": "1MiB" is out of range; allowed: 5MiB to 5GiB$/ },
  'image: part-size too large': { action: 'upload-image', inputs: image({ 'part-size': '6GiB' }), error: 'ConfigurationError', message: /^input "part-size": "6GiB" is out of range; allowed: 5MiB to 5GiB$/ },
  'image: part-size not a size': { action: 'upload-image', inputs: image({ 'part-size': 'big' }), error: 'ConfigurationError', message: /^input "part-size": "big" is not a size; allowed: / },
  'image: concurrency 0': { action: 'upload-image', inputs: image({ concurrency: '0' }), error: 'ConfigurationError', message: /^input "concurrency": "0" is not allowed; allowed: a whole number from 1 to 64$/ },
  'image: concurrency 65': { action: 'upload-image', inputs: image({ concurrency: '65' }), error: 'ConfigurationError', message: /^input "concurrency": "65" is not allowed; allowed: a whole number from 1 to 64$/ },
  'image: concurrency -1': { action: 'upload-image', inputs: image({ concurrency: '-1' }), error: 'ConfigurationError', message: /^input "concurrency": "-1" is not allowed; allowed: a whole number from 1 to 64$/ },
  'image: content-type': { action: 'upload-image', inputs: image({ 'content-type': 'not a type' }), error: 'ConfigurationError', message: /^input "content-type": "not a type" is not a media type/ },
  'image: dry-run yes': { action: 'upload-image', inputs: image({ 'dry-run': 'yes' }), error: 'ConfigurationError', message: /^input "dry-run": "yes" is not allowed; allowed: true, false$/ },
  'image: name promises another sha256': {
    action: 'upload-image',
    inputs: image({ files: `fedora-42-${SHA}.qcow2` }),
    error: 'ContentMismatchError',
    message: new RegExp(`the name "fedora-42-${SHA}\\.qcow2" promises sha256 ${SHA} but the content's sha256 is [0-9a-f]{64}; nothing was written$`),
  },
  // upload-logs: inputs
  'logs: path missing': { action: 'upload-logs', inputs: logs({ path: 'no-such-dir' }), error: 'ConfigurationError', message: /^input "path": ".*no-such-dir" does not exist; nothing was written/ },
  'logs: if-no-files': { action: 'upload-logs', inputs: logs({ 'if-no-files': 'maybe' }), error: 'ConfigurationError', message: /^input "if-no-files": "maybe" is not allowed; allowed: error, warn, ignore$/ },
  'logs: prefix placeholder': { action: 'upload-logs', inputs: logs({ prefix: '{repo}/{branch}' }), error: 'ConfigurationError', message: /^input "prefix": unknown placeholder \{branch\} in "\{repo\}\/\{branch\}"; allowed: / },
  'logs: prefix with ..': { action: 'upload-logs', inputs: logs({ prefix: '{repo}/../x' }), error: 'ConfigurationError', message: /^input "prefix": .*"\.\."/ },
  'logs: prefix with a space': { action: 'upload-logs', inputs: logs({ prefix: 'ci/{run-id} x' }), error: 'ConfigurationError', message: /^input "prefix": prefix template "ci\/\{run-id\} x" holds whitespace/ },
  'logs: files-in-flight 0': { action: 'upload-logs', inputs: logs({ 'files-in-flight': '0' }), error: 'ConfigurationError', message: /^input "files-in-flight": "0" is not allowed; allowed: a whole number from 1 to 256$/ },
  'logs: files-in-flight 257': { action: 'upload-logs', inputs: logs({ 'files-in-flight': '257' }), error: 'ConfigurationError', message: /^input "files-in-flight": "257" is not allowed; allowed: a whole number from 1 to 256$/ },
  'logs: visibility': { action: 'upload-logs', inputs: logs({ visibility: 'world' }), error: 'ConfigurationError', message: /^input "visibility": "world" is not allowed; allowed: public, private$/ },
  'logs: sha': { action: 'upload-logs', inputs: logs({ sha: 'abc123' }), error: 'ConfigurationError', message: /^input "sha": "abc123" is not allowed; allowed: a full commit SHA/ },
  'logs: status-state': { action: 'upload-logs', inputs: logs({ 'status-state': 'done' }), error: 'ConfigurationError', message: /^input "status-state": "done" is not allowed; allowed: auto, success, failure, error, pending$/ },
  'logs: min-permission none': { action: 'upload-logs', inputs: logs({ 'min-permission': 'none' }), error: 'ConfigurationError', message: /^input "min-permission": "none" is not allowed; allowed: read, triage, write, maintain, admin$/ },
  'logs: allowed-users': { action: 'upload-logs', inputs: logs({ 'allowed-users': 'alice bad!user' }), error: 'ConfigurationError', message: /^input "allowed-users": "bad!user" is not a GitHub login$/ },
  'logs: command': { action: 'upload-logs', inputs: logs({ command: 'image-refresh' }), error: 'ConfigurationError', message: /^input "command": "image-refresh" is not allowed; allowed: a slash and a word/ },
  'logs: redact-env': { action: 'upload-logs', inputs: logs({ 'redact-env': 'GOOD BAD-NAME' }), error: 'ConfigurationError', message: /^input "redact-env": "BAD-NAME" is not an environment variable name/ },
  'logs: proxy-url': { action: 'upload-logs', inputs: logs({ 'proxy-url': 'ftp://proxy.example' }), error: 'ConfigurationError', message: /^input "proxy-url": "ftp:\/\/proxy\.example" is not allowed; allowed: http\(s\):\/\/HOST/ },
  'logs: proxy-url with credentials': {
    action: 'upload-logs',
    inputs: logs({ 'proxy-url': 'https://proxyuser:pr0xy/s3cret@logs.example.org/ci' }),
    error: 'ConfigurationError',
    message: /^input "proxy-url": "https:\/\/\*\*\*@logs\.example\.org\/ci" is not allowed: it may carry credentials \(an "@" after a ":"\), and the link is posted where anyone reads it; allowed: http\(s\):\/\/HOST\[\/PATH\] with no query, fragment or credentials \(write an "@" in the path as %40\)$/,
  },
  'logs: issue-number 0': { action: 'upload-logs', inputs: logs({ 'issue-number': '0' }), error: 'ConfigurationError', message: /^input "issue-number": "0" is not allowed; allowed: a whole number from 1 to / },
  'logs: include-hidden-files yes': { action: 'upload-logs', inputs: logs({ 'include-hidden-files': 'yes' }), error: 'ConfigurationError', message: /^input "include-hidden-files": "yes" is not allowed; allowed: true, false$/ },
  'logs: if-no-credentials skip': { action: 'upload-logs', inputs: logs({ 'if-no-credentials': 'skip' }), error: 'ConfigurationError', message: /^input "if-no-credentials": "skip" is not allowed; allowed: error, warn, ignore$/ },
  'logs: {pr} on a push': { action: 'upload-logs', inputs: logs({ prefix: 'ci/pull-{pr}-{run-id}' }), error: 'ConfigurationError', message: /^input "prefix": \{pr\} has no value on a push event, so "ci\/pull-\{pr\}-\{run-id\}" cannot make a prefix that is the run's own\. \{pr\} is the pull request number, .*: use \{sha\} or \{run-id\}, or set prefix for this event$/ },
  'logs: overwrite maybe': { action: 'upload-logs', inputs: logs({ overwrite: 'maybe' }), error: 'ConfigurationError', message: /^input "overwrite": "maybe" is not allowed; allowed: true, false$/ },
  // upload-logs: event payloads for issue_comment
  'logs: comment by a reader': { action: 'upload-logs', inputs: logs({ 'github-token': TOKEN }), env: comment('reader', '/image-refresh fedora-42'), error: 'RefusedError', message: /^refused: .*@reader.*\bread\b.*\bwrite\b.*[Nn]othing was written/ , bundleOnly: true },
  'logs: comment edited, not created': { action: 'upload-logs', inputs: logs({ 'github-token': TOKEN }), env: comment('maintainer', '/image-refresh fedora-42', 'edited'), error: 'RefusedError', message: /^refused: comment \d+ on #7 by @maintainer was edited, not created; only a newly created comment may start a publish/ },
  'logs: comment argument leaving the prefix': { action: 'upload-logs', inputs: logs({ 'github-token': TOKEN }), env: comment('maintainer', '/image-refresh ../../etc'), error: 'RefusedError', message: /^refused: .*"\.\.\/\.\.\/etc"/ , bundleOnly: true },
  'logs: comment without a token': { action: 'upload-logs', inputs: logs({ 'github-token': '' }), env: comment('maintainer', '/image-refresh fedora-42'), error: 'RefusedError', message: /^refused: comment \d+ by @maintainer: no github-token to ask the API for their permission\. Nothing was written$/ },
  'logs: comment not a command': { action: 'upload-logs', inputs: logs({ 'github-token': TOKEN, command: '/image-refresh' }), env: comment('maintainer', 'looks good to me'), error: 'RefusedError', message: /^refused: comment \d+ on #7 by @maintainer does not start with a \/command\. Nothing was written$/ , bundleOnly: true },
  'logs: event payload without a comment': {
    action: 'upload-logs',
    inputs: logs({ 'github-token': TOKEN }),
    env: () => {
      const file = path.join(ws, `event-${eventSeq++}.json`);
      fs.writeFileSync(file, JSON.stringify({ action: 'created', issue: { number: 7 } }));
      return { ...runEnv(), GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: file };
    },
    error: 'ConfigurationError',
    message: /^the issue_comment event payload names no comment id, commenter or issue; refusing to act on it$/,
  },
  'logs: event payload not JSON': {
    action: 'upload-logs',
    inputs: logs({}),
    env: () => {
      const file = path.join(ws, `event-${eventSeq++}.json`);
      fs.writeFileSync(file, '{"action": "created", ');
      return { ...runEnv(), GITHUB_EVENT_NAME: 'issue_comment', GITHUB_EVENT_PATH: file };
    },
    error: 'ConfigurationError',
    message: /^GITHUB_EVENT_PATH ".*event-\d+\.json" is not a readable JSON event: /,
  },
  // mirror-bucket
  'mirror: destination inside the source': { action: 'mirror-bucket', inputs: mirror(() => ({ destination: `${rgw('old').endpoint}/${oldBucket}/in/inner credentials=env:OLD` })), error: 'ConfigurationError', message: /^inputs "source" and "destination": ".*\/in" and ".*\/in\/inner" are the same bucket with one prefix inside the other; give two separate places$/ },
  'mirror: destination and destinations': { action: 'mirror-bucket', inputs: mirror(() => ({ destinations: `${NEW()}` })), error: 'ConfigurationError', message: /^inputs "destination" and "destinations": both are given; allowed: one store in destination, or one store a line in destinations, not both$/ },
  'mirror: check mode with destinations': {
    action: 'mirror-bucket',
    inputs: mirror(() => ({ destination: '', destinations: `${NEW()}\n${rgw('new').endpoint}/${newBucketName}/other credentials=env:NEW name=other`, mode: 'check' })),
    error: 'ConfigurationError',
    message: /^input "mode": "check" is given with input "destinations" \(2 stores\), but check mode compares one pair of stores; run one check a destination; allowed with several destinations: modes copy and sync, /,
  },
  'mirror: require above the destinations': { action: 'mirror-bucket', inputs: mirror(() => ({ require: '2' })), error: 'ConfigurationError', message: /^input "require": "2" is out of range; allowed: all, any, or a number from 1 to 1 \(the number of stores\)$/ },
  'mirror: endpoint with credentials': {
    action: 'mirror-bucket',
    inputs: mirror(() => ({ source: `s3://${oldBucket}/in endpoint=http://AKIAIOSFODNN7EXAMPLE:wJalr/XUtnFEMI@127.0.0.1:1 credentials=env:OLD` })),
    error: 'ConfigurationError',
    message: /^input "source": "s3:\/\/\*\*\*@127\.0\.0\.1:1 credentials=env:OLD": the input must not carry credentials/,
  },
  'mirror: bad glob': { action: 'mirror-bucket', inputs: mirror({ include: '[abc' }), error: 'ConfigurationError', message: /^input "include": glob "\[abc": glob "\[abc" has a '\[' without its '\]'$/ },
  'mirror: max-delete not a number': { action: 'mirror-bucket', inputs: mirror({ 'max-delete': 'many' }), error: 'ConfigurationError', message: /^input "max-delete": "many" is not allowed; allowed: a whole number of objects \(0 or more\), or none for no limit$/ },
  'mirror: shard out of range': { action: 'mirror-bucket', inputs: mirror({ shard: '9/8' }), error: 'ConfigurationError', message: /^input "shard": "9\/8" is out of range; allowed: I\/N with 1 <= I <= N <= 1000, such as 2\/8$/ },
  'mirror: shard JSON malformed': { action: 'mirror-bucket', inputs: mirror({ shard: '{"start":' }), error: 'ConfigurationError', message: /^input "shard": "\{\\"start\\":" is not valid JSON; allowed: I\/N, or one item of the shard plan's "shards" output$/ },
  'mirror: mode unknown': { action: 'mirror-bucket', inputs: mirror({ mode: 'mirror' }), error: 'ConfigurationError', message: /^input "mode": "mirror" is not allowed; allowed: copy, sync, check, plan-shards$/ },
  'mirror: dry-run with check': { action: 'mirror-bucket', inputs: mirror({ mode: 'check', 'dry-run': 'true' }), error: 'ConfigurationError', message: /^input "dry-run": check mode never changes anything; dry-run is for copy and sync$/ },
  'mirror: publish-last bad glob': { action: 'mirror-bucket', inputs: mirror({ mode: 'sync', 'publish-last': '**/repodata/**\n[repomd' }), error: 'ConfigurationError', message: /^input "publish-last": glob "\[repomd": glob "\[repomd" has a '\[' without its '\]'$/ },
  'mirror: delete-delay without a unit': { action: 'mirror-bucket', inputs: mirror({ mode: 'sync', 'delete-delay': '600' }), error: 'ConfigurationError', message: /^input "delete-delay": "600" is not a duration; allowed: 0, or a whole number of seconds, minutes or hours with its unit \(s, m, h\), such as 90s or 10m, up to 21600 s$/ },
  'mirror: publish-last with shards': { action: 'mirror-bucket', inputs: mirror({ mode: 'sync', 'publish-last': '**/repomd.xml', shard: '2/4' }), error: 'ConfigurationError', message: /^input "publish-last": "\*\*\/repomd\.xml" is given with input "shard" \(4 shards\), but ordered publication holds only within one run over the whole tree; allowed: publish-last and delete-delay without shard \(or shard empty or 1\/1\)$/ },
  'mirror: delete-delay in copy mode': { action: 'mirror-bucket', inputs: mirror({ 'delete-delay': '10m' }), error: 'ConfigurationError', message: /^input "delete-delay": "10m" is given in copy mode, which deletes nothing; allowed: 0, or a delay with mode: sync$/ },
  'mirror: memory below part-size': { action: 'mirror-bucket', inputs: mirror({ 'part-size': '64MiB', memory: '32MiB' }), error: 'ConfigurationError', message: /^input "memory": 33554432 bytes cannot hold one part of 67108864 bytes; give at least part-size$/ },
  'mirror: compare unknown': { action: 'mirror-bucket', inputs: mirror({ compare: 'size' }), error: 'ConfigurationError', message: /^input "compare": "size" is not allowed; allowed: checksum, content$/ },
  'mirror: digest-in-key unknown': { action: 'mirror-bucket', inputs: mirror({ 'digest-in-key': 'sha256' }), error: 'ConfigurationError', message: /^input "digest-in-key": "sha256" is not allowed; allowed: none, quay \(/ },
  'mirror: digest-in-key regex without its group': {
    action: 'mirror-bucket',
    inputs: mirror({ 'digest-in-key': 'regex:sha256/(?<digest>[0-9a-f]{64})' }),
    error: 'ConfigurationError',
    message: /^input "digest-in-key": "regex:sha256\/\(\?<digest>\[0-9a-f\]\{64\}\)" has no named group sha256 \(write \(\?<sha256>\[0-9a-f\]\{64\}\) where the digest stands\); allowed: none, quay/,
  },
  'mirror: digest-in-key regex that does not compile': { action: 'mirror-bucket', inputs: mirror({ 'digest-in-key': 'regex:(?<sha256>[0-9a-f]{64}' }), error: 'ConfigurationError', message: /^input "digest-in-key": "regex:\(\?<sha256>\[0-9a-f\]\{64\}" is not a valid regular expression \(.+\); allowed: none, quay/ },
  'mirror: transfers 0': { action: 'mirror-bucket', inputs: mirror({ transfers: '0' }), error: 'ConfigurationError', message: /^input "transfers": "0" is not allowed; allowed: a whole number from 1 to 256$/ },
  // audit-acl
  'audit: bad fail-on': { action: 'audit-acl', inputs: audit({ 'fail-on': 'sometimes' }), error: 'ConfigurationError', message: /^input "fail-on": "sometimes" is not allowed; allowed: error, warning, never$/ },
  'audit: bad expect-lifecycle': { action: 'audit-acl', inputs: audit({ 'expect-lifecycle': 'logs/ ninety' }), error: 'ConfigurationError', message: /^input "expect-lifecycle": line 1 "logs\/ ninety" is not "PREFIX DAYS" \(such as "logs\/ 90", DAYS from 1 to 36500; "\*" for the whole bucket\)$/ },
  'audit: bad sample': { action: 'audit-acl', inputs: audit({ sample: '2' }), error: 'ConfigurationError', message: /^input "sample": "2" is not allowed; allowed: a fraction above 0 up to 1 \(such as 0\.05\) or a percentage \(such as 5%\)$/ },
  'audit: bad rules': { action: 'audit-acl', inputs: audit({ 'visibility-rules': 'rhel* secret' }), error: 'ConfigurationError', message: /^input "visibility-rules": rule 1 "rhel\* secret" is not "GLOB public" or "GLOB private" or "GLOB restricted"$/ },
  'audit: folder store': { action: 'audit-acl', inputs: audit(() => ({ stores: `file://${ws}` })), error: 'ConfigurationError', message: /^input "stores": "file:\/\/.*" is a folder; audit-acl checks S3 stores \(a folder has no ACLs and no anonymous readers\)$/ },
  'audit: bad fix': { action: 'audit-acl', inputs: audit({ fix: 'always' }), error: 'ConfigurationError', message: /^input "fix": "always" is not allowed; allowed: false, dry-run, true$/ },
  'audit: bad expect-versioning': { action: 'audit-acl', inputs: audit({ 'expect-versioning': 'on' }), error: 'ConfigurationError', message: /^input "expect-versioning": "on" is not allowed; allowed: any, enabled, suspended, disabled$/ },
  // reconcile: both parts' inputs are read before either runs, by the names reconcile gives them
  'reconcile: bad audit': { action: 'reconcile', inputs: nightly({ audit: 'yes' }), error: 'ConfigurationError', message: /^input "audit": "yes" is not allowed; allowed: true, false$/ },
  'reconcile: bad fail-on': { action: 'reconcile', inputs: nightly({ 'fail-on': 'sometimes' }), error: 'ConfigurationError', message: /^input "fail-on": "sometimes" is not allowed; allowed: error, warning, never$/ },
  'reconcile: bad mirror input': { action: 'reconcile', inputs: nightly({ 'max-delete': 'many' }), error: 'ConfigurationError', message: /^input "max-delete": "many" is not allowed; allowed: a whole number of objects \(0 or more\), or none for no limit$/ },
  'reconcile: audit-stores with credentials': {
    action: 'reconcile',
    inputs: nightly(() => ({ 'audit-stores': `${OLD()}\nhttps://AKIAIOSFODNN7EXAMPLE:wJalr/XUtnFEMI@127.0.0.1:1/bucket` })),
    error: 'ConfigurationError',
    message: /^input "audit-stores": ".*\*\*\*@127\.0\.0\.1:1\/bucket": the input must not carry credentials/,
  },
  'reconcile: audit-stores folder': { action: 'reconcile', inputs: nightly(() => ({ 'audit-stores': `file://${ws}` })), error: 'ConfigurationError', message: /^input "audit-stores": "file:\/\/.*" is a folder; audit-acl checks S3 stores \(a folder has no ACLs and no anonymous readers\)$/ },
  'reconcile: folder source audited': {
    action: 'reconcile',
    inputs: nightly(() => ({ source: `file://${ws}` })),
    error: 'ConfigurationError',
    message: /^input "source": "file:\/\/.*" is a folder, and the audit checks S3 stores only \(a folder has no ACLs and no anonymous readers\); set audit: false, or list the stores to audit in audit-stores$/,
  },
  'reconcile: source and destination of one name': {
    action: 'reconcile',
    inputs: nightly(() => ({ destination: `${rgw('new').endpoint}/${newBucketName}/in credentials=env:NEW name=old` })),
    error: 'ConfigurationError',
    message: /^inputs "source" and "destination": both are named "old", and the audit reports each store by its name; give each a name= of its own$/,
  },
  // download-image
  'download: store URL with credentials': { action: 'download-image', inputs: download(() => ({ stores: `${OLD()}\nhttps://AKIAIOSFODNN7EXAMPLE:wJalr/XUtnFEMI@127.0.0.1:1/bucket` })), error: 'ConfigurationError', message: /^input "stores": ".*\*\*\*@127\.0\.0\.1:1\/bucket": the input must not carry credentials/ },
  'download: bad order': { action: 'download-image', inputs: download({ order: 'random' }), error: 'ConfigurationError', message: /^input "order": "random" is not allowed; allowed: listed, fastest$/ },
  'download: .part destination': { action: 'download-image', inputs: download({ 'save-to': 'x.qcow2.part' }), error: 'ConfigurationError', message: /^input "save-to": "x\.qcow2\.part" is not allowed; names ending in \.part or \.part\.json are where downloads in progress are kept$/ },
  'download: bad sha256': { action: 'download-image', inputs: download({ sha256: 'abc' }), error: 'ConfigurationError', message: /^input "sha256": "abc" is not allowed; allowed: empty, or a sha256 of 64 hex digits$/ },
  'download: retries 21': { action: 'download-image', inputs: download({ retries: '21' }), error: 'ConfigurationError', message: /^input "retries": "21" is not allowed; allowed: a whole number from 0 to 20$/ },
  'download: key with ..': { action: 'download-image', inputs: download({ 'object-key': '../etc/passwd' }), error: 'ConfigurationError', message: /^input "object-key": key "\.\.\/etc\/passwd" from "input" has an empty, '\.' or '\.\.' segment$/ },
  // prune
  'prune: neither keep rule': { action: 'prune', inputs: pruned({ 'keep-newest': '' }), error: 'ConfigurationError', message: /^inputs "keep-newest" and "keep-list": neither was given; allowed: keep-newest \(a number of objects to keep per group\) or keep-list \(a file naming the keys to keep\), one of the two$/ },
  'prune: both keep rules': { action: 'prune', inputs: pruned({ 'keep-list': 'logs/test.log' }), error: 'ConfigurationError', message: /^inputs "keep-newest" and "keep-list": both were given \("7" and "logs\/test\.log"\); allowed: one of the two$/ },
  'prune: keep-newest 0': { action: 'prune', inputs: pruned({ 'keep-newest': '0' }), error: 'ConfigurationError', message: /^input "keep-newest": "0" is not allowed; allowed: a whole number from 1 to 100000$/ },
  'prune: keep-newest without match': { action: 'prune', inputs: pruned({ match: '' }), error: 'ConfigurationError', message: /^input "match": empty, but keep-newest needs it to group the keys; allowed: a regular expression/ },
  'prune: match not a regex': { action: 'prune', inputs: pruned({ match: 'fedora-(\\d+' }), error: 'ConfigurationError', message: /^input "match": "fedora-\(\\\\d\+" is not a regular expression \(.*\); allowed: a JavaScript regular expression matched against the whole key/ },
  'prune: keep-list missing': { action: 'prune', inputs: pruned({ 'keep-newest': '', 'keep-list': 'no-such-list.txt' }), error: 'ConfigurationError', message: /^input "keep-list": "no-such-list\.txt" cannot be read \(ENOENT\); allowed: the path of a file, relative to the workspace, naming one key or glob a line$/ },
  'prune: dry-run yes': { action: 'prune', inputs: pruned({ 'dry-run': 'yes' }), error: 'ConfigurationError', message: /^input "dry-run": "yes" is not allowed; allowed: true, false$/ },
  'prune: max-delete -1': { action: 'prune', inputs: pruned({ 'max-delete': '-1' }), error: 'ConfigurationError', message: /^input "max-delete": "-1" is not allowed; allowed: a whole number of objects \(0 or more\), or none for no limit$/ },
  'prune: backup-prefix ..': { action: 'prune', inputs: pruned({ 'backup-prefix': 'a/../b' }), error: 'ConfigurationError', message: /^input "backup-prefix": "a\/\.\.\/b" is not allowed; allowed: a key prefix relative to each store, such as pruned\/2026-11-22\/$/ },
};


const MAINS = { 'upload-image': uploadImage, 'upload-logs': uploadLogs, 'mirror-bucket': mirrorBucket, 'audit-acl': auditAcl, 'download-image': downloadImageAction, reconcile, prune: pruneAction } as const;
const tally = { cases: 0, runs: 0 };
afterAll(() => console.log(`[bad-input] ${tally.cases} case(s), ${tally.runs} run(s) (in process and bundle); stores empty after each`));

test.each(Object.entries(CASES))('%s', async (_name, c) => {
  const inputs = c.inputs();
  const env = (c.env ?? runEnv)();
  const run = await runBundle(c.action, inputs, { cwd: ws, env });
  // As a runner runs it: exit 1, one error, the message.
  expect(run.code).toBe(1);
  expect(errors(run)).toHaveLength(1);
  expect(errors(run)[0]).toMatch(c.message);
  // No message shows what stood between a URL's "scheme:" and its "@".
  for (const part of ['AKIAIOSFODNN7EXAMPLE', 'wJalr', 'XUtnFEMI', 'pr0xy', 's3cret']) expect(`${run.stdout}\n${run.stderr}\n${run.summary}`).not.toContain(part);
  if (c.bundleOnly) {
    expect(c.error).toBe('RefusedError');
    expect(errors(run)[0]).toMatch(/^refused: /);
  } else {
    // In process: the class, and the very message the runner showed.
    const ctx: ActionContext = { host: quietHost(inputs, { env, cwd: ws }), summary: new Summary('test'), onInterrupt: () => () => undefined };
    const thrown = await MAINS[c.action](ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).constructor.name).toBe(c.error);
    expect((thrown as Error).message).toBe(errors(run)[0]);
  }
  // Nothing written anywhere.
  expect(await listKeys('old', oldBucket)).toEqual([]);
  expect(await listKeys('new', newBucketName)).toEqual([]);
  expect(await openUploads('old', oldBucket)).toEqual([]);
  expect(await openUploads('new', newBucketName)).toEqual([]);
  tally.cases++;
  tally.runs += c.bundleOnly ? 1 : 2;
});
