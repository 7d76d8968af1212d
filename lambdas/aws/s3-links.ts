/**
 * Presigned links to objects of the store, for people (the report button in Slack and in alerts). Apart from
 * s3-store.ts so that only the handlers that hand out links load the presigner.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { S3Store } from './s3-store.ts';

/**
 * A GetObject URL for `key` signed with this process's credentials, good for `expiresIn` seconds (and no longer
 * than those credentials). It is a bearer credential: hand it to people, never to a log.
 */
export function presignedGet(store: S3Store, key: string, expiresIn: number): Promise<string> {
  return getSignedUrl(store.client, new GetObjectCommand({ Bucket: store.bucket, Key: key }), { expiresIn });
}
