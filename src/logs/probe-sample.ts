/**
 * Which of the objects an upload wrote are checked with an anonymous request afterwards. A bucket
 * policy or a provider rule that exposes (or hides) one kind of file, or one folder, exposes every
 * file of that kind or folder; so the sample holds at least one key of every folder and one of
 * every extension present, besides the keys always checked (the index page). Each key added
 * covers a folder or an extension not covered yet, so the sample never holds more keys than there
 * are distinct folders and extensions, whatever the number of files. Pure.
 */

/** The folder of a key: everything before its last `/` (`''` at the top). */
export function folderOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? '' : key.slice(0, slash);
}

/**
 * The extension of a key: its last segment from the last `.` (`'.log'`, `'.gz'`, `'.bashrc'`),
 * exactly as written (a policy's `*.log` does not match `.LOG`); `''` when the name has no `.`.
 */
export function extensionOf(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot);
}

/**
 * The keys to check: `always` first (each once), then keys of `keys` in their order, chosen so
 * that every folder and every extension of `keys` has a key in the sample. Keys covering a new
 * folder and a new extension at once are taken first, so the sample stays near the smallest.
 */
export function probeSample(keys: readonly string[], always: readonly string[] = []): string[] {
  const sample: string[] = [];
  const chosen = new Set<string>();
  const folders = new Set<string>();
  const extensions = new Set<string>();
  const take = (key: string) => {
    if (chosen.has(key)) return;
    chosen.add(key);
    sample.push(key);
    folders.add(folderOf(key));
    extensions.add(extensionOf(key));
  };
  for (const key of always) take(key);
  for (const key of keys) if (!folders.has(folderOf(key)) && !extensions.has(extensionOf(key))) take(key);
  for (const key of keys) if (!folders.has(folderOf(key)) || !extensions.has(extensionOf(key))) take(key);
  return sample;
}
