//! Deleting a member who has chat history: the others keep reading their messages under their name,
//! marked as departed; what was theirs alone goes with them; never a 5xx.
use reqwest::StatusCode;
use serde_json::json;

use crate::both;
use crate::chat::{group, say};
use crate::helpers::*;

both!(
    deleting_a_member_with_chat_history_keeps_their_messages,
    async |app: &TestApp| {
        let boss = app.admin().await;
        let zhang = app
            .member_with_password(&boss, "zhang", &[1], "Kaiyuan2026x")
            .await;
        let li = app
            .member_with_password(&boss, "li", &[1], "Kaiyuan2026y")
            .await;
        // zhang owns a group with li and boss, talks there, keeps a favourite and a quick reply.
        let g = group(&zhang, "项目群", &["li", ADMIN]).await;
        let m = say(&zhang, &g, "下周三开会").await;
        say(&li, &g, "收到").await;
        let (s, b) = zhang
            .post("/api/v1/chat/favourites", json!({"message_id": m["id"]}))
            .await;
        assert!(s.is_success(), "{b}");
        let (s, b) = zhang
            .post(
                "/api/v1/chat/quick-replies",
                json!({"text": "好的，马上处理"}),
            )
            .await;
        assert!(s.is_success(), "{b}");

        let (s, b) = boss.delete("/api/v1/admin/members/zhang").await;
        assert!(
            s.is_success(),
            "deleting a member in conversations: {s} {b}"
        );

        // li still reads the history, under zhang's name, marked as departed.
        let (s, ev) = li
            .get(&format!("/api/v1/chat/conversations/{g}/events?after=0"))
            .await;
        assert_eq!(s, StatusCode::OK, "{ev}");
        let from_zhang = ev["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["content"].to_string().contains("下周三开会"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(from_zhang["sender"]["name"], json!("zhang"), "{ev}");
        assert_eq!(from_zhang["sender"]["departed"], json!(true), "{ev}");
        let from_li = ev["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["content"].to_string().contains("收到"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(from_li["sender"]["departed"], json!(false), "{ev}");
        // The group lives on with a new owner, and li can still write in it.
        let (s, conv) = li.get(&format!("/api/v1/chat/conversations/{g}")).await;
        assert_eq!(s, StatusCode::OK, "{conv}");
        assert!(
            !conv.to_string().contains("\"zhang\""),
            "zhang left the roster: {conv}"
        );
        say(&li, &g, "继续").await;

        // The userid can be given to someone new, who sees none of zhang's favourites or replies.
        let zhang2 = app
            .member_with_password(&boss, "zhang", &[1], "Kaiyuan2026z")
            .await;
        let (s, fav) = zhang2.get("/api/v1/chat/favourites").await;
        assert_eq!(s, StatusCode::OK, "{fav}");
        assert!(!fav.to_string().contains("下周三开会"), "{fav}");
        let (s, qr) = zhang2.get("/api/v1/chat/quick-replies").await;
        assert_eq!(s, StatusCode::OK, "{qr}");
        assert!(!qr.to_string().contains("马上处理"), "{qr}");
        let (s, ev) = li
            .get(&format!("/api/v1/chat/conversations/{g}/events?after=0"))
            .await;
        assert_eq!(s, StatusCode::OK);
        assert!(ev.to_string().contains("\"departed\":true"), "{ev}");
    }
);
