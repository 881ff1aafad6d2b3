//! Temporary media (临时素材): `media/upload` keeps a file for three days under a media_id that
//! messages and batch jobs refer to; `media/get` hands it back. Media belong to the enterprise of the
//! app that uploaded them; any app of that enterprise with a valid token may use them, as in WeCom,
//! so no contacts permission is asked for.
use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::json;

use super::contacts::Params;
use super::{AppCaller, ok};
use qixie_kernel::AppState;
use qixie_kernel::db::sql;
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};
use qixie_kernel::http::files::{Show, file_response, read_file_field};
use qixie_kernel::ids::{CorpId, random_token};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/media/upload", post(upload))
        .route("/media/get", get(download))
}

const KINDS: &[&str] = &["image", "voice", "video", "file"];
const TTL_MS: i64 = 3 * 24 * 3600 * 1000;

/// Removes expired media (rows and files), every hour.
pub const PURGE_JOB: &str = "wecom.media_purge";
const PURGE_EVERY_MS: i64 = 3600 * 1000;

pub fn register_jobs(r: &mut qixie_kernel::jobs::JobRegistry) {
    r.register(
        PURGE_JOB,
        std::sync::Arc::new(|app: AppState, _job| {
            Box::pin(async move {
                purge_expired(&app).await?;
                qixie_kernel::jobs::schedule_periodic(
                    &app,
                    PURGE_JOB,
                    PURGE_EVERY_MS,
                    app.now() + PURGE_EVERY_MS,
                )
                .await
            })
        }),
    );
}

/// Deletes every expired media file and row; the number removed. Files go first: a row whose file
/// is gone already answers "not found" like an expired one.
pub async fn purge_expired(app: &AppState) -> anyhow::Result<u64> {
    let mut removed = 0;
    loop {
        let now = app.now();
        let batch: Vec<(String, String)> = app
            .db
            .all(
                sql("SELECT media_id, storage_key FROM media WHERE expires_at <= $1 ORDER BY expires_at LIMIT 500")
                    .bind(now),
            )
            .await?;
        if batch.is_empty() {
            return Ok(removed);
        }
        for (_, key) in &batch {
            app.blobs.delete(key).await?;
        }
        removed += app
            .db
            .exec(
                sql("DELETE FROM media WHERE media_id IN ")
                    .push_in(batch.iter().map(|(id, _)| id.clone())),
            )
            .await?;
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MediaRow {
    pub media_id: String,
    pub corp_id: i64,
    pub kind: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub storage_key: String,
    pub created_at: i64,
    pub expires_at: i64,
}

const COLS: &str =
    "media_id, corp_id, kind, filename, content_type, size, storage_key, created_at, expires_at";

/// Stores an uploaded file and its row; the bytes go first, so a row never points at nothing.
pub async fn store(
    app: &AppState,
    corp: CorpId,
    kind: &str,
    filename: &str,
    content_type: &str,
    bytes: &[u8],
) -> AppResult<MediaRow> {
    let now = app.now();
    let media_id = random_token(24);
    let row = MediaRow {
        storage_key: format!("media/{corp}/{media_id}"),
        media_id,
        corp_id: corp.0,
        kind: kind.to_owned(),
        filename: filename.to_owned(),
        content_type: content_type.to_owned(),
        size: bytes.len() as i64,
        created_at: now,
        expires_at: now + TTL_MS,
    };
    app.blobs.put(&row.storage_key, bytes).await?;
    app.db
        .exec(
            sql(format!(
                "INSERT INTO media ({COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ))
            .bind(&row.media_id)
            .bind(row.corp_id)
            .bind(&row.kind)
            .bind(&row.filename)
            .bind(&row.content_type)
            .bind(row.size)
            .bind(&row.storage_key)
            .bind(row.created_at)
            .bind(row.expires_at),
        )
        .await?;
    Ok(row)
}

/// A live media row of `corp`; unknown, expired and other enterprises' media are all 40007.
pub async fn find(app: &AppState, corp: CorpId, media_id: &str) -> AppResult<MediaRow> {
    let row: MediaRow = app
        .db
        .opt(
            sql(format!(
                "SELECT {COLS} FROM media WHERE media_id = $1 AND corp_id = $2"
            ))
            .bind(media_id)
            .bind(corp),
        )
        .await?
        .ok_or(ErrorKind::MediaNotFound)?;
    if row.expires_at <= app.now() {
        return Err(ErrorKind::MediaNotFound.into());
    }
    Ok(row)
}

/// A live media row of `corp` with its bytes.
pub async fn load(app: &AppState, corp: CorpId, media_id: &str) -> AppResult<(MediaRow, Vec<u8>)> {
    let row = find(app, corp, media_id).await?;
    match app.blobs.get(&row.storage_key).await {
        Ok(bytes) => Ok((row, bytes)),
        Err(e) if qixie_kernel::blob::is_missing(&e) => Err(ErrorKind::MediaNotFound.into()),
        Err(e) => Err(AppError::internal(e)),
    }
}

async fn upload(
    State(app): State<AppState>,
    caller: AppCaller,
    p: Params,
    req: Request,
) -> AppResult<Response> {
    let kind = p.require_text("type")?.to_owned();
    if !KINDS.contains(&kind.as_str()) {
        return Err(AppError::field("type", FieldReason::Invalid));
    }
    let (filename, content_type, bytes) = read_file_field(req, &app, "media").await?;
    if bytes.is_empty() {
        return Err(AppError::field("media", FieldReason::Empty));
    }
    if bytes.len() > app.config.max_upload_bytes {
        return Err(ErrorKind::PayloadTooLarge.into());
    }
    let row = store(
        &app,
        caller.actor.corp,
        &kind,
        &filename,
        &content_type,
        &bytes,
    )
    .await?;
    // WeCom sends created_at as a string of Unix seconds.
    Ok(ok(
        json!({ "type": row.kind, "media_id": row.media_id, "created_at": (row.created_at / 1000).to_string() }),
    ))
}

async fn download(
    State(app): State<AppState>,
    caller: AppCaller,
    p: Params,
) -> AppResult<Response> {
    let media_id = p.text("media_id").ok_or(ErrorKind::MediaNotFound)?;
    let (row, bytes) = load(&app, caller.actor.corp, media_id).await?;
    Ok(file_response(&row.filename, bytes, Show::Download))
}
