/**
 * The audit's wire calls on recorded AWS-shaped answers (XML as S3 sends it), through the real SDK
 * deserializers: ownership controls (which Ceph RGW 16 lacks), grants, access blocks, lifecycle
 * rules, versioning. A fake request handler answers; nothing leaves the process.
 */
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { HttpResponse } from '@smithy/core/transport';
import { S3Bucket } from '../../src/s3/bucket';
import { S3BucketAudit } from '../../src/s3/bucket-audit';
import { StoreError } from '../../src/errors';

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const OWNER = '75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a';

interface Answer {
  status: number;
  body: string;
}

/** A bucket whose every request is answered by `answer(method, query)`. */
function bucketAnswering(answer: (method: string, query: Record<string, unknown>) => Answer) {
  const client = new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'example' },
    maxAttempts: 1,
    requestHandler: {
      handle: async (request: { method: string; query: Record<string, unknown> }) => {
        const a = answer(request.method, request.query ?? {});
        return {
          response: new HttpResponse({
            statusCode: a.status,
            headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'R1' },
            body: Readable.from([Buffer.from(a.body)]),
          }),
        };
      },
    },
  });
  return new S3BucketAudit(new S3Bucket(client, 'cockpit-images', 's3://cockpit-images at AWS us-east-1'));
}

const ok = (body: string): Answer => ({ status: 200, body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}` });
const error = (status: number, code: string): Answer => ({
  status,
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>recorded</Message><RequestId>R1</RequestId></Error>`,
});

describe('ownership controls', () => {
  test.each([
    ['BucketOwnerEnforced', 'BucketOwnerEnforced'],
    ['BucketOwnerPreferred', 'BucketOwnerPreferred'],
    ['ObjectWriter', 'ObjectWriter'],
  ])('an AWS document with rule %s says %s', async (rule, expected) => {
    const b = bucketAnswering(() => ok(`<OwnershipControls ${NS}><Rule><ObjectOwnership>${rule}</ObjectOwnership></Rule></OwnershipControls>`));
    expect(await b.ownership()).toBe(expected);
  });

  test("Ceph RGW 16's answer, a bucket listing, is unknown: never proof that ACLs are on", async () => {
    const b = bucketAnswering(() =>
      ok(`<ListBucketResult ${NS}><Name>cockpit-images</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>` +
        `<Contents><Key>fedora-42.qcow2</Key><Size>5</Size></Contents></ListBucketResult>`),
    );
    expect(await b.ownership()).toBe('unknown');
  });

  test.each([
    ['no controls set', 404, 'OwnershipControlsNotFoundError'],
    ['not permitted', 403, 'AccessDenied'],
    ['not implemented', 501, 'NotImplemented'],
    ['refused as an argument', 400, 'InvalidArgument'],
  ])('%s (%s %s) is unknown', async (_what, status, code) => {
    expect(await bucketAnswering(() => error(status as number, code as string)).ownership()).toBe('unknown');
  });

  test('a document with an unheard-of rule is unknown', async () => {
    const b = bucketAnswering(() => ok(`<OwnershipControls ${NS}><Rule><ObjectOwnership>SomethingNew</ObjectOwnership></Rule></OwnershipControls>`));
    expect(await b.ownership()).toBe('unknown');
  });
});

describe('grants', () => {
  const acl = (grants: string) =>
    ok(`<AccessControlPolicy ${NS}><Owner><ID>${OWNER}</ID><DisplayName>ci</DisplayName></Owner><AccessControlList>${grants}</AccessControlList></AccessControlPolicy>`);
  const user = (id: string, p: string) => `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>${id}</ID></Grantee><Permission>${p}</Permission></Grant>`;
  const group = (g: string, p: string) => `<Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/${g}</URI></Grantee><Permission>${p}</Permission></Grant>`;

  test('public-read, authenticated-read and another account are told apart from the owner', async () => {
    const b = bucketAnswering(() => acl(user(OWNER, 'FULL_CONTROL') + group('AllUsers', 'READ') + group('AuthenticatedUsers', 'READ') + user('0123abcd', 'READ_ACP')));
    expect(await b.objectAcl('rhel-9.qcow2')).toEqual([
      { grantee: 'owner', permission: 'FULL_CONTROL' },
      { grantee: 'all-users', permission: 'READ' },
      { grantee: 'authenticated-users', permission: 'READ' },
      { grantee: 'other', permission: 'READ_ACP' },
    ]);
  });

  test('AccessDenied names the permission that is missing', async () => {
    const b = bucketAnswering(() => error(403, 'AccessDenied'));
    const e = await b.objectAcl('rhel-9.qcow2').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StoreError);
    expect((e as StoreError).kind).toBe('access-denied');
    expect((e as StoreError).message).toContain('needs s3:GetObjectAcl');
    await expect(b.bucketAcl()).rejects.toThrow(/needs s3:GetBucketAcl/);
  });
});

describe('bucket settings', () => {
  test('a public access block, and none', async () => {
    const b = bucketAnswering(() =>
      ok(`<PublicAccessBlockConfiguration ${NS}><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>`),
    );
    expect(await b.publicAccessBlock()).toEqual({ blockPublicAcls: true, ignorePublicAcls: false, blockPublicPolicy: true, restrictPublicBuckets: false });
    expect(await bucketAnswering(() => error(404, 'NoSuchPublicAccessBlockConfiguration')).publicAccessBlock()).toBeUndefined();
  });

  test('lifecycle rules: prefix filters, the old top-level Prefix, tag filters, and none', async () => {
    const b = bucketAnswering(() =>
      ok(`<LifecycleConfiguration ${NS}>` +
        '<Rule><ID>logs-90</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>90</Days></Expiration></Rule>' +
        '<Rule><ID>old-style</ID><Prefix>tmp/</Prefix><Status>Disabled</Status><Expiration><Days>7</Days></Expiration></Rule>' +
        '<Rule><ID>tagged</ID><Filter><Tag><Key>kind</Key><Value>scratch</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>' +
        '</LifecycleConfiguration>'),
    );
    expect(await b.lifecycle()).toEqual([
      { id: 'logs-90', enabled: true, prefix: 'logs/', expirationDays: 90 },
      { id: 'old-style', enabled: false, prefix: 'tmp/', expirationDays: 7 },
      { id: 'tagged', enabled: true, prefix: undefined, expirationDays: 1 },
    ]);
    expect(await bucketAnswering(() => error(404, 'NoSuchLifecycleConfiguration')).lifecycle()).toEqual([]);
  });

  test.each([
    ['<Status>Enabled</Status>', 'enabled'],
    ['<Status>Suspended</Status>', 'suspended'],
    ['', 'disabled'],
  ])('versioning %s is %s', async (status, expected) => {
    const b = bucketAnswering(() => ok(`<VersioningConfiguration ${NS}>${status}</VersioningConfiguration>`));
    expect(await b.versioning()).toBe(expected);
  });
});
