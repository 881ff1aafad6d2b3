import { readonly, ref } from 'vue';

/** Phone layout below this width (px). */
export const PHONE_MAX = 767;

const isMobile = ref(false);
let started = false;

function start() {
  if (started || typeof window === 'undefined') return;
  started = true;
  const mq = window.matchMedia(`(max-width: ${PHONE_MAX}px)`);
  isMobile.value = mq.matches;
  mq.addEventListener('change', (e) => (isMobile.value = e.matches));
}

export function useIsMobile() {
  start();
  return readonly(isMobile);
}
