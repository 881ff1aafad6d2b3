//! A signed-in browser-like client: session cookie plus the CSRF header on every non-GET request.
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use reqwest::Method;
use serde_json::{Value, json};

pub struct Api {
    http: reqwest::Client,
    pub base: String,
    csrf: Option<String>,
}

impl Api {
    pub fn new(base: &str) -> Result<Api> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .timeout(Duration::from_secs(120))
            .build()
            .context("cannot build an HTTP client")?;
        Ok(Api {
            http,
            base: base.to_owned(),
            csrf: None,
        })
    }

    /// POST /auth/login; keeps the session cookie and the CSRF token.
    pub async fn login(&mut self, corp_id: &str, account: &str, password: &str) -> Result<()> {
        let body = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                Some(json!({"corp_id": corp_id, "account": account, "password": password, "device": "bench"})),
            )
            .await
            .with_context(|| format!("signing in as {account}"))?;
        self.csrf = body["csrf_token"].as_str().map(str::to_owned);
        Ok(())
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if method != Method::GET
            && let Some(t) = &self.csrf
        {
            r = r.header("x-csrf-token", t);
        }
        r
    }

    /// A JSON call that must succeed (2xx); the error carries the server's answer.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value> {
        let mut r = self.request(method.clone(), path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.with_context(|| format!("{method} {path}"))?;
        decode(res, &method, path).await
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        self.call(Method::GET, path, None).await
    }

    /// A GET whose body does not matter: only its status.
    pub async fn get_raw(&self, path: &str) -> Result<reqwest::StatusCode> {
        let res = self.request(Method::GET, path).send().await?;
        let status = res.status();
        let _ = res.bytes().await;
        Ok(status)
    }

    /// A GET timed until the whole body has arrived; the body is decoded after the clock stops.
    pub async fn timed_get(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<(Duration, Value)> {
        let started = Instant::now();
        let res = self
            .request(Method::GET, path)
            .query(query)
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        let status = res.status();
        let bytes = res.bytes().await.with_context(|| format!("GET {path}"))?;
        let took = started.elapsed();
        if !status.is_success() {
            bail!(
                "GET {path} {query:?}: {status}: {}",
                String::from_utf8_lossy(&bytes)
            );
        }
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Ok((took, v))
    }

    /// A multipart upload with a file part named `file` and text fields, timed end to end. The
    /// status is returned rather than judged: the caller reports failures as figures.
    pub async fn upload(
        &self,
        path: &str,
        filename: &str,
        bytes: Vec<u8>,
        fields: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<(Duration, reqwest::StatusCode, Value)> {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(filename.to_owned())
            .mime_str("text/csv")?;
        let mut form = reqwest::multipart::Form::new().part("file", part);
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        let started = Instant::now();
        let res = self
            .request(Method::POST, path)
            .multipart(form)
            .timeout(timeout)
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        let took = started.elapsed();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok((took, status, v))
    }
}

async fn decode(res: reqwest::Response, method: &Method, path: &str) -> Result<Value> {
    let status = res.status();
    let text = res.text().await.unwrap_or_default();
    if !status.is_success() {
        bail!("{method} {path}: {status}: {text}");
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}
