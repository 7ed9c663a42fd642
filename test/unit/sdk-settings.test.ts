/**
 * The AWS SDK's own variables, read strictly (src/s3/sdk-settings.ts): a bad value fails as a
 * ConfigurationError naming the variable, the value and what is allowed, before any client is made;
 * good ones reach the SDK client's own config (its attempts and retry strategy, which the lean
 * client drives too); where a variable is unset, the profile's own setting, read as strictly. Where they send requests is in endpoint-differential.test.ts; how many
 * attempts each wire makes in sdk-retries.test.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigurationError } from '../../src/config/configuration-error';
import { createS3Client } from '../../src/s3/client';
import { checkEndpointChoice, readSdkSettings } from '../../src/s3/sdk-settings';
import { useEmptyAwsEnvironment } from '../helpers/aws-env';

const KEYS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

const BAD: [string, string, RegExp][] = [
  ['AWS_MAX_ATTEMPTS', '0', /from 1 to 20/],
  ['AWS_MAX_ATTEMPTS', '3x', /from 1 to 20/],
  ['AWS_MAX_ATTEMPTS', '-1', /from 1 to 20/],
  ['AWS_MAX_ATTEMPTS', '21', /from 1 to 20/],
  ['AWS_MAX_ATTEMPTS', '1e1', /from 1 to 20/],
  ['AWS_MAX_ATTEMPTS', ' 3', /from 1 to 20/],
  ['AWS_MAX_ATTEMPTS', 'three', /from 1 to 20/],
  ['AWS_RETRY_MODE', 'Standard', /standard, adaptive, legacy/],
  ['AWS_RETRY_MODE', 'fast', /standard, adaptive, legacy/],
  ['AWS_RETRY_MODE', 'legacy ', /standard, adaptive, legacy/],
  ['AWS_USE_FIPS_ENDPOINT', 'yes', /allowed: true, false/],
  ['AWS_USE_FIPS_ENDPOINT', 'TRUE', /allowed: true, false/],
  ['AWS_USE_FIPS_ENDPOINT', '1', /allowed: true, false/],
  ['AWS_USE_DUALSTACK_ENDPOINT', 'on', /allowed: true, false/],
  ['AWS_ENDPOINT_URL_S3', 'minio.example.com:9000', /allowed: http\(s\):\/\/HOST\[:PORT\]/],
  ['AWS_ENDPOINT_URL_S3', 'ftp://minio.example.com', /allowed: http\(s\):\/\/HOST\[:PORT\]/],
  ['AWS_ENDPOINT_URL_S3', 'https://minio.example.com/base', /with no path, query or credentials/],
  ['AWS_ENDPOINT_URL_S3', 'https://minio.example.com/?x=1', /with no path, query or credentials/],
  ['AWS_ENDPOINT_URL', 'not a url', /is not a URL; allowed: http\(s\):\/\/HOST\[:PORT\]/],
  ['AWS_ENDPOINT_URL', 'https://minio.example.com:99999', /is not a URL/],
];

describe('bad values', () => {
  test.each(BAD)('%s=%j is a ConfigurationError naming it, the value and what is allowed', (name, value, allowed) => {
    let error: unknown;
    try {
      readSdkSettings({ [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message.startsWith(`${name} ${JSON.stringify(value)} `)).toBe(true);
    expect(message).toMatch(allowed);
  });

  test('an endpoint URL carrying keys is refused without quoting them', () => {
    expect(() => readSdkSettings({ AWS_ENDPOINT_URL_S3: 'https://AKIDLEAK:s3cr3tLEAK@minio.example.com' })).toThrow(ConfigurationError);
    try {
      readSdkSettings({ AWS_ENDPOINT_URL_S3: 'https://AKIDLEAK:s3cr3tLEAK@minio.example.com' });
    } catch (e) {
      expect((e as Error).message).toContain('AWS_ENDPOINT_URL_S3 "https://***@minio.example.com"');
      expect((e as Error).message).not.toMatch(/LEAK/);
    }
  });

  test('FIPS or dual-stack with an endpoint URL cannot choose one endpoint', () => {
    for (const flag of ['AWS_USE_FIPS_ENDPOINT', 'AWS_USE_DUALSTACK_ENDPOINT']) {
      for (const endpoint of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL']) {
        const settings = readSdkSettings({ [flag]: 'true', [endpoint]: 'https://minio.example.com' });
        expect(() => checkEndpointChoice(settings)).toThrow(new RegExp(`^${flag} "true" cannot be used with ${endpoint}: .*; allowed: one of them, or ${flag} "false"$`));
      }
      expect(() => checkEndpointChoice(readSdkSettings({ [flag]: 'false', AWS_ENDPOINT_URL: 'https://minio.example.com' }))).not.toThrow();
    }
  });
});

test('good values, and empty ones counted as unset as the SDK counts them', () => {
  expect(readSdkSettings({})).toEqual({ endpointVariable: undefined, maxAttempts: undefined, retryMode: undefined, useFips: undefined, useDualstack: undefined });
  expect(readSdkSettings({ AWS_MAX_ATTEMPTS: '', AWS_RETRY_MODE: '', AWS_USE_FIPS_ENDPOINT: '', AWS_ENDPOINT_URL_S3: '' })).toEqual(readSdkSettings({}));
  expect(readSdkSettings({ AWS_MAX_ATTEMPTS: '1' }).maxAttempts).toBe(1);
  expect(readSdkSettings({ AWS_MAX_ATTEMPTS: '20' }).maxAttempts).toBe(20);
  expect(readSdkSettings({ AWS_RETRY_MODE: 'standard' }).retryMode).toBe('standard');
  expect(readSdkSettings({ AWS_RETRY_MODE: 'legacy' }).retryMode).toBe('standard');
  expect(readSdkSettings({ AWS_RETRY_MODE: 'adaptive' }).retryMode).toBe('adaptive');
  expect(readSdkSettings({ AWS_USE_FIPS_ENDPOINT: 'true', AWS_USE_DUALSTACK_ENDPOINT: 'false' })).toMatchObject({ useFips: true, useDualstack: false });
  expect(readSdkSettings({ AWS_ENDPOINT_URL: 'http://[::1]:9000', AWS_ENDPOINT_URL_S3: 'https://s3.example.com/' }).endpointVariable).toBe('AWS_ENDPOINT_URL_S3');
  expect(readSdkSettings({ AWS_ENDPOINT_URL: 'http://[::1]:9000' }).endpointVariable).toBe('AWS_ENDPOINT_URL');
});

describe('createS3Client', () => {
  useEmptyAwsEnvironment('sdk-settings');
  const clients: S3Client[] = [];
  afterEach(() => clients.splice(0).forEach((c) => c.destroy()));
  const make = (options: { endpoint?: string; sdkEndpoint?: boolean; maxAttempts?: number } = {}) => {
    const c = createS3Client({ provider: options.endpoint ? 'generic' : 'aws', region: 'us-east-1', credentials: KEYS, maxSockets: 1, ...options });
    clients.push(c);
    return c;
  };
  const mode = async (c: S3Client) => ((await c.config.retryStrategy()) as unknown as { mode: string }).mode;

  test('refuses a bad value for every store, before any request', () => {
    process.env.AWS_MAX_ATTEMPTS = 'lots';
    expect(() => make({ endpoint: 'http://127.0.0.1:9' })).toThrow(/^AWS_MAX_ATTEMPTS "lots" is not allowed; allowed: /);
  });

  test('FIPS with an endpoint URL is refused only where the SDK settings choose the endpoint', () => {
    Object.assign(process.env, { AWS_USE_FIPS_ENDPOINT: 'true', AWS_ENDPOINT_URL_S3: 'https://minio.example.com' });
    expect(() => make({ sdkEndpoint: true })).toThrow(/^AWS_USE_FIPS_ENDPOINT "true" cannot be used with AWS_ENDPOINT_URL_S3/);
    expect(() => make({ endpoint: 'http://127.0.0.1:9' })).not.toThrow();
  });

  test('attempts: the store`s own, else AWS_MAX_ATTEMPTS, else 6; the retry mode from AWS_RETRY_MODE', async () => {
    expect(await make().config.maxAttempts()).toBe(6);
    expect(await mode(make())).toBe('standard');
    Object.assign(process.env, { AWS_MAX_ATTEMPTS: '2', AWS_RETRY_MODE: 'adaptive' });
    const c = make();
    expect(await c.config.maxAttempts()).toBe(2);
    expect(await mode(c)).toBe('adaptive');
    expect(await make({ maxAttempts: 4 }).config.maxAttempts()).toBe(4);
    process.env.AWS_RETRY_MODE = 'legacy';
    expect(await mode(make())).toBe('standard');
  });

  test('FIPS and dual-stack reach the SDK only for a store left to its settings', async () => {
    Object.assign(process.env, { AWS_USE_FIPS_ENDPOINT: 'true', AWS_USE_DUALSTACK_ENDPOINT: 'true' });
    const left = make({ sdkEndpoint: true });
    expect(await left.config.useFipsEndpoint()).toBe(true);
    expect(await left.config.useDualstackEndpoint()).toBe(true);
    const named = make();
    expect(await named.config.useFipsEndpoint()).toBe(false);
    expect(await named.config.useDualstackEndpoint()).toBe(false);
  });
});

describe('the profile`s max_attempts and retry_mode', () => {
  const home = useEmptyAwsEnvironment('sdk-profile');
  const clients: S3Client[] = [];
  afterEach(() => clients.splice(0).forEach((c) => c.destroy()));
  const make = () => {
    const c = createS3Client({ provider: 'generic', endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: KEYS, maxSockets: 1 });
    clients.push(c);
    return c;
  };
  const mode = async (c: S3Client) => ((await c.config.retryStrategy()) as unknown as { mode: string }).mode;
  const config = (text: string) => fs.writeFileSync(path.join(home(), 'config'), text);

  test('are read from the profile AWS_PROFILE names (else default) when the variables are unset', async () => {
    config('[default]\nmax_attempts = 4\n[profile ci]\nmax_attempts = 9\nretry_mode = adaptive\n');
    expect(readSdkSettings()).toMatchObject({ maxAttempts: 4, retryMode: undefined });
    expect(await make().config.maxAttempts()).toBe(4);
    process.env.AWS_PROFILE = 'ci';
    expect(readSdkSettings()).toMatchObject({ maxAttempts: 9, retryMode: 'adaptive' });
    const c = make();
    expect(await c.config.maxAttempts()).toBe(9);
    expect(await mode(c)).toBe('adaptive');
  });

  test('the credentials file counts too, the config file winning per setting', () => {
    fs.writeFileSync(path.join(home(), 'credentials'), '[default]\nmax_attempts = 5\nretry_mode = adaptive\n');
    expect(readSdkSettings()).toMatchObject({ maxAttempts: 5, retryMode: 'adaptive' });
    config('[default]\nretry_mode = legacy\n');
    expect(readSdkSettings()).toMatchObject({ maxAttempts: 5, retryMode: 'standard' });
  });

  test('a variable wins over the profile, per setting (and the profile`s value is then not read)', async () => {
    config('[default]\nmax_attempts = 9\nretry_mode = fast\n');
    process.env.AWS_RETRY_MODE = 'standard';
    expect(readSdkSettings()).toMatchObject({ maxAttempts: 9, retryMode: 'standard' });
    process.env.AWS_MAX_ATTEMPTS = '2';
    expect(readSdkSettings()).toMatchObject({ maxAttempts: 2, retryMode: 'standard' });
    expect(await make().config.maxAttempts()).toBe(2);
  });

  test.each([
    ['max_attempts', '3x', /from 1 to 20/],
    ['max_attempts', '0', /from 1 to 20/],
    ['max_attempts', '21', /from 1 to 20/],
    ['retry_mode', 'Adaptive', /standard, adaptive, legacy/],
  ])('a bad %s %j is a ConfigurationError naming the setting, the profile, the file and the value, before any client', (name, value, allowed) => {
    config(`[profile ci]\n${name} = ${value}\n`);
    process.env.AWS_PROFILE = 'ci';
    const file = path.join(home(), 'config');
    const expected = new RegExp(`^${name} of the profile "ci" in ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: ${JSON.stringify(value)} is not allowed; allowed: .*${allowed.source}`);
    expect(() => readSdkSettings()).toThrow(ConfigurationError);
    expect(() => readSdkSettings()).toThrow(expected);
    expect(() => make()).toThrow(expected);
  });
});
