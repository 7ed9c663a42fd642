'use strict';
/**
 * The cost of reading one ListObjectsV2 page: a generated answer of 1,000 keys (log-like names,
 * url-encoded as the listing asks for them, with the fields RGW sends) read by parseListPage, as
 * the mirror and the audit read every page of both stores.
 *
 * Usage: node bench/tools/list-parse.js LIB_DIR [BASELINE_LIB_DIR], each holding src/ compiled by
 * tsc (`npx tsc -p tsconfig.build.json --outDir DIR`); a baseline is read from wherever its
 * revision kept the reader (s3/list-page.js, or s3/fast-put.js before). The AWS SDK's own reader
 * (ListObjectsV2Command answered by a canned body, keys then URL-decoded) runs beside them: what a
 * page costs without a reader of our own. Prints one line per reader: microseconds per page
 * (median of 15 rounds) and keys per second.
 */
const fs = require('node:fs');
const path = require('node:path');

function reader(dir) {
  const lib = path.resolve(dir);
  for (const file of ['s3/list-page.js', 's3/fast-put.js']) {
    const p = path.join(lib, file);
    if (fs.existsSync(p) && typeof require(p).parseListPage === 'function') return { label: `${dir} (${file})`, parse: require(p).parseListPage };
  }
  throw new Error(`${dir}: no parseListPage in s3/list-page.js or s3/fast-put.js`);
}

const entries = [];
for (let i = 0; i < 1000; i++) {
  entries.push(
    `<Contents><Key>logs%2Fpull-4242-${String(i % 37).padStart(3, '0')}%2Fartifacts%2Ffile-${String(i).padStart(5, '0')}.log</Key>` +
      `<LastModified>2026-11-30T23:17:14.328Z</LastModified><ETag>&quot;9dd4e461268c8034f5c8564e155c67a6&quot;</ETag>` +
      `<Size>4096</Size><StorageClass>STANDARD</StorageClass><Type>Normal</Type></Contents>`,
  );
}
const xml =
  '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><EncodingType>url</EncodingType>' +
  `<Name>b</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>${entries.join('')}` +
  '<NextContinuationToken>abc</NextContinuationToken><KeyCount>1000</KeyCount></ListBucketResult>';
const body = Buffer.from(xml);

const readers = process.argv.slice(2).map(reader);
if (readers.length === 0) {
  console.error('usage: node bench/tools/list-parse.js LIB_DIR [BASELINE_LIB_DIR]');
  process.exit(2);
}

/** The SDK's reader: one ListObjectsV2Command answered with the page (middleware, deserializer, decoding). */
function sdkReader() {
  const { Readable } = require('node:stream');
  const { S3Client, ListObjectsV2Command } = require('@aws-sdk/client-s3');
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://s3.test',
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
    requestHandler: { handle: async () => ({ response: { statusCode: 200, headers: {}, body: Readable.from([body]) } }) },
  });
  return {
    label: 'the AWS SDK reader (ListObjectsV2Command)',
    async: true,
    parse: async () => {
      const r = await client.send(new ListObjectsV2Command({ Bucket: 'b', EncodingType: 'url' }));
      return r.Contents.map((c) => decodeURIComponent(c.Key.replace(/\+/g, ' ')));
    },
  };
}

async function main() {
  const results = [...readers, sdkReader()].map((r) => ({ ...r, rounds: [] }));
  const inputOf = (r) => (r.label.includes('fast-put') ? xml : body);
  for (const r of results) for (let i = 0; i < 20; i++) await r.parse(inputOf(r));
  for (let round = 0; round < 15; round++) {
    // Interleaved, so that every reader sees the same machine.
    for (const r of results) {
      const input = inputOf(r);
      const n = r.async ? 40 : 200;
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await r.parse(input);
      r.rounds.push(Number(process.hrtime.bigint() - t) / n / 1000);
    }
  }
  return results;
}

main().then((results) => {
  for (const r of results) {
    const us = [...r.rounds].sort((a, b) => a - b)[7];
    console.log(`${r.label}: ${us.toFixed(0)} us per 1,000-key page, ${Math.round(1e9 / us).toLocaleString('en-US')} keys/s`);
  }
});
