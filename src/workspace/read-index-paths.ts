import { readFile } from "node:fs/promises";

/**
 * The paths a git index lists — what `git ls-files` prints — read from the index file itself, so a
 * checkout's file list costs no git process. Handles index versions 2, 3 and 4 with SHA-1 object
 * names; returns undefined for anything else (SHA-256 repositories, an unknown version, a file that
 * does not parse), and the caller asks git instead.
 */
export async function readIndexPaths(indexPath: string): Promise<string[] | undefined> {
  const data = await readFile(indexPath).catch(() => undefined);
  if (!data || data.length < 12 || data.toString("latin1", 0, 4) !== "DIRC") return undefined;
  const version = data.readUInt32BE(4);
  const count = data.readUInt32BE(8);
  if (version < 2 || version > 4) return undefined;
  const HASH = 20;
  const FIXED = 40 + HASH; // times, dev, ino, mode, uid, gid, size, then the object name
  const paths: string[] = [];
  let offset = 12;
  let previous: Buffer = Buffer.alloc(0);
  for (let entry = 0; entry < count; entry++) {
    const start = offset;
    if (offset + FIXED + 2 > data.length) return undefined;
    const flags = data.readUInt16BE(offset + FIXED);
    offset += FIXED + 2;
    if (flags & 0x4000) {
      if (version < 3) return undefined;
      offset += 2; // extended flags
    }
    const nameLength = flags & 0x0fff;
    let name: Buffer;
    if (version === 4) {
      // The name is the previous one minus N trailing bytes, plus a NUL-terminated suffix.
      const varint = readOffsetVarint(data, offset);
      if (!varint || varint.value > previous.length) return undefined;
      offset = varint.next;
      const end = data.indexOf(0, offset);
      if (end < 0) return undefined;
      name = Buffer.concat([
        previous.subarray(0, previous.length - varint.value),
        data.subarray(offset, end),
      ]);
      offset = end + 1;
    } else {
      const end = data.indexOf(0, offset);
      if (end < 0) return undefined;
      name = data.subarray(offset, end);
      // One to eight NULs pad the entry to a multiple of eight bytes.
      offset = start + Math.floor((end - start + 8) / 8) * 8;
    }
    // The length in the flags is a check that the layout (and the hash size) was read right.
    if (nameLength < 0x0fff && nameLength !== name.length) return undefined;
    paths.push(name.toString("utf8"));
    previous = name;
  }
  return offset <= data.length ? paths : undefined;
}

/** Git's "offset" varint (index v4 and pack files): 7 bits a byte, each continuation adding one. */
function readOffsetVarint(data: Buffer, at: number): { value: number; next: number } | undefined {
  let position = at;
  let byte = data[position++];
  if (byte === undefined) return undefined;
  let value = byte & 0x7f;
  while (byte & 0x80) {
    byte = data[position++];
    if (byte === undefined) return undefined;
    value = ((value + 1) << 7) | (byte & 0x7f);
  }
  return { value, next: position };
}
