//! Routes and their documentation in one place (ADR 0009). A handler carries its contract in a
//! `#[utoipa::path]` attribute (method, path, tag, summary, request and response types) and is added
//! with `ApiRoutes::typed(routes!(handler))`, so a route cannot be added without its entry in the
//! OpenAPI document. The document is the source of the web client's types (web/src/api/generated.ts).
use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use axum::Router;
use serde::Serialize;
use serde_json::{Map, Value, json};
use utoipa::openapi::schema::Type;
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

pub use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ErrorKind, FieldReason};

/// One documented operation, as the route-walking tests (authorization matrix, outsiders) see it.
#[derive(Clone, Debug)]
pub struct RouteDoc {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub tag: String,
}

#[derive(Default)]
pub struct ApiRoutes {
    router: OpenApiRouter<AppState>,
}

impl ApiRoutes {
    /// Adds handlers documented by their `#[utoipa::path]` attributes: `typed(routes!(a, b))`,
    /// where the handlers share one path and differ in method.
    pub fn typed(mut self, handlers: UtoipaMethodRouter<AppState>) -> Self {
        self.router = self.router.routes(handlers);
        self
    }

    pub fn merge(mut self, other: ApiRoutes) -> Self {
        self.router = self.router.merge(other.router);
        self
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router.split_for_parts().0
    }

    /// Every route, with its method, path (below /api/v1), tag and summary.
    pub fn docs(&self) -> Vec<RouteDoc> {
        let mut docs = Vec::new();
        let spec = serde_json::to_value(self.router.get_openapi()).unwrap_or_default();
        for (path, item) in spec["paths"].as_object().into_iter().flatten() {
            for (method, op) in item.as_object().into_iter().flatten() {
                if !op.is_object() || method == "parameters" {
                    continue;
                }
                docs.push(RouteDoc {
                    method: method.to_ascii_uppercase(),
                    path: path.clone(),
                    summary: op["summary"].as_str().unwrap_or_default().to_owned(),
                    tag: op["tags"][0].as_str().unwrap_or_default().to_owned(),
                });
            }
        }
        docs
    }

    /// The OpenAPI 3.1 document of the native API.
    pub fn openapi(&self) -> Value {
        let generated = serde_json::to_value(self.router.get_openapi()).unwrap_or_default();
        let mut paths = Map::new();
        for (path, item) in generated["paths"].as_object().into_iter().flatten() {
            let mut item = item.clone();
            for (_, op) in item.as_object_mut().into_iter().flatten() {
                complete_operation(op, path);
            }
            paths.insert(format!("/api/v1{path}"), item);
        }
        let mut schemas = generated["components"]["schemas"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let mut shared = vec![(ErrorBody::name().into_owned(), ErrorBody::schema())];
        ErrorBody::schemas(&mut shared);
        for (name, schema) in shared {
            schemas.insert(name, serde_json::to_value(schema).unwrap_or_default());
        }
        json!({
            "openapi": "3.1.0",
            "info": {"title": "Qixie native API", "version": env!("CARGO_PKG_VERSION")},
            "servers": [{"url": "/"}],
            "paths": paths,
            "components": {
                "securitySchemes": {
                    "cookie": {"type": "apiKey", "in": "cookie", "name": "qixie_session"},
                    "bearer": {"type": "http", "scheme": "bearer"}
                },
                "schemas": schemas,
            },
            "security": [{"cookie": []}, {"bearer": []}]
        })
    }
}

/// What every operation shares, added here rather than on each handler: its path parameters (as
/// strings, unless the handler declared them) and the error body for every failure.
fn complete_operation(op: &mut Value, path: &str) {
    let declared: HashSet<String> = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect();
    let mut params = op["parameters"].as_array().cloned().unwrap_or_default();
    for name in path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    {
        if !declared.contains(name) {
            params.push(
                json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}),
            );
        }
    }
    if !params.is_empty() {
        op["parameters"] = Value::Array(params);
    }
    op["responses"]["default"] = json!({
        "description": "Error",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    });
}

/// The body of every error answer of the native API.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorKind,
    /// The kind's message in the caller's language, with a hint when there is one.
    pub message: String,
    /// `error.<code>`, for clients that translate themselves.
    pub key: String,
    /// Facts behind a hint (a policy's pattern, how long to wait).
    #[schema(value_type = Option<Object>)]
    pub details: Option<Value>,
    /// The refused fields and why.
    pub fields: Option<BTreeMap<String, FieldReasonOrCode>>,
}

/// A field's reason: one of the field reasons, or the code of the error kind it concerns.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum FieldReasonOrCode {
    Reason(FieldReason),
    Code(ErrorKind),
}

fn string_enum(values: impl Iterator<Item = &'static str>) -> RefOr<Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .into()
}

impl PartialSchema for ErrorKind {
    fn schema() -> RefOr<Schema> {
        string_enum(ErrorKind::ALL.iter().map(|k| k.code()))
    }
}
impl ToSchema for ErrorKind {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ErrorCode")
    }
}

impl PartialSchema for FieldReason {
    fn schema() -> RefOr<Schema> {
        string_enum(FieldReason::ALL.iter().map(|r| r.code()))
    }
}
impl ToSchema for FieldReason {}

impl Serialize for ErrorKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

/// Problems that make the document unusable for generating clients: an operation without a
/// success response schema, a PATCH/PUT without a request schema (but for a PUT that sets a flag),
/// or a `$ref` that resolves to nothing.
pub fn check_document(spec: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if let Err(e) = serde_json::from_value::<utoipa::openapi::OpenApi>(spec.clone()) {
        problems.push(format!("not an OpenAPI document: {e}"));
    }
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let name = format!("{} {path}", method.to_uppercase());
            let responses = op["responses"].as_object().cloned().unwrap_or_default();
            // 101: a WebSocket upgrade succeeds by switching protocols, without a body.
            let success: Vec<_> = responses
                .iter()
                .filter(|(status, _)| status.starts_with('2') || *status == "101")
                .collect();
            if success.is_empty() {
                problems.push(format!("{name}: no success response"));
            }
            for (status, r) in success {
                if !matches!(status.as_str(), "101" | "204")
                    && r["content"].as_object().is_none_or(Map::is_empty)
                {
                    problems.push(format!("{name}: response {status} has no schema"));
                }
            }
            // A PUT that only sets a flag named by its path (pin a message) has no body and answers 204.
            let flag_put = method == "put" && responses.contains_key("204");
            if (method == "patch" || method == "put" && !flag_put) && op["requestBody"].is_null() {
                problems.push(format!("{name}: no request body schema"));
            }
        }
    }
    let mut refs = Vec::new();
    collect_refs(spec, &mut refs);
    for r in refs {
        let target = r
            .strip_prefix('#')
            .and_then(|p| spec.pointer(p))
            .filter(|v| !v.is_null());
        if target.is_none() {
            problems.push(format!("unresolved $ref {r}"));
        }
    }
    problems
}

fn collect_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}
