//! Uploaded files through `object_store`: the blob store on the local disk and on a real
//! S3-compatible server (moto, which `.ci/run` starts; `QIXIE_TEST_S3_URL`), and a server configured
//! for S3 storing and serving chat and WeCom media from its bucket.
use qixie_kernel::blob::{self, BlobStore, S3Settings};
use qixie_kernel::db::sql;
use reqwest::{Method, StatusCode};

use crate::chat::PNG;
use crate::directory::until;
use crate::helpers::{Engine, TestApp, cgi_upload, contacts_token, missing};

/// A bucket of its own on the test S3 server; `None` (after `missing`) when no server answers.
async fn bucket() -> Option<S3Settings> {
    let url = std::env::var("QIXIE_TEST_S3_URL").unwrap_or_else(|_| "http://127.0.0.1:9000".into());
    let bucket = format!(
        "qixie-t-{}",
        qixie_kernel::ids::random_token(8)
            .to_lowercase()
            .replace(['-', '_'], "x")
    );
    // moto takes an unsigned bucket creation; the store itself signs every request.
    match reqwest::Client::new()
        .put(format!("{url}/{bucket}"))
        .send()
        .await
    {
        Ok(res) => {
            assert!(
                res.status().is_success(),
                "creating bucket {bucket} at {url}: {res:?}"
            );
            Some(S3Settings {
                bucket,
                endpoint: url,
                region: "us-east-1".into(),
                access_key_id: "qixie-test".into(),
                secret_access_key: "qixie-test-secret".into(),
                allow_http: true,
            })
        }
        Err(e) => {
            missing(&format!(
                "no S3-compatible server at {url} ({e}); .ci/run starts one (moto_server)"
            ));
            None
        }
    }
}

/// What a store does, whatever keeps the bytes.
async fn behaves(store: &BlobStore) {
    store.put("chat/1/abc", b"first").await.unwrap();
    assert_eq!(store.get("chat/1/abc").await.unwrap(), b"first");
    store.put("chat/1/abc", b"second").await.unwrap();
    assert_eq!(store.get("chat/1/abc").await.unwrap(), b"second");
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    store.put("media/2/big", &big).await.unwrap();
    assert!(store.get("media/2/big").await.unwrap() == big);

    let gone = store.get("chat/1/nothing").await.unwrap_err();
    assert!(blob::is_missing(&gone), "{gone:#}");
    store.delete("chat/1/abc").await.unwrap();
    let gone = store.get("chat/1/abc").await.unwrap_err();
    assert!(blob::is_missing(&gone), "{gone:#}");
    // Deleting what is not there is fine (a purge that runs twice).
    store.delete("chat/1/abc").await.unwrap();
    assert_eq!(store.get("media/2/big").await.unwrap().len(), big.len());

    let bad = store.get("chat/../secret").await.unwrap_err();
    assert!(!blob::is_missing(&bad), "{bad:#}");
    assert!(store.put("chat/../secret", b"x").await.is_err());
}

#[tokio::test]
async fn blob_store_on_the_local_disk() {
    let dir = tempfile::tempdir().unwrap();
    behaves(&BlobStore::local(dir.path().join("blobs")).unwrap()).await;
}

#[tokio::test]
async fn blob_store_on_s3() {
    let Some(s3) = bucket().await else { return };
    behaves(&BlobStore::s3(&s3).unwrap()).await;
    // Another bucket sees none of it.
    let Some(other) = bucket().await else { return };
    let e = BlobStore::s3(&other)
        .unwrap()
        .get("media/2/big")
        .await
        .unwrap_err();
    assert!(blob::is_missing(&e), "{e:#}");
}

/// A server whose files go to a bucket: chat images (and their thumbnails) and WeCom temporary media
/// are stored there, served from there and purged from there; nothing lands on the local disk.
async fn media_through_s3(engine: Engine) {
    let Some(s3) = bucket().await else { return };
    let app = TestApp::spawn_with(engine, |c| c.blob_s3 = s3.clone()).await;
    let direct = BlobStore::s3(&s3).unwrap();
    let boss = app.admin().await;

    let (s, img) = boss
        .upload("/api/v1/chat/media", "pixel.png", PNG.to_vec(), &[])
        .await;
    assert_eq!(s, StatusCode::CREATED, "{img}");
    let id = img["media_id"].as_str().unwrap();
    let download = async |query: &str| {
        let path = format!("/api/v1/chat/media/{id}{query}");
        let res = boss.request(Method::GET, &path).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res
    };
    let res = download("").await;
    assert_eq!(res.bytes().await.unwrap().as_ref(), PNG);
    let res = download("?thumb=1").await;
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let thumb = res.bytes().await.unwrap();
    let (key, thumb_key): (String, String) = app
        .state
        .db
        .one(sql("SELECT blob_key, thumb_key FROM chat_media WHERE id = $1").bind(id))
        .await
        .unwrap();
    assert_eq!(direct.get(&key).await.unwrap(), PNG);
    assert_eq!(direct.get(&thumb_key).await.unwrap(), thumb.as_ref());

    let token = contacts_token(&app).await;
    let media = cgi_upload(&app, &token, "note.txt", b"hello").await;
    let res = reqwest::get(format!(
        "{}/cgi-bin/media/get?access_token={token}&media_id={media}",
        app.base
    ))
    .await
    .unwrap();
    assert_eq!(res.bytes().await.unwrap().as_ref(), b"hello");
    let key = format!("media/{}/{media}", app.corp_id_number().await);
    assert_eq!(direct.get(&key).await.unwrap(), b"hello");
    assert!(!app.state.config.data_dir.join("blobs").exists());

    // Three days on, the hourly purge (due now) deletes the object from the bucket.
    app.clock.advance_ms(3 * 24 * 3600 * 1000 + 1_000);
    until(&app, 0, async || {
        direct.get(&key).await.is_err_and(|e| blob::is_missing(&e))
    })
    .await;
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_through_s3_on_sqlite() {
    media_through_s3(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_through_s3_on_postgres() {
    media_through_s3(Engine::Postgres).await;
}
