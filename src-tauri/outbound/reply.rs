//! The owner's reply in a conversation, by text (the one send path, [`send::send`]) or by
//! email (Resend), and Retry on a message whose fate was unknown. The desktop's composer,
//! and anything else that replies in a thread, calls these.

use std::path::PathBuf;

use super::{email, send, Outbound};
use crate::error::{Error, Result};
use crate::store::{conversations, messages, settings};

/// Settings key of the sender address used for email replies.
pub const EMAIL_FROM: &str = "email_from";

/// A reply typed in a conversation.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    pub conversation_id: i64,
    pub body: String,
    /// `email`, or anything else for SMS/MMS (the composer sends `sms`).
    pub channel: String,
    /// Files to attach (MMS only).
    pub media: Vec<PathBuf>,
}

/// Sends `reply` and returns the stored message. `resend` loads the email provider's key
/// (from the keychain in the app) and is only called for an email.
pub async fn reply(
    ob: &Outbound,
    reply: Reply,
    resend: impl FnOnce() -> Result<email::ResendConfig>,
) -> Result<messages::Message> {
    let Reply { conversation_id, body, channel, media } = reply;
    let message_id = if channel == "email" {
        let resend = resend()?;
        let from = ob.store.read_async(|c| settings::get(c, EMAIL_FROM)).await?.ok_or_else(|| {
            Error::MissingCredentials("the sender address for email (Settings > Email replies)".into())
        })?;
        let reply = email::EmailReply {
            conversation_id,
            from,
            subject: "Re: your message".into(),
            text: body,
            client_ref: None,
        };
        email::send_email(ob, &resend, reply).await?
    } else {
        let conv = ob.store.read_async(move |c| conversations::get(c, conversation_id)).await?;
        let mut req = send::SendRequest::text(&conv.our_number, &conv.customer, &body);
        req.media = media;
        send::send(ob, req).await?.message_id
    };
    ob.store.read_async(move |c| messages::get(c, message_id)).await
}

/// Retry on a failed message Twilio never accepted: Twilio's log is checked first, so a
/// message that did go out is adopted, never sent twice. When Twilio still cannot be
/// asked, the row (failed, `unconfirmed`, Retry offered again) is returned as it is.
pub async fn retry(ob: &Outbound, message_id: i64) -> Result<messages::Message> {
    let message_id = match send::retry(ob, message_id).await {
        Ok(o) => o.message_id,
        Err(Error::Network(_)) => message_id,
        Err(e) => return Err(e),
    };
    ob.store.read_async(move |c| messages::get(c, message_id)).await
}

/// Saves what email replies need: the Resend API key through `keep_secret` (the keychain
/// in the app) and the sender address in settings. Nothing is stored when either is
/// missing, so the composer never offers email that cannot be sent.
pub async fn save_email_settings(
    store: &crate::store::Store,
    api_key: &str,
    from: &str,
    keep_secret: impl FnOnce(crate::secrets::Secret<String>) -> Result<()>,
) -> Result<()> {
    let (key, from) = (api_key.trim().to_string(), from.trim().to_string());
    if key.is_empty() || !from.contains('@') {
        return Err(Error::InvalidInput(
            "enter the Resend API key and a sender address such as Shop <hi@shop.com>".into(),
        ));
    }
    keep_secret(crate::secrets::Secret::new(key))?;
    store.write_async(move |tx| settings::set(tx, EMAIL_FROM, &from)).await
}
