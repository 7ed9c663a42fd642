/** S3's limits on multipart uploads. The stores and the engines use them through `../storage/object-store`. */
import { GIB, MIB } from '../config/size';

export const MIN_PART = 5 * MIB;
export const MAX_PART = 5 * GIB;
export const MAX_PARTS = 10_000;
export const MAX_OBJECT = 5 * 1024 * GIB;
