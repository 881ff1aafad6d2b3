/**
 * The messaging rules every member follows (`GET /chat/policy`): the group naming rule with an example
 * and the file limits. Read when a dialog that needs them opens, so a change by an administrator is
 * seen the next time; the server still decides.
 */
import { ref } from 'vue';
import { chatApi } from '@/api/chat';
import type { MemberPolicy } from '@/api/chat';

const policy = ref<MemberPolicy | null>(null);
let loading: Promise<MemberPolicy | null> | null = null;

export function useMemberPolicy() {
  function load(): Promise<MemberPolicy | null> {
    if (!loading) {
      loading = chatApi
        .memberPolicy()
        .then((p) => (policy.value = p))
        .catch(() => policy.value)
        .finally(() => {
          loading = null;
        });
    }
    return loading;
  }
  return { policy, load };
}
