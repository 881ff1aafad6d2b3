//! Integration tests: a real server per test, every storage-touching test on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod snapshots;

mod admin;
mod approvals;
mod attendance;
mod attendance_holidays;
mod attendance_leave;
mod authz;
mod chat;
mod chat_attention;
mod chat_replies;
mod chat_search;
mod cluster;
mod directory;
mod files;
mod hardening_data;
mod hardening_files_login;
mod hardening_parsers;
mod hardening_scope;
mod hardening_sessions;
mod identity;
mod metrics;
mod org;
mod platform;
mod schedules;
mod wecom_checkin;
mod wecom_oa;
