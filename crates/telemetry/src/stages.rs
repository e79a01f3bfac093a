//! SMAU stages and the payload metrics that measure each one, as configuration: the defaults are
//! the data team's mapping, and an operator may supply another in TOML.

use serde::Deserialize;

/// A DevOps stage and the 28-day unique-user metrics (dotted payload paths) that measure it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stage {
    pub name: String,
    pub metrics: Vec<String>,
}

/// The stage → metric-path mapping; the stage's SMAU is the highest of its metrics.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageMap {
    #[serde(rename = "stage")]
    pub stages: Vec<Stage>,
}

/// A stage mapping that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StageMapError {
    #[error("stage mapping: {0}")]
    Syntax(String),
    #[error("stage mapping: {0}")]
    Invalid(String),
}

const DEFAULT: &[(&str, &[&str])] = &[
    (
        "manage",
        &[
            "usage_activity_by_stage_monthly.manage.events",
            "redis_hll_counters.analytics.analytics_total_unique_counts_monthly",
        ],
    ),
    (
        "plan",
        &["redis_hll_counters.issues_edit.issues_edit_total_unique_counts_monthly"],
    ),
    (
        "create",
        &["usage_activity_by_stage_monthly.create.action_monthly_active_users_project_repo"],
    ),
    ("verify", &["usage_activity_by_stage_monthly.verify.ci_pipelines"]),
    (
        "package",
        &["redis_hll_counters.user_packages.user_packages_total_unique_counts_monthly"],
    ),
    ("release", &["usage_activity_by_stage_monthly.release.releases"]),
    (
        "configure",
        &["redis_hll_counters.terraform.p_terraform_state_api_unique_users_monthly"],
    ),
    (
        "monitor",
        &["redis_hll_counters.incident_management.incident_management_total_unique_counts_monthly"],
    ),
    (
        "secure",
        &["usage_activity_by_stage_monthly.secure.user_unique_users_all_secure_scanners"],
    ),
];

impl Default for StageMap {
    fn default() -> Self {
        Self {
            stages: DEFAULT
                .iter()
                .map(|(name, metrics)| Stage {
                    name: (*name).to_owned(),
                    metrics: metrics.iter().map(|m| (*m).to_owned()).collect(),
                })
                .collect(),
        }
    }
}

impl StageMap {
    /// Parses `[[stage]] name = "plan" metrics = ["a.b.c"]` entries, in report order.
    pub fn parse_toml(text: &str) -> Result<Self, StageMapError> {
        let map: Self = toml::from_str(text).map_err(|e| StageMapError::Syntax(e.to_string()))?;
        map.validate()?;
        Ok(map)
    }

    fn validate(&self) -> Result<(), StageMapError> {
        let mut seen = std::collections::HashSet::new();
        for s in &self.stages {
            let ok = !s.name.is_empty()
                && s.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !ok {
                return Err(StageMapError::Invalid(format!(
                    "stage name {:?} must be lower-case letters, digits and _",
                    s.name
                )));
            }
            if s.name == "total" || !seen.insert(s.name.as_str()) {
                return Err(StageMapError::Invalid(format!(
                    "stage {:?} is reserved or repeated",
                    s.name
                )));
            }
            if s.metrics.is_empty() {
                return Err(StageMapError::Invalid(format!(
                    "stage {:?} has no metrics",
                    s.name
                )));
            }
            for m in &s.metrics {
                if m.split('.').any(str::is_empty) {
                    return Err(StageMapError::Invalid(format!(
                        "metric path {m:?} of stage {:?} has an empty part",
                        s.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// Column names of the report: `smau_<stage>` in mapping order.
    pub fn columns(&self) -> impl Iterator<Item = String> + '_ {
        self.stages.iter().map(|s| format!("smau_{}", s.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_mapping_has_the_nine_stages() {
        let names: Vec<_> = StageMap::default()
            .stages
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(
            names,
            [
                "manage",
                "plan",
                "create",
                "verify",
                "package",
                "release",
                "configure",
                "monitor",
                "secure"
            ]
        );
    }

    #[test]
    fn a_mapping_is_read_from_toml_in_order() {
        let map = StageMap::parse_toml(
            "[[stage]]\nname = \"plan\"\nmetrics = [\"a.b\"]\n[[stage]]\nname = \"create\"\nmetrics = [\"c\", \"d.e\"]\n",
        )
        .unwrap();
        assert_eq!(
            map.columns().collect::<Vec<_>>(),
            ["smau_plan", "smau_create"]
        );
        assert!(StageMap::parse_toml("[[stage]]\nname = \"Plan!\"\nmetrics = [\"a\"]\n").is_err());
        assert!(
            StageMap::parse_toml("[[stage]]\nname = \"plan\"\nmetrics = [\"a..b\"]\n").is_err()
        );
    }
}
