//! Helpers shared by the integration tests.

use std::path::PathBuf;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The test references (`tests/oracles`, see its README), or `SWITCHBOARD_ORACLES`.
/// Never anything outside the clone: a fresh clone must pass on its own.
pub fn oracles_dir() -> PathBuf {
    match std::env::var_os("SWITCHBOARD_ORACLES") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oracles"),
    }
}

/// The `switchboard` binary cargo built for these tests.
pub fn switchboard_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_switchboard"))
}

/// A fresh store in its own temporary directory; keep the directory alive as long as the
/// store (bind it to `_dir`, not `_`).
pub fn temp_store() -> Result<(tempfile::TempDir, switchboard::store::Store), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = switchboard::store::Store::open(dir.path())?;
    Ok((dir, store))
}

/// Changes the settings of our number `e164` as the Numbers screen would; a number the
/// store does not know yet is added first (`seen_in_webhook` as `numbers::ensure` takes it).
pub fn edit_number_settings(
    store: &switchboard::store::Store,
    e164: &str,
    seen_in_webhook: bool,
    edit: impl FnOnce(&mut switchboard::store::numbers::NumberSettings) + Send + 'static,
) -> Result<(), switchboard::Error> {
    use switchboard::store::numbers;
    let e164 = e164.to_string();
    store.write(move |tx| {
        let id = numbers::ensure(tx, &e164, seen_in_webhook)?;
        let mut s = numbers::get(tx, id)?.settings;
        edit(&mut s);
        numbers::update_settings(tx, id, &s)
    })
}

/// The single number `sql` (a `SELECT COUNT(*) …`) gives, or -1 when it fails.
pub fn count(store: &switchboard::store::Store, sql: &str) -> i64 {
    store.read(|c| Ok(c.query_row(sql, [], |r| r.get::<_, i64>(0))?)).unwrap_or(-1)
}

/// The app's outbound path over `store` and `client`, with our number `ours` allowed 1000
/// texts a second instead of its 1/s pace: the tests that use it are about what is sent,
/// not how fast.
pub fn unpaced_outbound(
    store: switchboard::store::Store,
    ours: &str,
    client: switchboard::twilio::client::TwilioClient,
    public_url: Option<&str>,
) -> Result<switchboard::outbound::Outbound, Box<dyn std::error::Error>> {
    let key = switchboard::outbound::rate_setting_key(ours);
    store.write(move |tx| switchboard::store::settings::set(tx, key, "1000"))?;
    let events = switchboard::events::Events::new();
    Ok(switchboard::outbound::Outbound::new(store, client, events, public_url.map(str::to_string)))
}

/// The owner's compliance form for an Australian local number, filled in for a clinic
/// (no document attached).
pub fn clinic_draft() -> switchboard::store::compliance::Draft {
    switchboard::store::compliance::Draft {
        country: "AU".into(),
        number_type: "local".into(),
        end_user_type: "business".into(),
        business_name: "Harbour Street Clinic Pty Ltd".into(),
        business_email: "owner@harbourclinic.example".into(),
        registration_id: "51824753556".into(),
        first_name: "Ana".into(),
        last_name: "Lima".into(),
        address: Some(serde_json::json!({
            "customer_name": "Harbour Street Clinic Pty Ltd", "street": "1 George St", "city": "Sydney",
            "region": "NSW", "postal_code": "2000", "iso_country": "AU"
        })),
        document_path: None,
    }
}

/// Saves the "promo" template ("Hi {{name}}, 10% off today") and creates a campaign of it
/// from `from` to `phones` (the i-th greeted as `name(i)`) at `rate` texts a second; its id.
pub async fn promo_campaign(
    ob: &switchboard::outbound::Outbound,
    from: &str,
    phones: &[impl AsRef<str>],
    name: impl Fn(usize) -> String,
    rate: f64,
) -> Result<i64, Box<dyn std::error::Error>> {
    use switchboard::outbound::campaign::{self, NewCampaign, Recipient};
    let template_id =
        ob.store.write(|tx| switchboard::store::templates::save(tx, None, "promo", "Hi {{name}}, 10% off today"))?;
    let recipients = phones
        .iter()
        .enumerate()
        .map(|(i, to)| Recipient {
            contact_id: None,
            to: to.as_ref().to_string(),
            vars: [("name".to_string(), name(i))].into(),
        })
        .collect();
    let new = NewCampaign { template_id, from: from.into(), recipients, rate_per_sec: Some(rate) };
    Ok(campaign::create(ob, new).await?)
}
