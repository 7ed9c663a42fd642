/**
 * The one place an S3 client is made. Provider quirks come from {@link PROVIDERS}; connection
 * behaviour (keep-alive pool sized to the work's concurrency, timeouts, retries) is set here so that
 * no caller gets the SDK's defaults by accident (50 sockets, no timeout, CRC32 trailers).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { ResolvedCredentials } from '../storage/credentials';
import { PROVIDERS, type ProviderId } from './providers';

export interface ClientOptions {
  readonly provider: ProviderId;
  /** `undefined` for AWS's own endpoint. */
  readonly endpoint?: string;
  readonly region: string;
  readonly credentials: ResolvedCredentials;
  /** Requests this client may have in flight; the socket pool is sized to it. */
  readonly maxSockets: number;
  /** Attempts per request, the first included. */
  readonly maxAttempts?: number;
  /** A socket that carries no byte for this long fails the request (which is then retried). */
  readonly idleTimeoutMs?: number;
}

/** Creates an S3 client for one store. Call `destroy()` on it when done to close its sockets. */
export function createS3Client(options: ClientOptions): S3Client {
  const quirks = PROVIDERS[options.provider];
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets };
  return new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: quirks.forcePathStyle,
    credentials: options.credentials === 'default' ? undefined : options.credentials,
    requestChecksumCalculation: quirks.checksums,
    responseChecksumValidation: quirks.checksums,
    maxAttempts: options.maxAttempts ?? 6,
    retryMode: 'standard',
    requestHandler: new NodeHttpHandler({
      httpAgent: new http.Agent(agentOptions),
      httpsAgent: new https.Agent(agentOptions),
      connectionTimeout: 10_000,
      socketTimeout: options.idleTimeoutMs ?? 120_000,
    }),
  });
}
