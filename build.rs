fn main() {
    #[cfg(feature = "desktop")]
    desktop();
}

/// Every IPC command the app defines. tauri-build generates an `allow-<command>` permission
/// for each, and only those granted in `capabilities/default.json` can be called, so a
/// command added in `src-tauri/desktop` must be listed here and granted there.
#[cfg(feature = "desktop")]
const COMMANDS: &[&str] = &[
    "app_info",
    "list_conversations",
    "get_conversation",
    "start_conversation",
    "get_thread",
    "get_timeline",
    "inbox_counts",
    "set_conversation_state",
    "mark_conversation_unread",
    "text_back",
    "retry_download",
    "mark_conversation_read",
    "set_reply_channel",
    "search_messages",
    "list_contacts",
    "save_contact",
    "set_opt_out",
    "list_calls",
    "list_numbers",
    "update_number_settings",
    "list_voicemails",
    "voicemail_audio",
    "set_voicemail_listened",
    "delete_voicemail",
    "media_bytes",
    "list_templates",
    "save_template",
    "delete_template",
    "preview_bulk",
    "list_compliance",
    "save_compliance_draft",
    "get_settings",
    "set_notifications",
    "set_autostart",
    "set_tray_keeps_window",
    "export_data",
    "pick_files",
    "pick_save_path",
    "email_reply_subject",
    "credentials_status",
    "remove_credentials",
    "open_sandbox",
    "send_message",
    "retry_message",
    "start_call",
    "start_bulk",
    "campaign_progress",
    "pause_campaign",
    "resume_campaign",
    "check_twilio_credentials",
    "save_credentials",
    "configure_tunnel",
    "tunnel_status",
    "test_webhooks",
    "save_email_settings",
    "away_summary",
    "reconcile_status",
    "sim_drop_webhooks",
    "inbox_painted",
    "manage_numbers",
    "stop_managing_number",
    "search_available_numbers",
    "buy_number",
    "release_number",
    "submit_compliance",
    "sim_customer_text",
    "sim_customer_call",
    "sim_phone_inbox",
];

#[cfg(feature = "desktop")]
fn desktop() {
    let attrs = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attrs) {
        // A build script reports failure by panicking; the message names what is wrong.
        panic!("tauri-build failed: {e:#}");
    }
}
