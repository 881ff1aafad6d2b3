import { ref } from 'vue';
import { useI18n } from 'vue-i18n';

/** Built-in leave types, whose names the dictionaries carry for when the server's list is not at hand. */
export const BUILTIN_LEAVE = ['annual', 'personal', 'sick', 'compensatory', 'marriage', 'maternity', 'paternity', 'bereavement'] as const;

/**
 * A leave type's name by its key: the enterprise's own name once `learn` has heard it (balances,
 * leave types), else the built-in type's, else the key.
 */
export function useLeaveNames() {
  const { t, te } = useI18n();
  const known = ref(new Map<string, string>());
  function learn(list: { leave_type?: string; key?: string; name: string }[]) {
    const m = new Map(known.value);
    for (const x of list) {
      const k = x.leave_type ?? x.key;
      if (k && x.name) m.set(k, x.name);
    }
    known.value = m;
  }
  function name(key: string): string {
    return known.value.get(key) ?? (te(`attendance.leaveType.${key}`) ? t(`attendance.leaveType.${key}`) : key);
  }
  return { learn, name };
}
