/** Reconnect delays: 0.5 s, 1 s, 2 s … capped at 30 s, each with up to 30 % random jitter so clients do not return in step. */
export function backoffDelay(attempt: number, random: () => number = Math.random, base = 500, cap = 30000): number {
  const n = Math.max(0, Math.floor(attempt));
  const plain = Math.min(cap, base * 2 ** Math.min(n, 16));
  return Math.round(plain * (1 - 0.3 * random()));
}
