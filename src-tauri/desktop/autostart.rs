//! Start at login: the entry the desktop session runs when the owner logs in, which starts
//! Switchboard in the tray (`switchboard --tray`) so texts and calls are caught from the
//! first minute of the day without anyone opening a window.
//!
//! One definition of that entry, used by the Settings switch (`set_autostart`) and by
//! `switchboard start-at-login`, so what the owner turns on in the window is exactly what
//! the command line (and CI, from the installed package) sees and checks. It writes an XDG
//! autostart file on Linux, a `Run` registry value on Windows and a launch agent on macOS
//! (the `auto-launch` crate, which the Tauri autostart plugin also wraps).

use std::path::Path;

use auto_launch::{AutoLaunch, AutoLaunchBuilder};

use crate::error::{Error, Result};

/// The entry's name: `~/.config/autostart/Switchboard.desktop`, the `Run` value
/// `Switchboard`. The same name the Tauri plugin gave it before this module, so an entry an
/// owner turned on with an earlier version is still found and turned off.
pub const ENTRY_NAME: &str = "Switchboard";

/// Whether the entry is there.
pub fn is_enabled() -> Result<bool> {
    launcher()?.is_enabled().map_err(|e| failed("read", e))
}

/// Writes (or removes) the entry. Writing it again replaces it, so an entry left by an
/// install in another place points at this binary afterwards.
pub fn set(enabled: bool) -> Result<()> {
    let launcher = launcher()?;
    if enabled {
        launcher.enable().map_err(|e| failed("turn on", e))
    } else if launcher.is_enabled().map_err(|e| failed("read", e))? {
        launcher.disable().map_err(|e| failed("turn off", e))
    } else {
        Ok(())
    }
}

/// Where the entry lives, for the command line to show (Linux only: elsewhere it is not a
/// file the owner would look for).
pub fn entry_location() -> Option<std::path::PathBuf> {
    if cfg!(target_os = "linux") {
        std::env::var_os("HOME")
            .map(|home| Path::new(&home).join(".config/autostart").join(format!("{ENTRY_NAME}.desktop")))
    } else {
        None
    }
}

/// `switchboard start-at-login on|off|status`: prints `on` (with the entry's file on
/// Linux) or `off`, after the change if one was asked for.
pub fn command(action: crate::cli::StartAtLoginAction) -> Result<()> {
    use crate::cli::StartAtLoginAction;
    match action {
        StartAtLoginAction::On => set(true)?,
        StartAtLoginAction::Off => set(false)?,
        StartAtLoginAction::Status => {}
    }
    let line = match (is_enabled()?, entry_location()) {
        (true, Some(file)) => format!("on: {}", file.display()),
        (true, None) => "on".to_string(),
        (false, _) => "off".to_string(),
    };
    println!("{line}");
    Ok(())
}

fn launcher() -> Result<AutoLaunch> {
    let exe =
        std::env::current_exe().map_err(|e| Error::Internal(format!("could not find this program's path: {e}")))?;
    // Run from an AppImage, the binary is inside a mount that is gone next login.
    let program = std::env::var_os("APPIMAGE").map(std::path::PathBuf::from).unwrap_or(exe);
    let mut builder = AutoLaunchBuilder::new();
    builder.set_app_name(ENTRY_NAME).set_app_path(&command_path(&program)).set_args(&[super::IN_TRAY_ARG]);
    #[cfg(target_os = "macos")]
    builder.set_macos_launch_mode(auto_launch::MacOSLaunchMode::LaunchAgent);
    builder.build().map_err(|e| failed("prepare", e))
}

/// The program as the entry's command line names it. `auto-launch` writes the path as it
/// is, followed by the arguments; a path with a space (`C:\Users\Jo Smith\…` on Windows, an
/// AppImage in `~/My Apps`) would then run the wrong program, or none. Quoted there, as
/// both the Desktop Entry spec and Windows' command line parsing read quotes.
fn command_path(program: &Path) -> String {
    let path = program.display().to_string();
    if cfg!(windows) || path.chars().any(char::is_whitespace) {
        format!("\"{}\"", path.replace('"', ""))
    } else {
        path
    }
}

fn failed(what: &str, e: auto_launch::Error) -> Error {
    Error::Internal(format!("could not {what} start at login: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_with_a_space_is_quoted_and_a_plain_one_is_left_alone_off_windows() {
        assert_eq!(
            command_path(Path::new("/home/jo/My Apps/Switchboard.AppImage")),
            "\"/home/jo/My Apps/Switchboard.AppImage\""
        );
        if !cfg!(windows) {
            assert_eq!(command_path(Path::new("/usr/bin/switchboard")), "/usr/bin/switchboard");
        }
    }
}
