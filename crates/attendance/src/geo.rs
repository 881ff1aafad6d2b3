//! Coordinates: WGS-84 (what a phone's browser reports), GCJ-02 (AMap, Tencent maps: WGS-84 with
//! the offset mainland China's maps must carry) and BD-09 (Baidu maps: GCJ-02 offset again), and
//! distances on the ground. Places are stored in WGS-84, so a radius in metres is metres.
use std::f64::consts::PI;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The system a coordinate is given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CoordSystem {
    Wgs84,
    Gcj02,
    Bd09,
}

/// The Krasovsky 1940 ellipsoid the GCJ-02 offset is computed on.
const KRASOVSKY_A: f64 = 6_378_245.0;
const KRASOVSKY_EE: f64 = 0.006_693_421_622_965_943;
const X_PI: f64 = PI * 3000.0 / 180.0;
/// The mean earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;
/// How close an inverse must come, in degrees (about 0.1 mm).
const INVERSE_TOLERANCE: f64 = 1e-9;

/// Whether a point lies in the box the offsets apply to (mainland China and around it). Outside it
/// the published transforms leave coordinates as they are.
pub fn in_china(lat: f64, lng: f64) -> bool {
    (72.004..=137.8347).contains(&lng) && (0.8293..=55.8271).contains(&lat)
}

/// A coordinate given in `system`, in WGS-84.
pub fn to_wgs84(system: CoordSystem, lat: f64, lng: f64) -> (f64, f64) {
    match system {
        CoordSystem::Wgs84 => (lat, lng),
        CoordSystem::Gcj02 => gcj02_to_wgs84(lat, lng),
        CoordSystem::Bd09 => {
            let (lat, lng) = bd09_to_gcj02(lat, lng);
            gcj02_to_wgs84(lat, lng)
        }
    }
}

/// A WGS-84 coordinate in `system`.
pub fn from_wgs84(system: CoordSystem, lat: f64, lng: f64) -> (f64, f64) {
    match system {
        CoordSystem::Wgs84 => (lat, lng),
        CoordSystem::Gcj02 => wgs84_to_gcj02(lat, lng),
        CoordSystem::Bd09 => {
            let (lat, lng) = wgs84_to_gcj02(lat, lng);
            gcj02_to_bd09(lat, lng)
        }
    }
}

fn offset_lat(x: f64, y: f64) -> f64 {
    let mut r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    r
}

fn offset_lng(x: f64, y: f64) -> f64 {
    let mut r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    r += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    r += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    r += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    r
}

fn wgs84_to_gcj02(lat: f64, lng: f64) -> (f64, f64) {
    if !in_china(lat, lng) {
        return (lat, lng);
    }
    let d_lat = offset_lat(lng - 105.0, lat - 35.0);
    let d_lng = offset_lng(lng - 105.0, lat - 35.0);
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - KRASOVSKY_EE * rad.sin() * rad.sin();
    let sqrt_magic = magic.sqrt();
    let d_lat =
        (d_lat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI);
    let d_lng = (d_lng * 180.0) / (KRASOVSKY_A / sqrt_magic * rad.cos() * PI);
    (lat + d_lat, lng + d_lng)
}

fn gcj02_to_bd09(lat: f64, lng: f64) -> (f64, f64) {
    if !in_china(lat, lng) {
        return (lat, lng);
    }
    let z = (lng * lng + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let theta = lat.atan2(lng) + 0.000003 * (lng * X_PI).cos();
    (z * theta.sin() + 0.006, z * theta.cos() + 0.0065)
}

/// Inverts `forward` by fixed-point iteration: the offsets change slowly with position, so moving
/// the guess by the error converges in a few steps. The one-step inverse that maps libraries use
/// is off by metres.
fn invert(forward: fn(f64, f64) -> (f64, f64), lat: f64, lng: f64) -> (f64, f64) {
    if !in_china(lat, lng) {
        return (lat, lng);
    }
    let (mut w_lat, mut w_lng) = (lat, lng);
    for _ in 0..30 {
        let (f_lat, f_lng) = forward(w_lat, w_lng);
        let (e_lat, e_lng) = (f_lat - lat, f_lng - lng);
        if e_lat.abs() < INVERSE_TOLERANCE && e_lng.abs() < INVERSE_TOLERANCE {
            break;
        }
        w_lat -= e_lat;
        w_lng -= e_lng;
    }
    (w_lat, w_lng)
}

fn gcj02_to_wgs84(lat: f64, lng: f64) -> (f64, f64) {
    invert(wgs84_to_gcj02, lat, lng)
}

fn bd09_to_gcj02(lat: f64, lng: f64) -> (f64, f64) {
    invert(gcj02_to_bd09, lat, lng)
}

/// Metres between two WGS-84 points `(lat, lng)` (haversine on the mean radius: within 0.5 % of
/// the ellipsoid, far inside a phone's accuracy).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let d_lat = lat2 - lat1;
    let d_lng = (b.1 - a.1).to_radians();
    let h = (d_lat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (d_lng / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Degrees as stored: millionths (about 0.1 m).
pub fn micro(deg: f64) -> i64 {
    (deg * 1e6).round() as i64
}

pub fn from_micro(v: i64) -> f64 {
    v as f64 / 1e6
}

/// A position rounded to 0.01° (about 1 km), what is kept after the retention period.
pub fn rounded_km(lat: f64, lng: f64) -> (f64, f64) {
    ((lat * 100.0).round() / 100.0, (lng * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TIANANMEN: (f64, f64) = (39.90734, 116.39089);
    const PLACES: [(&str, f64, f64); 5] = [
        ("Beijing Tiananmen", 39.90734, 116.39089),
        ("Shanghai People's Square", 31.23037, 121.47370),
        ("Chengdu Tianfu Square", 30.65739, 104.06584),
        ("Shenzhen Civic Center", 22.54310, 114.05787),
        ("Urumqi People's Square", 43.79416, 87.62418),
    ];

    fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
        distance_m(a, b)
    }

    #[test]
    fn round_trips_inside_china_stay_within_a_metre() {
        for (name, lat, lng) in PLACES {
            assert!(in_china(lat, lng), "{name}");
            for system in [CoordSystem::Gcj02, CoordSystem::Bd09] {
                let (s_lat, s_lng) = from_wgs84(system, lat, lng);
                // The offset is real: the point moved.
                assert!(
                    metres((lat, lng), (s_lat, s_lng)) > 50.0,
                    "{name} {system:?}"
                );
                let back = to_wgs84(system, s_lat, s_lng);
                let off = metres((lat, lng), back);
                assert!(off < 1.0, "{name} {system:?}: {off} m");
                // The iteration is exact well below a metre: a millimetre here.
                assert!(off < 0.001, "{name} {system:?}: {off} m");
            }
        }
    }

    #[test]
    fn outside_china_nothing_moves() {
        for (lat, lng) in [(35.6812, 139.7671), (52.5163, 13.3777)] {
            assert!(!in_china(lat, lng));
            for system in [CoordSystem::Wgs84, CoordSystem::Gcj02, CoordSystem::Bd09] {
                assert_eq!(from_wgs84(system, lat, lng), (lat, lng));
                assert_eq!(to_wgs84(system, lat, lng), (lat, lng));
            }
        }
    }

    #[test]
    fn the_offset_at_beijing_is_a_few_hundred_metres() {
        let gcj = from_wgs84(CoordSystem::Gcj02, TIANANMEN.0, TIANANMEN.1);
        let off = metres(TIANANMEN, gcj);
        assert!((100.0..800.0).contains(&off), "{off} m");
    }

    #[test]
    fn published_reference_points() {
        // Tiananmen: WGS-84 39.90734, 116.39089 is GCJ-02 ≈ 39.90874, 116.39713 (figures given to
        // 5 decimals, about a metre; ours is 0.15 m from it).
        let gcj = from_wgs84(CoordSystem::Gcj02, TIANANMEN.0, TIANANMEN.1);
        let off = metres(gcj, (39.90874, 116.39713));
        assert!(off < 5.0, "{gcj:?} is {off} m from the published figure");
        // wandergis/coordtransform's test vectors (lng, lat order there), from 116.404, 39.915:
        // wgs84togcj02 → 116.41024449916938, 39.91640428150164;
        // gcj02tobd09 → 116.41036949371029, 39.92133699351021.
        let gcj = from_wgs84(CoordSystem::Gcj02, 39.915, 116.404);
        assert!((gcj.0 - 39.916_404_281_501_64).abs() < 1e-9, "{gcj:?}");
        assert!((gcj.1 - 116.410_244_499_169_38).abs() < 1e-9, "{gcj:?}");
        let bd = gcj02_to_bd09(39.915, 116.404);
        assert!((bd.0 - 39.921_336_993_510_21).abs() < 1e-9, "{bd:?}");
        assert!((bd.1 - 116.410_369_493_710_29).abs() < 1e-9, "{bd:?}");
        // bd09togcj02 → 116.39762729119315, 39.90865673957631 there is the one-step inverse, off by
        // well under a metre; ours iterates to the exact preimage.
        let gcj = bd09_to_gcj02(39.915, 116.404);
        assert!(metres(gcj, (39.908_656_739_576_31, 116.397_627_291_193_15)) < 1.0);
        assert!(metres(gcj02_to_bd09(gcj.0, gcj.1), (39.915, 116.404)) < 0.001);
        // Tiananmen in BD-09 from WGS-84: Baidu's own map demos centre on (39.915, 116.404) for
        // it, a map centre rather than a surveyed point (ours is 43 m from it).
        let bd = from_wgs84(CoordSystem::Bd09, TIANANMEN.0, TIANANMEN.1);
        assert!(metres(bd, (39.915, 116.404)) < 60.0, "{bd:?}");
        let back = to_wgs84(CoordSystem::Bd09, bd.0, bd.1);
        assert!(metres(back, TIANANMEN) < 0.001);
    }

    #[test]
    fn distances_on_the_ground() {
        // Tiananmen to People's Square, Shanghai: about 1,067 km.
        let km = distance_m(TIANANMEN, (31.23037, 121.47370)) / 1000.0;
        assert!((1062.0..1072.0).contains(&km), "{km} km");
        // 500 m east at Shanghai's latitude: 500 / (R cos φ) radians of longitude.
        let (lat, lng): (f64, f64) = (31.23037, 121.47370);
        let d_lng = (500.0 / (EARTH_RADIUS_M * lat.to_radians().cos())).to_degrees();
        let m = distance_m((lat, lng), (lat, lng + d_lng));
        assert!((m - 500.0).abs() < 1.0, "{m} m");
        assert_eq!(distance_m((lat, lng), (lat, lng)), 0.0);
    }

    #[test]
    fn stored_forms() {
        assert_eq!(micro(39.907_341_4), 39_907_341);
        assert_eq!(micro(-0.000_000_6), -1);
        assert_eq!(from_micro(116_390_890), 116.39089);
        assert_eq!(rounded_km(39.90734, 116.39589), (39.91, 116.40));
        let s: CoordSystem = serde_json::from_str("\"gcj02\"").unwrap();
        assert_eq!(s, CoordSystem::Gcj02);
        assert_eq!(
            serde_json::to_string(&CoordSystem::Bd09).unwrap(),
            "\"bd09\""
        );
    }
}
