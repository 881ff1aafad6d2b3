/** Helpers of the enterprise messaging policy form. */

export const MB = 1024 * 1024;

/** `.PDF`, ` exe ` → `pdf`, `exe`; drops empties, duplicates and anything that is not an extension. */
export function normalizeExtensions(list: (string | number)[]): string[] {
  const out: string[] = [];
  for (const raw of list) {
    for (const part of String(raw).split(/[\s,，;；]+/)) {
      const ext = part.trim().replace(/^\*?\.+/, '').toLowerCase();
      if (/^[a-z0-9]{1,16}$/.test(ext) && !out.includes(ext)) out.push(ext);
    }
  }
  return out;
}

export function bytesToMb(bytes: number | null | undefined): number {
  if (!bytes || bytes <= 0) return 0;
  return Math.round((bytes / MB) * 100) / 100;
}

export function mbToBytes(mb: number): number {
  return Math.round(mb * MB);
}

/** Form item name of a server field path: `naming.pattern` → `naming_pattern`. */
export function formFieldOf(path: string): string {
  return path.replace(/[.[\]]+/g, '_').replace(/_+$/, '');
}

/** Group types: trimmed, non-empty, unique. */
export function normalizeGroupTypes(list: (string | number)[]): string[] {
  const out: string[] = [];
  for (const raw of list) {
    const v = String(raw).trim();
    if (v && !out.includes(v)) out.push(v);
  }
  return out;
}

/** A group type cannot contain `-`: it separates the parts of a group name. */
export function badGroupTypes(list: (string | number)[]): string[] {
  return list.map((x) => String(x).trim()).filter((x) => x.includes('-'));
}
