//! Files served inert, the blocked-extension list, attaching only readable media, and sign-in that
//! counts parallel failures exactly, takes JSON only and refuses other sites' pages.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::chat::{PNG, group, people};
use crate::helpers::*;

const HTML: &[u8] =
    b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>";

/// Headers of a download, and its body.
async fn download(c: &Client, media_id: &str) -> (StatusCode, reqwest::header::HeaderMap) {
    let res = c
        .request(Method::GET, &format!("/api/v1/chat/media/{media_id}"))
        .send()
        .await
        .unwrap();
    (res.status(), res.headers().clone())
}

fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// What every file response carries, whatever the file.
fn assert_inert(h: &reqwest::header::HeaderMap) {
    assert_eq!(header(h, "x-content-type-options"), "nosniff", "{h:?}");
    let csp = header(h, "content-security-policy");
    assert!(
        csp.contains("sandbox") && csp.contains("default-src 'none'"),
        "{h:?}"
    );
    let ct = header(h, "content-type");
    assert!(
        !ct.contains("html") && !ct.contains("xml") && !ct.contains("svg"),
        "{h:?}"
    );
}

both!(
    html_and_polyglot_uploads_are_served_inert,
    async |app: &TestApp| {
        let p = people(app).await;
        let g = group(&p.zhang, "资料", &["li"]).await;
        // A web page uploaded as a file downloads as bytes, never renders as a page of ours.
        let (s, page) = p
            .zhang
            .upload("/api/v1/chat/media", "invoice.html", HTML.to_vec(), &[])
            .await;
        assert_eq!(s, StatusCode::CREATED, "{page}");
        assert_eq!(page["kind"], "file");
        assert_eq!(page["mime"], "application/octet-stream");
        let (s, _) = p
            .zhang
            .post(
                &format!("/api/v1/chat/conversations/{g}/messages"),
                json!({"type": "file", "media_id": page["media_id"]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        let (s, h) = download(&p.li, page["media_id"].as_str().unwrap()).await;
        assert_eq!(s, StatusCode::OK);
        assert_inert(&h);
        assert_eq!(header(&h, "content-type"), "application/octet-stream");
        assert!(
            header(&h, "content-disposition").starts_with("attachment;"),
            "{h:?}"
        );
        // A real PNG with a page after it, named .html: a picture, served as one.
        let mut poly = PNG.to_vec();
        poly.extend_from_slice(HTML);
        let (s, img) = p
            .zhang
            .upload("/api/v1/chat/media", "cat.html", poly, &[])
            .await;
        assert_eq!(s, StatusCode::CREATED, "{img}");
        assert_eq!(img["kind"], "image");
        assert_eq!(img["mime"], "image/png");
        let (s, h) = download(&p.zhang, img["media_id"].as_str().unwrap()).await;
        assert_eq!(s, StatusCode::OK);
        assert_inert(&h);
        assert_eq!(header(&h, "content-type"), "image/png");
        // Something that only starts like a PNG is no picture: it downloads.
        let mut fake = PNG[..16].to_vec();
        fake.extend_from_slice(HTML);
        let (s, f) = p
            .zhang
            .upload("/api/v1/chat/media", "fake.png", fake, &[])
            .await;
        assert_eq!(s, StatusCode::CREATED, "{f}");
        assert_eq!(f["kind"], "file");
        let (_, h) = download(&p.zhang, f["media_id"].as_str().unwrap()).await;
        assert_inert(&h);
        assert!(
            header(&h, "content-disposition").starts_with("attachment;"),
            "{h:?}"
        );
        let _ = (&p.boss, &p.wang);
    }
);

both!(wecom_media_get_is_served_inert, async |app: &TestApp| {
    let boss = app.admin().await;
    let (s, b) = boss
        .post(
            "/api/v1/admin/apps",
            json!({"name": "HR", "scopes": ["contacts.read"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let t: Value = reqwest::get(format!(
        "{}/cgi-bin/gettoken?corpid={}&corpsecret={}",
        app.base,
        app.corp_id,
        b["secret"].as_str().unwrap()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let token = t["access_token"].as_str().unwrap();
    let http = reqwest::Client::new();
    for (name, bytes) in [("page.html", HTML.to_vec()), ("x.svg", b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>".to_vec())] {
        let form = reqwest::multipart::Form::new().part(
            "media",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name)
                .mime_str("text/html")
                .unwrap(),
        );
        let r: Value = http
            .post(format!(
                "{}/cgi-bin/media/upload?access_token={token}&type=file",
                app.base
            ))
            .multipart(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["errcode"], json!(0), "{r}");
        let res = http
            .get(format!(
                "{}/cgi-bin/media/get?access_token={token}&media_id={}",
                app.base,
                r["media_id"].as_str().unwrap()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let h = res.headers().clone();
        assert_inert(&h);
        assert!(
            header(&h, "content-disposition").starts_with("attachment;"),
            "{h:?}"
        );
    }
});

both!(
    blocked_extensions_cannot_be_dodged,
    async |app: &TestApp| {
        let p = people(app).await;
        for name in [
            "virus.exe.",
            "VIRUS.EXE",
            "a.exe ",
            "a.exe...",
            "a.EXE . ",
            "a.exe.txt",
        ] {
            let (s, b) = p
                .zhang
                .upload("/api/v1/chat/media", name, b"MZ\x90\x00".to_vec(), &[])
                .await;
            assert_eq!(
                (s, code(&b)),
                (StatusCode::UNPROCESSABLE_ENTITY, "file_type_refused"),
                "{name}: {b}"
            );
        }
        let (s, b) = p
            .zhang
            .upload("/api/v1/chat/media", "exe.txt", b"notes".to_vec(), &[])
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        let _ = (&p.boss, &p.li, &p.wang);
    }
);

both!(others_media_cannot_be_attached, async |app: &TestApp| {
    let p = people(app).await;
    // zhang and li share X; wang is not in it.
    let x = group(&p.zhang, "机密", &["li"]).await;
    let (s, doc) = p
        .zhang
        .upload(
            "/api/v1/chat/media",
            "薪资.pdf",
            b"%PDF-1.4 salaries".to_vec(),
            &[],
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{doc}");
    let (s, img) = p
        .zhang
        .upload("/api/v1/chat/media", "plan.png", PNG.to_vec(), &[])
        .await;
    assert_eq!(s, StatusCode::CREATED, "{img}");
    for m in [&doc, &img] {
        let (s, b) = p
            .zhang
            .post(
                &format!("/api/v1/chat/conversations/{x}/messages"),
                json!({"type": m["kind"], "media_id": m["media_id"]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    // wang names those ids in a message of his own conversation Y.
    let y = group(&p.wang, "闲聊", &["boss"]).await;
    for (kind, m) in [("file", &doc), ("image", &img), ("file", &img)] {
        let (s, b) = p
            .wang
            .post(
                &format!("/api/v1/chat/conversations/{y}/messages"),
                json!({"type": kind, "media_id": m["media_id"]}),
            )
            .await;
        assert_eq!(
            (s, code(&b)),
            (StatusCode::NOT_FOUND, "media_not_found"),
            "{b}"
        );
        let (s, _) = download(&p.wang, m["media_id"].as_str().unwrap()).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    // Nor through a robot of his conversation, which attaches only its own uploads.
    let robot = async |c: &Client, conv: &str| {
        let (s, r) = c
            .post(
                &format!("/api/v1/chat/conversations/{conv}/robots"),
                json!({"name": "小助手"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{r}");
        r["key"].as_str().unwrap().to_owned()
    };
    let hook_upload = async |key: &str| -> String {
        let form = reqwest::multipart::Form::new().part(
            "media",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 robot".to_vec()).file_name("r.pdf"),
        );
        let r: Value = reqwest::Client::new()
            .post(format!(
                "{}/cgi-bin/webhook/upload_media?key={key}&type=file",
                app.base
            ))
            .multipart(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["errcode"], json!(0), "{r}");
        r["media_id"].as_str().unwrap().to_owned()
    };
    let hook_send = async |key: &str, media_id: &str| -> Value {
        reqwest::Client::new()
            .post(format!("{}/cgi-bin/webhook/send?key={key}", app.base))
            .body(json!({"msgtype": "file", "file": {"media_id": media_id}}).to_string())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    };
    let y_robot = robot(&p.wang, &y).await;
    let x_robot = robot(&p.zhang, &x).await;
    let x_upload = hook_upload(&x_robot).await;
    for id in [doc["media_id"].as_str().unwrap(), x_upload.as_str()] {
        let hook = hook_send(&y_robot, id).await;
        assert_eq!(hook["errcode"], json!(40007), "{hook}");
    }
    let own = hook_upload(&y_robot).await;
    let hook = hook_send(&y_robot, &own).await;
    assert_eq!(hook["errcode"], json!(0), "{hook}");
    let (s, _) = download(&p.wang, doc["media_id"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, hist) = p
        .boss
        .get(&format!("/api/v1/chat/conversations/{y}/messages"))
        .await;
    assert!(
        !hist.to_string().contains(doc["media_id"].as_str().unwrap()),
        "{hist}"
    );
    // li, who reads X, may pass the file on into a conversation of hers.
    let z = group(&p.li, "转交", &["wang"]).await;
    let (s, b) =
        p.li.post(
            &format!("/api/v1/chat/conversations/{z}/messages"),
            json!({"type": "file", "media_id": doc["media_id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, _) = download(&p.wang, doc["media_id"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK);
});

both!(
    parallel_wrong_passwords_lock_like_serial_ones,
    async |app: &TestApp| {
        let admin = app.admin().await;
        let (s, b) = admin.call(Method::PUT, "/api/v1/admin/settings/security", Some(json!({"password_min_length": 8, "password_rotation_days": 0, "login_max_failures": 3, "login_lock_minutes": 30}))).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        app.member_with_password(&admin, "victim", &[1], "Secret2026")
            .await;
        let anon = app.anon();
        let attempts = (0..50).map(|i| {
            let anon = &anon;
            async move {
                anon.post(
                    "/api/v1/auth/login",
                    json!({"account": "victim", "password": format!("wrong{i}")}),
                )
                .await
            }
        });
        let answers = futures_util::future::join_all(attempts).await;
        for (s, b) in &answers {
            assert!(
                matches!(
                    (*s, code(b)),
                    (StatusCode::UNAUTHORIZED, "bad_credentials")
                        | (StatusCode::LOCKED, "account_locked")
                        | (StatusCode::TOO_MANY_REQUESTS, "throttled")
                ),
                "{s} {b}"
            );
        }
        let (s, b) = anon
            .post(
                "/api/v1/auth/login",
                json!({"account": "victim", "password": "Secret2026"}),
            )
            .await;
        assert_eq!((s, code(&b)), (StatusCode::LOCKED, "account_locked"), "{b}");
        // Only as many passwords were checked as the limit allows, and the account locked once.
        let (_, a) = admin
            .get("/api/v1/admin/audit?kind=auth.login_failed&target=victim")
            .await;
        let checked = a["total"].as_i64().unwrap();
        assert!((1..=3).contains(&checked), "{checked} checked: {a}");
        let (_, a) = admin
            .get("/api/v1/admin/audit?kind=auth.locked&target=victim")
            .await;
        assert_eq!(a["total"], json!(1), "{a}");
    }
);

both!(
    sign_in_takes_json_from_our_pages_only,
    async |app: &TestApp| {
        let http = reqwest::Client::new();
        let url = format!("{}/api/v1/auth/login", app.base);
        let body = json!({"account": ADMIN, "password": ADMIN_PW}).to_string();
        let send = |ct: Option<&'static str>, extra: Option<(&'static str, String)>| {
            let mut r = http.post(&url).body(body.clone());
            if let Some(ct) = ct {
                r = r.header("content-type", ct);
            }
            if let Some((k, v)) = extra {
                r = r.header(k, v);
            }
            async move {
                let res = r.send().await.unwrap();
                let s = res.status();
                (s, res.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        // A cross-site form can only send these types.
        for ct in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            None,
        ] {
            let (s, b) = send(ct, None).await;
            assert_eq!(
                (s, code(&b)),
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "json_required"),
                "{ct:?}"
            );
            assert!(!b["error"]["message"].as_str().unwrap().is_empty());
        }
        let json_ct = Some("application/json; charset=utf-8");
        for bad in [
            ("origin", "https://evil.example".to_owned()),
            ("origin", "null".to_owned()),
            ("sec-fetch-site", "cross-site".to_owned()),
        ] {
            let (s, b) = send(json_ct, Some((bad.0, bad.1.clone()))).await;
            assert_eq!(
                (s, code(&b)),
                (StatusCode::FORBIDDEN, "cross_site_request"),
                "{bad:?}"
            );
        }
        // Our own pages, and clients that are not browsers, sign in.
        for ok in [
            Some(("origin", app.base.clone())),
            Some(("sec-fetch-site", "same-origin".to_owned())),
            None,
        ] {
            let (s, b) = send(json_ct, ok.clone()).await;
            assert_eq!(s, StatusCode::OK, "{ok:?}: {b}");
        }
    }
);

both!(json_bodies_end_after_the_value, async |app: &TestApp| {
    let admin = app.admin().await;
    let login = json!({"account": ADMIN, "password": ADMIN_PW}).to_string();
    for tail in [" xyz", "{\"b\":2}", "]"] {
        let res = app
            .anon()
            .http
            .post(format!("{}/api/v1/auth/login", app.base))
            .header("content-type", "application/json")
            .body(format!("{login}{tail}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{tail}");
        let b: Value = res.json().await.unwrap();
        assert_eq!(code(&b), "bad_request");
        let res = admin
            .request(Method::POST, "/api/v1/admin/departments")
            .header("content-type", "application/json")
            .body(format!("{}{tail}", json!({"name": "多余", "parent_id": 1})))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{tail}");
    }
    // Whitespace after the value is still fine.
    let res = admin
        .request(Method::POST, "/api/v1/admin/departments")
        .header("content-type", "application/json")
        .body(format!("{} \n", json!({"name": "正常", "parent_id": 1})))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
});
