//! Images and files sent in conversations: kept as long as the messages that show them, with a
//! thumbnail for images, and downloaded under their original name.
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::policy;
use qixie_kernel::AppState;
use qixie_kernel::db::{Database, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::ids::{CorpId, random_token};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChatMedia {
    pub id: String,
    pub corp_id: i64,
    pub kind: String,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub blob_key: String,
    pub thumb_key: Option<String>,
    /// The member who uploaded it; None for robot and app uploads.
    pub uploader_id: Option<i64>,
    /// The robot that uploaded it through its webhook.
    pub robot_id: Option<i64>,
}

const COLS: &str = "id, corp_id, kind, name, mime, size, width, height, blob_key, thumb_key, uploader_id, robot_id";

/// Who stores a medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadedBy {
    Member(i64),
    Robot(i64),
    /// An app's notice, or the server itself.
    System,
}
/// Longest side of a thumbnail, in pixels.
const THUMB_SIDE: u32 = 360;
/// Images larger than this are kept as files rather than decoded (decompression bombs).
const MAX_PIXELS: u64 = 50_000_000;

/// An image or file as a message's `content` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MediaCard {
    pub media_id: String,
    pub name: String,
    pub size: i64,
    pub mime: String,
    /// Images only, in pixels.
    pub width: Option<i64>,
    pub height: Option<i64>,
}

impl ChatMedia {
    pub fn card(&self) -> MediaCard {
        MediaCard {
            media_id: self.id.clone(),
            name: self.name.clone(),
            size: self.size,
            mime: self.mime.clone(),
            width: self.width,
            height: self.height,
        }
    }
    /// The `content` of an image or file message.
    pub fn content(&self) -> Value {
        serde_json::to_value(self.card()).unwrap_or_default()
    }
}

pub async fn find(db: &Database, corp: CorpId, id: &str) -> AppResult<ChatMedia> {
    db.opt(
        sql(format!(
            "SELECT {COLS} FROM chat_media WHERE id = $1 AND corp_id = $2"
        ))
        .bind(id)
        .bind(corp),
    )
    .await?
    .ok_or_else(|| ErrorKind::MediaNotFound.into())
}

struct Decoded {
    width: u32,
    height: u32,
    thumb: Vec<u8>,
}

/// Size and a JPEG thumbnail of an image, or None when the bytes are not an image we read.
fn decode(bytes: &[u8]) -> Option<Decoded> {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let (w, h) = reader.into_dimensions().ok()?;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return None;
    }
    let img = image::load_from_memory(bytes).ok()?;
    let small = img.thumbnail(THUMB_SIDE, THUMB_SIDE).to_rgb8();
    let mut out = std::io::Cursor::new(Vec::new());
    small.write_to(&mut out, image::ImageFormat::Jpeg).ok()?;
    Some(Decoded {
        width: w,
        height: h,
        thumb: out.into_inner(),
    })
}

/// Stores an upload after the enterprise's file policy accepts it. Images (by content, not by
/// name) get their size and a thumbnail.
pub async fn store(
    app: &AppState,
    corp: CorpId,
    by: UploadedBy,
    name: &str,
    bytes: Vec<u8>,
) -> AppResult<ChatMedia> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 || name.chars().any(char::is_control) {
        return Err(AppError::field("file", FieldReason::Name));
    }
    if bytes.is_empty() {
        return Err(AppError::field("file", FieldReason::Empty));
    }
    let pol = policy::get(&app.db, corp).await?;
    pol.check_file(name, bytes.len() as i64)?;
    let (decoded, bytes) = tokio::task::spawn_blocking(move || (decode(&bytes), bytes))
        .await
        .map_err(AppError::internal)?;
    let id = random_token(18).replace(['-', '_'], "x");
    let blob_key = format!("chat/{corp}/{id}");
    app.blobs.put(&blob_key, &bytes).await?;
    let thumb_key = match &decoded {
        Some(d) => {
            let k = format!("chat/{corp}/{id}-thumb");
            app.blobs.put(&k, &d.thumb).await?;
            Some(k)
        }
        None => None,
    };
    let row = ChatMedia {
        id,
        corp_id: corp.0,
        kind: if decoded.is_some() { "image" } else { "file" }.into(),
        name: name.to_owned(),
        // What the bytes are, as downloads will serve them; never the name's or the uploader's word.
        mime: qixie_kernel::http::files::sniff(&bytes).0.to_owned(),
        size: bytes.len() as i64,
        width: decoded.as_ref().map(|d| i64::from(d.width)),
        height: decoded.as_ref().map(|d| i64::from(d.height)),
        blob_key,
        thumb_key,
        uploader_id: match by {
            UploadedBy::Member(m) => Some(m),
            _ => None,
        },
        robot_id: match by {
            UploadedBy::Robot(r) => Some(r),
            _ => None,
        },
    };
    app.db
        .exec(
            sql("INSERT INTO chat_media (id, corp_id, uploader_id, robot_id, kind, name, mime, size, width, height, blob_key, thumb_key, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
                .bind(&row.id)
                .bind(corp)
                .bind(row.uploader_id)
                .bind(row.robot_id)
                .bind(&row.kind)
                .bind(&row.name)
                .bind(&row.mime)
                .bind(row.size)
                .bind(row.width)
                .bind(row.height)
                .bind(&row.blob_key)
                .bind(&row.thumb_key)
                .bind(app.now()),
        )
        .await?;
    Ok(row)
}

/// A medium the member may read: one they uploaded, or one shown by a message they can see (in a
/// conversation they belong to, sent after they joined) or kept in their favourites. Anything else
/// is "not found", so ids of other people's files tell nothing.
pub async fn readable(app: &AppState, corp: CorpId, member: i64, id: &str) -> AppResult<ChatMedia> {
    let m = find(&app.db, corp, id).await?;
    if m.uploader_id == Some(member) {
        return Ok(m);
    }
    let pattern = format!("%\"media_id\":\"{}\"%", m.id);
    let (n,): (i64,) = app
        .db
        .one(
            sql("SELECT COUNT(*) FROM chat_events e JOIN chat_members cm ON cm.conversation_id = e.conversation_id AND cm.member_id = $1 AND e.seq > cm.joined_seq \
                 WHERE e.corp_id = $2 AND e.msg_type IN ('image', 'file') AND e.recalled_at IS NULL AND e.content LIKE $3")
                .bind(member)
                .bind(corp)
                .bind(&pattern),
        )
        .await?;
    if n > 0 {
        return Ok(m);
    }
    let (fav,): (i64,) = app
        .db
        .one(
            sql("SELECT COUNT(*) FROM chat_favourites WHERE member_id = $1 AND snapshot LIKE $2")
                .bind(member)
                .bind(&pattern),
        )
        .await?;
    if fav > 0 {
        return Ok(m);
    }
    Err(ErrorKind::MediaNotFound.into())
}

/// The bytes of a medium (or its thumbnail), for a member who may read it.
pub async fn load(
    app: &AppState,
    corp: CorpId,
    member: i64,
    id: &str,
    thumb: bool,
) -> AppResult<(ChatMedia, Vec<u8>)> {
    let m = readable(app, corp, member, id).await?;
    let key = match (thumb, &m.thumb_key) {
        (true, Some(k)) => k.clone(),
        _ => m.blob_key.clone(),
    };
    let bytes = app.blobs.get(&key).await.map_err(|e| {
        if qixie_kernel::blob::is_missing(&e) {
            AppError::new(ErrorKind::MediaNotFound)
        } else {
            AppError::internal(e)
        }
    })?;
    Ok((m, bytes))
}

#[cfg(test)]
mod tests {
    #[test]
    fn images_get_a_small_thumbnail_and_other_bytes_none() {
        let img = image::RgbImage::from_pixel(1200, 800, image::Rgb([200, 30, 30]));
        let mut png = std::io::Cursor::new(Vec::new());
        img.write_to(&mut png, image::ImageFormat::Png).unwrap();
        let d = super::decode(png.get_ref()).unwrap();
        assert_eq!((d.width, d.height), (1200, 800));
        let t = image::load_from_memory(&d.thumb).unwrap();
        assert_eq!((t.width(), t.height()), (360, 240));
        assert!(super::decode(b"%PDF-1.4 not an image").is_none());
    }
}
