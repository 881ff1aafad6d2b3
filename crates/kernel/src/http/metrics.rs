//! Prometheus metrics: request counts by status class and a latency histogram.
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

const BUCKETS_MS: [u64; 8] = [5, 10, 25, 50, 100, 250, 1000, 5000];

#[derive(Default)]
pub struct Metrics {
    by_class: [AtomicU64; 5],
    buckets: [AtomicU64; 8],
    sum_us: AtomicU64,
    count: AtomicU64,
    ws_open: AtomicU64,
}

impl Metrics {
    pub fn ws_connected(&self) {
        self.ws_open.fetch_add(1, Ordering::Relaxed);
    }
    pub fn ws_disconnected(&self) {
        self.ws_open.fetch_sub(1, Ordering::Relaxed);
    }
}

pub async fn track(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let res = next.run(req).await;
    let m = &app.metrics;
    let class = (res.status().as_u16() / 100).clamp(1, 5) as usize - 1;
    m.by_class[class].fetch_add(1, Ordering::Relaxed);
    let us = start.elapsed().as_micros() as u64;
    m.sum_us.fetch_add(us, Ordering::Relaxed);
    m.count.fetch_add(1, Ordering::Relaxed);
    for (i, b) in BUCKETS_MS.iter().enumerate() {
        if us <= b * 1000 {
            m.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }
    res
}

pub async fn render(State(app): State<AppState>) -> String {
    let m = &app.metrics;
    let mut out = String::from("# TYPE qixie_http_requests_total counter\n");
    for (i, c) in m.by_class.iter().enumerate() {
        out.push_str(&format!(
            "qixie_http_requests_total{{class=\"{}xx\"}} {}\n",
            i + 1,
            c.load(Ordering::Relaxed)
        ));
    }
    out.push_str("# TYPE qixie_http_request_duration_seconds histogram\n");
    for (i, b) in BUCKETS_MS.iter().enumerate() {
        out.push_str(&format!(
            "qixie_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n",
            *b as f64 / 1000.0,
            m.buckets[i].load(Ordering::Relaxed)
        ));
    }
    let count = m.count.load(Ordering::Relaxed);
    out.push_str(&format!(
        "qixie_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}\n"
    ));
    out.push_str(&format!(
        "qixie_http_request_duration_seconds_sum {}\n",
        m.sum_us.load(Ordering::Relaxed) as f64 / 1e6
    ));
    out.push_str(&format!(
        "qixie_http_request_duration_seconds_count {count}\n"
    ));
    out.push_str(&format!(
        "# TYPE qixie_realtime_connections gauge\nqixie_realtime_connections {}\n",
        m.ws_open.load(Ordering::Relaxed)
    ));
    out
}
