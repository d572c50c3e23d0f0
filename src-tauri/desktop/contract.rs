//! The contract between the UI and the core, written once, in Rust: every IPC command,
//! the event the webview listens to, and the constants the UI must agree with. From this
//! one list tauri-specta builds the invoke handler and generates `ui/src/lib/bindings.ts`
//! (the commands' signatures and every type that crosses), so the TypeScript is never
//! copied by hand. `tests::bindings_are_current` regenerates the file and fails when it
//! changed; the same tests check `build.rs` and `capabilities/default.json` against this
//! list, so a command cannot be registered but not permitted, or the other way round.

use specta::datatype::DataType;
use tauri::ipc::{InvokeResponseBody, IpcResponse, Response};
use tauri_specta::{collect_commands, collect_events, Builder, ErrorHandlingMode};

use super::bridge::CoreEvent;
use super::commands::{self as c, *};

/// Where the generated bindings live, relative to the repository root.
#[cfg(test)]
pub const BINDINGS: &str = "ui/src/lib/bindings.ts";

/// The commands, the event and the constants of the contract.
pub fn builder() -> Builder<tauri::Wry> {
    Builder::<tauri::Wry>::new()
        .commands(collect_commands![
            c::app_info,
            c::inbox_painted,
            conversations::list_conversations,
            conversations::get_conversation,
            conversations::start_conversation,
            conversations::get_thread,
            conversations::mark_conversation_read,
            conversations::set_reply_channel,
            conversations::search_messages,
            contacts::list_contacts,
            contacts::save_contact,
            contacts::set_opt_out,
            calls::list_calls,
            numbers::list_numbers,
            numbers::update_number_settings,
            voicemail::list_voicemails,
            voicemail::voicemail_audio,
            voicemail::set_voicemail_listened,
            voicemail::delete_voicemail,
            media::media_bytes,
            templates::list_templates,
            templates::save_template,
            templates::delete_template,
            templates::preview_bulk,
            compliance::list_compliance,
            settings::get_settings,
            settings::set_notifications,
            settings::set_autostart,
            settings::set_tray_keeps_window,
            settings::export_data,
            dialogs::pick_files,
            dialogs::pick_save_path,
            settings::credentials_status,
            settings::remove_credentials,
            onboarding::open_sandbox,
            outbound::send_message,
            outbound::email_reply_subject,
            outbound::retry_message,
            outbound::start_call,
            outbound::start_bulk,
            outbound::campaign_progress,
            outbound::pause_campaign,
            outbound::resume_campaign,
            account::check_twilio_credentials,
            account::save_credentials,
            account::save_email_settings,
            reach::configure_tunnel,
            reach::tunnel_status,
            reach::test_webhooks,
            reach::away_summary,
            numbers::manage_numbers,
            numbers::stop_managing_number,
            numbers::search_available_numbers,
            numbers::buy_number,
            numbers::release_number,
            compliance::submit_compliance,
            registration::us_numbers_status,
            registration::list_us_registrations,
            registration::start_us_registration,
            registration::advance_us_registration,
            registration::suggest_us_campaign,
            registration::set_us_campaign,
            registration::resend_us_otp,
            registration::submit_tollfree_verification,
            registration::get_tollfree_verification,
            sandbox_panel::sim_customer_text,
            sandbox_panel::sim_customer_call,
            sandbox_panel::sim_phone_inbox,
            sandbox_panel::sim_drop_webhooks,
            reach::reconcile_status,
            contacts::preview_contacts_import,
            contacts::import_contacts,
            contacts::merge_contacts,
            contacts::delete_contact,
            contacts::set_contact_tags,
            contacts::list_tags,
            contacts::set_blocked,
            contacts::list_blocked,
            outbound::list_campaigns,
            outbound::campaign_detail,
            outbound::cancel_campaign,
            outbound::preview_resend,
            outbound::resend_failed,
            numbers::call_flow_notes,
            conversations::get_timeline,
            conversations::inbox_counts,
            conversations::set_conversation_state,
            conversations::mark_conversation_unread,
            conversations::text_back,
            media::retry_download,
            settings::set_auto_reply_window,
            contacts::opt_out_history,
            compliance::compliance_form,
            compliance::start_compliance_form,
            compliance::update_compliance_form,
            compliance::copy_compliance_for_resubmission,
            compliance::refresh_compliance,
            sandbox_panel::sim_reply_brand_otp,
            registration::refresh_tollfree_verification,
            costs::conversation_costs,
            costs::monthly_costs,
            costs::estimate_bulk,
            calls::delete_call_recording,
            numbers::voicemail_length_note,
            media::recording_audio,
            scheduled::schedule_message,
            scheduled::edit_scheduled,
            scheduled::cancel_scheduled,
            scheduled::list_scheduled,
            scheduled::start_bulk_later,
            sandbox_panel::sim_advance_clock,
            voicemail::unheard_voicemail_count,
        ])
        .events(collect_events![CoreEvent])
        // Page sizes the UI pages by: a page shorter than this is the last one.
        .constant("CONVERSATION_PAGE", crate::store::conversations::PAGE)
        .constant("CALL_PAGE", crate::store::calls::PAGE)
        // The composer refuses attachments over Twilio's limits before Send (the send checks again).
        .constant("MMS_MAX_BYTES", crate::outbound::media_links::MAX_BYTES)
        .constant("MMS_MAX_ATTACHMENTS", crate::outbound::media_links::MAX_ATTACHMENTS)
        // A failed command rejects its promise with `AppError` ({code, message}), as
        // `invoke` always did; the UI's error handling stays as it is.
        .error_handling(ErrorHandlingMode::Throw)
        // Ids, counts and durations are i64/usize in Rust; all stay far below 2^53, and
        // serde_json already sends them as plain JSON numbers.
        .dangerously_cast_bigints_to_number()
        // One TypeScript type per Rust type, in the shape Rust sends. With phases on, each
        // type with an `Option` field became a union of a send and a receive shape.
        .disable_serde_phases()
}

/// Writes the bindings to `path` (the generator behind [`BINDINGS`]; the tests run it).
#[cfg(test)]
pub fn export(path: &std::path::Path) -> crate::Result<()> {
    let ts = specta_typescript::Typescript::default().header(
        "// GENERATED from the Rust commands and types by src-tauri/desktop/contract.rs: do not edit.\n\
         // Refresh with `cargo test --lib contract` (the test rewrites this file and fails when it changed).",
    );
    builder().export(ts, path).map_err(|e| crate::Error::Internal(format!("bindings not generated: {e}")))
}

/// Raw bytes for the webview (an `ArrayBuffer` there), typed for the contract: Tauri's
/// `Response` sends the body without JSON, and has no TypeScript shape of its own.
pub struct Bytes(pub Response);

impl Bytes {
    pub fn new(bytes: Vec<u8>) -> Self {
        Bytes(Response::new(bytes))
    }
}

impl IpcResponse for Bytes {
    fn body(self) -> tauri::Result<InvokeResponseBody> {
        self.0.body()
    }
}

impl specta::Type for Bytes {
    fn definition(_: &mut specta::Types) -> DataType {
        DataType::Reference(specta_typescript::define("ArrayBuffer"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use super::*;

    fn repo() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// The command names of the contract, as Tauri registers them (read from bindings
    /// generated into a scratch folder, so this never races the test that rewrites them).
    fn commands() -> BTreeSet<String> {
        let dir = tempfile::tempdir().unwrap();
        export(&dir.path().join("bindings.ts")).unwrap();
        let bindings = std::fs::read_to_string(dir.path().join("bindings.ts")).unwrap();
        // Every command in the generated file is invoked as `__TAURI_INVOKE<…>("name", …)`.
        bindings
            .split("__TAURI_INVOKE<")
            .skip(1)
            .filter_map(|rest| rest.split_once("(\"").map(|(_, name)| name))
            .map(|name| name.split('"').next().unwrap().to_string())
            .collect()
    }

    /// Regenerates the bindings in place and fails when they changed: run it once after
    /// changing a command or a type that crosses into the UI, and commit the file. CI
    /// runs it on a clean checkout, where a change means the committed file is stale.
    #[test]
    fn bindings_are_current() {
        let path = repo().join(BINDINGS);
        let before = std::fs::read_to_string(&path).unwrap_or_default();
        export(&path).unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert!(
            before == after,
            "{BINDINGS} was stale and has been regenerated: review and commit it (git diff {BINDINGS})"
        );
    }

    /// `build.rs` declares the commands Tauri makes permissions for; it must be exactly the
    /// contract's list, or a command is either unreachable or unlisted.
    #[test]
    fn build_rs_lists_exactly_the_contract_commands() {
        let listed: BTreeSet<String> = crate::desktop::command_names::COMMANDS.iter().map(|s| s.to_string()).collect();
        assert_eq!(listed, commands(), "src-tauri/desktop/command_names.rs (read by build.rs) and the contract differ");
    }

    /// The capability grants `allow-<command>` for exactly the contract's commands.
    #[test]
    fn capability_grants_exactly_the_contract_commands() {
        let cap: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(repo().join("capabilities/default.json")).unwrap()).unwrap();
        let granted: BTreeSet<String> = cap["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .filter_map(|p| p.strip_prefix("allow-"))
            .map(|p| p.replace('-', "_"))
            .collect();
        assert_eq!(granted, commands(), "capabilities/default.json and the contract differ");
    }

    /// The event name the bridge emits under is the one the bindings listen to.
    #[test]
    fn the_event_name_is_the_bridge_one() {
        assert_eq!(<CoreEvent as tauri_specta::Event>::NAME, super::super::EVENT);
    }
}
