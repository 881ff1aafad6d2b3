//! Callbacks (接收事件服务器): a URL with a Token and an EncodingAESKey that events go to, encrypted
//! and signed as WeCom does (`crypto`). An app's callback is checked when it is saved with WeCom's URL
//! check (`verify`): a GET carrying an encrypted `echostr`, which the receiver must decrypt and send
//! back. Events are then pushed (`push`) from durable jobs, which retry a receiver that is down; a
//! batch job's callback, named by its request rather than kept with an app, goes out the same way.
//! Every request goes through the guarded outbound client.
use rand::Rng;
use serde::{Deserialize, Serialize};

use qixie_kernel::AppState;
use qixie_kernel::error::{AppError, AppResult, FieldReason};
use qixie_kernel::outbound::OutboundError;

use crate::crypto::MsgCrypt;

/// Where events go, and the keys they are sealed with.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub url: String,
    pub token: String,
    pub encoding_aes_key: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// `s` as XML character data: a CDATA section, split where `s` itself contains `]]>`.
pub fn cdata(s: &str) -> String {
    format!("<![CDATA[{}]]>", s.replace("]]>", "]]]]><![CDATA[>"))
}

/// The 16 random bytes in front of a sealed message, and a nonce for its signature.
fn salt() -> ([u8; 16], String) {
    let mut rng = rand::rng();
    let mut random = [0u8; 16];
    rng.fill(&mut random);
    let nonce: u32 = rng.random_range(100_000_000..1_000_000_000);
    (random, nonce.to_string())
}

/// Posts the event XML `inner` to `target`, encrypted for `corpid` (the receive id) and signed:
/// `POST <url>?msg_signature=&timestamp=&nonce=` with
/// `<xml><ToUserName/><AgentID/><Encrypt/></xml>`. An answer other than 2xx, or none, is an error for
/// the job runner to retry; a target the server may not reach stays so, and the event is dropped
/// with a warning. `what` names the event in logs and errors.
pub async fn push(
    app: &AppState,
    target: &Target,
    corpid: &str,
    agentid: i64,
    inner: &str,
    what: &str,
) -> anyhow::Result<()> {
    let crypt = MsgCrypt::new(&target.token, &target.encoding_aes_key, corpid)
        .ok_or_else(|| anyhow::anyhow!("the callback key for {what} is invalid"))?;
    let (random, nonce) = salt();
    let encrypted = crypt.encrypt(inner, &random);
    let timestamp = (app.now() / 1000).to_string();
    let signature = crypt.signature(&timestamp, &nonce, &encrypted);
    let body = format!(
        "<xml><ToUserName>{}</ToUserName><AgentID>{}</AgentID><Encrypt>{}</Encrypt></xml>",
        cdata(corpid),
        cdata(&agentid.to_string()),
        cdata(&encrypted)
    );
    let answer = app
        .outbound
        .post(
            &target.url,
            &[
                ("msg_signature", signature.as_str()),
                ("timestamp", timestamp.as_str()),
                ("nonce", nonce.as_str()),
            ],
            &[("content-type", "text/xml; charset=utf-8")],
            body,
        )
        .await;
    let res = match answer {
        Ok(res) => res,
        Err(OutboundError::Refused(why)) => {
            tracing::warn!(event = %what, reason = %why, "callback not sent");
            return Ok(());
        }
        Err(err) => return Err(err.into()),
    };
    anyhow::ensure!(
        res.status.is_success(),
        "callback of {what} answered {}",
        res.status
    );
    Ok(())
}

/// WeCom's URL check: `GET <url>?msg_signature=&timestamp=&nonce=&echostr=` with a random number
/// encrypted as `echostr`; the receiver proves it holds the keys by answering that number. Errors
/// name `callback.url`: `invalid` for a target the server may not reach, `wrong` for no answer or
/// the wrong one.
pub async fn verify(app: &AppState, target: &Target, corpid: &str) -> AppResult<()> {
    let crypt = MsgCrypt::new(&target.token, &target.encoding_aes_key, corpid)
        .ok_or_else(|| AppError::field("callback.encoding_aes_key", FieldReason::Format))?;
    let (random, nonce) = salt();
    let echo = rand::rng()
        .random_range(1_000_000_000_000_000_000u64..10_000_000_000_000_000_000u64)
        .to_string();
    let echostr = crypt.encrypt(&echo, &random);
    let timestamp = (app.now() / 1000).to_string();
    let signature = crypt.signature(&timestamp, &nonce, &echostr);
    let answer = app
        .outbound
        .get(
            &target.url,
            &[
                ("msg_signature", signature.as_str()),
                ("timestamp", timestamp.as_str()),
                ("nonce", nonce.as_str()),
                ("echostr", echostr.as_str()),
            ],
        )
        .await;
    match answer {
        Ok(res) if res.status.is_success() && String::from_utf8_lossy(&res.body).trim() == echo => {
            Ok(())
        }
        Ok(res) => {
            tracing::info!(status = %res.status, "callback URL did not echo the check");
            Err(AppError::field("callback.url", FieldReason::Wrong))
        }
        Err(OutboundError::Refused(why)) => {
            tracing::info!(reason = %why, "callback URL refused");
            Err(AppError::field("callback.url", FieldReason::Invalid))
        }
        Err(OutboundError::Failed(e)) => {
            tracing::info!(error = %e, "callback URL did not answer the check");
            Err(AppError::field("callback.url", FieldReason::Wrong))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of a run of CDATA sections, as an XML parser would read it.
    fn read_cdata(x: &str) -> String {
        let mut out = String::new();
        let mut rest = x;
        while let Some(r) = rest.strip_prefix("<![CDATA[") {
            let end = r.find("]]>").unwrap();
            out.push_str(&r[..end]);
            rest = &r[end + 3..];
        }
        assert_eq!(rest, "", "{x}");
        out
    }

    /// Fuzz target for the callback XML: any text (`]]>` included) comes back unchanged from the
    /// CDATA it is wrapped in, so a value cannot end its element early.
    #[test]
    fn fuzz_callback_cdata() {
        bolero::check!(name = "wecom_cdata")
            .with_type::<String>()
            .with_test_time(std::time::Duration::from_secs(1))
            .for_each(|s: &String| {
                assert_eq!(read_cdata(&cdata(s)), *s);
                let doubled = format!("{s}]]>{s}");
                assert_eq!(read_cdata(&cdata(&doubled)), doubled);
            });
    }

    #[test]
    fn a_target_never_shows_its_keys() {
        let t = Target {
            url: "https://example.com/cb".into(),
            token: "tok3n".into(),
            encoding_aes_key: "k".repeat(43),
        };
        let shown = format!("{t:?}");
        assert!(shown.contains("https://example.com/cb"), "{shown}");
        assert!(
            !shown.contains("tok3n") && !shown.contains("kkkk"),
            "{shown}"
        );
    }
}
