//! Searching: the query, what the caller may read, and the snippet around each hit.
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::indexer::{SEARCH_CATCH_UP_BATCHES, catch_up};
use super::searchable::searchable;
use super::words::{Terms, fold, is_han, is_word_char};
use crate::stream::{self, EventRow};
use qixie_kernel::AppState;
use qixie_kernel::authz::Actor;
use qixie_kernel::db::{Sql, TextQuery, sql};
use qixie_kernel::error::{AppError, AppResult, ErrorKind, FieldReason};

/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 50;
/// A snippet shows this many characters of the message at most, this many of them before the first hit.
const SNIPPET_CHARS: usize = 100;
const SNIPPET_LEAD: usize = 24;

/// `GET /chat/search` parameters (docs/api/chat.md).
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: String,
    pub conv: Option<String>,
    /// A member's userid.
    pub sender: Option<String>,
    /// file | image | link
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Unix ms, inclusive.
    pub from: Option<i64>,
    /// Unix ms, inclusive.
    pub to: Option<i64>,
    pub limit: Option<i64>,
    /// The id of the last hit of the previous page.
    pub before: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Messages the caller may read that match, newest first: `{items: [{event, conversation, snippet}],
/// has_more}`. What the caller may read follows the conversation's event stream exactly: the
/// conversations they belong to now, the events after they joined.
pub async fn search(app: &AppState, actor: &Actor, input: SearchQuery) -> AppResult<Value> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let corp = actor.corp;
    let q = input.q.trim();
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::field("q", FieldReason::TooLong));
    }
    let flag = match given(&input.kind) {
        None => None,
        Some("file") => Some("has_file"),
        Some("image") => Some("has_image"),
        Some("link") => Some("has_link"),
        Some(_) => return Err(AppError::field("type", FieldReason::Invalid)),
    };
    let conv: Option<i64> = given(&input.conv)
        .map(|c| {
            c.parse()
                .map_err(|_| AppError::field("conv", FieldReason::Format))
        })
        .transpose()?;
    let limit = input.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let nothing = || json!({ "items": [], "has_more": false });
    let sender: Option<i64> = match given(&input.sender) {
        None => None,
        Some(u) => match qixie_org::member::id_of(&app.db, corp, u).await? {
            Some(id) => Some(id.0),
            None => return Ok(nothing()),
        },
    };
    let before: Option<(i64, i64)> = match given(&input.before) {
        None => None,
        Some(b) => {
            let id: i64 = b
                .parse()
                .map_err(|_| AppError::field("before", FieldReason::Format))?;
            let row = stream::by_id(&app.db, corp, id)
                .await
                .map_err(|_| AppError::field("before", FieldReason::NotFound))?;
            Some((row.created_at, row.id))
        }
    };
    catch_up(app, SEARCH_CATCH_UP_BATCHES).await?;
    let terms = Terms::parse(q);
    let filtered = flag.is_some()
        || conv.is_some()
        || sender.is_some()
        || input.from.is_some()
        || input.to.is_some();
    if terms.words.is_empty() && !filtered {
        return Ok(nothing());
    }
    let mut query: Sql = sql("SELECT s.event_id FROM chat_search s JOIN chat_members m ON m.conversation_id = s.conversation_id AND m.member_id = $1 \
         WHERE s.corp_id = $2 AND s.seq > m.joined_seq")
        .bind(me)
        .bind(corp);
    if let Some(c) = conv {
        query = query.push_bind(" AND s.conversation_id = {}", c);
    }
    if let Some(s) = sender {
        query = query.push_bind(" AND s.sender_id = {}", s);
    }
    if let Some(f) = input.from {
        query = query.push_bind(" AND s.created_at >= {}", f);
    }
    if let Some(t) = input.to {
        query = query.push_bind(" AND s.created_at <= {}", t);
    }
    if let Some(f) = flag {
        // A plain column test, so the partial index on that flag applies.
        query = query.push(&format!(" AND s.{f}"));
    }
    if let Some((at, id)) = before {
        let a = query.next_index();
        query = query.bind(at).bind(id).push(&format!(
            " AND (s.created_at < ${a} OR (s.created_at = ${a} AND s.event_id < ${}))",
            a + 1
        ));
    }
    if !terms.words.is_empty() {
        let text = TextQuery {
            fts5: terms.fts5(),
            tsquery: terms.tsquery(),
        };
        query = super::index::TEXT.matches(app.db.dialect(), query, "s", text);
    }
    query = query.push_bind(
        " ORDER BY s.created_at DESC, s.event_id DESC LIMIT {}",
        limit + 1,
    );
    let mut ids: Vec<(i64,)> = app.db.all(query).await?;
    let has_more = ids.len() as i64 > limit;
    ids.truncate(limit as usize);
    if ids.is_empty() {
        return Ok(nothing());
    }
    let rows: Vec<EventRow> = app
        .db
        .all(
            sql(format!(
                "SELECT {} FROM chat_events WHERE corp_id = $1 AND id IN ",
                stream::EVENT_COLS
            ))
            .bind(corp)
            .push_in(ids.iter().map(|(id,)| *id)),
        )
        .await?;
    let mut by_id: HashMap<i64, EventRow> = rows.into_iter().map(|r| (r.id, r)).collect();
    let convs = conversation_cards(app, actor, &by_id).await?;
    let mut items = Vec::new();
    for (id,) in ids {
        let Some(row) = by_id.remove(&id) else {
            continue;
        };
        if row.recalled_at.is_some() {
            continue;
        }
        let Some(c) = convs.get(&row.conversation_id) else {
            continue;
        };
        let found = searchable(&row);
        let source = if found.text.is_empty() {
            row.plain.clone()
        } else {
            found.text
        };
        items.push(json!({
            "event": row.view(),
            "conversation": c,
            "snippet": snippet(&source, &terms),
        }));
    }
    Ok(json!({ "items": items, "has_more": has_more }))
}

/// `{id, name, kind}` of the hits' conversations, named as the caller's list names them (the other
/// person of a one-to-one chat).
async fn conversation_cards(
    app: &AppState,
    actor: &Actor,
    rows: &HashMap<i64, EventRow>,
) -> AppResult<HashMap<i64, Value>> {
    let me = actor.member_id().ok_or(ErrorKind::Forbidden)?;
    let mut ids: Vec<i64> = rows.values().map(|r| r.conversation_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let convs: Vec<(i64, String, String)> = app
        .db
        .all(
            sql("SELECT id, kind, name FROM chat_conversations WHERE corp_id = $1 AND id IN ")
                .bind(actor.corp)
                .push_in(ids),
        )
        .await?;
    let direct: Vec<i64> = convs
        .iter()
        .filter(|(_, k, _)| k == "direct")
        .map(|(id, _, _)| *id)
        .collect();
    let peers = crate::conversation::direct_peers(app, me.0, direct).await?;
    let people: Vec<i64> = peers.values().copied().collect();
    let cards = qixie_org::member::cards(&app.db, actor.corp, &people).await?;
    Ok(convs
        .into_iter()
        .map(|(id, kind, name)| {
            let name = peers
                .get(&id)
                .and_then(|m| cards.get(m))
                .map_or(name, |c| c.name.clone());
            (
                id,
                json!({ "id": id.to_string(), "name": name, "kind": kind }),
            )
        })
        .collect())
}

/// A window of `text` around the first hit, the query's words marked with `<mark>…</mark>`; the rest
/// is plain text for the client to escape (it keeps only the mark tags). Without words, the start
/// of the text.
pub fn snippet(text: &str, terms: &Terms) -> String {
    let chars: Vec<char> = text.chars().collect();
    let folded: Vec<char> = chars.iter().map(|c| fold(*c)).collect();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for (k, w) in terms.words.iter().enumerate() {
        let w: Vec<char> = w.chars().collect();
        let han = w.iter().any(|c| is_han(*c));
        let prefix = terms.is_prefix(k);
        let mut i = 0;
        while i + w.len() <= folded.len() && !w.is_empty() {
            let mut end = i + w.len();
            // Chinese words match anywhere; other words only as whole words (or their start).
            let fits = folded[i..end] == w[..]
                && (han
                    || ((i == 0 || !is_word_char(folded[i - 1]))
                        && (prefix || end == folded.len() || !is_word_char(folded[end]))));
            if fits {
                if prefix {
                    while end < folded.len() && is_word_char(folded[end]) {
                        end += 1;
                    }
                }
                spans.push((i, end));
                i = end;
            } else {
                i += 1;
            }
        }
    }
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let first = merged.first().map_or(0, |s| s.0);
    let mut start = first.saturating_sub(SNIPPET_LEAD);
    let end = (start + SNIPPET_CHARS).min(chars.len());
    // Near the end of the text, show more of what comes before.
    start = start.min(end.saturating_sub(SNIPPET_CHARS));
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    let mut open = false;
    for i in start..end {
        if !open && merged.iter().any(|&(s, e)| s <= i && i < e) {
            out.push_str("<mark>");
            open = true;
        }
        // Text that reads like the mark tags must not turn into them.
        let c = chars[i];
        let tag_like = c == '<' && {
            let rest: String = folded[i + 1..(i + 7).min(folded.len())].iter().collect();
            rest.starts_with("mark>") || rest.starts_with("/mark>")
        };
        out.push(if tag_like { '‹' } else { c });
        if open && !merged.iter().any(|&(s, e)| s <= i + 1 && i + 1 < e) {
            out.push_str("</mark>");
            open = false;
        }
    }
    if open {
        out.push_str("</mark>");
    }
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_mark_hits_in_a_window() {
        let t = Terms::parse("评审");
        assert_eq!(
            snippet("明天下午开项目评审会", &t),
            "明天下午开项目<mark>评审</mark>会"
        );
        // Adjacent hits become one mark; case and prefixes follow the query rules.
        let t = Terms::parse("项目评审");
        assert_eq!(snippet("开项目评审会", &t), "开<mark>项目评审</mark>会");
        let t = Terms::parse("rep");
        assert_eq!(
            snippet("The Report and a preport", &t),
            "The <mark>Report</mark> and a preport"
        );
        let t = Terms {
            words: vec!["report".into()],
            prefix: vec![false],
        };
        assert_eq!(
            snippet("Reports <b> report", &t),
            "Reports <b> <mark>report</mark>"
        );
        // A long text is cut around the first hit.
        let long = format!("{}关键{}", "前".repeat(200), "后".repeat(200));
        let s = snippet(&long, &Terms::parse("关键"));
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert_eq!(s.chars().filter(|c| *c == '前').count(), SNIPPET_LEAD);
        assert!(s.contains("<mark>关键</mark>"));
        // No words: the start of the text.
        let s = snippet(&long, &Terms::parse(""));
        assert!(s.starts_with("前前") && s.ends_with('…') && !s.contains("<mark>"));
        // Typed tags stay text.
        assert_eq!(
            snippet("a <mark>b</MARK> c", &Terms::parse("c")),
            "a ‹mark>b‹/MARK> <mark>c</mark>"
        );
    }
}
