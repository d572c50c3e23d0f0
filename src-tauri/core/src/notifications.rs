//! Desktop notifications, bounded. A burst of inbound texts (a thousand while the owner
//! was away, a loop of autoresponders) must not cost a thread or a D-Bus connection per
//! text: that exhausts file descriptors and then the listener cannot accept Twilio's
//! connections. So:
//! - one worker task owns the one [`NotificationSink`] (on Linux: one D-Bus connection),
//! - one live notification per [`Topic`] (a conversation, the voicemail list): a newer
//!   text REPLACES the conversation's notification (freedesktop `replaces_id`),
//! - requests wait in a bounded queue (dropped, not queued for ever, when it is full) and
//!   are coalesced: within [`NotifierPolicy::min_interval`] only the latest per topic is
//!   shown,
//! - clicks come back to the same worker, which maps the server's id to the topic and
//!   calls the `open` callback (the desktop brings the window back on that thread).
//!
//! GUI-free, so the rules are tested with a fake sink; the desktop shell supplies the
//! real one.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

/// What a notification is about: one live notification each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    Conversation(i64),
    Voicemail,
}

/// One notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub topic: Topic,
    pub title: String,
    pub body: String,
}

/// Where notifications are shown: the desktop's notification server, or a fake in tests.
#[async_trait::async_trait]
pub trait NotificationSink: Send + 'static {
    /// Shows `notice`; with `replaces`, in place of that notification (the id this sink
    /// returned for it earlier). Returns the id of the notification now showing.
    async fn show(&mut self, notice: &Notice, replaces: Option<u32>) -> crate::Result<u32>;
}

/// How often and how many.
#[derive(Debug, Clone)]
pub struct NotifierPolicy {
    /// Shows are at least this far apart; what arrives meanwhile is coalesced per topic.
    pub min_interval: Duration,
    /// Requests waiting for the worker; more are dropped (the messages are stored anyway).
    pub queue: usize,
}

impl Default for NotifierPolicy {
    fn default() -> Self {
        NotifierPolicy { min_interval: Duration::from_millis(500), queue: 256 }
    }
}

enum Msg {
    Show(Notice),
    /// The server reported an action on notification `id` ("default" is a click).
    Invoked {
        id: u32,
        action: String,
    },
    /// The server closed notification `id` (expired, dismissed): the next one is new.
    Closed {
        id: u32,
    },
}

/// The handle the app keeps: cheap to clone, never blocks.
#[derive(Clone)]
pub struct Notifier {
    tx: mpsc::Sender<Msg>,
}

impl Notifier {
    /// Starts the worker on the current tokio runtime. `open` is called (on the worker)
    /// when the owner clicks a notification.
    pub fn spawn<S: NotificationSink>(
        sink: S,
        policy: NotifierPolicy,
        open: impl Fn(Topic) + Send + 'static,
    ) -> (Notifier, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(policy.queue.max(1));
        let task = tokio::spawn(run(sink, policy, rx, Box::new(open)));
        (Notifier { tx }, task)
    }

    /// Queues `notice`; returns false when it was dropped (queue full, or the worker is
    /// gone). Never waits.
    pub fn notify(&self, notice: Notice) -> bool {
        self.tx.try_send(Msg::Show(notice)).is_ok()
    }

    /// For the sink's signal listener: an action on notification `id`.
    pub fn invoked(&self, id: u32, action: &str) {
        let _ = self.tx.try_send(Msg::Invoked { id, action: action.to_string() });
    }

    /// For the sink's signal listener: notification `id` was closed.
    pub fn closed(&self, id: u32) {
        let _ = self.tx.try_send(Msg::Closed { id });
    }
}

/// The most topics remembered (their live notification's id); older ones are forgotten,
/// which at worst shows a second notification for a long-idle conversation.
const MAX_TOPICS: usize = 1024;

struct Live {
    by_topic: HashMap<Topic, u32>,
    by_id: HashMap<u32, Topic>,
}

impl Live {
    fn forget_id(&mut self, id: u32) {
        if let Some(topic) = self.by_id.remove(&id) {
            if self.by_topic.get(&topic) == Some(&id) {
                self.by_topic.remove(&topic);
            }
        }
    }

    fn remember(&mut self, topic: Topic, id: u32) {
        if self.by_topic.len() >= MAX_TOPICS && !self.by_topic.contains_key(&topic) {
            self.by_topic.clear();
            self.by_id.clear();
        }
        if let Some(old) = self.by_topic.insert(topic, id) {
            if old != id {
                self.by_id.remove(&old);
            }
        }
        self.by_id.insert(id, topic);
    }
}

async fn run<S: NotificationSink>(
    mut sink: S,
    policy: NotifierPolicy,
    mut rx: mpsc::Receiver<Msg>,
    open: Box<dyn Fn(Topic) + Send>,
) {
    let mut live = Live { by_topic: HashMap::new(), by_id: HashMap::new() };
    // Latest notice per topic not shown yet, in arrival order of the topic.
    let mut pending: Vec<Notice> = Vec::new();
    let mut next_show = Instant::now();
    loop {
        let msg = if pending.is_empty() {
            rx.recv().await
        } else {
            tokio::select! {
                m = rx.recv() => m,
                _ = tokio::time::sleep_until(next_show) => {
                    for notice in pending.drain(..) {
                        let replaces = live.by_topic.get(&notice.topic).copied();
                        match sink.show(&notice, replaces).await {
                            Ok(id) => live.remember(notice.topic, id),
                            Err(e) => tracing::debug!("notification not shown: {e}"),
                        }
                    }
                    next_show = Instant::now() + policy.min_interval;
                    continue;
                }
            }
        };
        match msg {
            None => break,
            Some(Msg::Show(notice)) => match pending.iter_mut().find(|p| p.topic == notice.topic) {
                Some(p) => *p = notice,
                None => pending.push(notice),
            },
            Some(Msg::Invoked { id, action }) => {
                if let Some(topic) = live.by_id.get(&id).copied() {
                    if action == "default" {
                        open(topic);
                    }
                }
            }
            Some(Msg::Closed { id }) => live.forget_id(id),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A notification server in memory: ids, what is showing, how many calls.
    #[derive(Default)]
    struct Server {
        next_id: u32,
        showing: HashMap<u32, Notice>,
        calls: usize,
    }

    #[derive(Clone, Default)]
    struct FakeSink(Arc<Mutex<Server>>);

    #[async_trait::async_trait]
    impl NotificationSink for FakeSink {
        async fn show(&mut self, notice: &Notice, replaces: Option<u32>) -> crate::Result<u32> {
            let mut s = self.0.lock().unwrap();
            s.calls += 1;
            let id = match replaces.filter(|id| s.showing.contains_key(id)) {
                Some(id) => id,
                None => {
                    s.next_id += 1;
                    s.next_id
                }
            };
            s.showing.insert(id, notice.clone());
            Ok(id)
        }
    }

    #[cfg(target_os = "linux")]
    fn counts() -> (usize, usize) {
        let n = |p: &str| std::fs::read_dir(p).map(|d| d.count()).unwrap_or(0);
        (n("/proc/self/task"), n("/proc/self/fd"))
    }

    fn text(conv: i64, n: usize) -> Notice {
        Notice { topic: Topic::Conversation(conv), title: format!("Customer {conv}"), body: format!("text {n}") }
    }

    async fn settle(sink: &FakeSink, want: impl Fn(&Server) -> bool) {
        for _ in 0..500 {
            if want(&sink.0.lock().unwrap()) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the notifier did not settle");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ten_thousand_notifications_keep_threads_and_fds_flat() {
        let sink = FakeSink::default();
        let policy = NotifierPolicy { min_interval: Duration::from_millis(20), queue: 256 };
        let (notifier, task) = Notifier::spawn(sink.clone(), policy, |_| {});
        let (threads_before, fds_before) = counts();
        for n in 0..10_000 {
            // 40 customers texting in turn; pace a little so the queue is not simply full.
            while !notifier.notify(text((n % 40) as i64, n)) {
                tokio::task::yield_now().await;
            }
        }
        settle(&sink, |s| s.showing.values().filter(|n| n.body == "text 9999").count() == 1).await;
        let (threads_after, fds_after) = counts();
        println!("threads {threads_before} -> {threads_after}, fds {fds_before} -> {fds_after}");
        // Other tests of this binary run alongside and start threads of their own: a
        // small allowance, where a thread per notification would add thousands.
        assert!(threads_after <= threads_before + 16, "threads grew from {threads_before} to {threads_after}");
        assert!(fds_after <= fds_before + 32, "file descriptors grew from {fds_before} to {fds_after}");
        {
            let s = sink.0.lock().unwrap();
            assert_eq!(s.showing.len(), 40, "one live notification per conversation, replaced, never stacked");
            let mut topics: Vec<_> = s.showing.values().map(|n| n.topic).collect();
            topics.sort_by_key(|t| match t {
                Topic::Conversation(id) => *id,
                Topic::Voicemail => -1,
            });
            topics.dedup();
            assert_eq!(topics.len(), 40);
            assert!(s.calls < 10_000, "bursts are coalesced: {} shows for 10,000 texts", s.calls);
        }
        drop(notifier);
        task.await.unwrap();
    }

    #[tokio::test]
    async fn a_click_opens_the_conversation_of_the_notification() {
        let sink = FakeSink::default();
        let opened = Arc::new(Mutex::new(Vec::new()));
        let o = opened.clone();
        let policy = NotifierPolicy { min_interval: Duration::from_millis(1), queue: 16 };
        let (notifier, _task) = Notifier::spawn(sink.clone(), policy, move |t| o.lock().unwrap().push(t));
        notifier.notify(text(7, 1));
        settle(&sink, |s| s.showing.len() == 1).await;
        notifier.notify(Notice { topic: Topic::Voicemail, title: "New voicemail".into(), body: "From +1".into() });
        settle(&sink, |s| s.showing.len() == 2).await;
        let id_of = |t: Topic| *sink.0.lock().unwrap().showing.iter().find(|(_, n)| n.topic == t).unwrap().0;
        notifier.invoked(id_of(Topic::Conversation(7)), "default");
        notifier.invoked(id_of(Topic::Voicemail), "other-action");
        notifier.invoked(999, "default");
        notifier.invoked(id_of(Topic::Voicemail), "default");
        for _ in 0..200 {
            if opened.lock().unwrap().len() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(*opened.lock().unwrap(), vec![Topic::Conversation(7), Topic::Voicemail]);

        // Once the server closed it, the conversation's next text is a new notification.
        let old = id_of(Topic::Conversation(7));
        sink.0.lock().unwrap().showing.remove(&old);
        notifier.closed(old);
        notifier.notify(text(7, 2));
        settle(&sink, |s| s.showing.values().any(|n| n.body == "text 2")).await;
        assert_ne!(id_of(Topic::Conversation(7)), old);
    }
}
