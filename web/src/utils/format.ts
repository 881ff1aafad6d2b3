/** Message keys cannot contain dots: `contacts.manage` → `contacts_manage`. */
export function dotless(v: string): string {
  return String(v).replace(/\./g, '_');
}

/** Formats Unix milliseconds as local `YYYY-MM-DD HH:mm`. */
export function formatTime(ms: number | null | undefined, withSeconds = false): string {
  if (ms == null || !Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const base = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
  return withSeconds ? `${base}:${p(d.getSeconds())}` : base;
}

/** Text for the avatar circle: the last two characters of a Chinese name, else initials. */
export function avatarText(name: string | null | undefined): string {
  const n = (name ?? '').trim();
  if (!n) return '?';
  if (/[\u3400-\u9fff]/.test(n)) return [...n.replace(/\s+/g, '')].slice(-2).join('');
  const words = n.split(/\s+/).filter(Boolean);
  if (words.length >= 2) return (words[0][0] + words[1][0]).toUpperCase();
  return n.slice(0, 2).toUpperCase();
}

const PALETTE = ['#0052d9', '#2ba471', '#e37318', '#8e56dd', '#029cd4', '#d54941', '#0594fa', '#00a870'];

/** A stable colour per person. */
export function avatarColor(seed: string | null | undefined): string {
  let h = 0;
  for (const ch of seed ?? '') h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  return PALETTE[h % PALETTE.length];
}
