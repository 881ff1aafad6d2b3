//! /metrics: requests by method, route template and status class, and jobs by kind. The recorder is
//! shared by every application of the test process, so the checks compare a page before and after
//! and ask for at least what this test did.
use std::collections::BTreeMap;
use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::both;
use crate::helpers::*;

/// The samples of a page in Prometheus' text format.
struct Page {
    text: String,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Page {
    async fn scrape(c: &Client) -> Page {
        let res = c.request(Method::GET, "/metrics").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
        let text = res.text().await.unwrap();
        let samples = text
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(|l| {
                let (series, value) = l.rsplit_once(' ').unwrap();
                let (name, labels) = match series.split_once('{') {
                    Some((name, rest)) => (name, labels(rest.strip_suffix('}').unwrap())),
                    None => (series, BTreeMap::new()),
                };
                (name.to_owned(), labels, value.parse::<f64>().unwrap())
            })
            .collect();
        Page { text, samples }
    }

    /// The sum of the samples of `name` whose labels include `with`.
    fn sum(&self, name: &str, with: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|(n, labels, _)| {
                n == name
                    && with
                        .iter()
                        .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|(_, _, v)| v)
            .sum()
    }

    /// Every value the label `key` takes on samples of `name`.
    fn values_of(&self, name: &str, key: &str) -> Vec<String> {
        self.samples
            .iter()
            .filter(|(n, _, _)| n == name)
            .filter_map(|(_, labels, _)| labels.get(key).cloned())
            .collect()
    }
}

/// `k="v",k2="v2"` (values escape `\` and `"`).
fn labels(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = text;
    while let Some((key, after)) = rest.split_once("=\"") {
        let mut value = String::new();
        let mut chars = after.char_indices();
        let mut end = after.len();
        while let Some((i, ch)) = chars.next() {
            match ch {
                '\\' => value.extend(chars.next().map(|(_, c)| c)),
                '"' => {
                    end = i + 1;
                    break;
                }
                c => value.push(c),
            }
        }
        out.insert(key.trim_start_matches(',').to_owned(), value);
        rest = &after[end..];
    }
    out
}

const REQUESTS: &str = "qixie_http_requests_total";
const SECONDS_COUNT: &str = "qixie_http_request_duration_seconds_count";
const SECONDS_BUCKET: &str = "qixie_http_request_duration_seconds_bucket";
const MEMBER: &str = "/api/v1/admin/members/{userid}";

both!(
    requests_are_counted_by_route_template,
    async |app: &TestApp| {
        let c = app.admin().await;
        let before = Page::scrape(&c).await;
        for userid in [ADMIN, ADMIN, "nobody-metrics"] {
            c.get(&format!("/api/v1/admin/members/{userid}")).await;
        }
        let (s, _) = c
            .patch(
                &format!("/api/v1/admin/members/{ADMIN}"),
                json!({"position": "老板"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        // Paths no route matches: the API's own not-found and the web client's fallback.
        for path in [
            "/api/v1/no/such/route-8231",
            "/no/such/page-8231",
            "/another/page-8232",
        ] {
            c.get(path).await;
        }
        let after = Page::scrape(&c).await;

        let grew =
            |name: &str, with: &[(&str, &str)]| after.sum(name, with) - before.sum(name, with);
        let get = [("method", "GET"), ("route", MEMBER)];
        assert!(grew(REQUESTS, &[get[0], get[1], ("class", "2xx")]) >= 2.0);
        assert!(grew(REQUESTS, &[get[0], get[1], ("class", "4xx")]) >= 1.0);
        let patch = [("method", "PATCH"), ("route", MEMBER), ("class", "2xx")];
        assert!(grew(REQUESTS, &patch) >= 1.0);
        // The latency histogram has the same labels and the configured buckets.
        assert!(grew(SECONDS_COUNT, &get) >= 3.0);
        let slowest = after.sum(
            SECONDS_BUCKET,
            &[get[0], get[1], ("class", "2xx"), ("le", "5")],
        );
        assert!(slowest >= 2.0, "{}", after.text);

        // Raw paths never become labels: unmatched requests share one.
        let routes = after.values_of(REQUESTS, "route");
        for raw in [ADMIN, "nobody-metrics", "8231", "8232"] {
            assert!(
                !routes.iter().any(|r| r.contains(raw)),
                "{raw} in {routes:?}"
            );
        }
        assert!(grew(REQUESTS, &[("route", "unmatched"), ("class", "4xx")]) >= 1.0);
        assert!(grew(REQUESTS, &[("route", "unmatched")]) >= 3.0);
        // Every route label is a template of the router or the one for unmatched paths.
        for route in &routes {
            assert!(route == "unmatched" || route.starts_with('/'), "{route}");
        }
    }
);

both!(jobs_are_counted_by_kind, async |app: &TestApp| {
    use qixie_kernel::jobs;
    let state = &app.state;
    let c = app.admin().await;
    let before = Page::scrape(&c).await;
    // Due in the future of the app's (stopped) clock, so only the runs below see them.
    let due = state.now() + 400_000;
    let mut tx = state.db.begin().await.unwrap();
    for (i, kind) in ["test.metrics.ok", "test.metrics.ok", "test.metrics.fails"]
        .into_iter()
        .enumerate()
    {
        jobs::enqueue(&mut tx, due, None, kind, &json!({ "i": i }), due, None)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut registry = qixie::startup::job_registry();
    registry.register(
        "test.metrics.ok",
        Arc::new(|_, _| Box::pin(async { Ok(()) })),
    );
    registry.register(
        "test.metrics.fails",
        Arc::new(|_, _| Box::pin(async { Err(anyhow::anyhow!("it fails")) })),
    );
    while jobs::run_due(state, &registry, "metrics-node", due)
        .await
        .unwrap()
    {}
    let after = Page::scrape(&c).await;
    let grew = |name: &str, kind: &str| {
        after.sum(name, &[("kind", kind)]) - before.sum(name, &[("kind", kind)])
    };
    assert!(grew("qixie_jobs_run_total", "test.metrics.ok") >= 2.0);
    assert_eq!(grew("qixie_jobs_failed_total", "test.metrics.ok"), 0.0);
    // A failing job is tried until it is given up, and each attempt counts.
    let attempts = jobs::MAX_ATTEMPTS as f64;
    assert!(grew("qixie_jobs_run_total", "test.metrics.fails") >= attempts);
    assert!(grew("qixie_jobs_failed_total", "test.metrics.fails") >= attempts);
});
