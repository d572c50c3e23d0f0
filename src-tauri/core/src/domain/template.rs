//! Message templates with `{{variable}}` placeholders. Rendering fails, before anything
//! is sent, when a variable has no value, naming every one that is missing.

use std::collections::BTreeMap;

use crate::error::{Error, Result};

/// The variable names a template uses, in order of first appearance.
pub fn variables(template: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (name, _) in placeholders(template) {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Renders `template`, or lists the variables without a non-empty value.
pub fn render(template: &str, vars: &BTreeMap<String, String>) -> Result<String> {
    let missing: Vec<String> =
        variables(template).into_iter().filter(|v| vars.get(v).is_none_or(|s| s.trim().is_empty())).collect();
    if !missing.is_empty() {
        return Err(Error::InvalidInput(format!("the template needs a value for {}", missing.join(", "))));
    }
    let mut out = String::with_capacity(template.len());
    let mut last = 0;
    for (name, range) in placeholders(template) {
        out.push_str(&template[last..range.start]);
        out.push_str(vars.get(&name).map(String::as_str).unwrap_or_default());
        last = range.end;
    }
    out.push_str(&template[last..]);
    Ok(out)
}

/// Each `{{ name }}` with its byte range; names are letters, digits and `_`.
fn placeholders(template: &str) -> Vec<(String, std::ops::Range<usize>)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = template[from..].find("{{").map(|i| i + from) {
        let Some(close) = template[open + 2..].find("}}").map(|i| i + open + 2) else {
            break;
        };
        let name = template[open + 2..close].trim();
        if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            found.push((name.to_string(), open..close + 2));
            from = close + 2;
        } else {
            from = open + 2;
        }
    }
    found
}

/// Template values from `(name, value)` pairs: the tests' way to write them.
#[cfg(test)]
pub(crate) fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_placeholder() {
        let t = "Hi {{first_name}}, your {{ item }} is ready. Thanks {{first_name}}!";
        assert_eq!(variables(t), vec!["first_name", "item"]);
        let out = render(t, &vars(&[("first_name", "Ana"), ("item", "order")])).unwrap();
        assert_eq!(out, "Hi Ana, your order is ready. Thanks Ana!");
    }

    #[test]
    fn missing_variables_are_named() {
        let err = render("Hi {{first_name}} {{last}}", &vars(&[("first_name", " ")])).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("first_name") && msg.contains("last"), "{msg}");
    }

    #[test]
    fn braces_that_are_not_placeholders_stay() {
        assert_eq!(render("{{ not a var }} {x}", &vars(&[])).unwrap(), "{{ not a var }} {x}");
        assert_eq!(render("open {{", &vars(&[])).unwrap(), "open {{");
    }
}
