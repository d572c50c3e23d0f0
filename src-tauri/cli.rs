//! The command line (see "Command-line contract" in DESIGN.md). Every command returns
//! our `Error`; `main` turns it into one line on stderr and exit status 1 (2 for usage).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::{Error, Result};
use crate::secrets::{Keychain, TwilioCredentials};
use crate::store::{self, Store};
/// Kept under this name for the desktop settings; the rule itself is the tunnel's.
pub use crate::tunnel::normalise_public_url;

#[derive(Debug, Parser)]
#[command(name = "switchboard", version, about = "A local-first business phone on your own Twilio account")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Start in the tray without opening the window (what a start at login does).
    #[arg(long, global = true)]
    pub tray: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the desktop app wired to the built-in Twilio simulator (no account needed).
    Sandbox,
    /// Run the webhook listener without a window (servers, tests).
    Serve(ServeArgs),
    /// Send an SMS/MMS through Twilio, exactly as the app does.
    Send(SendArgs),
    /// Write everything in the store as JSON or CSV.
    Export(ExportArgs),
    /// Start Switchboard in the tray when you log in: on, off, or show whether it does.
    StartAtLogin(StartAtLoginArgs),
}

#[derive(Debug, clap::Args)]
pub struct DataDirArg {
    /// Where the database and files live (default: the platform data directory).
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

impl DataDirArg {
    pub fn resolve(&self) -> Result<PathBuf> {
        store::default_data_dir(self.data_dir.as_deref())
    }
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    /// Loopback address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
    /// The public URL Twilio calls (your reverse proxy or tunnel).
    #[arg(long, conflicts_with = "tunnel")]
    pub public_url: Option<String>,
    /// Open a tunnel to the listener (needs NGROK_AUTHTOKEN or the keychain entry;
    /// NGROK_DOMAIN picks the account's static domain).
    #[arg(long, value_enum)]
    pub tunnel: Option<TunnelKind>,
    /// Do not backfill from Twilio's logs on start and reconnect.
    #[arg(long)]
    pub no_sync: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TunnelKind {
    Ngrok,
}

#[derive(Debug, clap::Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    #[arg(long)]
    pub from: String,
    #[arg(long)]
    pub to: String,
    #[arg(long, conflicts_with = "template", required_unless_present = "template")]
    pub body: Option<String>,
    #[arg(long)]
    pub template: Option<String>,
    /// Template variables as key=value.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// Files to attach (sent as MMS).
    #[arg(long = "media", value_name = "FILE")]
    pub media: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum, Default)]
pub enum ExportFormat {
    #[default]
    Json,
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct StartAtLoginArgs {
    #[arg(value_enum, default_value = "status")]
    pub action: StartAtLoginAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StartAtLoginAction {
    On,
    Off,
    Status,
}

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub data_dir: DataDirArg,
    #[arg(long, value_enum, default_value = "json")]
    pub format: ExportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `switchboard export`.
pub fn export(args: &ExportArgs) -> Result<()> {
    let store = Store::open(&args.data_dir.resolve()?)?;
    let text = match args.format {
        ExportFormat::Json => {
            let mut s = serde_json::to_string_pretty(&store.read(store::export::to_json)?)?;
            s.push('\n');
            s
        }
        ExportFormat::Csv => store.read(store::export::messages_csv)?,
    };
    write_out(args.out.as_deref(), &text)
}

fn write_out(path: Option<&Path>, text: &str) -> Result<()> {
    use std::io::Write;
    match path {
        Some(p) => std::fs::write(p, text)?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
    }
    Ok(())
}

/// `switchboard serve`: the listener, download worker, tunnel, wiring and backfill (the
/// same runtime as the desktop app), until Ctrl-C or SIGTERM.
pub async fn serve(args: &ServeArgs) -> Result<()> {
    let keychain = Keychain::default();
    let creds = TwilioCredentials::load(&keychain)?;
    let reach = match (&args.public_url, args.tunnel) {
        (Some(url), None) => crate::runtime::Reach::Manual(normalise_public_url(url)?),
        (None, Some(TunnelKind::Ngrok)) => crate::runtime::Reach::Ngrok {
            authtoken: ngrok_authtoken(&keychain)?,
            domain: std::env::var("NGROK_DOMAIN").ok().filter(|d| !d.trim().is_empty()),
        },
        _ => return Err(Error::Usage("give --public-url URL (or --tunnel ngrok)".into())),
    };
    let client = crate::twilio::client::ClientConfig::from_env(creds.clone());
    let media = crate::media::MediaConfig::from_env(Some(&creds))?;
    let store = crate::store::Store::open_async(args.data_dir.resolve()?).await?;
    let runtime = crate::runtime::Runtime::start(crate::runtime::RuntimeConfig {
        store,
        listen: args.listen,
        reach,
        credentials: creds,
        client,
        media,
        wire_numbers: true,
        fallback_flows: true,
        backfill: !args.no_sync,
        retry: crate::tunnel::RetryPolicy::default(),
        reconcile_interval: None,
    })
    .await?;
    println!("listening on http://{}", runtime.addr);
    shutdown_signal().await;
    runtime.shutdown().await
}

/// `NGROK_AUTHTOKEN`, else the keychain entry saved by the app's onboarding.
fn ngrok_authtoken(keychain: &Keychain) -> Result<crate::secrets::Secret<String>> {
    if let Some(t) = std::env::var("NGROK_AUTHTOKEN").ok().filter(|t| !t.trim().is_empty()) {
        return Ok(crate::secrets::Secret::new(t));
    }
    keychain
        .get(crate::secrets::keys::NGROK_AUTHTOKEN)?
        .ok_or_else(|| Error::MissingCredentials("NGROK_AUTHTOKEN (none in the keychain or environment)".into()))
}

/// Resolves on Ctrl-C or SIGTERM, so `serve` finishes in-flight requests before exiting.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// `switchboard send`: the same outbound path as the app's composer. Prints the message
/// SID on stdout. The StatusCallback URL comes from `SWITCHBOARD_PUBLIC_URL`, else the
/// stored `public_url` setting if the app answers there now (its tunnel is up); with
/// none, a text is sent without one (said on stderr) and attachments are refused.
pub async fn send(args: &SendArgs) -> Result<()> {
    use crate::outbound::send::{self as outbound_send, Content, SendRequest};
    let content = match (&args.body, &args.template) {
        (Some(body), None) => Content::Text(body.clone()),
        (None, Some(name)) => Content::Template { name: name.clone(), vars: outbound_send::parse_vars(&args.vars)? },
        _ => return Err(Error::Usage("give --body TEXT or --template NAME".into())),
    };
    let store = Store::open(&args.data_dir.resolve()?)?;
    let creds = TwilioCredentials::load(&Keychain::default())?;
    let client = crate::twilio::client::TwilioClient::new(crate::twilio::client::ClientConfig::from_env(creds))?;
    let stored = store.read(|c| store::settings::get(c, store::settings::keys::PUBLIC_URL))?;
    let from_env = std::env::var("SWITCHBOARD_PUBLIC_URL").ok().filter(|v| !v.trim().is_empty());
    // The owner's explicit URL is trusted; the remembered one only if the app answers there.
    let public_url = match from_env.map(|u| normalise_public_url(&u)).transpose()? {
        Some(url) => crate::outbound::usable_public_url(Some(url), client.api_base()),
        None => match stored.filter(|v| !v.trim().is_empty()).map(|u| normalise_public_url(&u)).transpose()? {
            Some(url) => match crate::outbound::usable_public_url(Some(url), client.api_base()) {
                Some(url) if answers(&url).await => Some(url),
                _ => None,
            },
            None => None,
        },
    };
    if public_url.is_none() {
        eprintln!("switchboard: no public URL is set (the tunnel is off), so Twilio will not report delivery status for this message; the app catches it up later");
    }
    let ob = crate::outbound::Outbound::new(store, client, crate::events::Events::new(), public_url);
    let req = SendRequest {
        from: args.from.clone(),
        to: args.to.clone(),
        content,
        media: args.media.clone(),
        client_ref: None,
        campaign_id: None,
        send_at: None,
    };
    let outcome = outbound_send::send(&ob, req).await?;
    println!("{}", outcome.sid.unwrap_or_default());
    Ok(())
}

/// Whether Switchboard's listener answers at `public_url` now (`GET /healthz`): a URL
/// remembered from a tunnel that is down would get Twilio's callbacks and media fetches lost.
async fn answers(public_url: &str) -> bool {
    let Ok(http) = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build() else {
        return false;
    };
    let url = format!("{}/healthz", public_url.trim_end_matches('/'));
    http.get(url).send().await.is_ok_and(|r| r.status().is_success())
}
