//! Coordinates: WGS-84, GCJ-02, BD-09 and distances.
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CoordSystem {
    Wgs84,
    Gcj02,
    Bd09,
}

const A: f64 = 6378245.0;
const EE: f64 = 0.006_693_421_622_965_943;

pub fn in_china(lat: f64, lng: f64) -> bool {
    (72.004..=137.8347).contains(&lng) && (0.8293..=55.8271).contains(&lat)
}

fn gcj_offset(lat: f64, lng: f64) -> (f64, f64) {
    use std::f64::consts::PI;
    let (x, y) = (lng - 105.0, lat - 35.0);
    let mut dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * x.abs().sqrt();
    dlat += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlat += (20.0 * (y * PI).sin() + 40.0 * (y / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlat += (160.0 * (y / 12.0 * PI).sin() + 320.0 * (y * PI / 30.0).sin()) * 2.0 / 3.0;
    let mut dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * x.abs().sqrt();
    dlng += (20.0 * (6.0 * x * PI).sin() + 20.0 * (2.0 * x * PI).sin()) * 2.0 / 3.0;
    dlng += (20.0 * (x * PI).sin() + 40.0 * (x / 3.0 * PI).sin()) * 2.0 / 3.0;
    dlng += (150.0 * (x / 12.0 * PI).sin() + 300.0 * (x / 30.0 * PI).sin()) * 2.0 / 3.0;
    let rad = lat / 180.0 * PI;
    let magic = 1.0 - EE * rad.sin() * rad.sin();
    let sq = magic.sqrt();
    (
        dlat * 180.0 / ((A * (1.0 - EE)) / (magic * sq) * PI),
        dlng * 180.0 / (A / sq * rad.cos() * PI),
    )
}

fn wgs_to_gcj(lat: f64, lng: f64) -> (f64, f64) {
    if !in_china(lat, lng) {
        return (lat, lng);
    }
    let (dlat, dlng) = gcj_offset(lat, lng);
    (lat + dlat, lng + dlng)
}

fn gcj_to_wgs(lat: f64, lng: f64) -> (f64, f64) {
    if !in_china(lat, lng) {
        return (lat, lng);
    }
    let (mut wlat, mut wlng) = (lat, lng);
    for _ in 0..30 {
        let (glat, glng) = wgs_to_gcj(wlat, wlng);
        let (elat, elng) = (glat - lat, glng - lng);
        wlat -= elat;
        wlng -= elng;
        if elat.abs() < 1e-9 && elng.abs() < 1e-9 {
            break;
        }
    }
    (wlat, wlng)
}

const X_PI: f64 = std::f64::consts::PI * 3000.0 / 180.0;

fn gcj_to_bd(lat: f64, lng: f64) -> (f64, f64) {
    let z = (lng * lng + lat * lat).sqrt() + 0.00002 * (lat * X_PI).sin();
    let t = lat.atan2(lng) + 0.000003 * (lng * X_PI).cos();
    (z * t.sin() + 0.006, z * t.cos() + 0.0065)
}

fn bd_to_gcj(lat: f64, lng: f64) -> (f64, f64) {
    let (x, y) = (lng - 0.0065, lat - 0.006);
    let z = (x * x + y * y).sqrt() - 0.00002 * (y * X_PI).sin();
    let t = y.atan2(x) - 0.000003 * (x * X_PI).cos();
    (z * t.sin(), z * t.cos())
}

pub fn to_wgs84(system: CoordSystem, lat: f64, lng: f64) -> (f64, f64) {
    match system {
        CoordSystem::Wgs84 => (lat, lng),
        CoordSystem::Gcj02 => gcj_to_wgs(lat, lng),
        CoordSystem::Bd09 => {
            let (glat, glng) = bd_to_gcj(lat, lng);
            gcj_to_wgs(glat, glng)
        }
    }
}

pub fn from_wgs84(system: CoordSystem, lat: f64, lng: f64) -> (f64, f64) {
    match system {
        CoordSystem::Wgs84 => (lat, lng),
        CoordSystem::Gcj02 => wgs_to_gcj(lat, lng),
        CoordSystem::Bd09 => {
            let (glat, glng) = wgs_to_gcj(lat, lng);
            gcj_to_bd(glat, glng)
        }
    }
}

pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = la2 - la1;
    let dlng = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlng / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

pub fn micro(deg: f64) -> i64 {
    (deg * 1_000_000.0).round() as i64
}

pub fn from_micro(v: i64) -> f64 {
    v as f64 / 1_000_000.0
}
