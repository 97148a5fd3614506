// Durable, atomic file replacement on one filesystem (docs/node-traps.md §4): write a temp file in the
// same directory, fsync it, rename it over the target, fsync the directory. A crash at any instant leaves
// either the old or the new content under the target name, never a partial file. Backup generations are
// rotated with hard links and renames, so the primary file is never missing at any instant either.
import { link, open, readdir, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** Suffix of every temp file this module creates; removeStaleTmp() deletes leftovers at startup. */
export const TMP_SUFFIX = '.tmp';

function tmpName(file: string): string {
  return `${file}.${process.pid}.${randomBytes(4).toString('hex')}${TMP_SUFFIX}`;
}

const isCode = (e: unknown, code: string): boolean => (e as NodeJS.ErrnoException)?.code === code;

/** fsync a directory so renames and creations inside it survive a power loss. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Write `data` to a fresh temp file next to `file` and fsync it. Returns the temp path (removed on error). */
async function writeTmp(file: string, data: string | Uint8Array): Promise<string> {
  const tmp = tmpName(file);
  const fh = await open(tmp, 'wx', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  return tmp;
}

/** Atomically and durably replace `file` with `data`. */
export async function writeDurable(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = await writeTmp(file, data);
  try {
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fsyncDir(path.dirname(file));
}

/** Name of backup generation `n` (1 = newest): state.json.bak, state.json.bak.2, … (docs/reliability.md §4). */
export function backupName(file: string, n: number): string {
  return n === 1 ? `${file}.bak` : `${file}.bak.${n}`;
}

/**
 * Replace `file` with `data`, keeping the previous `backups` versions as generations .bak … .bak.N.
 * Order (docs/reliability.md §4): temp file → fsync → rotate → rename → fsync dir. The current file is hard-linked
 * before anything moves, so a failure before the rotation leaves every generation where it was.
 */
export async function rotateAndWrite(file: string, data: string | Uint8Array, backups: number): Promise<void> {
  const tmp = await writeTmp(file, data);
  let linkTmp: string | null = null;
  try {
    if (backups > 0) {
      linkTmp = tmpName(file);
      try {
        await link(file, linkTmp); // a second name for the current primary; the primary stays in place
      } catch (e) {
        if (!isCode(e, 'ENOENT')) throw e; // no primary yet: nothing to keep
        linkTmp = null;
      }
      if (linkTmp !== null) {
        // Shift the older generations down; the oldest (.bak.N) is overwritten by .bak.(N-1).
        for (let n = backups - 1; n >= 1; n--) {
          await rename(backupName(file, n), backupName(file, n + 1)).catch((e: unknown) => {
            if (!isCode(e, 'ENOENT')) throw e;
          });
        }
        await rename(linkTmp, backupName(file, 1));
        linkTmp = null;
      }
    }
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    if (linkTmp !== null) await unlink(linkTmp).catch(() => {});
    throw e;
  }
  await fsyncDir(path.dirname(file)); // also makes the rotation renames durable
}

/**
 * Move a bad file aside as `<name>.corrupt.<epochms>` and return the new path. Never deletes anything:
 * link() refuses to overwrite, so two quarantines in the same millisecond get distinct names.
 */
export async function quarantine(file: string, nowMs: number = Date.now()): Promise<string> {
  for (let ms = nowMs; ; ms++) {
    const target = `${file}.corrupt.${ms}`;
    try {
      await link(file, target);
    } catch (e) {
      if (isCode(e, 'EEXIST')) continue;
      throw e;
    }
    await unlink(file);
    await fsyncDir(path.dirname(file));
    return target;
  }
}

/** Delete temp files left by a crash mid-write (only ours: names ending in .tmp). Returns their names. */
export async function removeStaleTmp(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    if (!ent.isFile() || !ent.name.endsWith(TMP_SUFFIX)) continue;
    await unlink(path.join(dir, ent.name)).catch((e: unknown) => {
      if (!isCode(e, 'ENOENT')) throw e;
    });
    removed.push(ent.name);
  }
  if (removed.length > 0) await fsyncDir(dir);
  return removed;
}
