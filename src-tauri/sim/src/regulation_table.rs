//! The regulations the simulator serves: Australia, the United Kingdom, Germany and the
//! United States, local (and for AU mobile) numbers, for a business or an individual. They
//! differ the way Twilio's do: AU wants an ABN and a registration document, GB only a
//! company number and a local address, DE a commercial-register excerpt or a trade licence
//! (a choice), or an identity document for a person, US an EIN. The field names follow
//! Twilio's published regulations; the constraints are this simulator's own model of what
//! `IncludeConstraints=true` adds (Twilio's OpenAPI spec leaves `requirements` untyped).

/// What a field must look like.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rule {
    pub required: bool,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    /// `email`, `digits` or `date`.
    pub format: Option<&'static str>,
    pub allowed: &'static [&'static str],
}

const TEXT: Rule = Rule { required: true, min_length: None, max_length: Some(100), format: None, allowed: &[] };
const OPTIONAL: Rule = Rule { required: false, ..TEXT };
const EMAIL: Rule = Rule { format: Some("email"), ..TEXT };
const DATE: Rule = Rule { format: Some("date"), max_length: Some(10), ..TEXT };

/// A field: machine name, friendly name, rule.
pub(crate) type Field = (&'static str, &'static str, Rule);

pub(crate) struct DocType {
    pub kind: &'static str,
    pub name: &'static str,
    pub fields: &'static [Field],
}

pub(crate) struct DocRequirement {
    pub requirement_name: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub accepted: &'static [DocType],
}

pub(crate) struct Regulation {
    pub sid: String,
    pub friendly_name: String,
    pub iso_country: &'static str,
    pub number_type: &'static str,
    pub end_user_type: &'static str,
    pub end_user_fields: &'static [Field],
    pub documents: &'static [DocRequirement],
}

const ADDRESS_TYPE: DocType =
    DocType { kind: "address", name: "Address Validation", fields: &[("address_sids", "Address sid(s)", TEXT)] };

const PROOF_OF_ADDRESS: DocRequirement = DocRequirement {
    requirement_name: "proof_of_address",
    name: "Address",
    description: "The physical location of the individual or business. Must be within the country of the phone number; a PO Box is not acceptable.",
    accepted: &[ADDRESS_TYPE],
};

const AU_BUSINESS: &[Field] = &[
    ("business_name", "Business Name", TEXT),
    ("business_registration_identifier", "Business Registration Identifier", Rule { allowed: &["ABN", "ACN"], ..TEXT }),
    (
        "business_registration_number",
        "Business Registration Number",
        Rule { format: Some("digits"), min_length: Some(9), max_length: Some(14), ..TEXT },
    ),
    ("email", "Email", EMAIL),
    ("first_name", "First Name", TEXT),
    ("last_name", "Last Name", TEXT),
];
const AU_INDIVIDUAL: &[Field] =
    &[("first_name", "First Name", TEXT), ("last_name", "Last Name", TEXT), ("email", "Email", EMAIL)];
const AU_REGISTRATION: DocRequirement = DocRequirement {
    requirement_name: "business_registration_info",
    name: "Business Registration",
    description: "A document issued by the government registry (an ASIC or ABN Lookup extract) showing the business name and registration number.",
    accepted: &[DocType {
        kind: "business_registration",
        name: "Business Registration Document",
        fields: &[
            ("business_name", "Business Name", TEXT),
            (
                "business_registration_number",
                "Business Registration Number",
                Rule { format: Some("digits"), min_length: Some(9), max_length: Some(14), ..TEXT },
            ),
        ],
    }],
};

const GB_BUSINESS: &[Field] = &[
    ("business_name", "Business Name", TEXT),
    (
        "business_registration_number",
        "Company Registration Number",
        Rule { min_length: Some(8), max_length: Some(8), ..TEXT },
    ),
    ("business_website", "Business Website", OPTIONAL),
];
const PERSON: &[Field] = &[("first_name", "First Name", TEXT), ("last_name", "Last Name", TEXT)];

const DE_BUSINESS: &[Field] =
    &[("business_name", "Business Name", TEXT), ("first_name", "First Name", TEXT), ("last_name", "Last Name", TEXT)];
const DE_REGISTER: DocRequirement = DocRequirement {
    requirement_name: "commercial_register_proof",
    name: "Commercial Register Proof",
    description: "An excerpt of the commercial register (Handelsregisterauszug), or the trade licence (Gewerbeanmeldung) of a business not in the register.",
    accepted: &[
        DocType {
            kind: "commercial_registrar_excerpt",
            name: "Excerpt from the commercial register (Handelsregisterauszug)",
            fields: &[
                ("business_name", "Business Name", TEXT),
                ("business_registration_number", "Register Number (HRA/HRB)", Rule { max_length: Some(20), ..TEXT }),
            ],
        },
        DocType {
            kind: "trade_license",
            name: "Trade licence (Gewerbeanmeldung)",
            fields: &[("business_name", "Business Name", TEXT), ("issue_date", "Issue Date", DATE)],
        },
    ],
};
const DE_IDENTITY: DocRequirement = DocRequirement {
    requirement_name: "identity_proof",
    name: "Identity",
    description: "A government-issued identity document of the individual.",
    accepted: &[
        DocType {
            kind: "government_issued_document",
            name: "Identity card",
            fields: &[
                ("first_name", "First Name", TEXT),
                ("last_name", "Last Name", TEXT),
                ("birth_date", "Date of Birth", DATE),
            ],
        },
        DocType {
            kind: "passport",
            name: "Passport",
            fields: &[
                ("first_name", "First Name", TEXT),
                ("last_name", "Last Name", TEXT),
                ("birth_date", "Date of Birth", DATE),
            ],
        },
    ],
};

const US_BUSINESS: &[Field] = &[
    ("business_name", "Business Name", TEXT),
    ("business_registration_identifier", "Business Registration Identifier", Rule { allowed: &["EIN"], ..TEXT }),
    (
        "business_registration_number",
        "EIN",
        Rule { format: Some("digits"), min_length: Some(9), max_length: Some(9), ..TEXT },
    ),
];

fn sid(key: &str) -> String {
    use sha2::Digest;
    format!("RN{}", &hex::encode(sha2::Sha256::digest(key.as_bytes()))[..32])
}

fn regulation(
    country: (&'static str, &'static str),
    number_type: &'static str,
    end_user_type: &'static str,
    end_user_fields: &'static [Field],
    documents: &'static [DocRequirement],
) -> Regulation {
    let kind = if number_type == "local" { "Local" } else { "Mobile" };
    let who = if end_user_type == "business" { "Business" } else { "Individual" };
    Regulation {
        sid: sid(&format!("{}-{number_type}-{end_user_type}", country.0)),
        friendly_name: format!("{}: {kind} - {who}", country.1),
        iso_country: country.0,
        number_type,
        end_user_type,
        end_user_fields,
        documents,
    }
}

/// Every regulation, with SIDs derived from their names so they are stable across runs.
pub(crate) fn all() -> Vec<Regulation> {
    const AU: (&str, &str) = ("AU", "Australia");
    const GB: (&str, &str) = ("GB", "United Kingdom");
    const DE: (&str, &str) = ("DE", "Germany");
    const US: (&str, &str) = ("US", "United States");
    vec![
        regulation(AU, "local", "business", AU_BUSINESS, &[PROOF_OF_ADDRESS, AU_REGISTRATION]),
        regulation(AU, "mobile", "business", AU_BUSINESS, &[PROOF_OF_ADDRESS, AU_REGISTRATION]),
        regulation(AU, "local", "individual", AU_INDIVIDUAL, &[PROOF_OF_ADDRESS]),
        regulation(AU, "mobile", "individual", AU_INDIVIDUAL, &[PROOF_OF_ADDRESS]),
        regulation(GB, "local", "business", GB_BUSINESS, &[PROOF_OF_ADDRESS]),
        regulation(GB, "local", "individual", PERSON, &[PROOF_OF_ADDRESS]),
        regulation(DE, "local", "business", DE_BUSINESS, &[DE_REGISTER, PROOF_OF_ADDRESS]),
        regulation(DE, "local", "individual", PERSON, &[DE_IDENTITY, PROOF_OF_ADDRESS]),
        regulation(US, "local", "business", US_BUSINESS, &[PROOF_OF_ADDRESS]),
        regulation(US, "local", "individual", PERSON, &[PROOF_OF_ADDRESS]),
    ]
}
