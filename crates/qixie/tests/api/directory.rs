//! The directory at scale: search through the member-terms table, the cached department tree, the
//! bulk import path, session caching and revocation, and the WeCom batch jobs' callback, invitation
//! record, failure ending and media expiry.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both;
use crate::helpers::*;
use crate::org::urlencode;

async fn search(c: &Client, q: &str) -> (Vec<String>, i64) {
    search_with(c, &format!("q={}", urlencode(q))).await
}

async fn search_with(c: &Client, query: &str) -> (Vec<String>, i64) {
    let (s, r) = c.get(&format!("/api/v1/directory/members?{query}")).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let mut ids: Vec<String> = r["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["userid"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    (ids, r["total"].as_i64().unwrap())
}

both!(search_each_query_kind, async |app: &TestApp| {
    let c = app.admin().await;
    let d = dept(&c, "研发部", 1).await;
    for (userid, name, mobile, email, no) in [
        ("zhangsan", "张三", "13800138000", "zs@corp.cn", "E0042"),
        (
            "zhang.sanfeng",
            "张三丰",
            "13900139123",
            "sanfeng@corp.cn",
            "E1042",
        ),
        ("wangwei", "王伟", "13700001234", "", ""),
        ("wangwei2", "王伟", "13600004321", "ww2@corp.cn", ""),
        ("amy", "Amy Li", "", "amy@corp.cn", "x-77"),
    ] {
        let (s, b) = c.post("/api/v1/admin/members", json!({"userid": userid, "name": name, "mobile": mobile, "email": email, "employee_no": no, "department_ids": [d]})).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let v = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    for (q, want) in [
        // Pinyin initials, from the first character or a later one.
        ("zs", v(&["zhang.sanfeng", "zhangsan"])),
        ("zsf", v(&["zhang.sanfeng"])),
        ("sf", v(&["zhang.sanfeng"])),
        ("ww", v(&["wangwei", "wangwei2"])),
        // The name, whole or from a later character; case does not matter for Latin names.
        ("张三", v(&["zhang.sanfeng", "zhangsan"])),
        ("三丰", v(&["zhang.sanfeng"])),
        ("王伟", v(&["wangwei", "wangwei2"])),
        ("伟", v(&["wangwei", "wangwei2"])),
        ("li", v(&["amy"])),
        ("AMY", v(&["amy"])),
        // Full pinyin, from any syllable.
        ("zhangsanf", v(&["zhang.sanfeng"])),
        ("sanfeng", v(&["zhang.sanfeng"])),
        ("wei", v(&["wangwei", "wangwei2"])),
        // The account, whole or a prefix.
        ("wangwei2", v(&["wangwei2"])),
        ("zhang.", v(&["zhang.sanfeng"])),
        // The mobile: its beginning or its last digits.
        ("138001", v(&["zhangsan"])),
        ("1234", v(&["wangwei"])),
        ("0004321", v(&["wangwei2"])),
        ("39123", v(&["zhang.sanfeng"])),
        // Email (its local part) and employee number (beginning or end).
        ("ww2@", v(&["wangwei2"])),
        ("sanfeng@corp", v(&["zhang.sanfeng"])),
        ("e1042", v(&["zhang.sanfeng"])),
        ("042", v(&["zhang.sanfeng", "zhangsan"])),
        ("77", v(&["amy"])),
        // Nothing.
        ("zzz", v(&[])),
        ("0013", v(&[])),
    ] {
        let (ids, total) = search(&c, q).await;
        assert_eq!(ids, want, "search {q}");
        assert_eq!(total, want.len() as i64, "total of {q}");
    }
    // A page smaller than the matches still reports the whole total.
    let (ids, total) = search_with(&c, "q=zs&limit=1").await;
    assert_eq!((ids.len(), total), (1, 2));
    let (ids, total) = search_with(&c, "q=zs&limit=1&offset=1").await;
    assert_eq!((ids.len(), total), (1, 2));
    let (ids, total) = search_with(&c, "q=zs&limit=1&offset=5").await;
    assert_eq!((ids.len(), total), (0, 2));
    // Other filters still apply.
    let (ids, _) = search_with(&c, "q=ww&status=frozen").await;
    assert!(ids.is_empty());
    // Changes move the terms with them: old name and mobile are no longer found, the new ones are.
    let (s, b) = c
        .patch(
            "/api/v1/admin/members/wangwei",
            json!({"name": "李娜", "mobile": "13511112222"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(search(&c, "ww").await.0, v(&["wangwei2"]));
    assert_eq!(search(&c, "1234").await.0, v(&[]));
    assert_eq!(search(&c, "ln").await.0, v(&["wangwei"]));
    assert_eq!(search(&c, "2222").await.0, v(&["wangwei"]));
    // A member's own profile edit too.
    let zs = app
        .member_with_password(&c, "zhaosi", &[d], "Qixie2026z")
        .await;
    let (s, b) = zs
        .patch("/api/v1/me/profile", json!({"name": "赵思思"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(search(&c, "zss").await.0, v(&["zhaosi"]));
    // A deleted member is gone from search.
    let (s, _) = c.delete("/api/v1/admin/members/wangwei2").await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(search(&c, "ww").await.0, v(&[]));
    assert_eq!(search(&c, "wangwei").await.0, v(&["wangwei"]));
});

const IMPORT: &str = "姓名,帐号,手机,邮箱,部门,职务,性别,直属上级,标签\n\
王小明,wangxm,13900000001,wxm@corp.cn,华东/研发部,工程师,男,lihua,骨干\n\
李华,lihua,13900000002,,华东/研发部,经理,女,boss,\n\
赵六,zhaoliu,13900000004,,华东;华南,专员,,wangxm,骨干;新员工;骨干\n";

both!(
    import_writes_links_leaders_and_terms,
    async |app: &TestApp| {
        let c = app.admin().await;
        let (s, tree) = c.get("/api/v1/directory/departments").await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(tree["items"].as_array().unwrap().len(), 1);
        let (s, r) = c
            .upload(
                "/api/v1/admin/members/import",
                "members.csv",
                IMPORT.as_bytes().to_vec(),
                &[("mode", "all_or_nothing")],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(
            (r["created"].as_i64(), r["applied"].as_bool()),
            (Some(3), Some(true)),
            "{r}"
        );
        // Leaders: a later row (lihua for wangxm), an existing member (boss), an earlier row.
        for (who, leader) in [("wangxm", "lihua"), ("lihua", ADMIN), ("zhaoliu", "wangxm")] {
            let (_, m) = c.get(&format!("/api/v1/directory/members/{who}")).await;
            assert_eq!(m["member"]["leader_userid"], json!(leader), "{m}");
            assert_eq!(m["member"]["status"], json!("not_activated"));
        }
        let (_, m) = c.get("/api/v1/directory/members/zhaoliu").await;
        let depts: Vec<&str> = m["member"]["departments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap())
            .collect();
        assert_eq!(depts, vec!["华东", "华南"], "main department first");
        let tags: Vec<&str> = m["member"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(tags, vec!["新员工", "骨干"]);
        assert_eq!(search(&c, "wxm").await.0, vec!["wangxm".to_owned()]);
        assert_eq!(search(&c, "0004").await.0, vec!["zhaoliu".to_owned()]);
        // The cached tree shows the new departments and their member counts at once.
        let (_, tree) = c.get("/api/v1/directory/departments").await;
        let count = |tree: &Value, name: &str| {
            tree["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["name"] == name)
                .map(|d| d["member_count"].as_i64().unwrap())
        };
        assert_eq!(count(&tree, "研发部"), Some(2));
        assert_eq!(count(&tree, "华东"), Some(1));
        // The subtree listing counts each member once.
        let east = tree["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == "华东")
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let (_, page) = c
            .get(&format!(
                "/api/v1/admin/members?department_id={east}&recursive=true&limit=2"
            ))
            .await;
        assert_eq!(
            (
                page["items"].as_array().unwrap().len(),
                page["total"].as_i64()
            ),
            (2, Some(3))
        );
        let (_, page) = c
            .get(&format!(
                "/api/v1/admin/members?department_id={east}&limit=1"
            ))
            .await;
        assert_eq!(page["total"], json!(1));
    }
);

both!(
    department_tree_cache_follows_changes,
    async |app: &TestApp| {
        let c = app.admin().await;
        let names = async |c: &Client| -> Vec<(String, i64, Value)> {
            let (s, b) = c.get("/api/v1/directory/departments").await;
            assert_eq!(s, StatusCode::OK, "{b}");
            b["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    (
                        d["name"].as_str().unwrap().to_owned(),
                        d["member_count"].as_i64().unwrap(),
                        d["leader_userids"].clone(),
                    )
                })
                .collect()
        };
        assert_eq!(names(&c).await.len(), 1);
        let sales = dept(&c, "销售部", 1).await;
        let east = dept(&c, "华东组", sales).await;
        assert_eq!(names(&c).await.len(), 3);
        let (s, _) = c
            .post(
                "/api/v1/admin/members",
                json!({"userid": "a1", "name": "甲", "department_ids": [east]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        assert_eq!(names(&c).await[2], ("华东组".into(), 1, json!([])));
        let (s, _) = c
            .patch(
                &format!("/api/v1/admin/departments/{east}"),
                json!({"name": "华东一组", "leader_userids": ["a1"], "parent_id": 1}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let tree = names(&c).await;
        assert!(
            tree.contains(&("华东一组".into(), 1, json!(["a1"]))),
            "{tree:?}"
        );
        let (s, _) = c
            .patch(
                "/api/v1/admin/members/a1",
                json!({"department_ids": [sales]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let tree = names(&c).await;
        assert!(tree.contains(&("销售部".into(), 1, json!([]))), "{tree:?}");
        assert!(
            tree.contains(&("华东一组".into(), 0, json!(["a1"]))),
            "{tree:?}"
        );
        let (s, _) = c.delete("/api/v1/admin/members/a1").await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = c.delete(&format!("/api/v1/admin/departments/{east}")).await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(
            names(&c).await,
            vec![
                ("测试集团".into(), 1, json!([])),
                ("销售部".into(), 0, json!([]))
            ]
        );
    }
);

both!(
    sessions_end_at_once_despite_the_cache,
    async |app: &TestApp| {
        let boss = app.admin().await;
        let d = dept(&boss, "市场部", 1).await;
        let m = app
            .member_with_password(&boss, "m1", &[d], "Member2026")
            .await;
        let ok = async |c: &Client| c.get("/api/v1/directory/departments").await.0;
        assert_eq!(ok(&m).await, StatusCode::OK);
        // Rights granted or removed apply to the next request.
        assert_eq!(
            m.get("/api/v1/admin/members").await.0,
            StatusCode::FORBIDDEN
        );
        let (s, b) = boss
            .call(
                Method::PUT,
                "/api/v1/admin/admins/m1",
                Some(json!({"permissions": ["contacts.manage"], "scope": {"all": true}})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(m.get("/api/v1/admin/members").await.0, StatusCode::OK);
        let (s, _) = boss.delete("/api/v1/admin/admins/m1").await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(
            m.get("/api/v1/admin/members").await.0,
            StatusCode::FORBIDDEN
        );
        // Freezing ends the session at once.
        let (s, _) = boss
            .post("/api/v1/admin/members/m1/freeze", json!({}))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(ok(&m).await, StatusCode::UNAUTHORIZED);
        let (s, _) = boss
            .post("/api/v1/admin/members/m1/unfreeze", json!({}))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            ok(&m).await,
            StatusCode::UNAUTHORIZED,
            "a frozen session stays ended"
        );
        // Signing out ends that session; a password change ends the others; signout-all ends all.
        let a = app.login("m1", "Member2026").await;
        let b = app.login("m1", "Member2026").await;
        assert_eq!(
            (ok(&a).await, ok(&b).await),
            (StatusCode::OK, StatusCode::OK)
        );
        let (s, _) = a.post("/api/v1/auth/logout", json!({})).await;
        assert!(s.is_success(), "{s}");
        assert_eq!(
            (ok(&a).await, ok(&b).await),
            (StatusCode::UNAUTHORIZED, StatusCode::OK)
        );
        let c2 = app.login("m1", "Member2026").await;
        assert_eq!(ok(&c2).await, StatusCode::OK);
        let (s, _) = b
            .post(
                "/api/v1/me/password",
                json!({"old_password": "Member2026", "new_password": "Member2027"}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        assert_eq!(
            (ok(&b).await, ok(&c2).await),
            (StatusCode::OK, StatusCode::UNAUTHORIZED)
        );
        let (s, _) = boss
            .post("/api/v1/admin/members/m1/signout-all", json!({}))
            .await;
        assert!(s.is_success(), "{s}");
        assert_eq!(ok(&b).await, StatusCode::UNAUTHORIZED);
        // An administrator's reset forces a password change on the next request.
        let e = app.login("m1", "Member2027").await;
        assert_eq!(ok(&e).await, StatusCode::OK);
        let (s, b) = boss
            .post(
                "/api/v1/admin/members/m1/reset-password",
                json!({"password": "Reset2026x"}),
            )
            .await;
        assert!(s.is_success(), "{b}");
        assert_ne!(ok(&e).await, StatusCode::OK);
    }
);

/// A callback receiver on a loopback port that records what it is sent and answers the statuses
/// given, in turn (the last one from then on).
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<(String, String)>>>,
}

async fn receiver(statuses: Vec<u16>) -> Receiver {
    use axum::extract::{RawQuery, State};
    type Shared = (Arc<Mutex<Vec<(String, String)>>>, Arc<Mutex<Vec<u16>>>);
    let got: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let statuses = Arc::new(Mutex::new(statuses));
    let router = axum::Router::new()
        .route(
            "/cb",
            axum::routing::post(
                async |State((got, statuses)): State<Shared>,
                       RawQuery(q): RawQuery,
                       body: String| {
                    got.lock().unwrap().push((q.unwrap_or_default(), body));
                    let mut s = statuses.lock().unwrap();
                    let code = if s.len() > 1 { s.remove(0) } else { s[0] };
                    (axum::http::StatusCode::from_u16(code).unwrap(), "success")
                },
            ),
        )
        .with_state((got.clone(), statuses));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cb", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    Receiver { url, got }
}

/// Moves the clock on and wakes the job runner until `done` holds (at most ~40 s of real time: the
/// suite runs many servers at once on few cores).
pub(crate) async fn until(app: &TestApp, step_ms: i64, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..400 {
        if done().await {
            return;
        }
        app.clock.advance_ms(step_ms);
        app.state.jobs.wake();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("condition not reached");
}

fn inner_xml(body: &str, query: &str, corpid: &str) -> String {
    let encrypted = body
        .split("<Encrypt><![CDATA[")
        .nth(1)
        .and_then(|s| s.split("]]>").next())
        .unwrap();
    let param = |k: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(&format!("{k}=")))
            .unwrap()
            .to_owned()
    };
    let crypt = qixie_wecom::crypto::MsgCrypt::new("cbtoken", AES_KEY, corpid).unwrap();
    assert_eq!(
        crypt.signature(&param("timestamp"), &param("nonce"), encrypted),
        param("msg_signature"),
        "the signature checks out"
    );
    let (xml, id) = crypt.decrypt(encrypted).unwrap();
    assert_eq!(id, corpid);
    xml
}

both!(
    batch_job_calls_back_and_records_invitations,
    async |app: &TestApp| {
        let token = contacts_token(app).await;
        // The receiver is down for the first delivery: the event comes again.
        let rx = receiver(vec![503, 200]).await;
        let csv = "姓名,帐号,手机号,所在部门\n张三,cb1,13811110001,1\n李四,cb2,13811110002,1\n";
        let media = cgi_upload(app, &token, "members.csv", csv.as_bytes()).await;
        let r = cgi_post(app, &token, "batch/syncuser", json!({"media_id": media, "callback": {"url": rx.url, "token": "cbtoken", "encodingaeskey": AES_KEY}})).await;
        assert_eq!(r["errcode"], json!(0), "{r}");
        let jobid = r["jobid"].as_str().unwrap().to_owned();
        until(app, 1_000, async || rx.got.lock().unwrap().len() >= 2).await;
        let r = cgi_get(app, &token, &format!("batch/getresult?jobid={jobid}")).await;
        assert_eq!(
            (r["status"].as_i64(), r["total"].as_i64()),
            (Some(3), Some(2)),
            "{r}"
        );
        let got = rx.got.lock().unwrap().clone();
        assert_eq!(
            got.len(),
            2,
            "delivered once more after the failure, then done"
        );
        let xml = inner_xml(&got[1].1, &got[1].0, &app.corp_id);
        for part in [
            "<Event><![CDATA[batch_job_result]]></Event>".to_owned(),
            format!("<JobId><![CDATA[{jobid}]]></JobId>"),
            "<JobType><![CDATA[sync_user]]></JobType>".to_owned(),
            "<ErrCode>0</ErrCode>".to_owned(),
            format!("<ToUserName><![CDATA[{}]]></ToUserName>", app.corp_id),
        ] {
            assert!(xml.contains(&part), "{part} in {xml}");
        }
        // to_invite defaults to true: the new members are recorded as invited.
        let boss = app.admin().await;
        let (_, a) = boss.get("/api/v1/admin/audit?kind=member.invite").await;
        assert_eq!(a["total"], json!(1), "{a}");
        assert!(
            a.to_string().contains("cb1") && a.to_string().contains("cb2"),
            "{a}"
        );
        // With to_invite false nobody is recorded; members already there never are.
        let csv = "姓名,帐号,手机号,所在部门\n王五,cb3,13811110003,1\n";
        let media = cgi_upload(app, &token, "more.csv", csv.as_bytes()).await;
        let r = cgi_post(
            app,
            &token,
            "batch/syncuser",
            json!({"media_id": media, "to_invite": "false"}),
        )
        .await;
        let jobid = r["jobid"].as_str().unwrap().to_owned();
        until(app, 100, async || {
            cgi_get(app, &token, &format!("batch/getresult?jobid={jobid}")).await["status"] == 3
        })
        .await;
        let csv = "姓名,帐号,手机号,所在部门\n张三三,cb1,13811110001,1\n";
        let media = cgi_upload(app, &token, "again.csv", csv.as_bytes()).await;
        let r = cgi_post(
            app,
            &token,
            "batch/syncuser",
            json!({"media_id": media, "to_invite": true}),
        )
        .await;
        let jobid = r["jobid"].as_str().unwrap().to_owned();
        until(app, 100, async || {
            cgi_get(app, &token, &format!("batch/getresult?jobid={jobid}")).await["status"] == 3
        })
        .await;
        let (_, a) = boss.get("/api/v1/admin/audit?kind=member.invite").await;
        assert_eq!(a["total"], json!(1), "{a}");
        // A callback that cannot be used is refused at once.
        for cb in [
            json!({"url": "ftp://x/cb", "token": "t", "encodingaeskey": AES_KEY}),
            json!({"url": rx.url, "token": "", "encodingaeskey": AES_KEY}),
            json!({"url": rx.url, "token": "t", "encodingaeskey": "short"}),
        ] {
            let r = cgi_post(
                app,
                &token,
                "batch/syncuser",
                json!({"media_id": media, "callback": cb}),
            )
            .await;
            assert_eq!(r["errcode"], json!(40058), "{r}");
        }
    }
);

both!(
    failed_batch_job_ends_with_status_3,
    async |app: &TestApp| {
        let token = contacts_token(app).await;
        let rx = receiver(vec![200]).await;
        let csv = "姓名,帐号,所在部门\n张三,f1,1\n";
        let media = cgi_upload(app, &token, "members.csv", csv.as_bytes()).await;
        // The stored file becomes unreadable (a link to itself, which no open gets through; not a
        // missing file): every attempt fails.
        let path = app
            .state
            .config
            .data_dir
            .join("blobs/media")
            .join(app.corp_id_number().await.to_string())
            .join(&media);
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&path, &path).unwrap();
        let r = cgi_post(app, &token, "batch/replaceuser", json!({"media_id": media, "callback": {"url": rx.url, "token": "cbtoken", "encodingaeskey": AES_KEY}})).await;
        assert_eq!(r["errcode"], json!(0), "{r}");
        let jobid = r["jobid"].as_str().unwrap().to_owned();
        until(app, 60_000, async || {
            cgi_get(app, &token, &format!("batch/getresult?jobid={jobid}")).await["status"] == 3
        })
        .await;
        let r = cgi_get(app, &token, &format!("batch/getresult?jobid={jobid}")).await;
        assert_eq!(
            (r["total"].as_i64(), r["percentage"].as_i64()),
            (Some(1), Some(100)),
            "{r}"
        );
        assert_eq!(r["result"][0]["errcode"], json!(-1), "{r}");
        assert!(!r["result"][0]["errmsg"].as_str().unwrap().is_empty());
        until(app, 1_000, async || !rx.got.lock().unwrap().is_empty()).await;
        let (q, body) = rx.got.lock().unwrap()[0].clone();
        let xml = inner_xml(&body, &q, &app.corp_id);
        assert!(xml.contains("<ErrCode>-1</ErrCode>"), "{xml}");
        // Nobody was deleted by the failed replace.
        let boss = app.admin().await;
        assert_eq!(
            boss.get(&format!("/api/v1/directory/members/{ADMIN}"))
                .await
                .0,
            StatusCode::OK
        );
    }
);

both!(
    temporary_media_expire_and_are_purged,
    async |app: &TestApp| {
        let token = contacts_token(app).await;
        let media = cgi_upload(app, &token, "note.txt", b"hello").await;
        let get = async |token: &str, id: &str| {
            reqwest::get(format!(
                "{}/cgi-bin/media/get?access_token={token}&media_id={id}",
                app.base
            ))
            .await
            .unwrap()
        };
        let res = get(&token, &media).await;
        assert_eq!(res.bytes().await.unwrap().as_ref(), b"hello");
        let path = app
            .state
            .config
            .data_dir
            .join("blobs/media")
            .join(app.corp_id_number().await.to_string())
            .join(&media);
        assert!(path.exists());
        // The purge is scheduled as a periodic job.
        let (n,): (i64,) = app
        .state
        .db
        .one(qixie_kernel::db::sql("SELECT COUNT(*) FROM jobs WHERE kind = 'wecom.media_purge' AND status IN ('pending', 'running', 'done')"))
        .await
        .unwrap();
        assert!(n >= 1);
        // Three days on, the media is gone for media/get and for batch jobs, before any purge.
        app.clock.advance_ms(3 * 24 * 3600 * 1000 + 1_000);
        let token = contacts_token(app).await;
        let r: Value = get(&token, &media).await.json().await.unwrap();
        assert_eq!(r["errcode"], json!(40007), "{r}");
        let r = cgi_post(app, &token, "batch/syncuser", json!({"media_id": media})).await;
        assert_eq!(r["errcode"], json!(40007), "{r}");
        // The hourly purge job (due now that the clock moved on) removes the row and the file; a
        // fresh upload stays.
        let fresh = cgi_upload(app, &token, "new.txt", b"new").await;
        let rows = async || {
            app.state
                .db
                .one::<(i64,)>(qixie_kernel::db::sql("SELECT COUNT(*) FROM media"))
                .await
                .unwrap()
                .0
        };
        until(app, 0, async || !path.exists() && rows().await == 1).await;
        let again = qixie_wecom::media::purge_expired(&app.state).await.unwrap();
        assert_eq!(again, 0, "nothing expired is left");
        let (left,): (i64,) = app
            .state
            .db
            .one(qixie_kernel::db::sql("SELECT COUNT(*) FROM media"))
            .await
            .unwrap();
        assert_eq!(left, 1);
        let r: Value = get(&token, &media).await.json().await.unwrap();
        assert_eq!(r["errcode"], json!(40007), "{r}");
        assert_eq!(
            get(&token, &fresh).await.bytes().await.unwrap().as_ref(),
            b"new"
        );
    }
);

both!(statistics_follow_an_import, async |app: &TestApp| {
    use qixie_kernel::db::{Dialect, sql};
    let c = app.admin().await;
    let mut csv = String::from("姓名,帐号,手机,部门\n");
    for i in 0..1500 {
        csv.push_str(&format!("成员{i},user{i},139{i:08},统计部/组{}\n", i % 7));
    }
    let (s, r) = c
        .upload(
            "/api/v1/admin/members/import",
            "many.csv",
            csv.into_bytes(),
            &[],
        )
        .await;
    assert_eq!(
        (s, r["created"].as_i64()),
        (StatusCode::OK, Some(1500)),
        "{r}"
    );
    let db = &app.state.db;
    // The refresh runs in the background right after the import commits.
    let mut members_rows = 0;
    for _ in 0..100 {
        members_rows = match db.dialect() {
            Dialect::Sqlite => db
                .opt::<(String,)>(sql("SELECT stat FROM sqlite_stat1 WHERE tbl = 'members' AND idx = 'ux_members_userid'"))
                .await
                .ok()
                .flatten()
                .and_then(|(s,)| s.split(' ').next().and_then(|n| n.parse::<i64>().ok()))
                .unwrap_or(0),
            Dialect::Postgres => db
                .one::<(f32,)>(sql("SELECT reltuples FROM pg_class WHERE relname = 'members'"))
                .await
                .map(|(n,)| n as i64)
                .unwrap_or(0),
        };
        if members_rows >= 1501 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(members_rows, 1501, "statistics count the imported members");
    if db.dialect() == Dialect::Sqlite {
        // Small tables keep no statistics, which would mislead once they grow.
        let (small,): (i64,) = db
            .one(sql(
                "SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl IN ('corps', 'tags', 'sessions')",
            ))
            .await
            .unwrap();
        assert_eq!(small, 0);
    }
    // Searching the imported directory still finds exactly the member asked for.
    assert_eq!(search(&c, "user1499").await.0, vec!["user1499".to_owned()]);
});

both!(
    terms_backfill_covers_existing_members,
    async |app: &TestApp| {
        use qixie_kernel::db::sql;
        let c = app.admin().await;
        let d = dept(&c, "回填部", 1).await;
        for (userid, name, mobile) in [
            ("bf1", "欧阳修", "13712345678"),
            ("bf2", "李白", "13787654321"),
        ] {
            let (s, b) = c.post("/api/v1/admin/members", json!({"userid": userid, "name": name, "mobile": mobile, "department_ids": [d]})).await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
        }
        // As before the terms table existed: none at all. The migration's backfill writes them again.
        let db = &app.state.db;
        let mut tx = db.begin().await.unwrap();
        tx.exec(sql("DELETE FROM member_terms")).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(search(&c, "oyx").await.0, Vec::<String>::new());
        let mut tx = db.begin().await.unwrap();
        qixie_org::terms::backfill(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(search(&c, "oyx").await.0, vec!["bf1".to_owned()]);
        assert_eq!(search(&c, "白").await.0, vec!["bf2".to_owned()]);
        assert_eq!(search(&c, "5678").await.0, vec!["bf1".to_owned()]);
        assert_eq!(search(&c, ADMIN).await.0, vec![ADMIN.to_owned()]);
    }
);
