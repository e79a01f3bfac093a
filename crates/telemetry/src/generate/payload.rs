//! Service Ping payloads in the shapes real instances send: old and new field sets, nested
//! counters, sender fallbacks (-1), strings where numbers belong, and a tail of large payloads.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// What a payload says about its installation at one ping.
pub struct PayloadFacts<'a> {
    pub uuid: &'a str,
    pub hostname: &'a str,
    pub version: (u32, u32, u32),
    pub edition: &'a str,
    pub installation_type: &'a str,
    pub database_flavor: Option<&'a str>,
    pub users: u32,
    pub recorded_at: &'a str,
    /// Extra counters for the tail of large payloads.
    pub extra_counters: u32,
}

const COUNTS: &[&str] = &[
    "assignee_lists",
    "boards",
    "ci_builds",
    "ci_internal_pipelines",
    "ci_external_pipelines",
    "ci_pipeline_config_auto_devops",
    "ci_pipeline_config_repository",
    "ci_pipeline_schedules",
    "ci_runners",
    "ci_runners_instance_type_active",
    "ci_runners_group_type_active",
    "ci_triggers",
    "clusters",
    "clusters_enabled",
    "deploy_keys",
    "deployments",
    "successful_deployments",
    "failed_deployments",
    "environments",
    "in_review_folder",
    "groups",
    "issues",
    "issues_created_from_gitlab_error_tracking_ui",
    "issues_with_associated_zoom_link",
    "keys",
    "label_lists",
    "lfs_objects",
    "milestone_lists",
    "milestones",
    "notes",
    "pages_domains",
    "personal_snippets",
    "project_snippets",
    "projects",
    "projects_imported_from_github",
    "projects_with_repositories_enabled",
    "projects_with_error_tracking_enabled",
    "protected_branches",
    "releases",
    "remote_mirrors",
    "snippets",
    "suggestions",
    "todos",
    "uploads",
    "web_hooks",
    "merge_requests",
    "epics",
    "feature_flags",
    "packages",
    "container_expiration_policies_enabled",
    "incident_issues",
    "alert_bot_incident_issues",
    "service_desk_issues",
    "terraform_reports",
    "terraform_states",
    "dependency_list_usages_total",
];

const HLL_EXTRA: &[&str] = &[
    "source_code",
    "code_review",
    "search",
    "ci_templates",
    "quickactions",
    "pipeline_authoring",
    "ide_edit",
    "snippets",
    "epics_usage",
    "secure",
    "deploy_token_packages",
    "ecosystem",
];

/// Appends the JSON payload object to `out`.
pub fn write_payload(out: &mut String, rng: &mut ChaCha8Rng, f: &PayloadFacts<'_>) {
    let (major, minor, patch) = f.version;
    let modern = (major, minor) >= (14, 6);
    let old = major < 13;
    out.push('{');
    kv_str(out, "recorded_at", f.recorded_at);
    out.push(',');
    kv_str(out, "uuid", f.uuid);
    out.push(',');
    kv_str(out, "hostname", f.hostname);
    out.push(',');
    let suffix = if f.edition == "CE" { "" } else { "-ee" };
    kv_str(out, "version", &format!("{major}.{minor}.{patch}{suffix}"));
    out.push(',');
    kv_str(out, "installation_type", f.installation_type);
    out.push(',');
    kv_num(out, "active_user_count", u64::from(f.users));
    out.push(',');
    kv_str(out, "edition", f.edition);
    out.push(',');
    kv_str(out, "license_md5", &hex(rng, 32));
    out.push(',');
    if modern {
        kv_str(out, "license_sha256", &hex(rng, 64));
        out.push(',');
    }
    out.push_str(&format!(
        "\"license_id\":{},\"historical_max_users\":{},\"licensee\":{{\"Name\":\"Admin\",\"Email\":\"admin@{}\",\"Company\":\"Example Co\"}},\"license_user_count\":{},\"license_starts_at\":\"2026-01-01\",\"license_expires_at\":\"2027-01-01\",\"license_plan\":\"{}\",\"license_add_ons\":{{}},\"license_trial\":{},",
        rng.gen_range(1000..99999),
        f.users + rng.gen_range(0..50),
        f.hostname,
        f.users + 10,
        if f.edition == "EEU" { "ultimate" } else { "premium" },
        // Old senders wrote booleans as strings.
        if old { "\"false\"" } else { "false" },
    ));
    // counts
    out.push_str("\"counts\":{");
    for (i, name) in COUNTS.iter().take(40).enumerate() {
        if i > 0 {
            out.push(',');
        }
        kv_num(out, name, rng.gen_range(0..u64::from(f.users) * 40 + 10));
    }
    for i in 0..f.extra_counters {
        out.push(',');
        let name = COUNTS[i as usize % COUNTS.len()];
        out.push_str(&format!("\"{name}_{i}\":{}", rng.gen_range(0..100_000)));
    }
    out.push_str("},\"counts_monthly\":{");
    for (i, name) in COUNTS.iter().take(8).enumerate() {
        if i > 0 {
            out.push(',');
        }
        kv_num(out, name, rng.gen_range(0..u64::from(f.users) * 5 + 3));
    }
    out.push_str("},");

    let smau = |rng: &mut ChaCha8Rng| -> String { metric(rng, f.users, old) };
    // usage_activity_by_stage (all time), compact
    out.push_str("\"usage_activity_by_stage\":{\"manage\":{\"events\":");
    out.push_str(&rng.gen_range(0..u64::from(f.users) * 3 + 1).to_string());
    out.push_str("},\"plan\":{\"issues\":");
    out.push_str(&rng.gen_range(0..u64::from(f.users) * 20 + 1).to_string());
    out.push_str("}},");
    // usage_activity_by_stage_monthly
    out.push_str("\"usage_activity_by_stage_monthly\":{");
    out.push_str(&format!(
        "\"manage\":{{\"events\":{},\"groups\":{}}},",
        smau(rng),
        rng.gen_range(0..50)
    ));
    out.push_str(&format!(
        "\"plan\":{{\"issues\":{},\"notes\":{}}},",
        rng.gen_range(0..500),
        rng.gen_range(0..900)
    ));
    out.push_str(&format!(
        "\"create\":{{\"action_monthly_active_users_project_repo\":{},\"merge_requests\":{}}},",
        smau(rng),
        rng.gen_range(0..300)
    ));
    out.push_str(&format!(
        "\"verify\":{{\"ci_pipelines\":{},\"ci_builds\":{}}},",
        smau(rng),
        rng.gen_range(0..9000)
    ));
    out.push_str(&format!(
        "\"release\":{{\"releases\":{},\"deployments\":{}}},",
        smau(rng),
        rng.gen_range(0..400)
    ));
    if old {
        // Old senders had no secure section in the monthly group.
        out.push_str("\"configure\":{\"clusters\":0}");
    } else {
        out.push_str(&format!(
            "\"secure\":{{\"user_unique_users_all_secure_scanners\":{},\"user_sast_jobs\":{}}},\"configure\":{{\"clusters\":{}}}",
            smau(rng),
            rng.gen_range(0..100),
            rng.gen_range(0..3)
        ));
    }
    out.push_str("},");
    // redis_hll_counters
    if !old {
        out.push_str("\"redis_hll_counters\":{");
        out.push_str(&format!(
            "\"analytics\":{{\"analytics_total_unique_counts_weekly\":{},\"analytics_total_unique_counts_monthly\":{}}},",
            rng.gen_range(0..100),
            smau(rng)
        ));
        out.push_str(&format!(
            "\"issues_edit\":{{\"g_project_management_issue_title_changed_monthly\":{},\"issues_edit_total_unique_counts_monthly\":{}}},",
            rng.gen_range(0..100),
            smau(rng)
        ));
        out.push_str(&format!(
            "\"user_packages\":{{\"user_packages_total_unique_counts_monthly\":{}}},",
            smau(rng)
        ));
        out.push_str(&format!(
            "\"terraform\":{{\"p_terraform_state_api_unique_users_monthly\":{}}},",
            smau(rng)
        ));
        out.push_str(&format!(
            "\"incident_management\":{{\"incident_management_total_unique_counts_monthly\":{}}}",
            smau(rng)
        ));
        for cat in HLL_EXTRA.iter().take(4) {
            out.push_str(&format!(",\"{cat}\":{{"));
            for k in 0..2 {
                if k > 0 {
                    out.push(',');
                }
                out.push_str(&format!(
                    "\"i_{cat}_event_{k}_weekly\":{},\"i_{cat}_event_{k}_monthly\":{}",
                    rng.gen_range(0..50),
                    rng.gen_range(0..200)
                ));
            }
            out.push('}');
        }
        out.push_str("},");
    }
    // database
    out.push_str("\"database\":{\"adapter\":\"postgresql\",\"version\":\"");
    out.push_str(if major >= 16 { "14.9" } else { "12.12" });
    out.push_str(&format!(
        "\",\"pg_system_id\":{}",
        rng.gen_range(7_000_000_000_000_000_000u64..7_300_000_000_000_000_000)
    ));
    if modern {
        out.push_str(",\"flavor\":");
        match f.database_flavor {
            Some(fl) => {
                out.push('"');
                out.push_str(fl);
                out.push('"');
            }
            None => out.push_str("null"),
        }
    }
    out.push_str("},");
    // topology
    out.push_str(&format!(
        "\"topology\":{{\"duration_s\":{:.3},\"nodes\":[",
        rng.gen_range(0.01..2.0)
    ));
    let nodes = if f.installation_type.contains("helm") {
        3
    } else {
        1
    };
    for n in 0..nodes {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&format!(
            "{{\"node_cpus\":{},\"node_memory_total_bytes\":{},\"node_uname_info\":{{\"machine\":\"x86_64\",\"sysname\":\"Linux\",\"release\":\"5.15.0-{}-generic\"}},\"node_services\":[{{\"name\":\"web\",\"process_count\":{},\"process_memory_rss\":{}}},{{\"name\":\"sidekiq\",\"process_count\":1,\"process_memory_rss\":{}}},{{\"name\":\"gitaly\",\"process_count\":1,\"process_memory_rss\":{}}}]}}",
            [2, 4, 8, 16][rng.gen_range(0..4)],
            rng.gen_range(4u64..64) << 30,
            rng.gen_range(50..110),
            rng.gen_range(2..16),
            rng.gen_range(100_000_000u64..900_000_000),
            rng.gen_range(100_000_000u64..900_000_000),
            rng.gen_range(100_000_000u64..900_000_000),
        ));
    }
    out.push_str("]},");
    out.push_str(&format!(
        "\"settings\":{{\"ldap_encrypted_secrets_enabled\":{},\"operating_system\":\"ubuntu-22.04\",\"gitaly_apdex\":0.99,\"collected_data_categories\":[\"standard\",\"subscription\",\"operational\",\"optional\"]}},",
        rng.gen_bool(0.2)
    ));
    out.push_str("\"git\":{\"version\":{\"major\":2,\"minor\":42,\"patch\":0}},");
    out.push_str(&format!("\"gitaly\":{{\"version\":\"{major}.{minor}.{patch}\",\"servers\":1,\"clusters\":0,\"filesystems\":[\"EXT_2_3_4\"]}},"));
    out.push_str(
        "\"container_registry_server\":{\"vendor\":\"gitlab\",\"version\":\"3.88.0-gitlab\"},",
    );
    out.push_str("\"object_store\":{\"artifacts\":{\"enabled\":true,\"object_store\":{\"enabled\":true,\"provider\":\"AWS\"}},\"lfs\":{\"enabled\":false}}");
    out.push('}');
}

/// A 28-day unique-user metric as senders write it: mostly a count, sometimes the -1 fallback,
/// a null, or (old senders) a string.
fn metric(rng: &mut ChaCha8Rng, users: u32, old: bool) -> String {
    let roll: u32 = rng.gen_range(0..100);
    let value = (f64::from(users) * rng.gen_range(0.0..0.9)) as u64;
    match roll {
        0..=2 => "-1".to_owned(),
        3 => "null".to_owned(),
        4..=6 => format!("\"{value}\""),
        _ if old && roll < 30 => format!("\"{value}\""),
        _ => value.to_string(),
    }
}

fn kv_str(out: &mut String, k: &str, v: &str) {
    out.push('"');
    out.push_str(k);
    out.push_str("\":\"");
    out.push_str(v);
    out.push('"');
}

fn kv_num(out: &mut String, k: &str, v: u64) {
    out.push('"');
    out.push_str(k);
    out.push_str("\":");
    out.push_str(&v.to_string());
}

pub fn hex(rng: &mut ChaCha8Rng, n: usize) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    (0..n)
        .map(|_| DIGITS[rng.gen_range(0..16)] as char)
        .collect()
}
