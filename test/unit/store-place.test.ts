/**
 * Which store lines are one place (src/storage/store-place.ts): an `s3://BUCKET` store without
 * `endpoint=` is where the SDK's endpoint settings send it, so it is the same bucket as a store
 * line naming that endpoint; held to the SDK's own endpoint resolution, and seen through prune,
 * which refuses a bucket listed twice.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { readPruneInputs } from '../../src/actions/prune/inputs';
import { createS3Client } from '../../src/s3/client';
import { bucketEndpoint } from '../../src/s3/sdk-config';
import { configuredEndpoint } from '../../src/s3/shared-config';
import { storesOverlap } from '../../src/storage/store-place';
import { parseStoreSpec, type StoreSpecDefaults } from '../../src/storage/store-spec';
import { useEmptyAwsEnvironment } from '../helpers/aws-env';
import { quietHost } from '../helpers/quiet-host';

const defaults: StoreSpecDefaults = { credentials: { type: 'default' }, visibility: 'auto', region: 'us-east-1', cwd: '/srv/ws' };
const spec = (line: string) => parseStoreSpec(line, defaults);
const home = useEmptyAwsEnvironment('store-place');
const config = (text: string) => fs.writeFileSync(path.join(home(), 'config'), text);
const overlap = (a: string, b: string) => storesOverlap(spec(a), spec(b));

describe('s3://BUCKET without endpoint=', () => {
  test('with no endpoint setting: AWS, the same bucket as its AWS URL, not as a local endpoint`s', () => {
    expect(overlap('s3://imgs', 'https://imgs.s3.us-east-1.amazonaws.com/')).toBe(true);
    expect(overlap('s3://imgs', 'https://127.0.0.1:7443/imgs')).toBe(false);
  });

  test('AWS_ENDPOINT_URL_S3: the bucket at that endpoint, whatever form the other line takes', () => {
    process.env.AWS_ENDPOINT_URL_S3 = 'https://127.0.0.1:7443';
    expect(overlap('s3://imgs', 'https://127.0.0.1:7443/imgs')).toBe(true);
    expect(overlap('s3://imgs/a/', 'https://127.0.0.1:7443/imgs/a/b/')).toBe(true);
    expect(overlap('s3://imgs', 's3://imgs endpoint=https://127.0.0.1:7443')).toBe(true);
    expect(overlap('s3://imgs', 's3://imgs')).toBe(true);
    expect(overlap('s3://imgs/a/', 'https://127.0.0.1:7443/imgs/b/')).toBe(false);
    expect(overlap('s3://imgs', 'https://127.0.0.1:7444/imgs')).toBe(false);
    expect(overlap('s3://imgs', 'https://imgs.s3.us-east-1.amazonaws.com/')).toBe(false);
  });

  test('AWS_ENDPOINT_URL when AWS_ENDPOINT_URL_S3 is unset; the S3 one wins; a default port is the same origin', () => {
    process.env.AWS_ENDPOINT_URL = 'https://S3.Example.org:443/';
    expect(overlap('s3://imgs', 's3://imgs endpoint=https://s3.example.org')).toBe(true);
    process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.1:7480';
    expect(overlap('s3://imgs', 's3://imgs endpoint=https://s3.example.org')).toBe(false);
    expect(overlap('s3://imgs', 'http://127.0.0.1:7480/imgs')).toBe(true);
  });

  test('the profile`s endpoint_url, its services section, and ignore_configured_endpoint_urls', () => {
    config('[default]\nendpoint_url = https://127.0.0.1:7443\n');
    expect(overlap('s3://imgs', 'https://127.0.0.1:7443/imgs')).toBe(true);
    config('[default]\nendpoint_url = https://127.0.0.1:7443\nservices = local\n[services local]\ns3 =\n  endpoint_url = https://127.0.0.1:7445\n');
    expect(overlap('s3://imgs', 'https://127.0.0.1:7445/imgs')).toBe(true);
    expect(overlap('s3://imgs', 'https://127.0.0.1:7443/imgs')).toBe(false);
    config('[default]\nendpoint_url = https://127.0.0.1:7443\nignore_configured_endpoint_urls = true\n');
    expect(overlap('s3://imgs', 'https://imgs.s3.us-east-1.amazonaws.com/')).toBe(true);
    process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS = 'false';
    expect(overlap('s3://imgs', 'https://127.0.0.1:7443/imgs')).toBe(true);
  });

  test('a line that names its endpoint is never moved by the settings', () => {
    process.env.AWS_ENDPOINT_URL_S3 = 'https://127.0.0.1:7443';
    expect(overlap('s3://imgs endpoint=https://127.0.0.1:7444', 'https://127.0.0.1:7443/imgs')).toBe(false);
  });
});

describe('the endpoint counted is the one the SDK resolves for the store', () => {
  const clients: S3Client[] = [];
  afterEach(() => clients.splice(0).forEach((c) => c.destroy()));
  const SETTINGS: [string, Record<string, string>, string | undefined][] = [
    ['nothing', {}, undefined],
    ['AWS_ENDPOINT_URL_S3', { AWS_ENDPOINT_URL_S3: 'https://127.0.0.1:7443' }, undefined],
    ['AWS_ENDPOINT_URL', { AWS_ENDPOINT_URL: 'http://127.0.0.1:7480' }, undefined],
    ['both', { AWS_ENDPOINT_URL: 'http://127.0.0.1:7480', AWS_ENDPOINT_URL_S3: 'https://127.0.0.1:7443' }, undefined],
    ['profile endpoint_url', {}, '[default]\nendpoint_url = https://127.0.0.1:7446\n'],
    ['profile services', {}, '[default]\nendpoint_url = https://127.0.0.1:7446\nservices = s\n[services s]\ns3 =\n  endpoint_url = https://127.0.0.1:7447\n'],
    ['variable over profile', { AWS_ENDPOINT_URL: 'http://127.0.0.1:7480' }, '[default]\nendpoint_url = https://127.0.0.1:7446\n'],
    ['ignored by the profile', { AWS_ENDPOINT_URL_S3: 'https://127.0.0.1:7443' }, '[default]\nignore_configured_endpoint_urls = true\n'],
    ['ignored by the variable', { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' }, '[default]\nendpoint_url = https://127.0.0.1:7446\n'],
  ];
  test.each(SETTINGS)('%s', async (_name, env, file) => {
    Object.assign(process.env, env);
    if (file !== undefined) config(file);
    const client = createS3Client({ provider: 'aws', sdkEndpoint: true, region: 'us-east-1', credentials: 'default', maxSockets: 1 });
    clients.push(client);
    const sdk = (await bucketEndpoint(client, 'PutObject', 'imgs', 'k')).url;
    const ours = configuredEndpoint();
    if (ours === undefined) expect(sdk.hostname).toMatch(/\.amazonaws\.com$/);
    else expect(sdk.origin).toBe(new URL(ours).origin);
  });
});

test('prune refuses one bucket listed as s3:// under AWS_ENDPOINT_URL_S3 and by its URL', () => {
  process.env.AWS_ENDPOINT_URL_S3 = 'https://127.0.0.1:7443';
  const read = () => readPruneInputs(quietHost({ stores: 's3://imgs/ci/ name=a\nhttps://127.0.0.1:7443/imgs/ name=b', match: '(?<group>x)-\\d+', 'keep-newest': '2' }));
  expect(read).toThrow(/^input "stores": .* are the same bucket with one prefix inside the other/);
  delete process.env.AWS_ENDPOINT_URL_S3;
  expect(read().stores).toHaveLength(2);
});
