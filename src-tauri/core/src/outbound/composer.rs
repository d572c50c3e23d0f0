//! What the desktop composer's Send does: a text (with pictures the owner chose in the
//! file dialog) or an email reply, into an existing conversation.
//!
//! Attachments arrive as grant tokens from [`crate::picked`], never as paths: an MMS
//! attachment is copied to a public link Twilio fetches, so a path from the webview would
//! let it publish any file the owner can read. `switchboard send --media FILE` takes paths
//! the person at the terminal typed and does not come through here.

use super::email::{self, ResendConfig};
use super::{send, Outbound};
use crate::domain::kinds::Channel;
use crate::error::{Error, Result};
use crate::picked::{PickedPaths, Purpose};
use crate::store::conversations;

/// One Send from the composer.
#[derive(Debug, Clone)]
pub struct ComposerMessage {
    pub conversation_id: i64,
    pub body: String,
    pub channel: Channel,
    /// The subject the owner wrote (email only); None or blank: the suggested one.
    pub subject: Option<String>,
    /// Grant tokens of the pictures the owner chose ([`Purpose::Attachment`]).
    pub media: Vec<String>,
}

/// How to send email, asked for only when the channel is email (a text needs neither the
/// Resend key nor a sender address).
pub struct EmailSetup {
    pub resend: ResendConfig,
    pub from: String,
}

/// Sends `msg`; returns the stored message id. The attachments' grants are spent once
/// the text is in the outbox, and kept when the send fails early, so the owner can press
/// Send again without choosing the pictures again.
pub async fn send_from_composer(
    ob: &Outbound,
    picked: &PickedPaths,
    msg: ComposerMessage,
    email_setup: impl FnOnce() -> Result<EmailSetup>,
) -> Result<i64> {
    match msg.channel {
        Channel::Email => {
            if !msg.media.is_empty() {
                return Err(Error::InvalidInput(
                    "pictures go by text message only; remove them to send an email".into(),
                ));
            }
            let setup = email_setup()?;
            let reply = email::EmailReply {
                conversation_id: msg.conversation_id,
                from: setup.from,
                subject: msg.subject,
                text: msg.body,
                client_ref: None,
            };
            email::send_email(ob, &setup.resend, reply).await
        }
        Channel::Sms => {
            let paths = picked.resolve_all(&msg.media, Purpose::Attachment)?;
            let id = msg.conversation_id;
            let conv = ob.store.read_async(move |c| conversations::get(c, id)).await?;
            let mut req = send::SendRequest::text(&conv.our_number, &conv.customer, &msg.body);
            req.media = paths;
            let sent = send::send(ob, req).await;
            // Once the outbox has the text (sent, or failed and offered for Retry, which
            // keeps its own copies), the pictures are spent.
            if sent.is_ok() || matches!(sent, Err(Error::Network(_))) {
                picked.spend(msg.media.iter().map(String::as_str));
            }
            Ok(sent?.message_id)
        }
    }
}
