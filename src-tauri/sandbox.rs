//! `switchboard sandbox`: the whole app against the built-in Twilio simulator, so someone
//! with no Twilio account sees a working inbox in the first minute. The simulator plays
//! Twilio (REST, signed webhooks, calls, voicemail), its demo history arrives through the
//! ordinary backfill, and the business number is managed and wired like a real one, so
//! every path the sandbox exercises is the production path.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::error::Result;
use crate::media::MediaConfig;
use crate::runtime::{Reach, Runtime, RuntimeConfig};
use crate::secrets::TwilioCredentials;
use crate::sim::{SimConfig, Simulator};
use crate::store::{contacts, numbers, settings, Store};
use crate::tunnel::RetryPolicy;
use crate::twilio::client::ClientConfig;

/// The sandbox's business number (an Australian geographic number) and its name.
pub const BUSINESS_NUMBER: &str = "+61255501234";
pub const BUSINESS_NAME: &str = "Harbour Street Clinic";
/// The owner's (simulated) mobile, where calls are forwarded.
pub const OWNER_MOBILE: &str = "+61412000999";
/// The simulated customers of the demo history, with names the owner saved.
pub const CUSTOMERS: [(&str, &str); 3] =
    [("+61412555101", "Mia Nguyen"), ("+61412555102", "Tom Fraser"), ("+61412555103", "Priya Shah")];

/// How often the sandbox reconciles with the simulator.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(5);

pub struct Sandbox {
    pub sim: Simulator,
    pub runtime: Runtime,
}

impl Sandbox {
    /// Starts the simulator and the runtime on `data_dir` (the sandbox's own folder).
    /// Seeds the demo once: a later start keeps what the owner did in the sandbox.
    pub async fn start(data_dir: &Path, sim_config: SimConfig) -> Result<Sandbox> {
        let store = Store::open_async(data_dir.to_path_buf()).await?;
        Self::start_with_events(store, sim_config, crate::events::Events::new()).await
    }

    /// [`Sandbox::start`] on the caller's `store` (the desktop's one Store), publishing
    /// on `events`.
    pub async fn start_with_events(
        store: Store,
        sim_config: SimConfig,
        events: crate::events::Events,
    ) -> Result<Sandbox> {
        let sim = Simulator::start(sim_config).await?;
        let sid = sim.add_number(BUSINESS_NUMBER, BUSINESS_NAME);
        write_sim_file(store.data_dir(), &sim);
        let seeded = store.read_async(|c| settings::get(c, settings::keys::SANDBOX_SEEDED)).await?.is_some();
        let pn = sid.clone();
        store
            .write_async(move |tx| {
                let id = numbers::upsert_from_twilio(tx, &pn, BUSINESS_NUMBER, BUSINESS_NAME)?;
                // The simulator is new each run, so the number is (re)managed every start.
                numbers::set_managed(tx, id, true, Some("{}"))?;
                if !seeded {
                    let mut s = numbers::get(tx, id)?.settings;
                    s.forwarding_number = Some(OWNER_MOBILE.into());
                    s.greeting = format!("Thanks for calling {BUSINESS_NAME}.");
                    numbers::update_settings(tx, id, &s)?;
                    for (phone, name) in CUSTOMERS {
                        let cid = contacts::ensure_for_address(tx, phone)?;
                        let edit = contacts::ContactEdit {
                            name: name.into(),
                            phones: vec![phone.into()],
                            email: None,
                            notes: String::new(),
                        };
                        contacts::save(tx, Some(cid), &edit)?;
                    }
                    crate::store::templates::save(
                    tx,
                    None,
                    "Appointment reminder",
                    "Hi {{first_name}}, a reminder of your appointment tomorrow at {{time}}. Reply STOP to opt out.",
                )?;
                    settings::set(tx, settings::keys::SANDBOX_SEEDED, "1")?;
                }
                Ok(())
            })
            .await?;
        // The simulator's log is fresh each run; its demo history is backfilled by SID,
        // so it appears once however often the sandbox starts.
        if !seeded {
            sim.seed_demo(BUSINESS_NUMBER, BUSINESS_NAME);
        }

        let creds = TwilioCredentials::with_auth_token(sim.account_sid(), sim.auth_token());
        let runtime = Runtime::start_with_events(
            RuntimeConfig {
                store,
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                reach: Reach::Loopback,
                client: ClientConfig::with_base(creds.clone(), &sim.base_url()),
                media: {
                    let mut m = MediaConfig::new(&sim.base_url(), Some(&creds));
                    m.poll_interval = Duration::from_secs(2);
                    m
                },
                credentials: creds,
                wire_numbers: true,
                // The simulator runs Studio flows: with webhooks dropped (the sandbox's
                // switch) calls get the "while closed" flow, as they would from Twilio.
                fallback_flows: true,
                backfill: true,
                retry: RetryPolicy::default(),
                // Short, so a text whose webhook was dropped (the simulated phone's switch)
                // shows up within seconds; `SWITCHBOARD_RECONCILE_SECS` still wins.
                reconcile_interval: Some(crate::sync::reconcile::env_interval().unwrap_or(RECONCILE_EVERY)),
            },
            events,
        )
        .await?;
        Ok(Sandbox { sim, runtime })
    }

    /// The file, in the sandbox's data folder, that tells scripts where this run's
    /// simulator is ([`write_sim_file`]).
    pub const SIM_FILE: &'static str = "sandbox-sim.json";

    pub async fn shutdown(self) -> Result<()> {
        let out = self.runtime.shutdown().await;
        self.sim.shutdown().await;
        out
    }
}

/// Writes where this run's simulator listens and its (simulated, per-run) credentials, so a
/// script can play the customer while the app's window is closed (the desktop benchmark and
/// e2e: `POST {base_url}/2010-04-01/Accounts/{account_sid}/Sandbox/CustomerMessages.json`).
/// Only the sandbox does this; its credentials open nothing but the simulator. Best effort:
/// the sandbox works without it.
fn write_sim_file(data_dir: &Path, sim: &Simulator) {
    let info = serde_json::json!({
        "base_url": sim.base_url(),
        "account_sid": sim.account_sid(),
        "auth_token": sim.auth_token(),
        "business_number": BUSINESS_NUMBER,
    });
    let written = crate::store::private::create_private_file(&data_dir.join(Sandbox::SIM_FILE)).and_then(|mut f| {
        f.set_len(0)?;
        std::io::Write::write_all(&mut f, info.to_string().as_bytes())
    });
    if let Err(e) = written {
        tracing::warn!("could not write {}: {e}", Sandbox::SIM_FILE);
    }
}
