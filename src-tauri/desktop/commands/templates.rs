//! Message templates and the preview of a bulk send (rendering and opt-out skipping are
//! the core's rules, so the preview shows exactly what the send would do).

use std::collections::BTreeMap;

use tauri::State;

use crate::desktop::DesktopState;
use crate::domain::template;
use crate::error::Result;
use crate::outbound::campaign;
use crate::store::contacts::{self, Contact};
use crate::store::templates::{self, Template};

#[tauri::command]
#[specta::specta]
pub async fn list_templates(state: State<'_, DesktopState>) -> Result<Vec<Template>> {
    state.store.read_async(templates::list).await
}

#[tauri::command]
#[specta::specta]
pub async fn save_template(
    state: State<'_, DesktopState>,
    id: Option<i64>,
    name: String,
    body: String,
) -> Result<Template> {
    state
        .store
        .write_async(move |tx| {
            let id = templates::save(tx, id, &name, &body)?;
            templates::get(tx, id)
        })
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn delete_template(state: State<'_, DesktopState>, id: i64) -> Result<()> {
    state.store.write_async(move |tx| templates::delete(tx, id)).await
}

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

/// Renders `template_id` for each contact with [`campaign::contact_vars`]: `name` and
/// `first_name` from the contact, `vars` shared by everyone, `per_contact` values by
/// contact id.
#[tauri::command]
#[specta::specta]
pub async fn preview_bulk(
    state: State<'_, DesktopState>,
    template_id: i64,
    contact_ids: Vec<i64>,
    vars: BTreeMap<String, String>,
    per_contact: Option<crate::desktop::contract::PerContactArg>,
) -> Result<BulkPreview> {
    let per_contact = per_contact.unwrap_or_default().0;
    state
        .store
        .read_async(move |c| {
            let t = templates::get(c, template_id)?;
            let chosen: Vec<Contact> = contact_ids.iter().map(|id| contacts::get(c, *id)).collect::<Result<_>>()?;
            Ok(preview(&t, &chosen, &vars, &per_contact))
        })
        .await
}

/// Template values for single contacts, by contact id.
pub type PerContactVars = BTreeMap<i64, BTreeMap<String, String>>;

fn preview(
    t: &Template,
    chosen: &[Contact],
    vars: &BTreeMap<String, String>,
    per_contact: &PerContactVars,
) -> BulkPreview {
    let mut out = BulkPreview { recipients: Vec::new(), skipped_opted_out: 0, problems: Vec::new() };
    for contact in chosen {
        if contact.phones.is_empty() {
            out.problems.push(BulkProblem {
                contact_id: contact.id,
                name: contact.name.clone(),
                reason: "has no phone number".into(),
            });
            continue;
        }
        // Opt-out is per phone: a contact is texted at the first phone that did not opt out.
        let Some(to) = contact.reachable_phone() else {
            out.skipped_opted_out += 1;
            continue;
        };
        let all = campaign::contact_vars(contact, vars, per_contact.get(&contact.id));
        match template::render(&t.body, &all) {
            Ok(body) => out.recipients.push(BulkRecipient {
                contact_id: contact.id,
                name: contact.name.clone(),
                to: to.clone(),
                body,
            }),
            Err(e) => out.problems.push(BulkProblem {
                contact_id: contact.id,
                name: contact.name.clone(),
                reason: e.to_string(),
            }),
        }
    }
    out
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
}
