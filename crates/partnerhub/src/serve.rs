//! `partnerhub serve`: open and migrate the database, seed first-start data (and the demo on
//! request), bind, serve until SIGTERM or Ctrl-C, then close the database cleanly.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use partnerhub_app::jobs::{Worker, WorkerConfig};
use partnerhub_app::secrets::Sealer;
use partnerhub_app::App;
use partnerhub_domain::delivery::handbook_delivery_models_for;
use partnerhub_domain::organization::OrgName;
use partnerhub_store::{ChainStart, Store, Who};
use partnerhub_web::AppState;

use crate::config::Settings;
use crate::{demo, keys};

/// Arguments of `partnerhub serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Serve only: leave background jobs (deliveries, reminders) to `partnerhub worker`
    /// processes.
    #[arg(long)]
    pub no_worker: bool,
    /// Address to listen on.
    #[arg(long, env = "PARTNERHUB_ADDR")]
    pub addr: Option<String>,
    /// Fill an empty database with a demo program and print its accounts.
    #[arg(long)]
    pub demo: bool,
}

/// Opens the configured database (creating the data directory, owner-only, for SQLite) and
/// migrates it, without the audit key: enough to read, not to change anything.
pub async fn open_unkeyed(settings: &Settings) -> anyhow::Result<Store> {
    if settings.is_sqlite() {
        keys::prepare_data_dir(&settings.data_dir)?;
    }
    let store = Store::connect(&settings.database_url)
        .await
        .context("opening the database")?;
    store.migrate().await.context("migrating the database")?;
    Ok(store)
}

/// A store ready for changes, and the sealer of stored secrets, both under the audit key.
pub struct Opened {
    pub store: Store,
    pub sealer: Sealer,
}

impl Opened {
    /// The operations over this store, for a server reached at `public_url`.
    pub fn app(&self, settings: &Settings, public_url: String) -> App {
        App::new(
            self.store.clone(),
            settings.app_config(public_url, Some(self.sealer.clone())),
        )
    }
}

/// Opens and migrates the database with the audit chain's key, keys a new chain or re-keys one
/// from before keying (saying so), and seeds first-start data.
pub async fn open_store(settings: &Settings) -> anyhow::Result<Opened> {
    let store = open_unkeyed(settings).await?;
    let key = keys::audit_key(settings, &store).await?;
    let sealer = Sealer::new(key.derive("sealed secrets"));
    let store = store.with_chain_key(key);
    match store
        .prepare_chain(false)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    {
        ChainStart::Rekeyed { rows } => eprintln!(
            "The audit chain's {rows} rows were re-keyed with HMAC-SHA-256 (an audit.rekey row records it)."
        ),
        ChainStart::Keyed | ChainStart::Started => {}
    }
    let vendor = OrgName::parse("vendor_name", &settings.vendor_name)
        .map_err(|e| anyhow::anyhow!(e.message))?;
    store.ensure_vendor(&vendor).await?;
    store
        .seed_delivery_models(
            &Who::system("system"),
            &handbook_delivery_models_for(&settings.vendor_name),
        )
        .await?;
    Ok(Opened { store, sealer })
}

fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
}

pub async fn run(settings: &Settings, args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    crate::config::outbound::vet_channels(&settings.outbox).await?;
    let opened = open_store(settings).await?;
    let store = opened.store.clone();
    if args.demo {
        if store.is_empty().await? {
            let vendor = OrgName::parse("vendor_name", &settings.vendor_name)
                .map_err(|e| anyhow::anyhow!(e.message))?;
            let vendor_id = store.ensure_vendor(&vendor).await?;
            let accounts = demo::seed(&store, vendor_id, &settings.vendor_name).await?;
            println!(
                "Demo program created. Sign in with any of these accounts, password \"{}\":",
                demo::DEMO_PASSWORD
            );
            for a in &accounts {
                println!("  {:<34} {:<10} {}", a.email, a.role.code(), a.org);
            }
        } else {
            println!("The database already holds data: demo seeding skipped.");
        }
    }
    let addr_text = args
        .addr
        .or_else(|| settings.addr.clone())
        .unwrap_or_else(|| "127.0.0.1:8080".to_string());
    let addr: SocketAddr = addr_text.parse().with_context(|| {
        format!("--addr: {addr_text:?} is not an address such as 127.0.0.1:8080")
    })?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding {addr}"))?;
    let bound = listener.local_addr()?;
    let public_url = settings.public_url_or(&format!("http://{bound}"));
    let app = opened.app(settings, public_url);
    let state = AppState::new(app.clone(), settings.web_config(&bound));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let signal = shutdown_signal()?;
    tokio::spawn(async move {
        signal.await;
        let _ = stop.send(true);
    });
    let worker = (!args.no_worker).then(|| {
        let worker = Worker::new(app.clone(), WorkerConfig::default());
        tokio::spawn(worker.run(stopped_signal(stopped.clone())))
    });
    println!("Partnerhub is ready at http://{bound}/");
    partnerhub_web::serve(listener, state, stopped_signal(stopped)).await?;
    if let Some(worker) = worker {
        let _ = worker.await;
    }
    store.close().await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `partnerhub worker`.
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    /// Run the jobs that are due once, then exit (for scripts and cron).
    #[arg(long)]
    pub once: bool,
}

/// `partnerhub worker`: background jobs only, until SIGTERM (for several app instances over
/// one PostgreSQL database, each started with `serve --no-worker`).
pub async fn worker(settings: &Settings, args: WorkerArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    crate::config::outbound::vet_channels(&settings.outbox).await?;
    let opened = open_store(settings).await?;
    let public_url = settings.public_url_or("http://127.0.0.1:8080");
    let app = opened.app(settings, public_url);
    let worker = Worker::new(app, WorkerConfig::default());
    if args.once {
        let ran = worker.run_due().await.map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("ran {ran} jobs");
    } else {
        let signal = shutdown_signal()?;
        println!("Partnerhub worker started");
        worker.run(signal).await;
    }
    opened.store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// Resolves once `stopped` turns true.
async fn stopped_signal(mut stopped: tokio::sync::watch::Receiver<bool>) {
    while !*stopped.borrow() {
        if stopped.changed().await.is_err() {
            return;
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed before this returns, so a signal
/// that arrives as soon as the server reports ready is not lost.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .context("listening for SIGTERM")?;
    let ctrl_c = tokio::signal::ctrl_c();
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down: finishing in-flight requests");
    })
}
