//! Notices in chat from the built-in 审批 app: a card to each person whose turn it now is (with
//! approve and reject buttons that act from the card), to people copied, and to the applicant when
//! the application ends or comes back. Sent once the change commits; the card reaches an open
//! client over its socket like any message.
use serde_json::{Value, json};

use qixie_kernel::AppState;
use qixie_kernel::db::Tx;
use qixie_kernel::ids::CorpId;

use crate::instance::Loaded;
use crate::instance::progress::{Outcome, Status};
use crate::template::TemplateRow;

/// WeCom's agentid for its approvals app.
pub const APPROVALS_AGENTID: i64 = 3_010_040;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Card {
    /// It is your turn (with buttons).
    YourTurn,
    /// The applicant urged you (with buttons).
    Urged,
    Copied,
    Mentioned,
    Finished(Status),
}

struct Send {
    members: Vec<i64>,
    card: Card,
}

/// Queues the notices a change calls for, to go out after it commits.
pub fn queue(
    tx: &mut Tx,
    app: &AppState,
    l: &Loaded,
    template: &TemplateRow,
    outcome: &Outcome,
    change: i64,
) {
    let mut sends = Vec::new();
    if !outcome.now_pending.is_empty() {
        sends.push(Send {
            members: outcome.now_pending.clone(),
            card: if change == 5 {
                Card::Urged
            } else {
                Card::YourTurn
            },
        });
    }
    if !outcome.now_copied.is_empty() {
        sends.push(Send {
            members: outcome.now_copied.clone(),
            card: Card::Copied,
        });
    }
    if change == 10
        && let Some(e) = l.timeline.last()
        && !e.to.is_empty()
    {
        sends.push(Send {
            members: e.to.clone(),
            card: Card::Mentioned,
        });
    }
    if let Some(s @ (Status::Approved | Status::Rejected | Status::Returned)) = outcome.finished {
        sends.push(Send {
            members: vec![l.row.applicant_id],
            card: Card::Finished(s),
        });
    }
    if sends.is_empty() {
        return;
    }
    let app = app.clone();
    let corp = CorpId(l.row.corp_id);
    let sp_no = l.row.sp_no.clone();
    let title = template.name.clone();
    let applicant = l.row.applicant_id;
    let summary = l.summary.clone();
    let status = l.status();
    tx.after_commit_await(async move {
        if let Err(e) = deliver(
            &app, corp, &sp_no, &title, applicant, &summary, status, sends,
        )
        .await
        {
            tracing::warn!(sp_no = %sp_no, error = %e, "approval notice not sent");
        }
    });
}

#[allow(clippy::too_many_arguments)]
async fn deliver(
    app: &AppState,
    corp: CorpId,
    sp_no: &str,
    template_name: &str,
    applicant: i64,
    summary: &[String],
    status: Status,
    sends: Vec<Send>,
) -> qixie_kernel::error::AppResult<()> {
    let sender = qixie_apps::builtin(app, corp, APPROVALS_AGENTID, "审批").await?;
    let cards = qixie_org::member::lookup::cards(&app.db, corp, &[applicant]).await?;
    let who = cards
        .get(&applicant)
        .map(|c| c.name.clone())
        .unwrap_or_default();
    for send in sends {
        let (desc, buttons) = match send.card {
            Card::YourTurn => ("待你审批", true),
            Card::Urged => ("申请人催你审批", true),
            Card::Copied => ("抄送给你", false),
            Card::Mentioned => ("在评论中提到了你", false),
            Card::Finished(Status::Approved) => ("已通过", false),
            Card::Finished(Status::Rejected) => ("已驳回", false),
            Card::Finished(_) => ("已退回，可修改后重新提交", false),
        };
        let content = card(
            sp_no,
            &format!("{who}的{template_name}申请"),
            desc,
            summary,
            status,
            buttons,
        );
        let plain = format!("[审批] {who}的{template_name}申请 {desc}");
        qixie_chat::notice::send_to_members(
            app,
            corp,
            &sender,
            &send.members,
            qixie_chat::notice::Notice::Card {
                msg_type: "template_card",
                content,
                plain,
            },
        )
        .await?;
    }
    Ok(())
}

/// A WeCom `button_interaction` template card, with `approval` telling the client which
/// application its buttons act on.
fn card(
    sp_no: &str,
    title: &str,
    desc: &str,
    summary: &[String],
    status: Status,
    buttons: bool,
) -> Value {
    let lines: Vec<Value> = summary
        .iter()
        .map(|l| match l.split_once('：') {
            Some((k, v)) => json!({"keyname": k, "value": v}),
            None => json!({"keyname": "", "value": l}),
        })
        .collect();
    let mut c = json!({
        "card_type": if buttons { "button_interaction" } else { "text_notice" },
        "source": {"desc": "审批"},
        "main_title": {"title": title, "desc": desc},
        "horizontal_content_list": lines,
        "card_action": {"type": 1, "url": format!("/approvals/{sp_no}")},
        "task_id": sp_no,
        "approval": {"sp_no": sp_no, "status": status.name()},
    });
    if buttons {
        c["button_list"] = json!([
            {"text": "驳回", "style": 2, "key": "reject"},
            {"text": "同意", "style": 1, "key": "approve"}
        ]);
    }
    c
}
