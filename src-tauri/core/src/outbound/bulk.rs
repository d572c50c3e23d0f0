//! A bulk templated send as the owner plans it: the preview (who gets what, who is skipped
//! and why), turning the chosen contacts into a campaign, and the campaign's progress.
//! The preview and the send use the same rules ([`campaign::contact_vars`], the opt-out
//! ledger through [`Contact::reachable_phone`]), so the preview shows exactly what the
//! send would do.

use std::collections::BTreeMap;

use rusqlite::Connection;

use super::{campaign, Outbound};
use crate::domain::template;
use crate::error::Result;
use crate::store::contacts::{self, Contact};
use crate::store::templates::{self, Template};
use crate::store::{campaigns, numbers, tags};

/// Template values for single contacts, by contact id.
pub type PerContactVars = BTreeMap<i64, BTreeMap<String, String>>;

/// One recipient of a bulk send as it would go out.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct BulkRecipient {
    pub contact_id: i64,
    pub name: String,
    pub to: String,
    pub body: String,
}

/// A recipient that cannot be sent to, and why.
#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct BulkProblem {
    pub contact_id: i64,
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, serde::Serialize, specta::Type)]
pub struct BulkPreview {
    /// Recipients that would be sent to (all of them, so the count is exact).
    pub recipients: Vec<BulkRecipient>,
    /// Contacts skipped because they replied STOP.
    pub skipped_opted_out: usize,
    /// Contacts with no phone number or a template variable without a value.
    pub problems: Vec<BulkProblem>,
}

/// What the owner chose on the bulk-send screen: the message and its audience, as the
/// preview, the estimate, Send and Send later each receive it from the UI.
#[derive(Debug, Clone, Default, serde::Deserialize, specta::Type)]
pub struct BulkChoice {
    pub template_id: i64,
    pub contact_ids: Vec<i64>,
    /// Values shared by every recipient.
    pub vars: BTreeMap<String, String>,
    /// Values for single contacts (a blank one means "the shared one").
    // JSON object keys are text; serde reads them as ids. Typed for TypeScript with number
    // keys: the generator cannot key a map by a 64-bit id, and ids stay far below 2^32.
    #[serde(default)]
    #[specta(type = BTreeMap<u32, BTreeMap<String, String>>)]
    pub per_contact: PerContactVars,
    /// Everyone with any of these tags is chosen too (`store::tags`), each once.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl BulkChoice {
    /// The contacts chosen: those picked one by one, then everyone with one of the tags,
    /// each once, in that order.
    pub fn audience(&self, conn: &Connection) -> Result<Vec<i64>> {
        let tagged = tags::contacts_with_any(conn, &self.tags)?;
        let mut seen = std::collections::HashSet::new();
        let mut ids = Vec::new();
        for id in self.contact_ids.iter().copied().chain(tagged) {
            if seen.insert(id) {
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// Who the campaign is for, in the history's words: "tag VIP", "tags VIP, Staff and 2
    /// contacts", "12 contacts".
    pub fn describe(&self) -> String {
        let contacts = match self.contact_ids.len() {
            0 => None,
            1 => Some("1 contact".to_string()),
            n => Some(format!("{n} contacts")),
        };
        let tags = match self.tags.len() {
            0 => None,
            1 => Some(format!("tag {}", self.tags[0])),
            _ => Some(format!("tags {}", self.tags.join(", "))),
        };
        match (tags, contacts) {
            (Some(t), Some(c)) => format!("{t} and {c}"),
            (Some(t), None) => t,
            (None, Some(c)) => c,
            (None, None) => "nobody".into(),
        }
    }
}

/// Renders the template for each chosen contact, reading them from the store.
pub fn preview_in(conn: &Connection, choice: &BulkChoice) -> Result<BulkPreview> {
    let t = templates::get(conn, choice.template_id)?;
    let chosen: Vec<Contact> =
        choice.audience(conn)?.iter().map(|id| contacts::get(conn, *id)).collect::<Result<_>>()?;
    Ok(preview(&t, &chosen, &choice.vars, &choice.per_contact))
}

/// Renders `t` for each contact with [`campaign::contact_vars`]: `name` and `first_name`
/// from the contact, `vars` shared by everyone, `per_contact` values by contact id.
pub fn preview(
    t: &Template,
    chosen: &[Contact],
    vars: &BTreeMap<String, String>,
    per_contact: &PerContactVars,
) -> BulkPreview {
    let mut out = BulkPreview { recipients: Vec::new(), skipped_opted_out: 0, problems: Vec::new() };
    for contact in chosen {
        let problem = |reason: String| BulkProblem { contact_id: contact.id, name: contact.name.clone(), reason };
        if contact.phones.is_empty() {
            out.problems.push(problem("has no phone number".into()));
            continue;
        }
        // Opt-out is per phone: a contact is texted at the first phone that did not opt out.
        let Some(to) = contact.reachable_phone() else {
            out.skipped_opted_out += 1;
            continue;
        };
        if contact.blocked_phones.contains(to) {
            out.problems.push(problem(format!("{to} is blocked")));
            continue;
        }
        let all = campaign::contact_vars(contact, vars, per_contact.get(&contact.id));
        match template::render(&t.body, &all) {
            Ok(body) => out.recipients.push(BulkRecipient {
                contact_id: contact.id,
                name: contact.name.clone(),
                to: to.clone(),
                body,
            }),
            Err(e) => out.problems.push(problem(e.to_string())),
        }
    }
    out
}

/// The campaign the choice makes, sent from our number `number_id`. Opted-out contacts are
/// kept (at their first phone) so the campaign records them as skipped; contacts with no
/// phone at all, or whose phone is blocked, are left out, as the preview reported.
pub fn campaign_in(conn: &Connection, number_id: i64, choice: &BulkChoice) -> Result<campaign::NewCampaign> {
    let from = numbers::get(conn, number_id)?.e164;
    let mut recipients = Vec::new();
    for id in choice.audience(conn)? {
        let contact = contacts::get(conn, id)?;
        let Some(to) = contact.reachable_phone().or(contact.phones.first()).cloned() else { continue };
        if contact.blocked_phones.contains(&to) {
            continue;
        }
        let vars = campaign::contact_vars(&contact, &choice.vars, choice.per_contact.get(&id));
        recipients.push(campaign::Recipient { contact_id: Some(id), to, vars });
    }
    Ok(campaign::NewCampaign { template_id: choice.template_id, from, recipients, rate_per_sec: None })
}

/// Stores the campaign for `choice` from `number_id`; the caller runs it
/// ([`campaign::run`]) in the background. Returns its id.
pub async fn start(ob: &Outbound, number_id: i64, choice: BulkChoice) -> Result<i64> {
    let audience = choice.describe();
    let new = ob.store.read_async(move |c| campaign_in(c, number_id, &choice)).await?;
    campaign::create_for(ob, new, audience).await
}

/// A campaign's state and counts, as the bulk-send screen shows them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, specta::Type)]
pub struct CampaignProgress {
    pub id: i64,
    pub state: crate::domain::kinds::CampaignState,
    pub total: i64,
    pub sent: i64,
    pub failed: i64,
    pub skipped: i64,
}

pub fn progress(conn: &Connection, id: i64) -> Result<CampaignProgress> {
    let camp = campaigns::get(conn, id)?;
    let p = campaigns::progress(conn, id)?;
    Ok(CampaignProgress {
        id,
        state: camp.state,
        total: p.sent + p.failed + p.skipped + p.pending,
        sent: p.sent,
        failed: p.failed,
        skipped: p.skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(id: i64, name: &str, phones: &[&str], opted_out: bool) -> Contact {
        Contact {
            id,
            name: name.into(),
            phones: phones.iter().map(|p| p.to_string()).collect(),
            email: None,
            notes: String::new(),
            opted_out,
            opted_out_at: None,
            opt_out_source: None,
            opted_out_phones: if opted_out { phones.iter().map(|p| p.to_string()).collect() } else { Vec::new() },
            email_opted_out: false,
            tags: Vec::new(),
            blocked_phones: Vec::new(),
        }
    }

    #[test]
    fn preview_skips_opted_out_and_names_problems() {
        let t = Template { id: 1, name: "t".into(), body: "Hi {{first_name}}, {{offer}}".into(), variables: vec![] };
        let chosen = vec![
            contact(1, "Ana Lima", &["+61412345678"], false),
            contact(2, "Bo", &["+61412345679"], true),
            contact(3, "Cy", &[], false),
        ];
        let vars = BTreeMap::from([("offer".to_string(), "10% off".to_string())]);
        let p = preview(&t, &chosen, &vars, &PerContactVars::new());
        assert_eq!(p.skipped_opted_out, 1, "Bo replied STOP and must be skipped");
        assert_eq!(p.recipients.len(), 1);
        assert_eq!(p.recipients[0].body, "Hi Ana, 10% off", "first_name comes from the contact");
        assert_eq!(p.problems.len(), 1, "Cy has no phone and must be reported, not silently dropped");
        let missing = preview(&t, &chosen[..1], &BTreeMap::new(), &PerContactVars::new());
        assert!(missing.problems[0].reason.contains("offer"), "a missing variable is named");
        let own = PerContactVars::from([(1, BTreeMap::from([("offer".to_string(), "a free clean".to_string())]))]);
        let p = preview(&t, &chosen[..1], &BTreeMap::new(), &own);
        assert_eq!(p.recipients[0].body, "Hi Ana, a free clean", "a contact's own value fills the variable");
    }

    /// The UI sends `perContact` as a JSON object, whose keys are strings; Tauri hands the
    /// command a `serde_json::Value`.
    #[test]
    fn per_contact_values_arrive_keyed_by_contact_id() -> Result<()> {
        let from_ui = serde_json::json!({ "3": { "offer": "a free coffee" } });
        let got: PerContactVars = serde_json::from_value(from_ui)?;
        assert_eq!(got[&3]["offer"], "a free coffee");
        Ok(())
    }

    /// Every bulk command takes the choice as one JSON object (`BulkChoice` in the bindings);
    /// the per-person values and the tags may be left out (none of either).
    #[test]
    fn the_choice_arrives_as_one_object_from_the_ui() -> Result<()> {
        let from_ui = serde_json::json!({
            "template_id": 2, "contact_ids": [1, 3], "vars": { "offer": "10% off" },
            "per_contact": { "3": { "offer": "a free coffee" } }, "tags": ["VIP"]
        });
        let got: BulkChoice = serde_json::from_value(from_ui)?;
        assert_eq!((got.template_id, got.contact_ids.as_slice()), (2, [1, 3].as_slice()));
        assert_eq!(got.vars["offer"], "10% off");
        assert_eq!(got.per_contact[&3]["offer"], "a free coffee");
        assert_eq!(got.tags, ["VIP"]);
        let bare: BulkChoice =
            serde_json::from_value(serde_json::json!({ "template_id": 2, "contact_ids": [1], "vars": {} }))?;
        assert!(bare.per_contact.is_empty() && bare.tags.is_empty(), "absent means none: {bare:?}");
        Ok(())
    }
}
