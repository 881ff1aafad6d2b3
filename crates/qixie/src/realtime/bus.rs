//! Scale-out: with QIXIE_NATS_URL every node publishes what it delivers to NATS, and delivers what
//! other nodes publish to its own sockets. NATS only wakes nodes; a lost publication costs latency,
//! never an event, because clients catch up from the database.
use futures_util::StreamExt;

use crate::AppState;
use crate::modules::chat::fanout::{self, Delivery};

const SUBJECT: &str = "qixie.chat";

pub struct Bus {
    client: async_nats::Client,
}

impl Bus {
    pub async fn connect(url: &str) -> anyhow::Result<Bus> {
        let client = async_nats::ConnectOptions::new()
            .name("qixie")
            .connect(url)
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to NATS at {url}: {e}"))?;
        Ok(Bus { client })
    }

    pub async fn publish(&self, d: &Delivery) {
        match serde_json::to_vec(d) {
            Ok(bytes) => {
                if let Err(e) = self.client.publish(SUBJECT, bytes.into()).await {
                    tracing::warn!(error = %e, "NATS publish failed; other nodes' clients will catch up on resume");
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot encode a delivery"),
        }
    }

    /// Delivers other nodes' publications to this node's sockets, for the life of the process.
    pub async fn listen(&self, app: AppState) -> anyhow::Result<()> {
        let mut sub = self
            .client
            .subscribe(SUBJECT)
            .await
            .map_err(|e| anyhow::anyhow!("cannot subscribe to NATS: {e}"))?;
        tokio::spawn(async move {
            while let Some(msg) = sub.next().await {
                match serde_json::from_slice::<Delivery>(&msg.payload) {
                    Ok(d) if d.node != *app.node_id => fanout::deliver_local(&app, &d).await,
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "ignored a malformed delivery from NATS"),
                }
            }
            tracing::warn!("NATS subscription ended");
        });
        Ok(())
    }
}
