// Keep the Windows release build from opening a console window next to the app.
#![cfg_attr(all(not(debug_assertions), target_os = "windows"), windows_subsystem = "windows")]

use clap::Parser;
use switchboard::cli::{self, Cli, Command};
use switchboard::Error;

fn main() {
    #[cfg(windows)]
    attach_console();
    let parsed = match Cli::try_parse() {
        Ok(c) => c,
        // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2).
        Err(e) => e.exit(),
    };
    init_tracing();
    if let Err(e) = run(parsed) {
        eprintln!("switchboard: {e}");
        std::process::exit(e.exit_code());
    }
}

fn run(parsed: Cli) -> Result<(), Error> {
    match parsed.command {
        None => desktop(false, parsed.tray),
        Some(Command::Sandbox) => desktop(true, parsed.tray),
        Some(Command::Export(args)) => cli::export(&args),
        Some(Command::Serve(args)) => runtime()?.block_on(cli::serve(&args)),
        Some(Command::Send(args)) => runtime()?.block_on(cli::send(&args)),
        Some(Command::StartAtLogin(args)) => start_at_login(args.action),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    Ok(tokio::runtime::Builder::new_multi_thread().enable_all().build()?)
}

#[cfg(feature = "desktop")]
fn desktop(sandbox: bool, in_tray: bool) -> Result<(), Error> {
    switchboard::desktop::run(sandbox, in_tray)
}

#[cfg(feature = "desktop")]
fn start_at_login(action: cli::StartAtLoginAction) -> Result<(), Error> {
    switchboard::desktop::autostart::command(action)
}

#[cfg(not(feature = "desktop"))]
fn start_at_login(_action: cli::StartAtLoginAction) -> Result<(), Error> {
    Err(Error::Usage("this build has no desktop app to start at login (built without the `desktop` feature)".into()))
}

#[cfg(not(feature = "desktop"))]
fn desktop(_sandbox: bool, _in_tray: bool) -> Result<(), Error> {
    Err(Error::Usage(
        "this build has no desktop app (built without the `desktop` feature); use serve, send or export".into(),
    ))
}

/// The Windows release build is a GUI program (no console window beside the app), so
/// `serve`, `send`, `export` and `--help` typed in a terminal would print nothing: attach to
/// the terminal's console when the output is not already going somewhere (a redirect, a
/// pipe, the debug build's own console). Started from the Start menu there is no parent
/// console and this does nothing.
#[cfg(windows)]
fn attach_console() {
    use windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE;
    use windows_sys::Win32::System::Console::{AttachConsole, GetStdHandle, ATTACH_PARENT_PROCESS, STD_ERROR_HANDLE};
    // SAFETY: two Win32 calls with constant arguments and no pointers of ours; a failure
    // only means there is no console to attach to.
    unsafe {
        let err = GetStdHandle(STD_ERROR_HANDLE);
        if err.is_null() || err == INVALID_HANDLE_VALUE {
            AttachConsole(ATTACH_PARENT_PROCESS);
        }
    }
}

/// Logs go to stderr, filtered by RUST_LOG (default: info for our crate). Secrets are
/// never passed to a log macro; `Secret<T>` prints `<redacted>` if one ever is.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("switchboard=info,warn"));
    // Colours only on a terminal: a log redirected to a file stays greppable.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr).try_init();
}
