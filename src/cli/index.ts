#!/usr/bin/env node
/**
 * `ci-stores COMMAND [--INPUT VALUE ...]`: the actions outside GitHub Actions. Flags are the
 * action's inputs by the same names; a flag given twice adds a line (for `files`, `stores`).
 * Outputs go to stdout as `name=value` lines, logs and the summary to stderr.
 */
import { quote } from '../config/configuration-error';
import { cliHost } from '../runtime/cli-host';
import { runAction, type ActionContext } from '../runtime/run-action';
import { downloadImageAction } from '../actions/download-image/main';
import { uploadImage } from '../actions/upload-image/main';
import { uploadLogs } from '../actions/upload-logs/main';
import { mirrorBucket } from '../steps/mirror-bucket/main';
import { auditAcl } from '../steps/audit-acl/main';
import { reconcile } from '../actions/reconcile/main';

const COMMANDS: Record<string, { run: (ctx: ActionContext) => Promise<void>; about: string }> = {
  'upload-image': { run: uploadImage, about: 'upload files to every store at once, per-file visibility, verified' },
  'upload-logs': { run: uploadLogs, about: 'publish a directory of logs under a templated prefix, browsable, linked back' },
  'mirror-bucket': { run: mirrorBucket, about: 'make one store hold what another holds: copy, sync or check' },
  'audit-acl': { run: auditAcl, about: 'check bucket settings and every object\'s effective visibility; optionally fix' },
  reconcile: { run: reconcile, about: 'the nightly reconciliation: mirror-bucket, then audit-acl on both stores' },
  'download-image': { run: downloadImageAction, about: 'fetch an image from the first store that has it, resumed, sha256-verified' },
};

const USAGE = `usage: ci-stores COMMAND [--INPUT VALUE ...] [--verbose] [--summary-file FILE]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(14)} ${c.about}`)
  .join('\n')}

Each --INPUT is the action input of the same name (see actions/COMMAND/action.yml);
repeat a flag to give several lines, for example --stores URL1 --stores URL2.
Examples:
  ci-stores upload-image --files fedora-42.qcow2 \\
    --stores "https://images.us-east-1.linodeobjects.com/ credentials=env:LINODE" \\
    --stores "https://cockpit-images.s3.us-east-1.amazonaws.com/"
  ci-stores download-image --object-key fedora-42.qcow2 --save-to images/ --order fastest \\
    --stores "https://images.us-east-1.linodeobjects.com/ credentials=env:LINODE" \\
    --stores "https://cockpit-images.s3.us-east-1.amazonaws.com/"
`;

/** Parses argv into a command and its inputs; exported for tests. */
export function parseArgs(argv: readonly string[]): { command?: string; inputs: Map<string, string>; verbose: boolean; summaryFile?: string; help: boolean } {
  const inputs = new Map<string, string>();
  let command: string | undefined;
  let verbose = false;
  let summaryFile: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--verbose' || arg === '-v') verbose = true;
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      let value: string;
      if (eq >= 0) value = arg.slice(eq + 1);
      else {
        const next = argv[i + 1];
        if (next === undefined) throw new Error(`flag --${name} needs a value`);
        value = next;
        i++;
      }
      if (name === 'summary-file') summaryFile = value;
      else inputs.set(name, inputs.has(name) ? `${inputs.get(name)}\n${value}` : value);
    } else if (command === undefined) command = arg;
    else throw new Error(`unexpected argument ${quote(arg)}; inputs are given as --NAME VALUE`);
  }
  return { command, inputs, verbose, summaryFile, help };
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  if (args.help || args.command === undefined) {
    process.stdout.write(USAGE);
    if (args.command === undefined && !args.help) process.exitCode = 2;
    return;
  }
  const command = COMMANDS[args.command];
  if (!command) {
    process.stderr.write(`unknown command ${JSON.stringify(args.command)}\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const host = cliHost({ inputs: args.inputs, verbose: args.verbose, summaryFile: args.summaryFile });
  await runAction(args.command, command.run, host);
}

if (require.main === module) void main();
