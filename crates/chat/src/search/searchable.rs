//! What of a message can be searched for, by kind of message.
use serde_json::Value;

use crate::markdown::{self, Flavour};
use crate::stream::EventRow;

/// A message's searchable text and the kinds of content it has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Searchable {
    pub text: String,
    pub has_file: bool,
    pub has_image: bool,
    pub has_link: bool,
}

/// What of a message can be searched for: the text of text and markdown messages without markup
/// (with the addresses of its links), a file's name, the titles, descriptions and addresses of
/// cards, the title of a merged chat record.
pub fn searchable(row: &EventRow) -> Searchable {
    let content: Value = serde_json::from_str(&row.content).unwrap_or(Value::Null);
    let s = |v: &Value| v.as_str().unwrap_or_default().trim().to_owned();
    let mut parts: Vec<String> = Vec::new();
    let mut links: Vec<String> = Vec::new();
    let mut out = Searchable::default();
    match row.msg_type.as_str() {
        "text" | "markdown" => {
            let source = s(&content["text"]);
            let flavour = match (row.msg_type.as_str(), row.sender_kind.as_str()) {
                ("text", _) => Flavour::Text,
                (_, "member") => Flavour::Markdown,
                _ => Flavour::RobotMarkdown,
            };
            // The stored preview stops at 2,000 characters; a longer message is read again in full
            // (its mentions then show as written, the names being in the preview part).
            let truncated = row.plain.ends_with('…') && row.plain.chars().count() >= 2000;
            parts.push(if truncated {
                markdown::plain_text(&source, flavour, &|_| None, usize::MAX)
            } else {
                row.plain.clone()
            });
            links = markdown::links(&source, flavour);
            out.has_link = row.has_link || !links.is_empty();
        }
        "image" => out.has_image = true,
        "file" => {
            out.has_file = true;
            parts.push(s(&content["name"]));
        }
        "news" => {
            for a in content["articles"].as_array().into_iter().flatten() {
                parts.push(s(&a["title"]));
                parts.push(s(&a["description"]));
                links.push(s(&a["url"]));
            }
        }
        "textcard" => {
            parts.push(s(&content["title"]));
            parts.push(s(&content["description"]));
            links.push(s(&content["url"]));
        }
        "template_card" => {
            parts.push(s(&content["main_title"]["title"]));
            parts.push(s(&content["main_title"]["desc"]));
            parts.push(s(&content["sub_title_text"]));
            links.push(s(&content["card_action"]["url"]));
            for j in content["jump_list"].as_array().into_iter().flatten() {
                parts.push(s(&j["title"]));
                links.push(s(&j["url"]));
            }
        }
        "chat_record" => parts.push(s(&content["title"])),
        _ => parts.push(row.plain.clone()),
    }
    links.retain(|l| !l.is_empty());
    if !links.is_empty() {
        out.has_link = true;
    }
    // Addresses written out in the text are there already.
    for l in links {
        if !parts.iter().any(|p| p.contains(&l)) {
            parts.push(l);
        }
    }
    parts.retain(|p| !p.is_empty());
    out.text = parts.join(" ");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(msg_type: &str, sender_kind: &str, content: Value, plain: &str) -> EventRow {
        EventRow {
            conversation_id: 1,
            seq: 1,
            id: 1,
            corp_id: 1,
            kind: "message".into(),
            sender_kind: sender_kind.into(),
            sender_id: Some(1),
            sender_ref: String::new(),
            sender_name: String::new(),
            msg_type: msg_type.into(),
            content: content.to_string(),
            html: String::new(),
            plain: plain.into(),
            mentions: String::new(),
            mention_all: false,
            quote: None,
            has_link: false,
            urgent: false,
            not_urgent: false,
            client_id: None,
            recalled_at: None,
            recalled_by: None,
            pinned_at: None,
            created_at: 0,
        }
    }

    #[test]
    fn what_each_kind_of_message_offers() {
        let md = row(
            "markdown",
            "member",
            json!({"text": "看 **[发布说明](https://example.com/notes)**"}),
            "看 发布说明",
        );
        let s = searchable(&md);
        assert_eq!(s.text, "看 发布说明 https://example.com/notes");
        assert!(s.has_link && !s.has_file && !s.has_image);
        // A bare address in plain text is a link, and not repeated.
        let t = searchable(&row(
            "text",
            "member",
            json!({"text": "见 https://x.test/a"}),
            "见 https://x.test/a",
        ));
        assert_eq!(t.text, "见 https://x.test/a");
        assert!(t.has_link);
        let f = searchable(&row(
            "file",
            "member",
            json!({"name": "季度报告.pdf", "media_id": "m"}),
            "[文件] 季度报告.pdf",
        ));
        assert_eq!(f.text, "季度报告.pdf");
        assert!(f.has_file);
        let i = searchable(&row("image", "member", json!({"media_id": "m"}), "[图片]"));
        assert!(i.has_image && i.text.is_empty());
        let news = searchable(&row(
            "news",
            "app",
            json!({"articles": [{"title": "上线通知", "description": "今晚", "url": "https://x.test/a"}]}),
            "[图文] 上线通知",
        ));
        assert_eq!(news.text, "上线通知 今晚 https://x.test/a");
        assert!(news.has_link);
        let rec = searchable(&row(
            "chat_record",
            "member",
            json!({"title": "张三和李四的聊天记录", "items": []}),
            "[聊天记录] 张三和李四的聊天记录",
        ));
        assert_eq!(rec.text, "张三和李四的聊天记录");
        // Long texts are indexed in full, not only their preview.
        let long = format!("{} 结尾词", "字".repeat(2100));
        let preview: String = long.chars().take(1999).collect::<String>() + "…";
        let t = searchable(&row("text", "member", json!({ "text": long }), &preview));
        assert!(t.text.ends_with("结尾词"));
    }
}
