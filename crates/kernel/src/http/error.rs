//! Turning `AppError` into responses. A handler's error becomes a response carrying the error in its
//! extensions; the surface's middleware then writes the body in the caller's language (native API)
//! or as WeCom's errcode/errmsg (adapter). The cause is logged here and never sent.
use axum::body::Body;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::{AppError, ErrorKind, FieldError, Hint};
use crate::i18n::Lang;

#[derive(Clone, Debug)]
pub struct ErrorInfo {
    pub kind: ErrorKind,
    pub fields: Vec<FieldError>,
    pub hint: Option<Hint>,
}

impl ErrorInfo {
    /// The kind's message, followed by the hint when there is one.
    pub fn message(&self, lang: Lang) -> String {
        let base = self.kind.message(lang);
        match (&self.hint, lang) {
            (Some(h), Lang::Zh) => format!("{base}：{}", h.zh),
            (Some(h), Lang::En) => format!("{base}: {}", h.en),
            (None, _) => base.to_owned(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self.cause {
            Some(c) if self.kind == ErrorKind::Internal => {
                tracing::error!(error = %format!("{c:#}"), "internal error")
            }
            Some(c) => {
                tracing::debug!(code = self.kind.code(), cause = %format!("{c:#}"), "request failed")
            }
            None => {}
        }
        let mut r = self.kind.status().into_response();
        // A refusal that says how long to wait (`details.retry_after_ms`) says it in the header too.
        if let Some(ms) = self
            .hint
            .as_ref()
            .and_then(|h| h.data.get("retry_after_ms"))
            .and_then(serde_json::Value::as_u64)
        {
            r.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from(ms.div_ceil(1000).max(1)),
            );
        }
        r.extensions_mut().insert(ErrorInfo {
            kind: self.kind,
            fields: self.fields,
            hint: self.hint,
        });
        r
    }
}

pub fn api_error_body(info: &ErrorInfo, lang: Lang) -> serde_json::Value {
    let mut e = json!({
        "code": info.kind.code(),
        "message": info.message(lang),
        "key": format!("error.{}", info.kind.code()),
    });
    if let Some(h) = &info.hint {
        e["details"] = h.data.clone();
    }
    if !info.fields.is_empty() {
        let fields: serde_json::Map<String, serde_json::Value> = info
            .fields
            .iter()
            .map(|f| (f.field.clone(), json!(f.reason)))
            .collect();
        e["fields"] = serde_json::Value::Object(fields);
    }
    json!({ "error": e })
}

pub async fn render_api_errors(req: Request, next: Next) -> Response {
    let lang = Lang::from_accept_language(
        req.headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let mut res = next.run(req).await;
    if let Some(info) = res.extensions_mut().remove::<ErrorInfo>() {
        let status = res.status();
        let body = api_error_body(&info, lang).to_string();
        let mut out = Response::new(Body::from(body));
        *out.status_mut() = status;
        out.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json; charset=utf-8"),
        );
        if let Some(v) = res.headers().get(header::RETRY_AFTER) {
            out.headers_mut().insert(header::RETRY_AFTER, v.clone());
        }
        return out;
    }
    res
}
