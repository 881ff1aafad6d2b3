//! Routes and their documentation in one place: a route can only be added together with its entry
//! in the OpenAPI document.
use axum::Router;
use axum::routing::MethodRouter;
use serde_json::{Map, Value, json};

use crate::AppState;

#[derive(Clone, Debug)]
pub struct RouteDoc {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub tag: &'static str,
}

#[derive(Default)]
pub struct ApiRoutes {
    router: Router<AppState>,
    pub docs: Vec<RouteDoc>,
}

impl ApiRoutes {
    /// Adds `handler` for `method path`, documented by `summary` under `tag`.
    pub fn route(
        mut self,
        method: &'static str,
        path: &'static str,
        tag: &'static str,
        summary: &'static str,
        handler: MethodRouter<AppState>,
    ) -> Self {
        self.router = self.router.route(path, handler);
        self.docs.push(RouteDoc {
            method,
            path,
            summary,
            tag,
        });
        self
    }
    pub fn merge(mut self, other: ApiRoutes) -> Self {
        self.router = self.router.merge(other.router);
        self.docs.extend(other.docs);
        self
    }
    pub fn into_router(self) -> Router<AppState> {
        self.router
    }

    pub fn openapi(&self) -> Value {
        let mut paths = Map::new();
        for d in &self.docs {
            let entry = paths
                .entry(format!("/api/v1{}", d.path))
                .or_insert_with(|| json!({}));
            let params: Vec<Value> = d
                .path
                .split('/')
                .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
                .collect();
            entry[d.method.to_ascii_lowercase()] = json!({
                "summary": d.summary,
                "tags": [d.tag],
                "parameters": params,
                "responses": {
                    "200": {"description": "Success"},
                    "default": {"description": "Error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
                }
            });
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
                "schemas": {"Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}, "key": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}}}}
            },
            "security": [{"cookie": []}, {"bearer": []}]
        })
    }
}
