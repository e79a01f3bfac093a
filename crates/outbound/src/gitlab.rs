//! GitLab issues: `POST {url}/api/v4/projects/{id}/issues` with `PRIVATE-TOKEN`, optionally
//! with the description taken from one of the project's issue templates
//! (`GET …/templates/issues/{name}`) and the details appended.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::chat::without_url;
use crate::guard::OutboundPolicy;
use crate::Failure;

/// The GitLab instance issues are created in.
#[derive(Debug, Clone)]
pub struct GitLabConfig {
    /// `https://gitlab.com`.
    pub url: String,
    pub token: SecretString,
}

/// An issue GitLab created.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct Issue {
    pub id: i64,
    pub iid: i64,
    pub web_url: String,
}

#[derive(Deserialize)]
struct Template {
    content: String,
}

/// A project id (`42`) or path (`group/project`) as the API's path segment.
fn project_segment(project: &str) -> String {
    url::form_urlencoded::byte_serialize(project.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

async fn fail(res: reqwest::Response) -> Failure {
    let status = res.status();
    let retry_after = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = res.text().await.unwrap_or_default();
    Failure::from_status(status, retry_after.as_deref(), &text)
}

/// Creates an issue; with `template`, its content comes first in the description.
pub async fn create_issue(
    policy: &OutboundPolicy,
    gitlab: &GitLabConfig,
    project: &str,
    title: &str,
    description: &str,
    labels: &[String],
    template: Option<&str>,
) -> Result<Issue, Failure> {
    let base = gitlab.url.trim_end_matches('/');
    let api = format!("{base}/api/v4/projects/{}", project_segment(project));
    policy
        .check_url(&api)
        .map_err(|e| Failure::permanent(format!("the GitLab URL is refused: {e}")))?;
    let client = policy
        .client()
        .map_err(|e| Failure::transient(e.to_string()))?;
    let token = gitlab.token.expose_secret();
    let mut body = description.to_string();
    if let Some(name) = template {
        let res = client
            .get(format!("{api}/templates/issues/{}", project_segment(name)))
            .header("PRIVATE-TOKEN", token)
            .send()
            .await
            .map_err(|e| gitlab_failure(&e))?;
        if !res.status().is_success() {
            return Err(fail(res).await);
        }
        let t: Template = res
            .json()
            .await
            .map_err(|e| Failure::transient(format!("GitLab's template reply: {e}")))?;
        body = format!("{}\n\n{description}", t.content.trim_end());
    }
    let res = client
        .post(format!("{api}/issues"))
        .header("PRIVATE-TOKEN", token)
        .form(&[
            ("title", title),
            ("description", body.as_str()),
            ("labels", labels.join(",").as_str()),
        ])
        .send()
        .await
        .map_err(|e| gitlab_failure(&e))?;
    if !res.status().is_success() {
        return Err(fail(res).await);
    }
    res.json::<Issue>()
        .await
        .map_err(|e| Failure::transient(format!("GitLab's issue reply: {e}")))
}

/// A failed request to GitLab: the guard's refusal is final; anything else is tried again.
fn gitlab_failure(e: &reqwest::Error) -> Failure {
    match crate::guard::refusal(e) {
        Some(r) => Failure::permanent(format!("the GitLab URL is refused: {r}")),
        None => Failure::transient(format!("GitLab did not answer: {}", without_url(e))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_path_is_one_encoded_segment() {
        assert_eq!(project_segment("42"), "42");
        assert_eq!(project_segment("alliances/mdf"), "alliances%2Fmdf");
    }
}
