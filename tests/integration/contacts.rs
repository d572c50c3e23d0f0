//! Issue 15, contacts at scale and campaigns: CSV import (BOM, CRLF, quoted commas, one
//! number written two ways, refused rows and why) and export, tags as a bulk-send
//! audience, merge and delete that never touch the opt-out ledger, blocked numbers
//! (calls rejected, texts kept but hidden and never notified), and campaign history with
//! Cancel and "send again to those who failed".

use std::time::Duration;

use switchboard::addressbook::{self, import::ImportOptions};
use switchboard::domain::status::MessageStatus;
use switchboard::events::Event;
use switchboard::outbound::{bulk, campaign, history, Outbound};
use switchboard::sim::{SimConfig, Simulator};
use switchboard::store::{
    self, blocked, campaign_history, contact_merge, contacts, conversations, messages, numbers, optouts, tags,
    text_backs, Store,
};
use switchboard::twilio::client::{ClientConfig, TwilioClient};

use crate::common::{edit_number_settings, promo_campaign, temp_store, unpaced_outbound, TestResult};
use crate::sim_support::{creds, sim_owning};
use crate::webhook_support::{encode, inbound_sms, parse_xml, Fixture};

/// Our (Australian) business number: national numbers in a file are read as Australian.
const OURS: &str = "+61255501234";

fn store_with_number() -> Result<(tempfile::TempDir, Store), Box<dyn std::error::Error>> {
    let (dir, store) = temp_store()?;
    store.write(|tx| numbers::ensure(tx, OURS, false).map(|_| ()))?;
    Ok((dir, store))
}

fn options(store: &Store, bytes: &[u8]) -> Result<ImportOptions, Box<dyn std::error::Error>> {
    let b = bytes.to_vec();
    Ok(store.read(move |c| addressbook::preview_bytes(c, &b, None))?.options)
}

fn edit(name: &str, phones: &[&str]) -> contacts::ContactEdit {
    contacts::ContactEdit {
        name: name.into(),
        phones: phones.iter().map(|p| p.to_string()).collect(),
        email: None,
        notes: String::new(),
    }
}

#[tokio::test]
async fn csv_with_bom_crlf_quoted_commas_and_one_number_written_two_ways() -> TestResult {
    let (_d, store) = store_with_number()?;
    let file = "\u{feff}Name,Mobile,Email,Tags\r\n\
                \"Lima, Ana\",0412 345 678,ana@example.com,VIP\r\n\
                \"O'Brien \"\"Bo\"\"\",+61 412 345 679,,VIP; Tuesday\r\n\
                Ana again,+61412345678,,\r\n\
                ,,,\r\n\
                Cy,6.1412E+11,,\r\n\
                Dee,not a number,,\r\n\
                Zoë Ünal 🍰,(04) 1234 5670,,\r\n\
                Eve,,eve@example.com,\r\n";
    let o = options(&store, file.as_bytes())?;
    assert!(o.has_header, "the header is recognised through the BOM");
    assert_eq!(o.region.as_deref(), Some("AU"), "national numbers are read in the business number's country");
    let preview = store.read({
        let (f, o) = (file.as_bytes().to_vec(), o.clone());
        move |c| addressbook::preview_bytes(c, &f, Some(o))
    })?;
    assert_eq!(preview.columns, vec!["Name", "Mobile", "Email", "Tags"]);
    assert_eq!((preview.total_rows, preview.created), (8, 4), "{preview:#?}");

    let report = addressbook::import_bytes(&store, file.as_bytes().to_vec(), o).await?;
    assert_eq!(report.created, 4, "Ana, Bo, Zoë and Eve: {report:#?}");
    let reasons: Vec<(usize, &str)> = report.refused.iter().map(|r| (r.row, r.message.as_str())).collect();
    assert_eq!(reasons.len(), 4, "{reasons:#?}");
    assert!(reasons[0].0 == 4 && reasons[0].1.contains("already on row 2"), "same number, other format: {reasons:?}");
    assert!(reasons[1].0 == 5 && reasons[1].1.contains("empty"), "{reasons:?}");
    assert!(reasons[2].0 == 6 && reasons[2].1.contains("scientific notation"), "{reasons:?}");
    assert!(reasons[3].0 == 7 && reasons[3].1.contains("not a phone number"), "{reasons:?}");

    let all = store.read(contacts::list)?;
    let ana = all.iter().find(|c| c.name == "Lima, Ana").ok_or("the comma stayed in the quoted name")?;
    assert_eq!(ana.phones, vec!["+61412345678"], "normalised to E.164");
    assert_eq!(ana.tags, vec!["VIP"]);
    let bo = all.iter().find(|c| c.name == "O'Brien \"Bo\"").ok_or("quotes inside a quoted field")?;
    assert_eq!(bo.tags, vec!["Tuesday", "VIP"]);
    assert!(all.iter().any(|c| c.name == "Zoë Ünal 🍰" && c.phones == vec!["+61412345670"]));
    assert!(all.iter().any(|c| c.email.as_deref() == Some("eve@example.com") && c.phones.is_empty()));

    // The same file again: everyone is already there, nothing is created twice.
    let o = options(&store, file.as_bytes())?;
    let again = addressbook::import_bytes(&store, file.as_bytes().to_vec(), o).await?;
    assert_eq!((again.created, again.merged, again.unchanged), (0, 0, 4), "{again:#?}");
    assert_eq!(store.read(contacts::list)?.len(), 4);
    Ok(())
}

#[tokio::test]
async fn an_import_merges_into_the_contact_with_the_number_and_keeps_its_opt_out() -> TestResult {
    let (_d, store) = store_with_number()?;
    let ana = store.write(|tx| contacts::save(tx, None, &edit("Ana", &["+61412345678"])))?;
    store.write(|tx| optouts::set_by_owner(tx, "+61412345678", true).map(|_| ()))?;
    let file = b"First name,Last name,Phone,Phone 2,Notes\n\
                 Ana,Lima,0412 345 678,0412 345 111,\"Prefers mornings, not Mondays\"\n";
    let o = options(&store, file)?;
    let report = addressbook::import_bytes(&store, file.to_vec(), o).await?;
    assert_eq!((report.created, report.merged), (0, 1), "{report:#?}");
    let c = store.read(move |c| contacts::get(c, ana))?;
    assert_eq!(c.name, "Ana", "the owner's name for her is kept");
    assert_eq!(c.phones.len(), 2, "the new number is added");
    assert_eq!(c.notes, "Prefers mornings, not Mondays");
    assert_eq!(c.opted_out_phones, vec!["+61412345678"], "the STOP stays with its number");
    Ok(())
}

#[tokio::test]
async fn export_then_import_gives_the_same_contacts() -> TestResult {
    let (_d, store) = store_with_number()?;
    store.write(|tx| {
        let id = contacts::save(
            tx,
            None,
            &contacts::ContactEdit {
                name: "=HYPERLINK(\"evil\"), Ana".into(),
                phones: vec!["+61412345678".into(), "+61412345679".into()],
                email: Some("ana@example.com".into()),
                notes: "line one\nline two".into(),
            },
        )?;
        tags::add(tx, id, "VIP")?;
        tags::add(tx, id, "Tuesday class")?;
        Ok(())
    })?;
    let csv = store.read(store::export::contacts_csv)?;
    assert!(csv.contains("'=HYPERLINK"), "a formula is neutralised for spreadsheets: {csv}");
    let (_d2, other) = store_with_number()?;
    let o = options(&other, csv.as_bytes())?;
    let report = addressbook::import_bytes(&other, csv.into_bytes(), o).await?;
    assert_eq!(report.created, 1, "{report:#?}");
    let (a, b) = (store.read(contacts::list)?, other.read(contacts::list)?);
    assert_eq!(
        (&b[0].name, &b[0].phones, &b[0].email, &b[0].tags),
        (&a[0].name, &a[0].phones, &a[0].email, &a[0].tags)
    );
    assert_eq!(b[0].notes, a[0].notes);
    Ok(())
}

#[tokio::test]
async fn merging_an_opted_out_contact_keeps_every_thread_and_the_ledger() -> TestResult {
    let f = Fixture::new()?;
    f.post("/twilio/sms", &inbound_sms("SM1", "+61412345678", OURS, "hi, it's Ana")).await?;
    f.post("/twilio/sms", &inbound_sms("SM2", "+61412345679", OURS, "STOP")).await?;
    let (ana, work) = f.store.read(|c| {
        Ok((
            contacts::id_for_address(c, "+61412345678")?.ok_or(switchboard::Error::not_found("ana"))?,
            contacts::id_for_address(c, "+61412345679")?.ok_or(switchboard::Error::not_found("work"))?,
        ))
    })?;
    let ledger_before = f.store.read(|c| optouts::history(c, "+61412345679"))?;
    let kept = addressbook::merge(&f.store, &f.events, ana, work).await?;
    assert_eq!(kept.phones.len(), 2);
    assert_eq!(kept.opted_out_phones, vec!["+61412345679"], "the phone that said STOP is still opted out");
    assert_eq!(kept.reachable_phone().map(String::as_str), Some("+61412345678"), "the other phone can be texted");
    assert_eq!(f.store.read(|c| optouts::history(c, "+61412345679"))?, ledger_before, "the ledger is untouched");
    let threads = f.store.read(|c| conversations::list(c, &conversations::ListFilter::default()))?;
    assert_eq!(threads.len(), 2, "both threads are kept");
    assert!(threads.iter().all(|t| t.contact_id == Some(ana)), "and both are the merged contact's");
    assert_eq!(f.count("messages")?, 2);

    // Deleting the contact keeps the threads (shown by number) and the opt-out.
    addressbook::delete(&f.store, &f.events, ana).await?;
    let threads = f.store.read(|c| conversations::list(c, &conversations::ListFilter::default()))?;
    assert_eq!(threads.len(), 2);
    assert!(threads.iter().all(|t| t.contact_id.is_none()));
    assert!(f.store.read(|c| optouts::is_opted_out(c, "+61412345679"))?, "delete does not lose the STOP");
    // Brought back by an import, the number is still opted out.
    let file = b"Name,Phone\nAna,+61412345679\n";
    let o = options(&f.store, file)?;
    addressbook::import_bytes(&f.store, file.to_vec(), o).await?;
    let back = f.store.read(|c| contacts::find_by_address(c, "+61412345679"))?.ok_or("imported")?;
    assert!(back.opted_out, "re-imported, still opted out");
    let thread = f.store.read(|c| conversations::list(c, &conversations::ListFilter::default()))?;
    assert!(
        thread.iter().any(|t| t.customer == "+61412345679" && t.contact_name == "Ana"),
        "the thread has a name again"
    );
    Ok(())
}

#[tokio::test]
async fn a_blocked_caller_gets_reject_and_never_reaches_the_owner() -> TestResult {
    let f = Fixture::new()?;
    let call = |sid: &str, from: &str| {
        encode(&[
            ("CallSid".into(), sid.into()),
            ("From".into(), from.into()),
            ("To".into(), OURS.into()),
            ("CallStatus".into(), "ringing".into()),
            ("Direction".into(), "inbound".into()),
        ])
    };
    addressbook::set_blocked(&f.store, &f.events, "+61 412 345 678".into(), true).await?;
    let (_, xml) = f.post("/twilio/voice", &call("CA1", "+61412345678")).await?;
    let doc = parse_xml(&xml)?;
    assert_eq!(doc.names(), vec!["Reject"], "a blocked caller is rejected before anything rings: {xml}");
    let (_, xml) = f.post("/twilio/voice", &call("CA2", "+61412345679")).await?;
    assert!(!parse_xml(&xml)?.names().contains(&"Reject"), "anyone else is answered: {xml}");
    addressbook::set_blocked(&f.store, &f.events, "+61412345678".into(), false).await?;
    let (_, xml) = f.post("/twilio/voice", &call("CA3", "+61412345678")).await?;
    assert!(!parse_xml(&xml)?.names().contains(&"Reject"), "unblocked, answered again: {xml}");
    Ok(())
}

/// The owner's opt-out switch with the core stopped (no sender): recorded as E.164 however
/// the number was written, so the next send to it is refused, and the contact's screen
/// hears of it; opting back in is recorded the same way.
#[tokio::test]
async fn an_opt_out_by_hand_is_one_address_however_it_is_written() -> TestResult {
    let (_dir, store) = store_with_number()?;
    let events = switchboard::events::Events::new();
    let id = store.write(|tx| contacts::save(tx, None, &edit("Bo", &["+61412345678"])))?;
    let mut rx = events.subscribe();
    let event = addressbook::set_opted_out(&store, &events, None, " +61 412 345 678 ".into(), true).await?;
    assert_eq!((event.address.as_str(), event.opted_out), ("+61412345678", true));
    assert!(store.read(|c| optouts::is_opted_out(c, "+61412345678"))?, "a send to it is refused");
    assert!(matches!(rx.try_recv(), Ok(Event::ContactUpdated { contact_id }) if contact_id == id));
    addressbook::set_opted_out(&store, &events, None, "+61412345678".into(), false).await?;
    assert!(!store.read(|c| optouts::is_opted_out(c, "+61412345678"))?);
    // An email address: the contact with it, however its case was typed, hears of it too.
    while rx.try_recv().is_ok() {} // Bo's opt-in
    let mut with_email = edit("Cy", &["+61412345679"]);
    with_email.email = Some("Cy@Example.com".into());
    let cy = store.write(move |tx| contacts::save(tx, None, &with_email))?;
    let event = addressbook::set_opted_out(&store, &events, None, "CY@example.COM".into(), true).await?;
    assert_eq!(event.address, "cy@example.com");
    assert!(matches!(rx.try_recv(), Ok(Event::ContactUpdated { contact_id }) if contact_id == cy));
    assert!(store.read(move |c| contacts::get(c, cy))?.email_opted_out, "the contact shows it");
    let refused = addressbook::set_opted_out(&store, &events, None, "call me".into(), true).await;
    assert!(refused.is_err(), "not a number nor an email address: nothing recorded");
    assert_eq!(store.read(|c| optouts::history(c, "+61412345678"))?.len(), 2);
    Ok(())
}

/// A rejected call ends "busy" and nobody on our side took it: without a check, the
/// missed-call text-back would text the very number the owner blocked.
#[tokio::test]
async fn a_blocked_caller_gets_no_missed_call_text_back() -> TestResult {
    let f = Fixture::new()?;
    edit_number_settings(&f.store, OURS, true, |s| s.text_back_enabled = true)?;
    let call = |sid: &str, from: &str, status: &str| {
        encode(&[
            ("CallSid".into(), sid.into()),
            ("From".into(), from.into()),
            ("To".into(), OURS.into()),
            ("CallStatus".into(), status.into()),
            ("Direction".into(), "inbound".into()),
        ])
    };
    addressbook::set_blocked(&f.store, &f.events, "+61412345678".into(), true).await?;
    for (sid, from) in [("CA1", "+61412345678"), ("CA2", "+61412345679")] {
        f.post("/twilio/voice", &call(sid, from, "ringing")).await?;
        let (status, _) = f.post("/twilio/voice/status", &call(sid, from, "busy")).await?;
        assert!(status.is_success());
    }
    let blocked_tb = f.store.read(|c| text_backs::for_call(c, "CA1"))?.ok_or("the blocked call is decided")?;
    assert_eq!(
        (blocked_tb.state.as_str(), blocked_tb.reason.as_deref()),
        ("skipped", Some(text_backs::SKIP_BLOCKED)),
        "no text-back is queued for a blocked caller"
    );
    let other = f.store.read(|c| text_backs::for_call(c, "CA2"))?.ok_or("the other missed call is decided")?;
    assert_eq!(other.state, "pending", "anyone else who was missed still gets one");
    Ok(())
}

#[tokio::test]
async fn a_blocked_text_is_stored_hidden_and_never_notified() -> TestResult {
    let f = Fixture::new()?;
    edit_number_settings(&f.store, OURS, true, |s| s.auto_reply = Some("Thanks, we'll reply soon".into()))?;
    addressbook::set_blocked(&f.store, &f.events, "+61412345678".into(), true).await?;
    let mut rx = f.events.subscribe();
    let (status, xml) = f.post("/twilio/sms", &inbound_sms("SM1", "+61412345678", OURS, "buy followers now")).await?;
    assert!(status.is_success());
    assert!(!xml.contains("<Message>"), "no auto-reply to a blocked number: {xml}");
    f.post("/twilio/sms", &inbound_sms("SM2", "+61412345679", OURS, "hello")).await?;
    let mut received = Vec::new();
    while let Ok(e) = rx.try_recv() {
        if let Event::MessageReceived { message_id, .. } = e {
            received.push(message_id);
        }
    }
    let blocked_msg = f.store.read(|c| messages::find_by_sid(c, "SM1"))?.ok_or("the blocked text is stored")?;
    assert!(!received.contains(&blocked_msg.id), "the blocked text is never notified");
    assert_eq!(received.len(), 1, "the other one is");
    let inbox = f.store.read(|c| conversations::list(c, &conversations::ListFilter::default()))?;
    assert_eq!(inbox.len(), 1, "the blocked number's thread is hidden");
    assert_eq!(inbox[0].customer, "+61412345679");
    assert_eq!(f.store.read(conversations::total_unread)?, 1, "and not counted as unread");
    assert!(f.store.read(|c| blocked::is_blocked(c, "+61412345678"))?);
    Ok(())
}

#[tokio::test]
async fn tags_are_a_bulk_send_audience() -> TestResult {
    let (_d, store) = store_with_number()?;
    let tid = store.write(|tx| store::templates::save(tx, None, "promo", "Hi {{first_name}}"))?;
    let (ana, bo, _cy) = store.write(|tx| {
        let ana = contacts::save(tx, None, &edit("Ana", &["+61412345678"]))?;
        let bo = contacts::save(tx, None, &edit("Bo", &["+61412345679"]))?;
        let cy = contacts::save(tx, None, &edit("Cy", &["+61412345670"]))?;
        tags::add(tx, ana, "VIP")?;
        tags::add(tx, bo, "vip")?;
        Ok((ana, bo, cy))
    })?;
    let choice = bulk::BulkChoice { template_id: tid, tags: vec!["VIP".into()], ..bulk::BulkChoice::default() };
    let c2 = choice.clone();
    let p = store.read(move |c| bulk::preview_in(c, &c2))?;
    let mut ids: Vec<i64> = p.recipients.iter().map(|r| r.contact_id).collect();
    ids.sort();
    assert_eq!(ids, vec![ana, bo], "everyone tagged VIP, whatever the case, and nobody else");
    let with_ana_again = bulk::BulkChoice { contact_ids: vec![ana], ..choice };
    assert_eq!(with_ana_again.describe(), "tag VIP and 1 contact");
    let new = store.read(move |c| bulk::campaign_in(c, 1, &with_ana_again))?;
    assert_eq!(new.recipients.len(), 2, "a contact chosen and tagged is sent to once");
    Ok(())
}

fn outbound(sim: &Simulator, store: Store) -> Result<Outbound, Box<dyn std::error::Error>> {
    let mut cfg = ClientConfig::with_base(creds(sim), &sim.base_url());
    cfg.retry_base_delay = Duration::from_millis(10);
    let mut ob = unpaced_outbound(store, OURS, TwilioClient::new(cfg)?, None)?;
    ob.campaign_lease = Duration::from_millis(200);
    Ok(ob)
}

/// The carrier reports `status` for the message campaign `id` sent to `to`.
fn report(store: &Store, id: i64, to: &str, status: &str) -> TestResult {
    let to = to.to_string();
    let status = status.to_string();
    store.write(move |tx| {
        let r = campaign_history::recipients(tx, id)?.into_iter().find(|r| r.to == to);
        let message_id = r.and_then(|r| r.message_id).ok_or(switchboard::Error::not_found("message"))?;
        let sid = messages::get(tx, message_id)?.sid.ok_or(switchboard::Error::not_found("sid"))?;
        messages::apply_status(tx, &sid, &MessageStatus::parse(&status), Some(30003), None).map(|_| ())
    })?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_again_to_those_who_failed_twice_never_texts_anyone_twice() -> TestResult {
    let sim = sim_owning(Duration::from_millis(5), OURS).await?;
    let (_dir, store) = temp_store()?;
    let ob = outbound(&sim, store)?;
    let (ana, bo, cy) = ("+61412345601", "+61412345602", "+61412345603");
    let first = promo_campaign(&ob, OURS, &[ana, bo, cy], |_| "friend".into(), 500.0).await?;
    campaign::run(&ob, first).await?;
    // The carrier could not deliver to Ana and Bo; Cy got it. Then Bo says STOP.
    report(&ob.store, first, ana, "undelivered")?;
    report(&ob.store, first, bo, "failed")?;
    report(&ob.store, first, cy, "delivered")?;
    ob.store.write(move |tx| optouts::set_by_owner(tx, bo, true).map(|_| ()))?;

    let h = ob.store.read(move |c| campaign_history::summary(c, first))?;
    assert_eq!((h.failed, h.delivered, h.total), (2, 1, 3), "{h:?}");
    assert_eq!(h.template_name.as_deref(), Some("promo"));

    let (again, plan) = history::resend_failed(&ob, first).await?;
    assert_eq!((plan.count, plan.opted_out), (1, 1), "only Ana: Bo opted out since, Cy was delivered: {plan:?}");
    let second = history::resend_failed(&ob, first).await;
    assert!(second.is_err(), "a second click while the first resend is pending sends nobody: {second:?}");
    campaign::run(&ob, again).await?;
    let third = history::resend_failed(&ob, again).await;
    assert!(third.is_err(), "Ana was sent to by the resend: never again: {third:?}");

    let sent = sim.sent_messages();
    let count = |to: &str| sent.iter().filter(|m| m.to == to).count();
    assert_eq!((count(ana), count(bo), count(cy)), (2, 1, 1), "Ana twice (first + one resend), the others once");
    let list = history::list(&ob, 0).await?;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].resend_of, Some(first), "the resend names its family");
    assert!(list[0].audience.contains("1 who failed"), "{:?}", list[0].audience);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_campaign_sends_nobody_and_its_history_says_so() -> TestResult {
    let sim = Simulator::start(SimConfig::default()).await?;
    sim.add_number(OURS, "Shop");
    let dir = tempfile::tempdir()?;
    let ob = outbound(&sim, Store::open(dir.path())?)?;
    let tid = ob.store.write(|tx| store::templates::save(tx, None, "promo", "Hi"))?;
    let recipients = ["+61412345601", "+61412345602"]
        .iter()
        .map(|to| campaign::Recipient { contact_id: None, to: to.to_string(), vars: Default::default() })
        .collect();
    let id = campaign::create(
        &ob,
        campaign::NewCampaign { template_id: tid, from: OURS.into(), recipients, rate_per_sec: None },
    )
    .await?;
    assert!(history::cancel(&ob, id).await?);
    assert!(!history::cancel(&ob, id).await?, "cancelling twice changes nothing");
    let p = campaign::run(&ob, id).await?;
    assert_eq!(p.sent, 0);
    assert!(sim.sent_messages().is_empty(), "a cancelled campaign sends nothing");
    let (summary, rows) = history::detail(&ob, id).await?;
    assert_eq!((summary.state.as_str(), summary.cancelled), ("cancelled", 2), "{summary:?}");
    assert!(rows.iter().all(|r| r.outcome == "cancelled"));
    assert!(!campaign::resume(&ob, id).await?, "a cancelled campaign cannot be resumed");
    assert!(history::resend_failed(&ob, id).await.is_err(), "nobody failed: nothing to send again");
    Ok(())
}

#[test]
fn merge_and_delete_refuse_what_does_not_exist() -> TestResult {
    let (_d, store) = store_with_number()?;
    let id = store.write(|tx| contacts::save(tx, None, &edit("Ana", &[])))?;
    assert!(store.write(move |tx| contact_merge::merge(tx, id, 999)).is_err());
    assert!(store.write(|tx| contact_merge::delete(tx, 999)).is_err());
    Ok(())
}
