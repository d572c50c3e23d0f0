//! Integration tests of the core: one test binary, one module per area. Tests return
//! `Result` and their assertions say why.

mod cli;
mod client_cli;
mod client_prism;
mod client_send;
mod client_sim;
mod client_stub;
mod common;
mod fault_bad_input;
mod fault_campaign;
mod fault_crash;
mod fault_duplicates;
mod fault_readonly;
mod fault_slow_clients;
mod fault_store_edges;
mod fault_support;
mod fault_twilio;
mod keychain;
mod prism;
mod reach;
mod sandbox;
mod secret_leak;
mod signature_vectors;
mod sim_calls;
mod sim_compliance;
mod sim_e2e;
mod sim_rest;
mod sim_schema;
mod sim_support;
mod sim_webhooks;
mod store_migrations;
mod webhook_media;
mod webhook_routes;
mod webhook_serve;
mod webhook_support;
mod webhook_twiml;
