//! Integration tests of the core: one test binary, one module per area. Tests return
//! `Result` and their assertions say why.

// The whole binary is tests (helpers included): a panic is a failure report here, so the
// workspace's deny of unwrap/expect, meant for what ships, does not apply.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod call_artifacts;
mod call_flow;
mod cli;
mod client_cli;
mod client_prism;
mod client_send;
mod client_sim;
mod client_stub;
mod common;
mod composer;
mod contacts;
mod costs;
mod costs_prism;
mod email_support;
mod fault_bad_input;
mod fault_campaign;
mod fault_crash;
mod fault_duplicates;
mod fault_lost_answer;
mod fault_readonly;
mod fault_slow_clients;
mod fault_store_edges;
mod fault_support;
mod fault_twilio;
mod inbound_auto_reply;
mod inbound_catch_up;
mod inbound_optout;
mod keychain;
mod outbound_edges;
mod prism;
mod prism_tee;
mod reach;
mod reconcile;
mod regulations;
mod sandbox;
mod scheduled;
mod scheduled_prism;
mod secret_leak;
mod segments_oracle;
mod services;
mod signature_vectors;
mod sim_calls;
mod sim_compliance;
mod sim_e2e;
mod sim_rest;
mod sim_schema;
mod sim_support;
mod sim_webhooks;
mod store_migrations;
mod timeline;
mod unmanage;
mod us_registration;
mod us_registration_prism;
mod webhook_media;
mod webhook_routes;
mod webhook_serve;
mod webhook_support;
mod webhook_twiml;
