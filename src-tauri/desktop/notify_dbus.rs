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
        reply.body().deserialize::<u32>().map_err(|e| bus_error(e.into()))
    }
}
