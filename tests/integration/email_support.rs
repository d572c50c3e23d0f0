//! Email replies in the tests: a stub Resend, a conversation whose customer has an email
//! address, and the owner's reply sent through the stub.

use std::sync::Arc;

use switchboard::outbound::{email, Outbound};
use switchboard::secrets::Secret;
use switchboard::store::{self, Store};
use switchboard::Error;

use crate::client_stub::Stub;

/// A stub Resend answering every send with ids re-0001, re-0002…
pub async fn resend() -> Result<Stub, Box<dyn std::error::Error>> {
    Stub::start(Arc::new(|r, before| {
        if r.path != "/emails" {
            return (404, vec![], "{}".into());
        }
        let n = before.iter().filter(|b| b.path == "/emails").count() + 1;
        (200, vec![], serde_json::json!({ "id": format!("re-{n:04}") }).to_string())
    }))
    .await
}

/// Replies "It is ready." (subject "Your order") by email in `conversation_id`, through the
/// stub `resend`.
pub async fn email_reply(ob: &Outbound, resend: &Stub, conversation_id: i64) -> Result<i64, Error> {
    let cfg = email::ResendConfig { api_base: resend.base.clone(), api_key: Secret::new("re_test_key".into()) };
    let reply = email::EmailReply {
        conversation_id,
        from: "Shop <shop@example.com>".into(),
        subject: Some("Your order".into()),
        text: "It is ready.".into(),
        client_ref: None,
    };
    email::send_email(ob, &cfg, reply).await
}

/// The conversation between `ours` and `customer`, whose contact (named Ana) also has the
/// email address `email`.
pub fn conversation_with_email(store: &Store, ours: &str, customer: &str, email: &str) -> Result<i64, Error> {
    let (ours, customer, email) = (ours.to_string(), customer.to_string(), email.to_string());
    store.write(move |tx| {
        let n = store::numbers::ensure(tx, &ours, false)?;
        let conv = store::conversations::ensure(tx, n, &customer)?;
        let contact = store::contacts::find_by_address(tx, &customer)?.ok_or_else(|| Error::not_found("contact"))?;
        let edit = store::contacts::ContactEdit {
            name: "Ana".into(),
            phones: vec![customer.clone()],
            email: Some(email),
            notes: String::new(),
        };
        store::contacts::save(tx, Some(contact.id), &edit)?;
        Ok(conv)
    })
}
