//! The freedesktop notification server over ONE session-bus connection, for every
//! notification the app ever shows: `Notify` with `replaces_id` (so a conversation keeps
//! one notification), and one listener for `ActionInvoked` / `NotificationClosed` that
//! reports clicks to the [`Notifier`]. notify-rust's handles open a connection per
//! notification and need a blocked thread each to hear the click; this does not.

use std::collections::HashMap;

use futures_util::TryStreamExt;

use crate::error::{Error, Result};
use crate::notifications::{Notice, NotificationSink, Notifier};

const NAME: &str = "org.freedesktop.Notifications";
const PATH: &str = "/org/freedesktop/Notifications";

pub struct DbusSink {
    conn: zbus::Connection,
}

fn bus_error(e: zbus::Error) -> Error {
    Error::Internal(format!("the notification service is not reachable: {e}"))
}

impl DbusSink {
    /// Connects to the session bus. Call [`listen`] once the [`Notifier`] exists, so
    /// clicks reach it.
    pub async fn connect() -> Result<DbusSink> {
        Ok(DbusSink { conn: zbus::Connection::session().await.map_err(bus_error)? })
    }

    /// The connection, for [`listen`] (a cheap handle on the same connection).
    pub fn connection(&self) -> zbus::Connection {
        self.conn.clone()
    }
}

/// Subscribes to the server's signals on `conn` (the sink's own connection) and forwards
/// them to `notifier` until the connection closes.
pub async fn listen(conn: &zbus::Connection, notifier: Notifier) -> Result<()> {
    let proxy = zbus::fdo::DBusProxy::new(conn).await.map_err(bus_error)?;
    for member in ["ActionInvoked", "NotificationClosed"] {
        let rule = zbus::MatchRule::builder()
            .msg_type(zbus::message::Type::Signal)
            .interface(NAME)
            .member(member)
            .build()
            .map_err(bus_error)?;
        proxy.add_match_rule(rule).await.map_err(|e| bus_error(e.into()))?;
    }
    let mut stream = zbus::MessageStream::from(conn);
    tokio::spawn(async move {
        while let Ok(Some(msg)) = stream.try_next().await {
            let header = msg.header();
            if header.message_type() != zbus::message::Type::Signal
                || header.interface().map(|i| i.as_str()) != Some(NAME)
            {
                continue;
            }
            match header.member().map(|m| m.as_str()) {
                Some("ActionInvoked") => {
                    if let Ok((id, action)) = msg.body().deserialize::<(u32, String)>() {
                        notifier.invoked(id, &action);
                    }
                }
                Some("NotificationClosed") => {
                    if let Ok((id, _reason)) = msg.body().deserialize::<(u32, u32)>() {
                        notifier.closed(id);
                    }
                }
                _ => {}
            }
        }
    });
    Ok(())
}

#[async_trait::async_trait]
impl NotificationSink for DbusSink {
    async fn show(&mut self, notice: &Notice, replaces: Option<u32>) -> Result<u32> {
        let hints: HashMap<&str, zbus::Variant<'_>> = HashMap::new();
        let actions = vec!["default", "Open"];
        let reply = self
            .conn
            .call_method(
                Some(NAME),
                PATH,
                Some(NAME),
                "Notify",
                &("Switchboard", replaces.unwrap_or(0), "", &notice.title, &notice.body, actions, hints, -1i32),
            )
            .await
            .map_err(bus_error)?;
        reply.body().deserialize::<u32>().map_err(bus_error)
    }
}

/// The real D-Bus path against a stand-in notification server on the session bus (there
/// is none under `dbus-run-session`, so the test brings its own). Without a session bus
/// (a plain `cargo test` outside scripts/test.sh) it says so and checks nothing.
#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;
    use crate::notifications::{NotifierPolicy, Topic};

    /// (replaces_id asked, id answered, body) for every Notify call the server got.
    type Seen = Arc<Mutex<Vec<(u32, u32, String)>>>;

    /// Owns `org.freedesktop.Notifications` on the session bus and answers `Notify` as a
    /// real server does: a fresh id, or the replaced one.
    async fn stand_in_server() -> zbus::Result<(zbus::Connection, Seen)> {
        let conn = zbus::Connection::session().await?;
        let mut calls = zbus::MessageStream::from(&conn);
        conn.request_name(NAME).await?;
        let seen: Seen = Arc::default();
        let (s, c) = (seen.clone(), conn.clone());
        tokio::spawn(async move {
            let mut next = 0u32;
            while let Ok(Some(msg)) = calls.try_next().await {
                let h = msg.header();
                if h.message_type() != zbus::message::Type::MethodCall
                    || h.member().map(|m| m.as_str()) != Some("Notify")
                {
                    continue;
                }
                type Args =
                    (String, u32, String, String, String, Vec<String>, HashMap<String, zbus::OwnedVariant>, i32);
                let Ok((_app, replaces, _icon, _summary, body, _actions, _hints, _timeout)) =
                    msg.body().deserialize::<Args>()
                else {
                    continue;
                };
                let id = if replaces != 0 {
                    replaces
                } else {
                    next += 1;
                    next
                };
                s.lock().unwrap().push((replaces, id, body));
                let _ = c.reply(&h, &id).await;
            }
        });
        Ok((conn, seen))
    }

    fn fds() -> usize {
        std::fs::read_dir("/proc/self/fd").map(|d| d.count()).unwrap_or(0)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_bus_connection_replaces_per_conversation_and_a_click_opens_it() {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            eprintln!("no session bus: run under dbus-run-session (scripts/test.sh) to test the D-Bus path");
            return;
        }
        let (server, seen) = stand_in_server().await.unwrap();
        let sink = DbusSink::connect().await.unwrap();
        let conn = sink.connection();
        let opened = Arc::new(Mutex::new(Vec::new()));
        let o = opened.clone();
        let policy = NotifierPolicy { min_interval: Duration::from_millis(10), queue: 64 };
        let (notifier, _worker) = Notifier::spawn(sink, policy, move |t| o.lock().unwrap().push(t));
        listen(&conn, notifier.clone()).await.unwrap();

        let before = fds();
        for n in 0..2000i64 {
            let notice = Notice { topic: Topic::Conversation(n % 3), title: "Customer".into(), body: n.to_string() };
            while !notifier.notify(notice.clone()) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        let last = ["1997", "1998", "1999"];
        for _ in 0..500 {
            if last.iter().all(|b| seen.lock().unwrap().iter().any(|(_, _, body)| body == b)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let after = fds();
        let calls = seen.lock().unwrap().clone();
        println!("{} Notify calls for 2000 texts; fds {before} -> {after}", calls.len());
        assert!(last.iter().all(|b| calls.iter().any(|(_, _, body)| body == b)), "the latest text of each is shown");
        let mut ids: Vec<u32> = calls.iter().map(|(_, id, _)| *id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 3, "one notification per conversation, replaced: {calls:?}");
        assert_eq!(calls.iter().filter(|(replaces, _, _)| *replaces == 0).count(), 3);
        assert!(after <= before + 4, "file descriptors grew from {before} to {after}");

        // The owner clicks the notification of the conversation whose last text was 1999.
        let id = calls.iter().find(|(_, _, b)| b == "1999").map(|(_, id, _)| *id).unwrap();
        server.emit_signal(None::<&str>, PATH, NAME, "ActionInvoked", &(id, "default")).await.unwrap();
        for _ in 0..200 {
            if !opened.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(*opened.lock().unwrap(), vec![Topic::Conversation(1999 % 3)]);
    }
}
