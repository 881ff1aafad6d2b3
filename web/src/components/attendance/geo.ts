/**
 * The phone's position for clocking in: one fix from the browser (never a watch), the distance to
 * the rule's places (given in WGS-84, as the browser reports) and how that reads to a person.
 */
import type { TodayPlace } from '@/api/attendance';

export interface Fix {
  latitude: number;
  longitude: number;
  /** Radius of the fix's uncertainty, metres. */
  accuracy: number;
  /** When the browser took it (ms). */
  at: number;
}

export type LocateError = 'unsupported' | 'denied' | 'unavailable' | 'timeout';

/** Mean earth radius (IUGG), as the server measures. */
const EARTH_M = 6_371_008.8;

/** Great-circle distance between two WGS-84 points, metres. */
export function distanceM(a: { latitude: number; longitude: number }, b: { latitude: number; longitude: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLng = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

export type Reach = 'inside' | 'outside' | 'inaccurate';

export interface Nearest {
  place: TodayPlace;
  distance: number;
  /**
   * As the server measures (clockin.rs `measure`): a fix at least as precise as the radius counts
   * where its circle reaches, a coarser one only where its centre is; a coarser fix whose circle
   * reaches the area but whose centre is outside is "inaccurate" (try again), not "outside".
   */
  reach: Reach;
}

/** The place whose centre is nearest to the fix, measured as the server does; null without places. */
export function nearestPlace(places: TodayPlace[], fix: Pick<Fix, 'latitude' | 'longitude' | 'accuracy'>): Nearest | null {
  let best: { place: TodayPlace; distance: number } | null = null;
  for (const place of places) {
    const distance = distanceM(fix, place);
    if (!best || distance < best.distance) best = { place, distance };
  }
  if (!best) return null;
  const accuracy = Math.max(0, fix.accuracy || 0);
  const radius = best.place.radius_m;
  const reachM = accuracy <= radius ? accuracy : 0;
  const reach: Reach = best.distance <= radius + reachM ? 'inside' : accuracy > radius && best.distance - accuracy <= radius ? 'inaccurate' : 'outside';
  return { ...best, reach };
}

/** 132 m, 1.2 km, 12 km: metres under a kilometre, then one decimal under ten. */
export function distanceParts(m: number): { value: string; unit: 'm' | 'km' } {
  const v = Math.max(0, m);
  if (v < 1000) return { value: String(Math.round(v)), unit: 'm' };
  const km = v / 1000;
  return { value: km < 10 ? (Math.round(km * 10) / 10).toFixed(1) : String(Math.round(km)), unit: 'km' };
}

/**
 * One high-accuracy fix. A fix younger than `maxAgeMs` may be reused by the browser; the promise
 * rejects with a LocateError.
 */
export function locate(timeoutMs = 15_000, maxAgeMs = 0): Promise<Fix> {
  return new Promise((resolve, reject) => {
    const geo = typeof navigator !== 'undefined' ? navigator.geolocation : undefined;
    if (!geo) {
      reject('unsupported' satisfies LocateError);
      return;
    }
    geo.getCurrentPosition(
      (p) => resolve({ latitude: p.coords.latitude, longitude: p.coords.longitude, accuracy: p.coords.accuracy, at: p.timestamp || Date.now() }),
      (e) => reject((e.code === 1 ? 'denied' : e.code === 3 ? 'timeout' : 'unavailable') satisfies LocateError),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: maxAgeMs },
    );
  });
}
