/** Help texts: the command list, and one command's inputs and outputs from its action.yml. */
import type { ActionSpec } from './action-metadata';

const WIDTH = 100;

/** Wraps text at WIDTH with an indent; blank lines in the text are kept. */
function wrap(text: string, indent: string): string {
  const out: string[] = [];
  for (const paragraph of text.trim().split(/\n/)) {
    let line = indent;
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line.length > indent.length && line.length + 1 + word.length > WIDTH) {
        out.push(line);
        line = indent;
      }
      line += line.length > indent.length ? ` ${word}` : word;
    }
    out.push(line);
  }
  return out.join('\n');
}

export function usage(commands: readonly { name: string; about: string }[]): string {
  return `usage: ci-stores COMMAND [--INPUT VALUE ...] [--verbose] [--summary-file FILE]
       ci-stores COMMAND --help
       ci-stores --version

commands:
${commands.map((c) => `  ${c.name.padEnd(14)} ${c.about}`).join('\n')}

Each --INPUT is an input of the action of the same name; \`ci-stores COMMAND --help\` lists them.
A flag given twice gives several lines, for example --stores URL1 --stores URL2.
Outputs are printed to stdout as name=value lines, the log to stderr.
  --verbose, -v        debug lines in the log
  --summary-file FILE  append the job summary (markdown) to FILE
  --version, -V        print the version
Examples:
  ci-stores upload-image --files fedora-42.qcow2 \\
    --stores "https://images.us-east-1.linodeobjects.com/ credentials=env:LINODE" \\
    --stores "https://cockpit-images.s3.us-east-1.amazonaws.com/"
  ci-stores download-image --object-key fedora-42.qcow2 --save-to images/ --order fastest \\
    --stores "https://images.us-east-1.linodeobjects.com/ credentials=env:LINODE" \\
    --stores "https://cockpit-images.s3.us-east-1.amazonaws.com/"
`;
}

/** `ci-stores COMMAND --help`: the action's description, every input with its default, the outputs. */
export function commandHelp(spec: ActionSpec): string {
  const inputs = spec.inputs.map((i) => {
    const head = `  --${i.name} VALUE${i.required ? '  (required)' : ''}`;
    const text = i.shownDefault?.replace(/\n+$/, '').replace(/\n/g, ' | ');
    // A `${{ }}` default is the runner's to fill; the command line has no such value.
    const said = text === undefined || text === '' ? undefined : text.includes('${{') ? `${text} (in a workflow; empty on the command line)` : text;
    const shown = said === undefined ? '' : `\n${wrap(`default: ${said}`, '      ')}`;
    return `${head}\n${wrap(i.description, '      ')}${shown}`;
  });
  const outputs = spec.outputs.map((o) => `  ${o.name}\n${wrap(o.description, '      ')}`);
  return `usage: ci-stores ${spec.name} [--INPUT VALUE ...] [--verbose] [--summary-file FILE]

${wrap(spec.description, '')}

inputs (a flag given twice gives two lines):
${inputs.join('\n')}

outputs (printed to stdout as name=value lines):
${outputs.join('\n')}
`;
}
