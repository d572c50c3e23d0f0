//! Around the owner's replies: the email sender setting, and Retry on a message whose
//! fate was unknown. The composer's Send itself is [`super::composer`].

use super::{send, Outbound};
use crate::error::{Error, Result};
use crate::store::{messages, settings};

/// Settings key of the sender address used for email replies.
pub use crate::store::settings::keys::EMAIL_FROM;

/// The sender address for email replies (Settings > Email replies).
pub async fn email_from(store: &crate::store::Store) -> Result<String> {
    store
        .read_async(|c| settings::get(c, EMAIL_FROM))
        .await?
        .ok_or_else(|| Error::MissingCredentials("the sender address for email (Settings > Email replies)".into()))
}

/// Retry on a failed message (see [`send::retry`]: a new send linked to the failed one,
/// or, when Twilio's answer was lost, the same row after a look in its log). Returns the
/// message the thread should show for it: the retry, or the row itself. When Twilio still
/// cannot be asked, that row (failed, `unconfirmed`, Retry offered again) is returned.
pub async fn retry(ob: &Outbound, message_id: i64) -> Result<messages::Message> {
    let shown = match send::retry(ob, message_id).await {
        Ok(o) => o.message_id,
        Err(Error::Network(_)) => {
            let key = send::retry_ref(message_id);
            let retry = ob.store.read_async(move |c| messages::find_by_client_ref(c, &key)).await?;
            retry.map_or(message_id, |m| m.id)
        }
        Err(e) => return Err(e),
    };
    ob.store.read_async(move |c| messages::get(c, shown)).await
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
