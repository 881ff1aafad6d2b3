/**
 * Pinyin initials of names (张三 → zs) for @ suggestions and the conversation filter. The dictionary
 * is large, so it is loaded on first use; until then `initialsOf` answers '' and `pinyinVersion`
 * changes once it is ready, so computed lists re-run.
 */
import { ref } from 'vue';

type PinyinFn = (text: string, opts: Record<string, unknown>) => string[] | string;

let fn: PinyinFn | null = null;
let loading: Promise<void> | null = null;
const cache = new Map<string, string>();
export const pinyinVersion = ref(0);

export function loadPinyin(): Promise<void> {
  if (!loading) {
    loading = import('pinyin-pro')
      .then((m) => {
        fn = m.pinyin as unknown as PinyinFn;
        pinyinVersion.value += 1;
      })
      .catch(() => {
        loading = null;
      });
  }
  return loading;
}

export function initialsOf(name: string | null | undefined): string {
  const n = (name ?? '').trim();
  if (!n || !fn) return '';
  const hit = cache.get(n);
  if (hit !== undefined) return hit;
  let out = '';
  try {
    const parts = fn(n, { pattern: 'first', toneType: 'none', type: 'array', surname: 'head' });
    out = (Array.isArray(parts) ? parts.join('') : String(parts)).replace(/[^A-Za-z0-9]/g, '').toLowerCase();
  } catch {
    out = '';
  }
  cache.set(n, out);
  return out;
}
