import { ref, watch, type Ref } from 'vue';

/** Follows `source` but keeps its last non-empty value, so a closing dialog does not blank its title. */
export function useSticky<T>(source: () => T | null | undefined): Ref<T | null> {
  const kept = ref(source() ?? null) as Ref<T | null>;
  watch(source, (v) => {
    if (v != null) kept.value = v;
  });
  return kept;
}
