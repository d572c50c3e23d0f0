//! Email replies through Resend, for customers who wrote by email or have no mobile.
//! The API key lives in the keychain (`resend-api-key`); the message is stored in the
//! conversation like any other, with channel `email`.

use crate::domain::status::MessageStatus;
use crate::error::{Error, Result};
use crate::events::Event;
use crate::secrets::{keys, Keychain, Secret};
use crate::store::{conversations, email_thread, messages, optouts, Store};

use super::{threading, Outbound};

pub const DEFAULT_RESEND_API_BASE: &str = "https://api.resend.com";

/// Where and with which key to call Resend.
#[derive(Debug, Clone)]
pub struct ResendConfig {
    /// `SWITCHBOARD_RESEND_API_BASE`, default `https://api.resend.com`.
    pub api_base: String,
    pub api_key: Secret<String>,
}

impl ResendConfig {
    /// The key from the keychain, the base from the environment.
    pub fn load(keychain: &Keychain) -> Result<Self> {
        let api_key = keychain
            .get(keys::RESEND_API_KEY)?
            .ok_or_else(|| Error::MissingCredentials("the Resend API key (Settings > Email)".into()))?;
        let api_base = std::env::var("SWITCHBOARD_RESEND_API_BASE")
            .ok()
            .map(|v| v.trim().trim_end_matches('/').to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| DEFAULT_RESEND_API_BASE.to_string());
        Ok(ResendConfig { api_base, api_key })
    }
}

#[derive(Debug, Clone)]
pub struct EmailReply {
    pub conversation_id: i64,
    /// The sender, e.g. `"Ana's Bakery <hello@anasbakery.com>"` (a domain verified in Resend).
    pub from: String,
    /// What the owner wrote in the composer's subject field; None or blank: the subject
    /// the composer suggests (see [`threading::suggested_subject`]).
    pub subject: Option<String>,
    pub text: String,
    /// Idempotency key; None: a fresh one.
    pub client_ref: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
struct ResendAnswer {
    id: String,
}

#[derive(Debug, serde::Deserialize)]
struct ResendError {
    message: Option<String>,
}

/// The subject the composer offers for the next email in `conversation_id` from `from`.
pub async fn suggested_subject(store: &Store, conversation_id: i64, from: String) -> Result<String> {
    let answering = store.read_async(move |c| email_thread::answering(c, conversation_id)).await?;
    Ok(threading::suggested_subject(&answering, &from))
}

/// Sends an email reply to the conversation's contact and stores it (channel `email`).
/// It answers the conversation's last email: "Re: <its subject>" unless the owner wrote
/// another, with `In-Reply-To`/`References` from its Message-ID. Returns the stored
/// message id.
pub async fn send_email(ob: &Outbound, resend: &ResendConfig, reply: EmailReply) -> Result<i64> {
    if reply.text.trim().is_empty() {
        return Err(Error::InvalidInput("the email is empty".into()));
    }
    let conv_id = reply.conversation_id;
    let conv = ob.store.read_async(move |c| conversations::get(c, conv_id)).await?;
    let to = conv
        .contact_email
        .clone()
        .filter(|e| e.contains('@'))
        .ok_or_else(|| Error::InvalidInput("this contact has no email address; add one in Contacts".into()))?;
    // Email has its own unsubscribe state in the ledger: an SMS STOP says nothing about it.
    let check = to.clone();
    if ob.store.read_async(move |c| optouts::is_opted_out(c, &check)).await? {
        return Err(Error::OptedOut(to));
    }
    let answering = ob.store.read_async(move |c| email_thread::answering(c, conv_id)).await?;
    let subject = threading::subject_to_send(reply.subject.as_deref(), &answering, &reply.from);
    let thread = threading::threading_headers(&answering);
    let client_ref =
        reply.client_ref.clone().unwrap_or_else(|| format!("email-{}", hex::encode(rand::random::<[u8; 16]>())));
    let (r, f, t, b) = (client_ref.clone(), reply.from.clone(), to.clone(), reply.text.clone());
    let (subj, refs) = (subject.clone(), thread.as_ref().map(|(_, refs)| refs.clone()));
    let message_id = ob
        .store
        .write_async(move |tx| {
            let id = messages::insert_outbound_email(tx, conv_id, &r, &f, &t, &b)?;
            email_thread::set_outbound_headers(tx, id, &subj, refs.as_deref())?;
            Ok(id)
        })
        .await?;

    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| Error::Internal(format!("HTTP client: {e}")))?;
    let mut payload = serde_json::json!({
        "from": reply.from,
        "to": [to],
        "subject": subject,
        "text": reply.text,
    });
    if let Some((in_reply_to, references)) = thread {
        payload["headers"] = serde_json::json!({"In-Reply-To": in_reply_to, "References": references});
    }
    let result = http
        .post(format!("{}/emails", resend.api_base))
        .bearer_auth(resend.api_key.expose())
        .header("Idempotency-Key", &client_ref)
        .json(&payload)
        .send()
        .await;
    let outcome: Result<String> = match result {
        Err(e) => Err(crate::twilio::client::network(e)),
        Ok(resp) if resp.status().is_success() => {
            resp.json::<ResendAnswer>().await.map(|a| a.id).map_err(|e| Error::Network(format!("Resend: {e}")))
        }
        Ok(resp) => {
            let status = resp.status().as_u16();
            let why = resp.json::<ResendError>().await.ok().and_then(|e| e.message).unwrap_or_default();
            Err(Error::InvalidInput(format!("Resend refused the email (HTTP {status}): {why}")))
        }
    };
    match outcome {
        Ok(id) => {
            ob.store.write_async(move |tx| messages::set_sid(tx, message_id, &id, &MessageStatus::Sent)).await?;
            ob.events.publish(Event::MessageUpdated { conversation_id: conv_id, message_id, status: "sent".into() });
            Ok(message_id)
        }
        Err(e) => {
            let reason = e.to_string();
            ob.store.write_async(move |tx| messages::mark_failed(tx, message_id, None, &reason)).await?;
            ob.events.publish(Event::MessageUpdated { conversation_id: conv_id, message_id, status: "failed".into() });
            Err(e)
        }
    }
}
