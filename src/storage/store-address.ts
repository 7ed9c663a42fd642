/**
 * Where an S3 store is: provider, endpoint, region, bucket and prefix, from a store URL read as
 * written (store-url.ts) and the `endpoint=` and `region=` options. Used by `parseStoreSpec`.
 */
import { ConfigurationError, quote } from '../config/configuration-error';
import { matchHost, type HostMatch, type ProviderId } from '../s3/providers';
import { decodeOrRefuse, parseEndpoint, type StoreUrl } from './store-url';

const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface S3Address {
  readonly provider: ProviderId;
  /** The SDK endpoint; `undefined` for AWS's own. */
  readonly endpoint?: string;
  /**
   * The store line names no endpoint (`s3://BUCKET` without `endpoint=`): the AWS SDK's own settings
   * choose it (`AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, a profile's `endpoint_url`, FIPS, dual-stack).
   * Absent, the endpoint is the one the line names, whatever those settings say.
   */
  readonly sdkEndpoint?: true;
  readonly region: string;
  readonly bucket: string;
  /** '' or a prefix that ends with '/'. */
  readonly prefix: string;
  /** The host the credentials are looked up by in a key folder. */
  readonly credentialHost: string;
}

/** The options of a store line that say where the store is. */
export interface AddressOptions {
  readonly endpoint?: string;
  readonly region?: string;
}

interface Located {
  provider: ProviderId;
  endpoint?: string;
  sdkEndpoint?: true;
  region?: string;
  bucket?: string;
  prefixSegments: string[];
  credentialHost: string;
}

/**
 * Finds the store a URL names; `defaultRegion` applies to `s3://` and generic endpoints without
 * `region=`, and `us-east-1` when there is none. Throws `ConfigurationError` naming the URL.
 */
export function locateS3Store(url: string, storeUrl: StoreUrl, options: AddressOptions, defaultRegion: string | undefined): S3Address {
  const { protocol } = storeUrl.parsed;
  let located: Located;
  if (protocol === 's3:') {
    located = locateS3Scheme(url, storeUrl, options, defaultRegion);
  } else if (protocol === 'https:' || protocol === 'http:') {
    located = locateHttp(url, storeUrl, options, defaultRegion);
  } else {
    throw new ConfigurationError(`${quote(url)}: unsupported scheme ${quote(protocol)}; allowed: https:, http:, s3:, file:`);
  }
  const { bucket, prefixSegments } = located;
  if (bucket === undefined || bucket === '') {
    throw new ConfigurationError(`${quote(url)} names no bucket; write it as the host (s3://BUCKET/...) or the first path segment (http(s)://HOST/BUCKET/...)`);
  }
  if (!BUCKET_RE.test(bucket) || bucket.includes('..')) {
    throw new ConfigurationError(`${quote(url)}: ${quote(bucket)} is not a valid bucket name; allowed: 3 to 63 of a-z, 0-9, '.', '-', starting and ending with a letter or digit`);
  }
  const region = located.region ?? 'us-east-1';
  if (!REGION_RE.test(region)) {
    throw new ConfigurationError(`${quote(url)}: region ${quote(region)} is not valid; allowed: lower-case letters, digits and '-'`);
  }
  return {
    provider: located.provider,
    endpoint: located.endpoint,
    ...(located.sdkEndpoint ? { sdkEndpoint: true as const } : {}),
    region,
    bucket,
    prefix: prefixSegments.length === 0 ? '' : `${prefixSegments.join('/')}/`,
    credentialHost: located.credentialHost,
  };
}

/** `s3://BUCKET/PREFIX`: the endpoint from `endpoint=`, else the one the AWS SDK's settings choose (AWS's own by default). */
function locateS3Scheme(url: string, storeUrl: StoreUrl, options: AddressOptions, defaultRegion: string | undefined): Located {
  // The bucket as written: the parser would drop a ':PORT' from it.
  const bucket = decodeOrRefuse(storeUrl.rawAuthority, url, 'the bucket');
  const prefixSegments = storeUrl.pathSegments;
  if (options.endpoint === undefined) {
    return { provider: 'aws', sdkEndpoint: true, region: options.region ?? defaultRegion, bucket, prefixSegments, credentialHost: 's3.amazonaws.com' };
  }
  const endpoint = parseEndpoint(options.endpoint);
  const host = matchHost(endpoint.hostname);
  return {
    provider: host?.provider ?? 'generic',
    endpoint: host?.provider === 'aws' ? undefined : endpoint.origin,
    region: options.region ?? host?.region ?? defaultRegion,
    bucket,
    prefixSegments,
    credentialHost: endpoint.hostname,
  };
}

/** `http(s)://`: a known provider's host (which may name the bucket), else a generic path-style endpoint. */
function locateHttp(url: string, storeUrl: StoreUrl, options: AddressOptions, defaultRegion: string | undefined): Located {
  if (options.endpoint !== undefined) {
    throw new ConfigurationError(`${quote(url)}: endpoint= is only for s3:// URLs; an http(s) URL is its own endpoint`);
  }
  const { parsed, pathSegments } = storeUrl;
  const credentialHost = parsed.hostname;
  const host = matchHost(parsed.hostname);
  if (!host) {
    const [bucket, ...prefixSegments] = pathSegments;
    return { provider: 'generic', endpoint: parsed.origin, region: options.region ?? defaultRegion, bucket, prefixSegments, credentialHost };
  }
  const region = options.region ?? host.region;
  const endpoint = providerEndpoint(host, parsed);
  if (host.bucket !== undefined) {
    return { provider: host.provider, endpoint, region, bucket: host.bucket, prefixSegments: pathSegments, credentialHost };
  }
  const [bucket, ...prefixSegments] = pathSegments;
  return { provider: host.provider, endpoint, region, bucket, prefixSegments, credentialHost };
}

/**
 * The endpoint of a provider's host URL. A port written in it is kept (with the scheme written):
 * the provider's own endpoint has none, and dropping it would send the requests elsewhere. On AWS
 * that names the regional endpoint at that port, which the SDK then addresses virtual-hosted.
 */
function providerEndpoint(host: HostMatch, url: URL): string | undefined {
  if (url.port === '') return host.endpoint;
  const regional = host.endpoint === undefined ? `s3.${host.region ?? 'us-east-1'}.amazonaws.com` : new URL(host.endpoint).hostname;
  return `${url.protocol}//${regional}:${url.port}`;
}
