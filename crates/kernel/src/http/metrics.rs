//! Prometheus metrics through the `metrics` facade: requests by method, route template and status
//! class with their latency, open real-time connections, and jobs run and failed by kind. The
//! server's own `/metrics` route renders them; the exporter runs no listener of its own.
//!
//! A recorder is global to the process, while tests start many applications in one process: the
//! first `Metrics` installs it and every later one renders the same shared handle.
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{
    SharedString, Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge,
    histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::AppState;

pub const REQUESTS: &str = "qixie_http_requests_total";
pub const REQUEST_SECONDS: &str = "qixie_http_request_duration_seconds";
pub const REALTIME_CONNECTIONS: &str = "qixie_realtime_connections";
pub const JOBS_RUN: &str = "qixie_jobs_run_total";
pub const JOBS_FAILED: &str = "qixie_jobs_failed_total";

/// The `route` of a request no route matched (the web client, unknown paths): one label for all of
/// them, so arbitrary paths cannot grow the label set.
pub const UNMATCHED: &str = "unmatched";

const BUCKETS_SECONDS: [f64; 8] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];
/// How often histogram samples are folded into their buckets (the exporter's own default).
const UPKEEP: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use.
fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.into()), &BUCKETS_SECONDS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("another metrics recorder is installed; /metrics will stay empty");
        }
        describe();
        // Without the exporter's own runtime task, upkeep is ours; a thread keeps it independent of
        // whichever runtime happened to create the first state.
        let upkeep = handle.clone();
        let started = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP);
                    upkeep.run_upkeep();
                }
            });
        if let Err(e) = started {
            tracing::warn!(error = %e, "metrics upkeep thread did not start; rendering does it");
        }
        handle
    })
}

fn describe() {
    describe_counter!(
        REQUESTS,
        "HTTP requests by method, route template and status class"
    );
    describe_histogram!(
        REQUEST_SECONDS,
        Unit::Seconds,
        "HTTP request latency by method, route template and status class"
    );
    describe_gauge!(
        REALTIME_CONNECTIONS,
        "Open real-time (WebSocket) connections"
    );
    describe_counter!(JOBS_RUN, "Durable jobs run, by kind (every attempt)");
    describe_counter!(JOBS_FAILED, "Durable job attempts that failed, by kind");
}

/// The state's door to the process's recorder; creating one installs it once.
pub struct Metrics {
    handle: &'static PrometheusHandle,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics { handle: handle() }
    }
}

impl Metrics {
    pub fn ws_connected(&self) {
        gauge!(REALTIME_CONNECTIONS).increment(1.0);
    }
    pub fn ws_disconnected(&self) {
        gauge!(REALTIME_CONNECTIONS).decrement(1.0);
    }

    /// Counts one attempt of a job of `kind`, and whether it failed.
    pub fn job_ran(&self, kind: &'static str, failed: bool) {
        counter!(JOBS_RUN, "kind" => kind).increment(1);
        if failed {
            counter!(JOBS_FAILED, "kind" => kind).increment(1);
        }
    }

    /// Everything recorded so far, in Prometheus' text format.
    pub fn render(&self) -> String {
        self.handle.run_upkeep();
        self.handle.render()
    }
}

/// Counts and times every request under its route template (`/api/v1/admin/members/{userid}`),
/// never its raw path.
pub async fn track(req: Request, next: Next) -> Response {
    let method = method_label(req.method());
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED.to_owned(), |p| p.as_str().to_owned());
    let start = Instant::now();
    let res = next.run(req).await;
    let class = match res.status().as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
    };
    let labels = [
        ("method", SharedString::const_str(method)),
        ("route", SharedString::from(route)),
        ("class", SharedString::const_str(class)),
    ];
    counter!(REQUESTS, &labels).increment(1);
    histogram!(REQUEST_SECONDS, &labels).record(start.elapsed().as_secs_f64());
    res
}

/// The standard methods by name, anything else as `OTHER`: a client cannot invent label values.
fn method_label(m: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::PATCH, "PATCH"),
        (Method::DELETE, "DELETE"),
        (Method::HEAD, "HEAD"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| known == m)
        .map_or("OTHER", |(_, name)| name)
}

/// `GET /metrics`.
pub async fn render(State(app): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}
