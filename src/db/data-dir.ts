// DATA_DIR holds the embedded database, the development token secret and PATs: only this user may
// read it. The folder is created 0700 (or tightened to it), and whatever is below it is tightened
// to 0600 files / 0700 folders, so a copy made under a loose umask, or by an older version, is
// closed too. `node:fs` only: Bun and Deno both have it.
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';

const PRIVATE_DIR = 0o700;
const GROUP_OTHER = 0o077;

/** Strips group/other bits; folders keep (or get) owner rwx so they stay usable. */
function tighten(path: string, isDir: boolean, mode: number): void {
  const wanted = isDir ? PRIVATE_DIR : mode & 0o777 & ~GROUP_OTHER;
  if ((mode & 0o777) !== wanted) chmodSync(path, wanted);
}

/** Depth-first over real files and folders; symlinks are never followed (chmod would follow them). */
function tightenTree(dir: string): void {
  for (const name of readdirSync(dir)) {
    const path = `${dir}/${name}`;
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) continue;
    tighten(path, stat.isDirectory(), stat.mode);
    if (stat.isDirectory()) tightenTree(path);
  }
}

/** Creates DATA_DIR 0700 if missing, and makes it and everything below it private to this user. */
export function makeDataDirPrivate(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR });
  tighten(dir, true, lstatSync(dir).mode);
  tightenTree(dir);
}
