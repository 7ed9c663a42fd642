import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readDownloadImageInputs } from '../../src/actions/download-image/inputs';
import { quietHost } from '../helpers/quiet-host';

const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-'));
fs.mkdirSync(path.join(cwd, 'images'));
const host = (inputs: Record<string, string>) => quietHost(inputs, { cwd });


const base = { 'object-key': 'fedora/fedora-42.qcow2', stores: 'http://127.0.0.1:7480/images' };
const read = (over: Record<string, string>) => readDownloadImageInputs(host({ ...base, ...over }));

test('defaults: the key\'s last segment in the workspace, listed order, sha256 required', () => {
  expect(read({})).toMatchObject({ key: 'fedora/fedora-42.qcow2', dest: path.join(cwd, 'fedora-42.qcow2'), order: 'listed', sha256: undefined, requireSha256: true, retries: 5 });
});

test('save-to: an existing folder or a trailing slash receives the name; anything else is the file', () => {
  expect(read({ 'save-to': 'images' }).dest).toBe(path.join(cwd, 'images', 'fedora-42.qcow2'));
  expect(read({ 'save-to': 'new/' }).dest).toBe(path.join(cwd, 'new', 'fedora-42.qcow2'));
  expect(read({ 'save-to': 'vm.qcow2' }).dest).toBe(path.join(cwd, 'vm.qcow2'));
  expect(() => read({ 'save-to': 'vm.qcow2.part' })).toThrow('input "save-to": "vm.qcow2.part" is not allowed; names ending in .part or .part.json are where downloads in progress are kept');
});

test('bad values name the input, the value and what is allowed', () => {
  expect(() => read({ 'object-key': '' })).toThrow('input "object-key": is required and was not given');
  expect(() => read({ 'object-key': 'a/../b' })).toThrow(/input "object-key": key "a\/..\/b" .* has an empty, '.' or '..' segment/);
  expect(() => read({ 'object-key': 'a\nb' })).toThrow(/input "object-key": "a\\nb" holds several lines/);
  expect(() => read({ 'object-key': `x-${'a'.repeat(64)}-${'b'.repeat(64)}` })).toThrow(/input "object-key": name .* holds 2 different sha256 values/);
  expect(() => read({ order: 'random' })).toThrow('input "order": "random" is not allowed; allowed: listed, fastest');
  expect(() => read({ sha256: 'abc' })).toThrow('input "sha256": "abc" is not allowed; allowed: empty, or a sha256 of 64 hex digits');
  expect(() => read({ retries: '99' })).toThrow('input "retries": "99" is not allowed; allowed: a whole number from 0 to 20');
});

test('a sha256 is taken in either case and kept in lower case', () => {
  expect(read({ sha256: 'AB'.repeat(32) }).sha256).toBe('ab'.repeat(32));
});
