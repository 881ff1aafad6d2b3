//! Stored files handed back to clients. Every route that streams bytes someone uploaded answers
//! through `file_response`, so no upload is ever served as active content from our origin: the type
//! comes from the bytes (never from the name or the uploader's word), only raster images that decode
//! may show inline, and the browser is told not to guess a type and to run nothing in the file.
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::{AppError, AppResult, ErrorKind, FieldReason};

/// The policy on every file response: no script, no plugin, no fetch, even if a browser renders it.
pub const FILE_CSP: &str = "sandbox; default-src 'none'";

/// Raster types a browser shows as pictures and nothing else.
const RASTER: &[(&str, image::ImageFormat)] = &[
    ("image/png", image::ImageFormat::Png),
    ("image/jpeg", image::ImageFormat::Jpeg),
    ("image/gif", image::ImageFormat::Gif),
    ("image/webp", image::ImageFormat::WebP),
];

/// Sniffed types a browser could run as a document or plugin: served as plain bytes instead.
const ACTIVE: &[&str] = &[
    "text/html",
    "text/xml",
    "application/xml",
    "application/xhtml+xml",
    "image/svg+xml",
    "application/x-shockwave-flash",
];

/// How a file may be shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Show {
    /// Raster images that decode show inline; everything else downloads.
    ImagesInline,
    /// Always a download (WeCom's `media/get` answers so).
    Download,
}

/// The type to serve `bytes` as, from their content alone, and whether they are a raster image that
/// decodes (which alone may show inline).
pub fn sniff(bytes: &[u8]) -> (&'static str, bool) {
    match infer::get(bytes).map(|t| t.mime_type()) {
        Some(m) => {
            if let Some((mime, fmt)) = RASTER.iter().find(|(r, _)| *r == m) {
                return (mime, decodes(bytes, *fmt));
            }
            if ACTIVE.contains(&m) {
                ("application/octet-stream", false)
            } else {
                (m, false)
            }
        }
        None if is_text(bytes) => ("text/plain; charset=utf-8", false),
        None => ("application/octet-stream", false),
    }
}

/// Whether the image header of `bytes` reads as `fmt` (a polyglot that only starts like an image
/// fails here).
fn decodes(bytes: &[u8], fmt: image::ImageFormat) -> bool {
    image::ImageReader::with_format(std::io::Cursor::new(bytes), fmt)
        .into_dimensions()
        .is_ok_and(|(w, h)| w > 0 && h > 0)
}

/// UTF-8 without control characters other than tabs and line breaks.
fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| {
        !s.chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
    })
}

/// The response for a stored file named `name`: sniffed type, `attachment` unless it is a raster
/// image and `show` allows inline, `nosniff`, and a sandboxing content policy.
pub fn file_response(name: &str, bytes: Vec<u8>, show: Show) -> Response {
    let (mime, image) = sniff(&bytes);
    let inline = image && show == Show::ImagesInline;
    let disposition = content_disposition(if inline { "inline" } else { "attachment" }, name);
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    } else {
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment"),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FILE_CSP),
    );
    res
}

/// `attachment` (or `inline`) with an ASCII `filename` for old clients and, when the name is not
/// plain ASCII, the exact name as RFC 5987 `filename*`.
pub fn content_disposition(kind: &str, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && c != '"' && c != '\\') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if fallback == name {
        return format!("{kind}; filename=\"{name}\"");
    }
    format!(
        "{kind}; filename=\"{fallback}\"; filename*=UTF-8''{}",
        rfc5987(name)
    )
}

/// Percent-encodes everything but RFC 5987's attr-char.
fn rfc5987(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The first file in multipart field `name`: (file name, content type, bytes). Also used by the
/// native API's uploads.
pub async fn read_file_field(
    req: Request,
    app: &AppState,
    name: &str,
) -> AppResult<(String, String, Vec<u8>)> {
    let mut form = Multipart::from_request(req, app)
        .await
        .map_err(|_| AppError::field(name, FieldReason::Required))?;
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| AppError::new(ErrorKind::BadRequest))?
    {
        if field.name() != Some(name) {
            continue;
        }
        let filename = field
            .file_name()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(name)
            .to_owned();
        let content_type = field
            .content_type()
            .map(str::to_owned)
            .filter(|c| c != "application/octet-stream")
            .unwrap_or_else(|| {
                mime_guess::from_path(&filename)
                    .first_or_octet_stream()
                    .essence_str()
                    .to_owned()
            });
        let bytes = field
            .bytes()
            .await
            .map_err(|_| AppError::new(ErrorKind::PayloadTooLarge))?;
        return Ok((filename, content_type, bytes.to_vec()));
    }
    Err(AppError::field(name, FieldReason::Required))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png() -> Vec<u8> {
        let img = image::RgbImage::from_pixel(2, 2, image::Rgb([1, 2, 3]));
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn disposition_keeps_ascii_and_encodes_the_rest() {
        assert_eq!(
            content_disposition("attachment", "report 1.pdf"),
            "attachment; filename=\"report 1.pdf\""
        );
        assert_eq!(
            content_disposition("attachment", "通讯录.csv"),
            "attachment; filename=\"___.csv\"; filename*=UTF-8''%E9%80%9A%E8%AE%AF%E5%BD%95.csv"
        );
        assert_eq!(
            content_disposition("inline", "a\"b.png"),
            "inline; filename=\"a_b.png\"; filename*=UTF-8''a%22b.png"
        );
    }

    #[test]
    fn types_come_from_the_bytes_and_active_ones_are_disarmed() {
        assert_eq!(sniff(&png()), ("image/png", true));
        assert_eq!(
            sniff(b"<!DOCTYPE html><script>alert(1)</script>"),
            ("application/octet-stream", false)
        );
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            ("application/octet-stream", false)
        );
        assert_eq!(sniff(b"%PDF-1.4 report"), ("application/pdf", false));
        assert_eq!(
            sniff("姓名,部门\n张三,研发".as_bytes()),
            ("text/plain; charset=utf-8", false)
        );
        assert_eq!(
            sniff(&[0, 159, 146, 150]),
            ("application/octet-stream", false)
        );
        // Starts like a PNG but is not one: served as a PNG that does not show inline.
        let mut fake = png()[..8].to_vec();
        fake.extend_from_slice(b"<html><script>alert(1)</script></html>");
        assert_eq!(sniff(&fake), ("image/png", false));
    }

    #[test]
    fn every_file_response_is_disarmed() {
        let html = file_response(
            "x.html",
            b"<html><script>alert(1)</script>".to_vec(),
            Show::ImagesInline,
        );
        let h = html.headers();
        assert_eq!(h[header::CONTENT_TYPE], "application/octet-stream");
        assert_eq!(
            h[header::CONTENT_DISPOSITION],
            "attachment; filename=\"x.html\""
        );
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(h[header::CONTENT_SECURITY_POLICY], FILE_CSP);
        let img = file_response("p.png", png(), Show::ImagesInline);
        assert_eq!(img.headers()[header::CONTENT_TYPE], "image/png");
        assert_eq!(
            img.headers()[header::CONTENT_DISPOSITION],
            "inline; filename=\"p.png\""
        );
        let dl = file_response("p.png", png(), Show::Download);
        assert_eq!(
            dl.headers()[header::CONTENT_DISPOSITION],
            "attachment; filename=\"p.png\""
        );
    }
}
