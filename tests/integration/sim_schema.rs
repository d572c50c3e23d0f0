//! The simulator's responses against Twilio's own OpenAPI specs (`oracles/oai`): a sample of
//! every resource the client uses is validated with `jsonschema` against the operation's
//! response schema (OpenAPI 3.0 `nullable` translated to JSON Schema, `$ref`s resolved from
//! the spec's components), and each resource object must carry every property the spec lists.

use serde_json::{json, Map, Value};

use crate::common::{oracles_dir, TestResult};
use crate::sim_support::{fast_config, start, wait_until, Api, StubApp};

const OURS: &str = "+61291234567";
const CUSTOMER: &str = "+61412345678";
const V2: &str = "/v2/RegulatoryCompliance";

/// OpenAPI 3.0 → JSON Schema: `nullable: true` becomes a `null` alternative.
fn convert(v: &Value) -> Value {
    match v {
        Value::Array(a) => Value::Array(a.iter().map(convert).collect()),
        Value::Object(o) => {
            let mut out: Map<String, Value> = o.iter().map(|(k, v)| (k.clone(), convert(v))).collect();
            if o.get("nullable") == Some(&Value::Bool(true)) {
                out.remove("nullable");
                if let Some(r) = out.remove("$ref") {
                    return json!({"anyOf": [{"$ref": r}, {"type": "null"}]});
                }
                if let Some(Value::String(t)) = out.get("type").cloned() {
                    out.insert("type".into(), json!([t, "null"]));
                }
                if let Some(Value::Array(e)) = out.get_mut("enum") {
                    e.push(Value::Null);
                }
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

struct Spec {
    doc: Value,
    components: Value,
}

impl Spec {
    fn load(file: &str) -> Result<Spec, Box<dyn std::error::Error>> {
        let text = std::fs::read_to_string(oracles_dir().join("oai").join(file))?;
        let doc: Value = serde_json::from_str(&text)?;
        let components = convert(&doc["components"]);
        Ok(Spec { doc, components })
    }

    /// The path template matching a concrete path (`{Sid}.json` matches `SM….json`).
    fn template(&self, path: &str) -> Option<String> {
        let segs: Vec<&str> = path.split('/').collect();
        let paths = self.doc["paths"].as_object()?;
        let mut best: Option<(usize, &String)> = None;
        for template in paths.keys() {
            let tsegs: Vec<&str> = template.split('/').collect();
            if tsegs.len() != segs.len() {
                continue;
            }
            let mut literal = 0;
            let ok = tsegs.iter().zip(&segs).all(|(t, s)| match (t.find('{'), t.find('}')) {
                (Some(a), Some(b)) => {
                    s.starts_with(&t[..a]) && s.ends_with(&t[b + 1..]) && s.len() > a + t.len() - b - 1
                }
                _ => {
                    literal += 1;
                    t == s
                }
            });
            if ok && best.is_none_or(|(n, _)| literal > n) {
                best = Some((literal, template));
            }
        }
        best.map(|(_, t)| t.clone())
    }

    /// Validates `body` as the `status` response of `method path`; returns the errors.
    fn check(
        &self,
        method: &str,
        path: &str,
        status: u16,
        body: &Value,
    ) -> Result<Vec<String>, Box<dyn std::error::Error>> {
        let template = self.template(path).ok_or(format!("no spec path matches {path}"))?;
        let op = &self.doc["paths"][&template][method];
        let content = &op["responses"][status.to_string()]["content"]["application/json"]["schema"];
        if content.is_null() {
            return Err(format!("the spec has no {status} JSON response for {method} {template}").into());
        }
        let mut schema = convert(content);
        if let Value::Object(o) = &mut schema {
            o.insert("components".into(), self.components.clone());
        }
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(false)
            .build(&schema)?;
        let mut errors: Vec<String> =
            validator.iter_errors(body).map(|e| format!("{method} {template}: {e} at {}", e.instance_path())).collect();
        errors.extend(self.missing_properties(content, body, &template));
        Ok(errors)
    }

    /// Properties the spec lists for a resource (or each item of a list) that `body` lacks.
    fn missing_properties(&self, schema: &Value, body: &Value, template: &str) -> Vec<String> {
        let resolve = |s: &Value| -> Option<Value> {
            let r = s["$ref"].as_str()?;
            let name = r.strip_prefix("#/components/schemas/")?;
            Some(self.doc["components"]["schemas"][name].clone())
        };
        let mut out = Vec::new();
        let mut check_one = |resource: &Value, value: &Value| {
            if let (Some(props), Some(obj)) = (resource["properties"].as_object(), value.as_object()) {
                for name in props.keys() {
                    if !obj.contains_key(name) {
                        out.push(format!("{template}: property {name:?} is missing"));
                    }
                }
            }
        };
        if let Some(resource) = resolve(schema) {
            check_one(&resource, body);
        } else if let Some(props) = schema["properties"].as_object() {
            for (key, prop) in props {
                if let Some(resource) = resolve(&prop["items"]) {
                    for item in body[key].as_array().into_iter().flatten() {
                        check_one(&resource, item);
                    }
                }
            }
        }
        out
    }
}

#[tokio::test]
async fn sim_schema_sample_of_responses_conforms_to_twilio_openapi() -> TestResult {
    let v2010 = Spec::load("twilio_api_v2010.json")?;
    let numbers = Spec::load("twilio_numbers_v2.json")?;
    let sim = start(fast_config()).await?;
    let app = StubApp::start(
        sim.auth_token(),
        &[
            (
                "/twilio/voice",
                r#"<Response><Dial timeout="5" action="/twilio/voice/dial-status">+61400000001</Dial></Response>"#,
            ),
            (
                "/twilio/voice/dial-status",
                r#"<Response><Record maxLength="60" recordingStatusCallback="/twilio/voice/recording"/></Response>"#,
            ),
        ],
    )
    .await?;
    let api = Api::new(&sim)?;
    let acct = format!("/2010-04-01/Accounts/{}", sim.account_sid());
    let (v2010, numbers) = (&v2010, &numbers);
    let mut samples: Vec<(&Spec, String, String, u16, Value)> = Vec::new();

    macro_rules! sample {
        ($spec:expr, $method:expr, $rest:expr, $reply:expr) => {{
            let reply = $reply;
            let url = api.url($rest);
            let path = url.trim_start_matches(&api.base).split('?').next().unwrap_or("").to_string();
            samples.push(($spec, $method.to_string(), path, reply.status, reply.json.clone()));
            reply
        }};
    }

    let pn = sim.add_number(OURS, "Shop");
    let r = sample!(
        v2010,
        "get",
        "AvailablePhoneNumbers/US/Local.json",
        api.get("AvailablePhoneNumbers/US/Local.json").await?
    );
    let us = r.json["available_phone_numbers"][0]["phone_number"].as_str().ok_or("us number")?.to_string();
    sample!(
        v2010,
        "post",
        "IncomingPhoneNumbers.json",
        api.post("IncomingPhoneNumbers.json", &[("PhoneNumber", &us), ("FriendlyName", "US line")]).await?
    );
    sample!(
        v2010,
        "post",
        &format!("IncomingPhoneNumbers/{pn}.json"),
        api.post(&format!("IncomingPhoneNumbers/{pn}.json"), &[("VoiceUrl", &format!("{}/twilio/voice", app.base))])
            .await?
    );
    sample!(
        v2010,
        "get",
        &format!("IncomingPhoneNumbers/{pn}.json"),
        api.get(&format!("IncomingPhoneNumbers/{pn}.json")).await?
    );
    sample!(v2010, "get", "IncomingPhoneNumbers.json", api.get("IncomingPhoneNumbers.json").await?);
    for kind in ["Local", "Mobile", "TollFree"] {
        let rest = format!("AvailablePhoneNumbers/AU/{kind}.json");
        sample!(v2010, "get", &rest, api.get(&rest).await?);
    }
    let r = sample!(
        v2010,
        "post",
        "Messages.json",
        api.post("Messages.json", &[("To", CUSTOMER), ("From", OURS), ("Body", "hi")]).await?
    );
    let sm = r.json["sid"].as_str().ok_or("sm")?.to_string();
    sample!(v2010, "get", &format!("Messages/{sm}.json"), api.get(&format!("Messages/{sm}.json")).await?);
    let mm = sim.customer_sms(CUSTOMER, OURS, "photo", true).await?;
    sample!(v2010, "get", "Messages.json", api.get("Messages.json?PageSize=1").await?);
    let r = sample!(
        v2010,
        "get",
        &format!("Messages/{mm}/Media.json"),
        api.get(&format!("Messages/{mm}/Media.json")).await?
    );
    let me = r.json["media_list"][0]["sid"].as_str().ok_or("me")?.to_string();
    sample!(
        v2010,
        "get",
        &format!("Messages/{mm}/Media/{me}.json"),
        api.get(&format!("Messages/{mm}/Media/{me}.json")).await?
    );

    let outcome = sim.customer_call(CUSTOMER, OURS, Some(2)).await?;
    let re = outcome.recording_sid.clone().ok_or("recording")?;
    sample!(v2010, "get", "Calls.json", api.get("Calls.json").await?);
    sample!(
        v2010,
        "get",
        &format!("Calls/{}.json", outcome.call_sid),
        api.get(&format!("Calls/{}.json", outcome.call_sid)).await?
    );
    sample!(
        v2010,
        "post",
        "Calls.json",
        api.post("Calls.json", &[("To", CUSTOMER), ("From", OURS), ("Twiml", "<Response><Say>Hi</Say></Response>")])
            .await?
    );
    sample!(v2010, "get", "Recordings.json", api.get("Recordings.json").await?);
    sample!(v2010, "get", &format!("Recordings/{re}.json"), api.get(&format!("Recordings/{re}.json")).await?);
    // A voicemail the hosted flow left while the app was closed, with its transcription.
    let (_, re2) = sim.seed_voicemail(CUSTOMER, OURS, 5, Some("Call me back"), std::time::Duration::from_secs(60));
    let r = sample!(v2010, "get", "Transcriptions.json", api.get("Transcriptions.json").await?);
    let tr = r.json["transcriptions"][0]["sid"].as_str().ok_or("tr")?.to_string();
    sample!(v2010, "get", &format!("Transcriptions/{tr}.json"), api.get(&format!("Transcriptions/{tr}.json")).await?);
    sample!(
        v2010,
        "get",
        &format!("Recordings/{re2}/Transcriptions.json"),
        api.get(&format!("Recordings/{re2}/Transcriptions.json")).await?
    );
    let address_form = [
        ("CustomerName", "Acme"),
        ("Street", "1 George St"),
        ("City", "Sydney"),
        ("Region", "NSW"),
        ("PostalCode", "2000"),
        ("IsoCountry", "AU"),
    ];
    let r = sample!(v2010, "post", "Addresses.json", api.post("Addresses.json", &address_form).await?);
    let ad = r.json["sid"].as_str().ok_or("ad")?.to_string();
    sample!(v2010, "get", "Addresses.json", api.get("Addresses.json").await?);
    sample!(v2010, "get", &format!("Addresses/{ad}.json"), api.get(&format!("Addresses/{ad}.json")).await?);
    sample!(v2010, "get", &format!("{acct}.json"), api.get(&format!("{acct}.json")).await?);

    let r = sample!(numbers, "get", &format!("{V2}/Regulations"), api.get(&format!("{V2}/Regulations")).await?);
    let rn = r.json["results"][0]["sid"].as_str().ok_or("rn")?.to_string();
    sample!(numbers, "get", &format!("{V2}/Regulations/{rn}"), api.get(&format!("{V2}/Regulations/{rn}")).await?);
    let r = sample!(
        numbers,
        "post",
        &format!("{V2}/EndUsers"),
        api.post(&format!("{V2}/EndUsers"), &[("FriendlyName", "Acme"), ("Type", "business")]).await?
    );
    let it = r.json["sid"].as_str().ok_or("it")?.to_string();
    sample!(numbers, "get", &format!("{V2}/EndUsers"), api.get(&format!("{V2}/EndUsers")).await?);
    sample!(numbers, "get", &format!("{V2}/EndUsers/{it}"), api.get(&format!("{V2}/EndUsers/{it}")).await?);
    let r = sample!(
        numbers,
        "post",
        &format!("{V2}/SupportingDocuments"),
        api.post(
            &format!("{V2}/SupportingDocuments"),
            &[
                ("FriendlyName", "Office"),
                ("Type", "address"),
                ("Attributes", &format!(r#"{{"address_sids":["{ad}"]}}"#))
            ]
        )
        .await?
    );
    let rd = r.json["sid"].as_str().ok_or("rd")?.to_string();
    sample!(numbers, "get", &format!("{V2}/SupportingDocuments"), api.get(&format!("{V2}/SupportingDocuments")).await?);
    let r = sample!(
        numbers,
        "post",
        &format!("{V2}/Bundles"),
        api.post(
            &format!("{V2}/Bundles"),
            &[("FriendlyName", "Acme"), ("Email", "a@acme.test"), ("RegulationSid", &rn)]
        )
        .await?
    );
    let bu = r.json["sid"].as_str().ok_or("bu")?.to_string();
    sample!(
        numbers,
        "post",
        &format!("{V2}/Bundles/{bu}/ItemAssignments"),
        api.post(&format!("{V2}/Bundles/{bu}/ItemAssignments"), &[("ObjectSid", &rd)]).await?
    );
    sample!(
        numbers,
        "get",
        &format!("{V2}/Bundles/{bu}/ItemAssignments"),
        api.get(&format!("{V2}/Bundles/{bu}/ItemAssignments")).await?
    );
    let r = sample!(
        numbers,
        "post",
        &format!("{V2}/Bundles/{bu}/Evaluations"),
        api.post(&format!("{V2}/Bundles/{bu}/Evaluations"), &[]).await?
    );
    let el = r.json["sid"].as_str().ok_or("el")?.to_string();
    sample!(
        numbers,
        "get",
        &format!("{V2}/Bundles/{bu}/Evaluations/{el}"),
        api.get(&format!("{V2}/Bundles/{bu}/Evaluations/{el}")).await?
    );
    sample!(numbers, "get", &format!("{V2}/Bundles/{bu}"), api.get(&format!("{V2}/Bundles/{bu}")).await?);
    sample!(numbers, "get", &format!("{V2}/Bundles"), api.get(&format!("{V2}/Bundles")).await?);
    sample!(
        numbers,
        "post",
        &format!("{V2}/Bundles/{bu}"),
        api.post(&format!("{V2}/Bundles/{bu}"), &[("FriendlyName", "Acme (AU)")]).await?
    );

    wait_until("the call's recording callback", || async { !app.hits_on("/twilio/voice/recording").is_empty() })
        .await?;
    let mut errors = Vec::new();
    for (spec, method, path, status, body) in &samples {
        assert!((200..300).contains(status), "{method} {path} succeeded before its shape is checked: {status} {body}");
        errors.extend(spec.check(method, path, *status, body)?);
    }
    assert!(samples.len() >= 35, "a broad sample was checked: {}", samples.len());
    assert!(errors.is_empty(), "responses that do not match Twilio's OpenAPI spec:\n{}", errors.join("\n"));

    // The check is not vacuous: a wrong type or a missing property is caught.
    let bad = json!({"sid": 42, "status": "not-a-status"});
    let caught = v2010.check("get", &format!("{acct}/Messages/{sm}.json"), 200, &bad)?;
    assert!(caught.iter().any(|e| e.contains("sid")), "a numeric sid is refused: {caught:?}");
    assert!(caught.iter().any(|e| e.contains("not-a-status")), "an unknown status is refused: {caught:?}");
    assert!(caught.iter().any(|e| e.contains("\"body\" is missing")), "a missing property is reported: {caught:?}");
    app.stop();
    Ok(())
}
