//! Extractors shared by the routes: the signed-in caller, JSON bodies with our error vocabulary, the
//! caller's language and address.
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderName, header};
use serde::de::DeserializeOwned;

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use crate::AppState;
use crate::authz::{Actor, Grant, Perm};
use crate::config::Config;
use crate::error::{AppError, ErrorKind, FieldReason};
use crate::i18n::Lang;

/// Who a request's credentials belong to, as the identity module found them.
pub struct Caller {
    pub actor: Actor,
    /// The member signed in with an initial or expired password and must change it first.
    pub must_change_password: bool,
}

pub type CallerFuture<'a> = Pin<Box<dyn Future<Output = Result<Caller, AppError>> + Send + 'a>>;

/// Turns a request's credentials (session cookie, bearer token) into a caller. Identity installs
/// the one implementation (`Authentication` in the runtimes).
pub trait Authenticator: Send + Sync {
    fn caller<'a>(&'a self, parts: &'a mut Parts, app: &'a AppState) -> CallerFuture<'a>;
}

pub struct Authentication(pub Box<dyn Authenticator>);

/// A signed-in member who has no pending forced password change.
pub struct Authed(pub Actor);

impl FromRequestParts<AppState> for Authed {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        let c = app.runtime::<Authentication>().0.caller(parts, app).await?;
        if c.must_change_password {
            return Err(ErrorKind::PasswordChangeRequired.into());
        }
        Ok(Authed(c.actor))
    }
}

/// Credentials that name an actor: a signed-in member (`Authed`) on the native API; the WeCom
/// adapter implements it for an app's access token.
pub trait Credentials: FromRequestParts<AppState, Rejection = AppError> {
    fn into_actor(self) -> Actor;
}

impl Credentials for Authed {
    fn into_actor(self) -> Actor {
        self.0
    }
}

/// A caller proven to hold permission `P`: the gate runs in the extractor, before the handler, and
/// the handler gets the actor (for the audit log) and the grant (for the domain's functions). `C`
/// says where the credentials come from: a member's session by default, an app's token on WeCom's
/// paths. Refused with 403 (48002 for apps).
pub struct Allowed<P: Perm, C = Authed> {
    pub actor: Actor,
    pub grant: Grant<P>,
    credentials: PhantomData<fn() -> C>,
}

impl<P: Perm, C: Credentials> FromRequestParts<AppState> for Allowed<P, C> {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, AppError> {
        let actor = C::from_request_parts(parts, app).await?.into_actor();
        let grant = actor.require::<P>()?;
        Ok(Allowed {
            actor,
            grant,
            credentials: PhantomData,
        })
    }
}

/// A JSON body. Parsed whatever the Content-Type says (WeCom clients send none); a malformed body,
/// or anything but whitespace after the value, is a 400 in our vocabulary, a missing or mistyped
/// field a 422 naming the field.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = AppError;
    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| AppError::new(ErrorKind::BadRequest))?;
        parse_json(&bytes).map(Body)
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        bytes
    };
    let de = &mut serde_json::Deserializer::from_slice(text);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        if let Some(name) = unknown_field(&e.inner().to_string()) {
            // A field the API does not know is a mistake in the request, not a value to check.
            // The path already ends at the unknown field when serde got that far.
            let field = if path == "." {
                name.to_owned()
            } else if path == name || path.ends_with(&format!(".{name}")) {
                path
            } else {
                format!("{path}.{name}")
            };
            let mut err = AppError::field(&field, FieldReason::UnknownField);
            err.kind = ErrorKind::BadRequest;
            err
        } else if e.inner().is_data() && path != "." {
            AppError::field(&path, FieldReason::Invalid)
        } else {
            AppError::new(ErrorKind::BadRequest)
        }
    })?;
    // One value per body: `{"a":1} xyz` or `{"a":1}{"b":2}` is not JSON.
    de.end().map_err(|_| AppError::new(ErrorKind::BadRequest))?;
    Ok(value)
}

/// The field named by serde's "unknown field `x`, expected …" (request types deny unknown fields).
fn unknown_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name)
}

/// Refuses a body that is not declared `application/json` (parameters such as `charset` allowed).
/// Routes a browser form could reach cross-site (sign-in) use it, since a form cannot send that type.
pub fn require_json(headers: &HeaderMap) -> Result<(), AppError> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if essence.as_deref() == Some("application/json") {
        Ok(())
    } else {
        Err(ErrorKind::JsonRequired.into())
    }
}

/// Whether a browser request comes from this server's own pages (or a configured origin). Browsers
/// send `Origin` on every POST and on socket upgrades; when it is absent, `Sec-Fetch-Site` decides.
/// Requests with neither (API clients, curl) are not from a browser page and pass.
pub fn check_same_origin(config: &Config, headers: &HeaderMap) -> Result<(), AppError> {
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(origin) = text(header::ORIGIN) {
        let origin = origin.trim_end_matches('/');
        let host = text(header::HOST).unwrap_or_default();
        let own = !host.is_empty()
            && (origin == format!("http://{host}") || origin == format!("https://{host}"));
        let listed = config
            .allowed_origins
            .iter()
            .any(|o| o.trim_end_matches('/') == origin)
            || config.public_base() == origin;
        return if own || listed {
            Ok(())
        } else {
            Err(ErrorKind::CrossSite.into())
        };
    }
    match text(HeaderName::from_static("sec-fetch-site")) {
        None | Some("same-origin" | "none") => Ok(()),
        Some(_) => Err(ErrorKind::CrossSite.into()),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Lang::from_accept_language(
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        ))
    }
}

/// The peer address (the direct connection; a proxy in front should be configured to pass it on).
pub struct ClientIp(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string())
            .unwrap_or_default();
        Ok(ClientIp(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct A {
        a: i64,
    }

    #[test]
    fn a_body_is_one_value_and_nothing_after_it() {
        assert_eq!(parse_json::<A>(b" {\"a\":1} \n").unwrap().a, 1);
        for bad in [
            &b"{\"a\":1} xyz"[..],
            b"{\"a\":1}{\"b\":2}",
            b"{\"a\":1}]",
            b"{\"a\":1",
        ] {
            assert_eq!(
                parse_json::<A>(bad).unwrap_err().kind,
                ErrorKind::BadRequest,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            parse_json::<A>(b"{\"a\":\"x\"}").unwrap_err().kind,
            ErrorKind::Validation
        );
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Strict {
        a: i64,
        #[serde(default)]
        inner: Option<Inner>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        b: i64,
    }

    #[test]
    fn an_unknown_field_is_refused_by_name() {
        let e = parse_json::<Strict>(b"{\"a\":1,\"colour\":\"red\"}").unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert_eq!(e.fields[0].field, "colour");
        assert_eq!(e.fields[0].reason, FieldReason::UnknownField);
        let e = parse_json::<Strict>(b"{\"a\":1,\"inner\":{\"b\":2,\"c\":3}}").unwrap_err();
        assert_eq!(
            (e.kind, e.fields[0].field.as_str()),
            (ErrorKind::BadRequest, "inner.c")
        );
        assert!(parse_json::<Strict>(b"{\"a\":1,\"inner\":{\"b\":2}}").is_ok());
    }

    #[test]
    fn only_json_is_taken_and_only_from_our_pages() {
        let cfg = Config {
            public_url: "https://im.example.com".into(),
            allowed_origins: vec!["https://portal.example.com".into()],
            ..Config::default()
        };
        let h = |pairs: &[(&'static str, &'static str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, axum::http::HeaderValue::from_static(v));
            }
            m
        };
        assert!(require_json(&h(&[("content-type", "application/json; charset=utf-8")])).is_ok());
        assert!(require_json(&h(&[("content-type", "Application/JSON")])).is_ok());
        for ct in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "application/jsonx",
        ] {
            let e = require_json(&h(&[("content-type", ct)])).unwrap_err();
            assert_eq!(e.kind, ErrorKind::JsonRequired, "{ct}");
        }
        assert!(require_json(&HeaderMap::new()).is_err());
        for ok in [
            h(&[]),
            h(&[("origin", "https://im.example.com")]),
            h(&[("origin", "https://portal.example.com")]),
            h(&[
                ("origin", "http://10.0.0.5:8080"),
                ("host", "10.0.0.5:8080"),
            ]),
            h(&[("sec-fetch-site", "same-origin")]),
            h(&[("sec-fetch-site", "none")]),
        ] {
            assert!(check_same_origin(&cfg, &ok).is_ok(), "{ok:?}");
        }
        for bad in [
            h(&[("origin", "https://evil.example")]),
            h(&[("origin", "null")]),
            h(&[("origin", "https://im.example.com.evil.example")]),
            h(&[
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "same-origin"),
            ]),
            h(&[("sec-fetch-site", "cross-site")]),
            h(&[("sec-fetch-site", "same-site")]),
        ] {
            assert_eq!(
                check_same_origin(&cfg, &bad).unwrap_err().kind,
                ErrorKind::CrossSite,
                "{bad:?}"
            );
        }
    }
}
