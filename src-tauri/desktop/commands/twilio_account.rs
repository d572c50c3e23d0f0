//! Commands for the account: onboarding, tunnel, numbers to manage, buying and releasing
//! numbers, and compliance submission.

use tauri::State;

use super::super::live::{self, Live, TunnelStatus};
use crate::error::{Error, Result};
use crate::secrets::{keys, Keychain, Secret, TwilioCredentials};
use crate::store::{compliance as records, numbers, settings};
use crate::tunnel::wiring;
use crate::twilio::api::numbers::{BuyNumber, NumberConfig, NumberSearch, NumberType};
use crate::twilio::client::{ClientConfig, TwilioClient};

fn credentials(account_sid: &str, auth_token: &str) -> Result<TwilioCredentials> {
    let sid = crate::domain::AccountSid::parse(account_sid.trim())
        .map_err(|_| Error::InvalidInput("the Account SID starts with AC followed by 32 letters and digits".into()))?;
    let token = auth_token.trim();
    if token.is_empty() {
        return Err(Error::InvalidInput("enter the Auth Token".into()));
    }
    Ok(TwilioCredentials::with_auth_token(sid.as_str(), token))
}

#[derive(serde::Serialize)]
pub struct AccountNumber {
    sid: String,
    e164: String,
    friendly_name: String,
}

#[derive(serde::Serialize)]
pub struct AccountCheck {
    account_name: String,
    numbers: Vec<AccountNumber>,
}

/// Checks the credentials against Twilio (fetches the account and its numbers); saves nothing.
#[tauri::command]
pub async fn check_twilio_credentials(account_sid: String, auth_token: String) -> Result<AccountCheck> {
    let client = TwilioClient::new(ClientConfig::from_env(credentials(&account_sid, &auth_token)?))?;
    let account = client.fetch_account().await?;
    let numbers = client
        .list_numbers(200)
        .await?
        .into_iter()
        .map(|n| AccountNumber { friendly_name: n.friendly_name.unwrap_or_default(), sid: n.sid, e164: n.phone_number })
        .collect();
    Ok(AccountCheck { account_name: account.friendly_name.unwrap_or_default(), numbers })
}

/// Stores the credentials in the keychain (never anywhere else) and starts the core.
#[tauri::command]
pub async fn save_credentials(live: State<'_, Live>, account_sid: String, auth_token: String) -> Result<()> {
    let creds = credentials(&account_sid, &auth_token)?;
    let k = Keychain::default();
    k.set(keys::ACCOUNT_SID, &Secret::new(creds.account_sid.clone()))?;
    k.set(keys::AUTH_TOKEN, &creds.password)?;
    live.restart().await
}

#[derive(serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TunnelConfig {
    Ngrok { authtoken: String, domain: Option<String> },
    Manual { url: String },
}

#[tauri::command]
pub async fn configure_tunnel(live: State<'_, Live>, config: TunnelConfig) -> Result<TunnelStatus> {
    let store = &live.store;
    match config {
        TunnelConfig::Ngrok { authtoken, domain } => {
            if authtoken.trim().is_empty() {
                return Err(Error::InvalidInput("enter your ngrok authtoken".into()));
            }
            Keychain::default().set(keys::NGROK_AUTHTOKEN, &Secret::new(authtoken.trim().into()))?;
            store
                .write_async(move |tx| {
                    settings::set(tx, live::TUNNEL_KIND, "ngrok")?;
                    match domain.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
                        Some(d) => settings::set(tx, live::NGROK_DOMAIN, d),
                        None => settings::remove(tx, live::NGROK_DOMAIN),
                    }
                })
                .await?;
        }
        TunnelConfig::Manual { url } => {
            let url = crate::cli::normalise_public_url(&url)
                .map_err(|_| Error::InvalidInput(format!("{url:?} is not an http(s) URL")))?;
            store
                .write_async(move |tx| {
                    settings::set(tx, live::TUNNEL_KIND, "manual")?;
                    settings::set(tx, live::MANUAL_URL, &url)
                })
                .await?;
        }
    }
    live.restart().await?;
    Ok(live.tunnel_status().await)
}

/// Settings key of the sender address used for email replies.
pub use crate::store::settings::keys::EMAIL_FROM;

/// Saves the Resend API key (keychain) and the sender address (settings) for email replies.
#[tauri::command]
pub async fn save_email_settings(live: State<'_, Live>, api_key: String, from: String) -> Result<()> {
    let (key, from) = (api_key.trim().to_string(), from.trim().to_string());
    if key.is_empty() || !from.contains('@') {
        return Err(Error::InvalidInput(
            "enter the Resend API key and a sender address such as Shop <hi@shop.com>".into(),
        ));
    }
    Keychain::default().set(keys::RESEND_API_KEY, &Secret::new(key))?;
    let store = &live.store;
    store.write_async(move |tx| settings::set(tx, EMAIL_FROM, &from)).await
}

/// What the latest catch-up with Twilio brought in ("while you were away"), if anything.
#[tauri::command]
pub fn away_summary(live: State<'_, Live>) -> Option<live::AwaySummary> {
    live.away_summary()
}

#[tauri::command]
pub async fn tunnel_status(live: State<'_, Live>) -> Result<TunnelStatus> {
    Ok(live.tunnel_status().await)
}

#[derive(serde::Serialize)]
pub struct SelfTestResult {
    ok: bool,
    message: String,
}

/// Sends ourselves a signed request through the public URL.
#[tauri::command]
pub async fn test_webhooks(live: State<'_, Live>) -> Result<SelfTestResult> {
    let test = match &*live.mode.read().await {
        live::Mode::Real(rt) => rt.selftest().await,
        live::Mode::Sandbox(sb) => sb.runtime.selftest().await,
        live::Mode::Stopped(why) => return Err(Error::InvalidInput(why.clone())),
    };
    Ok(SelfTestResult { ok: test.ok, message: test.message })
}

/// Records the account's numbers and starts managing the chosen ones: their current URLs
/// are remembered, then the runtime wires them (with their fallback flows) now when the
/// tunnel is online, else as soon as it is.
#[tauri::command]
pub async fn manage_numbers(live: State<'_, Live>, sids: Vec<String>) -> Result<Vec<numbers::Number>> {
    let client = live.client().await?;
    let ob = live.outbound().await?;
    for n in client.list_numbers(200).await? {
        let wanted = sids.contains(&n.sid);
        let (sid, e164, name) = (n.sid.clone(), n.phone_number.clone(), n.friendly_name.clone().unwrap_or_default());
        let id = ob.store.write_async(move |tx| numbers::upsert_from_twilio(tx, &sid, &e164, &name)).await?;
        if wanted {
            wiring::manage(&ob.store, &client, id, None, None).await?;
        }
    }
    live.rewire().await;
    ob.store.read_async(numbers::list).await
}

/// "Stop managing": the number gets back the webhooks it had before Switchboard managed
/// it (the Twilio console's, as remembered when it started being managed).
#[tauri::command]
pub async fn stop_managing_number(live: State<'_, Live>, id: i64) -> Result<Vec<numbers::Number>> {
    let client = live.client().await?;
    let ob = live.outbound().await?;
    wiring::unmanage(&ob.store, &client, id).await?;
    ob.store.read_async(numbers::list).await
}

#[derive(serde::Serialize)]
pub struct Available {
    e164: String,
    friendly_name: String,
    locality: Option<String>,
    region: Option<String>,
    capabilities: Vec<String>,
    requirements: Option<String>,
}

#[tauri::command]
pub async fn search_available_numbers(
    live: State<'_, Live>,
    country: String,
    number_type: String,
    area_code: String,
) -> Result<Vec<Available>> {
    let kind = match number_type.as_str() {
        "mobile" => NumberType::Mobile,
        "toll-free" | "toll_free" | "tollfree" => NumberType::TollFree,
        _ => NumberType::Local,
    };
    let search = NumberSearch {
        country: country.trim().to_ascii_uppercase(),
        area_code: Some(area_code.trim().to_string()).filter(|a| !a.is_empty()),
        page_size: Some(20),
        ..Default::default()
    };
    let found = live.client().await?.search_available(kind, &search).await?;
    Ok(found
        .into_iter()
        .map(|n| {
            let caps = n.capabilities.clone().unwrap_or_default();
            let capabilities = [("voice", caps.voice), ("SMS", caps.sms), ("MMS", caps.mms)]
                .into_iter()
                .filter(|(_, on)| on.unwrap_or(false))
                .map(|(name, _)| name.to_string())
                .collect();
            let requirements = n.address_requirements.clone().filter(|r| r != "none").map(|r| match r.as_str() {
                "local" => "needs an address in this country (and an approved bundle where required)".to_string(),
                "foreign" => "needs an address outside this country".to_string(),
                _ => "needs an address on your account".to_string(),
            });
            Available {
                friendly_name: n.friendly_name.clone().unwrap_or_else(|| n.phone_number.clone()),
                e164: n.phone_number,
                locality: n.locality,
                region: n.region,
                capabilities,
                requirements,
            }
        })
        .collect())
}

/// Buys `e164` (with the approved bundle and address of `compliance_id` when given) and
/// starts managing it.
#[tauri::command]
pub async fn buy_number(live: State<'_, Live>, e164: String, compliance_id: Option<i64>) -> Result<numbers::Number> {
    let client = live.client().await?;
    let ob = live.outbound().await?;
    let record = match compliance_id {
        Some(id) => Some(ob.store.read_async(move |c| records::get(c, id)).await?),
        None => None,
    };
    if let Some(r) = &record {
        if r.status != "twilio-approved" {
            return Err(Error::InvalidInput(format!(
                "the compliance bundle for {} is {}, not approved yet",
                r.business_name, r.status
            )));
        }
    }
    let bought = client
        .buy_number(&BuyNumber {
            phone_number: e164.clone(),
            friendly_name: None,
            bundle_sid: record.as_ref().and_then(|r| r.bundle_sid.clone()),
            address_sid: record.as_ref().and_then(|r| r.address_sid.clone()),
            config: NumberConfig::default(),
        })
        .await?;
    let (sid, number, name) =
        (bought.sid.clone(), bought.phone_number.clone(), bought.friendly_name.unwrap_or_default());
    let id = ob.store.write_async(move |tx| numbers::upsert_from_twilio(tx, &sid, &number, &name)).await?;
    wiring::manage(&ob.store, &client, id, None, None).await?;
    live.rewire().await;
    ob.store.read_async(move |c| numbers::get(c, id)).await
}

/// Releases a number back to Twilio (the UI asked for confirmation first).
#[tauri::command]
pub async fn release_number(live: State<'_, Live>, id: i64) -> Result<()> {
    let client = live.client().await?;
    let ob = live.outbound().await?;
    let number = ob.store.read_async(move |c| numbers::get(c, id)).await?;
    let sid =
        number.sid.ok_or_else(|| Error::InvalidInput(format!("{} is not a number of this account", number.e164)))?;
    client.release_number(&sid).await?;
    ob.store.write_async(move |tx| numbers::delete(tx, id)).await
}

#[tauri::command]
pub async fn submit_compliance(live: State<'_, Live>, id: i64) -> Result<records::Compliance> {
    let client = live.client().await?;
    let ob = live.outbound().await?;
    let callback = live.public_url().await.map(|u| format!("{u}/twilio/compliance"));
    crate::compliance::submit(&ob.store, &client, id, callback).await
}
