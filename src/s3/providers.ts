/**
 * Provider quirks as data. Everything that differs between S3 implementations and that the code
 * must act on lives in this table, so adding a provider is adding a row.
 */

/** How a store gets the visibility of an object right. */
export type VisibilityMode =
  /** Send a canned ACL with the request that creates the object (Ceph, Linode, DigitalOcean, NooBaa). */
  | 'acl'
  /** Send no ACL; the bucket policy decides (AWS buckets with BucketOwnerEnforced). */
  | 'policy'
  /** Ask the store: ownership controls if it has them, else send ACLs and fall back on AccessControlListNotSupported. */
  | 'detect';

export type ProviderId = 'aws' | 'linode' | 'digitalocean' | 'generic';

export interface ProviderQuirks {
  readonly id: ProviderId;
  readonly label: string;
  /**
   * Path-style addressing (`https://host/bucket/key`). Non-AWS stores get it because bucket names
   * with dots break TLS on virtual hosts, and some gateways (NooBaa, plain Ceph) have no wildcard DNS.
   */
  readonly forcePathStyle: boolean;
  /**
   * `WHEN_REQUIRED` turns off the SDK's default CRC32 trailers (SDK >= 3.729), which Ceph 16,
   * Linode and NooBaa reject with 411 MissingContentLength or 400.
   */
  readonly checksums: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  /** How visibility is set when the store spec does not say. */
  readonly defaultVisibility: Exclude<VisibilityMode, never>;
  /** Published request-rate cap per bucket, requests per second, when there is one (informational). */
  readonly publishedRateCap?: number;
}

export const PROVIDERS: Readonly<Record<ProviderId, ProviderQuirks>> = {
  aws: {
    id: 'aws',
    label: 'AWS S3',
    forcePathStyle: false,
    checksums: 'WHEN_SUPPORTED',
    // Buckets made since April 2023 are BucketOwnerEnforced; older ones may still use ACLs.
    defaultVisibility: 'detect',
    publishedRateCap: 3500,
  },
  linode: {
    id: 'linode',
    label: 'Linode Object Storage',
    forcePathStyle: true,
    checksums: 'WHEN_REQUIRED',
    defaultVisibility: 'acl',
    publishedRateCap: 750,
  },
  digitalocean: {
    id: 'digitalocean',
    label: 'DigitalOcean Spaces',
    forcePathStyle: true,
    checksums: 'WHEN_REQUIRED',
    defaultVisibility: 'acl',
    publishedRateCap: 1500,
  },
  generic: {
    id: 'generic',
    label: 'S3-compatible',
    forcePathStyle: true,
    checksums: 'WHEN_REQUIRED',
    defaultVisibility: 'acl',
  },
};

/** Host-name shapes that identify a provider and carry the bucket and region. */
interface HostPattern {
  readonly provider: ProviderId;
  readonly pattern: RegExp;
  /** Builds the endpoint the SDK talks to, given the region from the host. */
  readonly endpoint: (region: string) => string | undefined;
}

const HOST_PATTERNS: readonly HostPattern[] = [
  // BUCKET.s3.REGION.amazonaws.com, BUCKET.s3-REGION.amazonaws.com
  { provider: 'aws', pattern: /^(?<bucket>.+)\.s3[.-](?<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com$/, endpoint: () => undefined },
  // BUCKET.s3.amazonaws.com (us-east-1)
  { provider: 'aws', pattern: /^(?<bucket>.+)\.s3\.amazonaws\.com$/, endpoint: () => undefined },
  // s3.REGION.amazonaws.com/BUCKET
  { provider: 'aws', pattern: /^s3[.-](?<region>[a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com$/, endpoint: () => undefined },
  { provider: 'aws', pattern: /^s3\.amazonaws\.com$/, endpoint: () => undefined },
  // BUCKET.REGION.linodeobjects.com or REGION.linodeobjects.com/BUCKET
  { provider: 'linode', pattern: /^(?:(?<bucket>.+)\.)?(?<region>[a-z]{2}-[a-z]+-\d+)\.linodeobjects\.com$/, endpoint: (r) => `https://${r}.linodeobjects.com` },
  // BUCKET.REGION.digitaloceanspaces.com or REGION.digitaloceanspaces.com/BUCKET
  { provider: 'digitalocean', pattern: /^(?:(?<bucket>.+)\.)?(?<region>[a-z]{3}\d)\.digitaloceanspaces\.com$/, endpoint: (r) => `https://${r}.digitaloceanspaces.com` },
];

/** What a host name says about the store behind it. */
export interface HostMatch {
  readonly provider: ProviderId;
  readonly bucket?: string;
  readonly region?: string;
  /** The SDK endpoint; `undefined` means the SDK's own AWS endpoint for the region. */
  readonly endpoint?: string;
}

/** Recognises a provider from a host name; `undefined` for any other host (a generic endpoint). */
export function matchHost(host: string): HostMatch | undefined {
  const lower = host.toLowerCase();
  for (const { provider, pattern, endpoint } of HOST_PATTERNS) {
    const m = pattern.exec(lower);
    if (!m) continue;
    const region = m.groups?.region ?? (provider === 'aws' ? 'us-east-1' : undefined);
    return {
      provider,
      bucket: m.groups?.bucket,
      region,
      endpoint: region === undefined ? undefined : endpoint(region),
    };
  }
  return undefined;
}
