//! Issue 13 items 9 and 12: one `Store` (one writer) per process, handed to the runtime
//! by whoever opened it; and a data folder other local users cannot read.

use std::path::Path;
use std::time::Duration;

use switchboard::runtime::{Runtime, RuntimeConfig};
use switchboard::sim::{SimConfig, Simulator};
use switchboard::store::{self, Store};

use crate::common::{count, temp_store, TestResult};
use crate::sim_support::{runtime_config, wait_until};

const OURS: &str = "+61255501234";
const ALICE: &str = "+61412555201";

async fn sim() -> Result<Simulator, Box<dyn std::error::Error>> {
    Ok(Simulator::start(SimConfig { callback_delay: Duration::from_millis(10), ..SimConfig::default() }).await?)
}

/// The runtime over the caller's `store`, with its start catch-up.
fn config(sim: &Simulator, store: &Store) -> RuntimeConfig {
    RuntimeConfig { backfill: true, ..runtime_config(sim, store.clone()) }
}

/// Item 9: the desktop opens its Store, then starts the runtime; the runtime must write
/// through that Store, not open a second writer on the same database.
#[tokio::test]
async fn desktop_runtime_shares_one_store() -> TestResult {
    let sim = sim().await?;
    let (dir, store) = temp_store()?;
    assert_eq!(store::open_writers(dir.path()), 1);
    let rt = Runtime::start(config(&sim, &store)).await?;
    assert_eq!(
        store::open_writers(dir.path()),
        1,
        "the runtime opened a second writer on the desktop's database (the single-writer design allows one)"
    );
    assert!(rt.store.same_as(&store), "the runtime writes through the Store it was given");
    rt.shutdown().await?;

    // The desktop in sandbox mode hands its Store to the sandbox the same way.
    let sb = switchboard::sandbox::Sandbox::start_with_events(
        store.clone(),
        SimConfig { callback_delay: Duration::from_millis(10), ..SimConfig::default() },
        switchboard::events::Events::new(),
    )
    .await?;
    assert_eq!(store::open_writers(dir.path()), 1, "the sandbox opened a second writer");
    assert!(sb.runtime.store.same_as(&store), "the sandbox's runtime writes through the desktop's Store");
    sb.shutdown().await?;
    drop(store);
    // A store read the runtime had in flight when it shut down runs to its end on the
    // blocking pool (an abort cannot stop it) and drops its handle a moment later.
    let closed = async {
        while store::open_writers(dir.path()) != 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let closed = tokio::time::timeout(Duration::from_secs(5), closed).await.is_ok();
    assert!(closed, "closing the last handle closes the writer ({} still open)", store::open_writers(dir.path()));
    Ok(())
}

/// Every folder and file under `root` with a group or other permission bit.
#[cfg(unix)]
fn readable_by_others(root: &Path) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(p) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else { continue };
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            out.push(format!("{} {:o}", p.display(), mode));
        }
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&p) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        }
    }
    out
}

/// Item 12: after real traffic (an inbound MMS with its picture, a voicemail with its
/// recording, a sent MMS with its attachment copy), nothing in the data folder can be
/// read by another local user. The folder is created inside a 0755 parent with the
/// usual 022 umask, as on a real machine.
#[cfg(unix)]
#[tokio::test]
async fn data_folder_is_private() -> TestResult {
    let sim = sim().await?;
    sim.add_number(OURS, "Shop");
    let outer = tempfile::tempdir()?;
    let data = outer.path().join("switchboard");
    let store = Store::open(&data)?;
    let rt = Runtime::start(config(&sim, &store)).await?;
    sim.point_number_at(OURS, &format!("http://{}", rt.addr));

    sim.customer_sms(ALICE, OURS, "Here is the photo", true).await?;
    let call = sim.customer_call(ALICE, OURS, Some(2)).await?;
    assert!(call.recording_sid.is_some(), "the simulator recorded a voicemail");
    let attachment = outer.path().join("menu.png");
    std::fs::write(&attachment, b"\x89PNG\r\n\x1a\nnot really a png")?;
    let mut req = switchboard::outbound::send::SendRequest::text(OURS, ALICE, "Our menu");
    req.media = vec![attachment];
    switchboard::outbound::send::send(&rt.outbound(), req).await?;
    wait_until("the picture and the voicemail are downloaded", || {
        let store = store.clone();
        async move {
            count(&store, "SELECT COUNT(*) FROM message_media WHERE path IS NOT NULL") >= 1
                && count(&store, "SELECT COUNT(*) FROM recordings WHERE path IS NOT NULL") >= 1
        }
    })
    .await?;
    rt.shutdown().await?;
    drop(store);

    let open = readable_by_others(&data);
    assert!(open.is_empty(), "other local users can read these: {open:#?}");
    // A folder left 0755/0644 by an older build is fixed when it is opened again.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755))?;
    std::fs::set_permissions(data.join(store::DB_FILE), std::fs::Permissions::from_mode(0o644))?;
    std::fs::create_dir_all(data.join("media/zz"))?;
    std::fs::set_permissions(data.join("media/zz"), std::fs::Permissions::from_mode(0o755))?;
    std::fs::write(data.join("media/zz/old.jpg"), b"from an older build")?;
    std::fs::set_permissions(data.join("media/zz/old.jpg"), std::fs::Permissions::from_mode(0o644))?;
    let reopened = Store::open(&data)?;
    let open = readable_by_others(&data);
    assert!(open.is_empty(), "an old folder is made private on open: {open:#?}");
    drop(reopened);
    Ok(())
}
