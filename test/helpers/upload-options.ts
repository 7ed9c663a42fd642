/**
 * Options for the upload-image engine as its action fills them by default: key `{name}`, the
 * default visibility rules, every store required, parts of 5 MiB, three in flight, nothing printed.
 * The probe answers that it could not look (no network is assumed); a test on a real server gives
 * the real one in `over`.
 */
import { DEFAULT_RULES_TEXT, parseVisibilityRules } from '../../src/acl/visibility';
import { MIB } from '../../src/config/size';
import { hashFile, readChunks } from '../../src/upload/file-chunks';
import { parseRequirement } from '../../src/config/requirement';
import { parseKeyTemplate } from '../../src/upload/plan';
import type { UploadImagesOptions, UploadTarget } from '../../src/upload/upload-images';

export function uploadImagesOptions(files: UploadImagesOptions['files'], targets: UploadTarget[], over: Partial<UploadImagesOptions> = {}): UploadImagesOptions {
  return {
    files,
    targets,
    keyTemplate: parseKeyTemplate('{name}'),
    rules: parseVisibilityRules(DEFAULT_RULES_TEXT),
    requirement: parseRequirement('all', targets.length),
    partSize: 5 * MIB,
    concurrency: 3,
    contentType: 'application/octet-stream',
    dryRun: false,
    readChunks,
    hashFile,
    probe: async () => ({ access: 'error', reason: 'no network in unit tests' }),
    events: { info: () => undefined, debug: () => undefined, warning: () => undefined, progress: () => undefined },
    ...over,
  };
}
