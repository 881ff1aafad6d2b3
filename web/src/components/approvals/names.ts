import { reactive } from 'vue';
import { directoryApi } from '@/api';

/** Names of members by userid for read-only values (a member field keeps userids), fetched once each from the directory. */
const names = reactive(new Map<string, string>());
const asked = new Set<string>();

export function rememberName(userid: string, name: string): void {
  if (userid && name) names.set(userid, name);
}

/** The name of a member when known; asks the directory once in the background otherwise (the userid shows meanwhile). */
export function memberName(userid: string): string {
  const known = names.get(userid);
  if (known) return known;
  if (!asked.has(userid)) {
    asked.add(userid);
    directoryApi
      .member(userid)
      .then((r) => names.set(userid, r.member.name))
      .catch(() => undefined);
  }
  return userid;
}
