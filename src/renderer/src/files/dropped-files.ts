import type { DroppedFile } from '../stores/library'

/** Reads a whole directory entry: readEntries answers in batches until it returns none. */
async function readDirectory(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader()
  const all: FileSystemEntry[] = []
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject))
    if (!batch.length) return all
    all.push(...batch)
  }
}

async function walk(entry: FileSystemEntry, out: DroppedFile[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject))
    out.push({ path: entry.fullPath.replace(/^\//, ''), file })
  } else if (entry.isDirectory) {
    for (const child of await readDirectory(entry as FileSystemDirectoryEntry)) await walk(child, out)
  }
}

/** The files of a drop, folders walked, each with its path inside what was dropped. */
export async function filesFromDrop(data: DataTransfer): Promise<DroppedFile[]> {
  // Entries must be taken synchronously, before the first await: the DataTransfer empties after.
  const entries = Array.from(data.items)
    .map((i) => i.webkitGetAsEntry())
    .filter((e): e is FileSystemEntry => e !== null)
  const out: DroppedFile[] = []
  if (!entries.length) return Array.from(data.files, (file) => ({ path: file.name, file }))
  for (const e of entries) await walk(e, out)
  return out
}

/** The files of a file input: a folder picker gives each file's path inside the folder. */
export function filesFromInput(input: HTMLInputElement): DroppedFile[] {
  return Array.from(input.files ?? [], (file) => ({ path: file.webkitRelativePath || file.name, file }))
}
