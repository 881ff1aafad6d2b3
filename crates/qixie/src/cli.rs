//! The command line: `qixie serve`, `qixie init`, `qixie app create`. Every command honours the same
//! environment and works whether or not a server is running (they share the database).
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::json;

use crate::startup::{Application, Options, open_state};
use qixie_kernel::authz::{Actor, perm};
use qixie_kernel::config::Config;

#[derive(Parser)]
#[command(
    name = "qixie",
    version,
    about = "Qixie (企协): self-hosted enterprise office and collaboration platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the server (QIXIE_LISTEN, QIXIE_DATA_DIR, QIXIE_DATABASE_URL).
    Serve,
    /// Create an enterprise without the wizard; prints one JSON line with corp_id.
    Init {
        #[arg(long)]
        corp_name: String,
        #[arg(long)]
        admin_account: String,
        #[arg(long)]
        admin_password: String,
        #[arg(long, default_value = "")]
        admin_name: String,
        /// Also load a demo enterprise: two subsidiaries, departments, about 60 members, tags.
        #[arg(long)]
        demo: bool,
        /// Create the enterprise even though the database already holds one (a second enterprise
        /// on the same installation).
        #[arg(long)]
        force_new_enterprise: bool,
    },
    /// Manage custom apps.
    App {
        #[command(subcommand)]
        command: AppCommand,
    },
    /// Manage group robots.
    Robot {
        #[command(subcommand)]
        command: RobotCommand,
    },
    /// Print the native API's OpenAPI document (the web client's types are generated from it).
    Openapi,
}

#[derive(Subcommand)]
enum RobotCommand {
    /// Add a robot to a group; prints one JSON line with key and webhook_url.
    Create {
        #[arg(long)]
        corp_id: String,
        /// The group's chatid, as appchat/create returns it.
        #[arg(long)]
        chat: String,
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
enum AppCommand {
    /// Create a custom app; prints one JSON line with agentid and secret.
    Create {
        #[arg(long)]
        corp_id: String,
        #[arg(long)]
        name: String,
        /// Comma-separated: contacts.read, contacts.write, message.
        #[arg(long, default_value = "contacts.read,contacts.write,message")]
        scope: String,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        // Needs neither configuration nor database.
        let spec = crate::http::api_routes().openapi();
        println!(
            "{}",
            serde_json::to_string_pretty(&spec).unwrap_or_default()
        );
        return ExitCode::SUCCESS;
    }
    let config = match Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("qixie: {e:#}");
            return ExitCode::from(2);
        }
    };
    init_logging(&config, matches!(cli.command, Command::Serve));
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("qixie: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qixie: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(config: &Config, serving: bool) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(if serving { config.log.as_str() } else { "warn" })
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            tracing::info!(config = ?config, "starting");
            let app = Application::build(config, Options::default()).await?;
            app.run_until_stopped().await
        }
        Command::Init {
            corp_name,
            admin_account,
            admin_password,
            admin_name,
            demo,
            force_new_enterprise,
        } => {
            let state = open_state(
                config,
                &Options {
                    run_jobs: false,
                    ..Options::default()
                },
            )
            .await?;
            let input = qixie_admin::corp::NewEnterprise {
                corp_name,
                industry: String::new(),
                size: String::new(),
                admin_name,
                admin_account,
                admin_password,
            };
            let corp = init_enterprise(&state, input, force_new_enterprise).await?;
            let mut out = json!({ "corp_id": corp.corpid, "name": corp.name });
            if demo {
                let n = crate::demo::load(&state, corp.id).await.map_err(describe)?;
                out["demo_members"] = json!(n);
            }
            println!("{out}");
            state.db.close().await;
            Ok(())
        }
        Command::App {
            command:
                AppCommand::Create {
                    corp_id,
                    name,
                    scope,
                },
        } => {
            let (state, corp) = open_corp(config, &corp_id).await?;
            let actor = Actor::system(corp.id);
            let grant = actor.require::<perm::AppsManage>().map_err(describe)?;
            let scopes: Vec<String> = scope
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let input = qixie_apps::AppInput {
                name: Some(name),
                scopes: Some(scopes),
                ..Default::default()
            };
            let (row, secret) = qixie_apps::create(&state, &actor, &grant, input)
                .await
                .map_err(describe)?;
            println!(
                "{}",
                json!({ "agentid": row.agentid, "secret": secret, "corp_id": corp.corpid, "name": row.name })
            );
            state.db.close().await;
            Ok(())
        }
        Command::Robot {
            command:
                RobotCommand::Create {
                    corp_id,
                    chat,
                    name,
                },
        } => {
            let (state, corp) = open_corp(config, &corp_id).await?;
            let actor = Actor::system(corp.id);
            let conv = qixie_chat::conversation::find_by_chatid(&state.db, corp.id, &chat)
                .await
                .map_err(|_| anyhow::anyhow!("no group with chatid {chat}"))?;
            let (row, key) = qixie_chat::robots::create(&state, &actor, &conv, &name)
                .await
                .map_err(describe)?;
            println!(
                "{}",
                json!({ "key": key, "webhook_url": qixie_chat::robots::webhook_url(&state, &key), "robot_id": row.id.to_string(), "chatid": conv.chatid, "name": row.name })
            );
            state.db.close().await;
            Ok(())
        }
        Command::Openapi => Ok(()),
    }
}

/// `qixie init`'s enterprise. Run twice on the same data directory (a script re-run, say) it would
/// quietly make a second enterprise beside the first; that takes `--force-new-enterprise`.
pub async fn init_enterprise(
    state: &qixie_kernel::AppState,
    input: qixie_admin::corp::NewEnterprise,
    force_new_enterprise: bool,
) -> anyhow::Result<qixie_org::enterprise::CorpRow> {
    let existing = qixie_org::enterprise::count(&state.db)
        .await
        .map_err(describe)?;
    if existing > 0 && !force_new_enterprise {
        anyhow::bail!(
            "this installation already has an enterprise ({existing} in its database); nothing was \
             created. To add another enterprise anyway, run again with --force-new-enterprise"
        );
    }
    qixie_admin::corp::create_enterprise(state, input)
        .await
        .map_err(describe)
}

/// Storage (without the job scheduler) and the enterprise a command names by its corp id.
async fn open_corp(
    config: Config,
    corp_id: &str,
) -> anyhow::Result<(qixie_kernel::AppState, qixie_org::enterprise::CorpRow)> {
    let state = open_state(
        config,
        &Options {
            run_jobs: false,
            ..Options::default()
        },
    )
    .await?;
    let corp = qixie_org::enterprise::find_by_corpid(&state.db, corp_id)
        .await
        .map_err(describe)?
        .ok_or_else(|| anyhow::anyhow!("no enterprise with corp id {corp_id}"))?;
    Ok((state, corp))
}

/// An application error as a sentence for the terminal, with its field errors.
fn describe(e: qixie_kernel::error::AppError) -> anyhow::Error {
    let mut s = e.kind.message(qixie_kernel::i18n::Lang::En).to_owned();
    for f in &e.fields {
        s.push_str(&format!("; {}: {}", f.field, f.reason));
    }
    if let Some(c) = e.cause {
        s.push_str(&format!(" ({c:#})"));
    }
    anyhow::anyhow!(s)
}
