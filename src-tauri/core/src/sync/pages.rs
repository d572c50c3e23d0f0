//! Paging a Twilio list back to what is already stored.
//!
//! Twilio lists newest first. Catch-up follows next-page links until a page reaches an
//! item older than its stop time (the watermark less a few minutes of overlap), however
//! many thousands of items that takes: nothing is cut off, and when nothing is new the
//! first page already reaches the stop time, so a run makes ONE list request per resource
//! (the reconciliation loop runs catch-up every minute). Items come back oldest first, each
//! SID once, so the caller applies them in the order they happened.

use std::collections::HashSet;
use std::future::Future;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use crate::error::Result;
use crate::twilio::api::calls::CallResource;
use crate::twilio::api::messages::MessageResource;
use crate::twilio::api::recordings::RecordingResource;
use crate::twilio::api::transcriptions::TranscriptionResource;
use crate::twilio::client::{Host, Page, TwilioClient};

/// The page size asked for: Twilio's largest, so a long absence takes few requests.
pub const PAGE_SIZE: u32 = 1000;

/// What paging needs to know of a listed item.
pub trait Listed {
    fn sid(&self) -> &str;
    /// Twilio's `date_created`, the order lists are served in.
    fn created(&self) -> Option<DateTime<Utc>>;
}

/// Twilio's 2010 dates (RFC 2822) or v2 dates (RFC 3339) as UTC.
pub fn parse_date(d: Option<&str>) -> Option<DateTime<Utc>> {
    let d = d?.trim();
    chrono::DateTime::parse_from_rfc2822(d)
        .or_else(|_| chrono::DateTime::parse_from_rfc3339(d))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

macro_rules! listed {
    ($t:ty) => {
        impl Listed for $t {
            fn sid(&self) -> &str {
                &self.sid
            }
            fn created(&self) -> Option<DateTime<Utc>> {
                parse_date(self.date_created.as_deref())
            }
        }
    };
}
listed!(MessageResource);
listed!(CallResource);
listed!(RecordingResource);
listed!(TranscriptionResource);

/// Where pages come from: Twilio, or a fake in tests.
pub trait PageSource<T> {
    /// The first page (`next` None) or the page at a next-page link.
    fn fetch(&mut self, next: Option<&str>) -> impl Future<Output = Result<Page<T>>> + Send;
}

/// A 2010-API list on Twilio: `url` with `query` (filters and page size), items under `key`.
pub struct TwilioList<'a> {
    pub client: &'a TwilioClient,
    pub url: String,
    pub query: Vec<(String, String)>,
    pub key: &'static str,
}

impl<T: DeserializeOwned + Send> PageSource<T> for TwilioList<'_> {
    fn fetch(&mut self, next: Option<&str>) -> impl Future<Output = Result<Page<T>>> + Send {
        let (url, query) = match next {
            Some(link) => (self.client.page_url(Host::Api, link), Vec::new()),
            None => (self.url.clone(), self.query.clone()),
        };
        let (client, key) = (self.client, self.key);
        async move { client.page::<T>(&url, &query, key).await }
    }
}

/// Every item newer than `stop_before` (and the rest of the page that reached it), oldest
/// first, each SID once. `progress` is told the running count after each page.
pub async fn back_to<T: Listed, S: PageSource<T>>(
    source: &mut S,
    stop_before: DateTime<Utc>,
    mut progress: impl FnMut(usize),
) -> Result<Vec<T>> {
    let mut out: Vec<T> = Vec::new();
    let mut sids: HashSet<String> = HashSet::new();
    let mut links: HashSet<String> = HashSet::new();
    let mut next: Option<String> = None;
    loop {
        let page = source.fetch(next.as_deref()).await?;
        let reached = page.items.iter().any(|i| i.created().is_some_and(|c| c < stop_before));
        for item in page.items {
            // A page boundary that moves while we read (a new message arriving) lists the
            // same item twice.
            if sids.insert(item.sid().to_string()) {
                out.push(item);
            }
        }
        progress(out.len());
        if reached {
            break;
        }
        // A server repeating a link would otherwise page for ever.
        match page.next {
            Some(link) if links.insert(link.clone()) => next = Some(link),
            _ => break,
        }
    }
    out.reverse();
    // Stable: items of the same second keep Twilio's order. Undated items count as newest.
    out.sort_by_key(|i| i.created().map_or((1, DateTime::<Utc>::MAX_UTC), |c| (0, c)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone)]
    struct Item(String, DateTime<Utc>);
    impl Listed for Item {
        fn sid(&self) -> &str {
            &self.0
        }
        fn created(&self) -> Option<DateTime<Utc>> {
            Some(self.1)
        }
    }

    /// `n` items one minute apart, newest first, served `size` per page; counts requests.
    struct Fake {
        items: Vec<Item>,
        size: usize,
        requests: usize,
    }
    impl Fake {
        fn new(n: usize, size: usize, newest: DateTime<Utc>) -> Self {
            let items =
                (0..n).map(|i| Item(format!("SM{i:04}"), newest - chrono::Duration::minutes(i as i64))).collect();
            Fake { items, size, requests: 0 }
        }
    }
    impl PageSource<Item> for Fake {
        fn fetch(&mut self, next: Option<&str>) -> impl Future<Output = Result<Page<Item>>> + Send {
            self.requests += 1;
            let start: usize = next.and_then(|n| n.parse().ok()).unwrap_or(0);
            let end = (start + self.size).min(self.items.len());
            let page = Page {
                items: self.items[start..end].to_vec(),
                next: (end < self.items.len()).then(|| end.to_string()),
            };
            async move { Ok(page) }
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-30T12:00:00Z".parse().unwrap()
    }

    #[tokio::test]
    async fn nothing_new_costs_one_request() {
        let mut fake = Fake::new(5_000, 1000, now());
        // Stored up to the newest item; overlap of ten minutes.
        let got = back_to(&mut fake, now() - chrono::Duration::minutes(10), |_| {}).await.unwrap();
        assert_eq!(fake.requests, 1, "the first page reaches what is stored");
        assert!(got.len() <= 1000);
    }

    #[tokio::test]
    async fn a_long_absence_is_paged_back_completely_and_returned_oldest_first() {
        let mut fake = Fake::new(12_000, 1000, now());
        let mut seen = Vec::new();
        let stop = now() - chrono::Duration::minutes(10_500);
        let got = back_to(&mut fake, stop, |n| seen.push(n)).await.unwrap();
        assert_eq!(fake.requests, 11, "pages until one reaches the stop time, no further");
        assert!(got.iter().filter(|i| i.1 >= stop).count() == 10_501, "nothing newer than the stop is missing");
        assert!(got.windows(2).all(|w| w[0].1 <= w[1].1), "oldest first");
        assert_eq!(seen.len(), 11, "progress after each page");
    }

    #[tokio::test]
    async fn a_repeated_link_or_sid_does_not_loop_or_duplicate() {
        struct Loop(usize);
        impl PageSource<Item> for Loop {
            fn fetch(&mut self, _: Option<&str>) -> impl Future<Output = Result<Page<Item>>> + Send {
                self.0 += 1;
                let page = Page { items: vec![Item("SM1".into(), now())], next: Some("same".into()) };
                async move { Ok(page) }
            }
        }
        let mut l = Loop(0);
        let got = back_to(&mut l, now() - chrono::Duration::days(1), |_| {}).await.unwrap();
        assert_eq!((l.0, got.len()), (2, 1));
    }
}
