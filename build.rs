fn main() {
    #[cfg(feature = "desktop")]
    desktop();
}

// Every IPC command the app defines. tauri-build generates an `allow-<command>` permission
// for each, and only those granted in `capabilities/default.json` can be called. The list is
// shared with the desktop shell, whose tests check it against the generated contract.
#[cfg(feature = "desktop")]
include!("src-tauri/desktop/command_names.rs");

#[cfg(feature = "desktop")]
fn desktop() {
    println!("cargo:rerun-if-changed=src-tauri/desktop/command_names.rs");
    let attrs = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attrs) {
        // A build script reports failure by panicking; the message names what is wrong.
        panic!("tauri-build failed: {e:#}");
    }
}
