//! Which request paths are downloads of the product, and of what: Linux packages (Omnibus),
//! the Helm chart, Docker image pulls and source archives or clones.

/// How the product was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Omnibus,
    HelmChart,
    DockerImage,
    Source,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Self::Omnibus => "omnibus",
            Self::HelmChart => "helm_chart",
            Self::DockerImage => "docker_image",
            Self::Source => "source",
        }
    }
}

/// A product artifact named by a request path; unknown parts are `None`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Artifact<'a> {
    pub method: Method,
    /// `ee` or `ce`.
    pub edition: Option<&'a str>,
    /// Product version `X.Y.Z`; for the Helm chart, `chart-X.Y.Z` (the chart's own version).
    pub version: Option<Version<'a>>,
    /// `distro/release` of a Linux package, e.g. `ubuntu/jammy`, `el/9`.
    pub os: Option<(&'a str, &'a str)>,
    pub arch: Option<&'a str>,
}

/// A version as found in the path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version<'a> {
    Product(&'a str),
    Chart(&'a str),
}

impl std::fmt::Display for Version<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Product(v) => f.write_str(v),
            Self::Chart(v) => write!(f, "chart-{v}"),
        }
    }
}

const ARCHES: [&str; 7] = [
    "amd64", "arm64", "armhf", "i386", "x86_64", "aarch64", "noarch",
];
const REPOS: [&str; 3] = ["gitlab-ee", "gitlab-ce", "raspberry-pi2"];
const ARCHIVES: [&str; 4] = [".tar.gz", ".tar.bz2", ".tar", ".zip"];

/// `X.Y.Z` with each part one or more digits.
fn is_semver(s: &str) -> bool {
    let mut parts = 0;
    for p in s.split('.') {
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
        parts += 1;
    }
    parts == 3
}

fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Classifies a request target (path and query). Metadata, install scripts and everything else
/// that is not a product artifact is `None`.
pub fn classify_path(target: &str) -> Option<Artifact<'_>> {
    let (path, query) = match memchr::memchr(b'?', target.as_bytes()) {
        Some(i) => (&target[..i], &target[i + 1..]),
        None => (target, ""),
    };
    if let Some(rest) = path.strip_prefix("/gitlab/") {
        return omnibus(rest);
    }
    if let Some(rest) = path.strip_prefix("/v2/gitlab/") {
        return docker(rest);
    }
    if path.starts_with("/gitlab-org/") {
        return source(path, query);
    }
    helm(path)
}

/// `/gitlab/{repo}/[packages/]{distro}/[pool/]{release}/…/{package file}[/download.{deb,rpm}]`.
fn omnibus(rest: &str) -> Option<Artifact<'_>> {
    // Most requests under /gitlab/ are repository metadata: reject them by extension first.
    if !(rest.ends_with(".deb") || rest.ends_with(".rpm")) {
        return None;
    }
    let (repo, rest) = rest.split_once('/')?;
    if !REPOS.contains(&repo) {
        return None;
    }
    let rest = rest.strip_prefix("packages/").unwrap_or(rest);
    let (distro, rest) = rest.split_once('/')?;
    let rest = rest.strip_prefix("pool/").unwrap_or(rest);
    let (release, rest) = rest.split_once('/')?;
    if !is_word(distro)
        || release.is_empty()
        || !release
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
    {
        return None;
    }
    // The legacy layout appends `/download.deb` to the package's own path.
    let rest = rest
        .strip_suffix("/download.deb")
        .or_else(|| rest.strip_suffix("/download.rpm"))
        .unwrap_or(rest);
    let file = rest.rsplit('/').next()?;
    let (package, tail) = if let Some(t) = file.strip_prefix("gitlab-ee") {
        ("ee", t)
    } else if let Some(t) = file.strip_prefix("gitlab-ce") {
        ("ce", t)
    } else {
        return None;
    };
    // {_|-}X.Y.Z-{ee|ce}.N[.os]{_|.}ARCH.{deb|rpm}
    let tail = tail.strip_prefix(['_', '-'])?;
    let (stem, ext) = tail.rsplit_once('.')?;
    if ext != "deb" && ext != "rpm" {
        return None;
    }
    let (version, tail) = tail_split(stem, '-')?;
    if !is_semver(version) {
        return None;
    }
    let tail = tail.strip_prefix(package)?.strip_prefix('.')?;
    // Architectures contain `_` (x86_64), so find them by name rather than by separator.
    let arch = ARCHES.iter().copied().find(|a| {
        tail.strip_suffix(a)
            .is_some_and(|t| t.ends_with(['_', '.']))
    })?;
    let release_part = &tail[..tail.len() - arch.len() - 1];
    // N or N.os
    let (build, os_tag) = release_part.split_once('.').unwrap_or((release_part, ""));
    if build.is_empty() || !build.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !os_tag.is_empty() && !is_word(os_tag) {
        return None;
    }
    Some(Artifact {
        method: Method::Omnibus,
        edition: Some(package),
        version: Some(Version::Product(version)),
        os: Some((distro, release)),
        arch: Some(arch),
    })
}

/// Splits at the first `sep`.
fn tail_split(s: &str, sep: char) -> Option<(&str, &str)> {
    s.split_once(sep)
}

/// `/v2/gitlab/{gitlab-ee|gitlab-ce}/manifests/{tag}`: a pull. A manifest fetched by digest is the
/// second request of the same pull (the platform's manifest), so only tags count.
fn docker(rest: &str) -> Option<Artifact<'_>> {
    let (image, rest) = rest.split_once('/')?;
    let edition = match image {
        "gitlab-ee" => "ee",
        "gitlab-ce" => "ce",
        _ => return None,
    };
    let tag = rest.strip_prefix("manifests/")?;
    if tag.is_empty() || tag.contains('/') || tag.contains(':') {
        return None;
    }
    let version = tag
        .split_once('-')
        .map(|(v, _)| v)
        .filter(|v| is_semver(v))
        .map(Version::Product);
    Some(Artifact {
        method: Method::DockerImage,
        edition: Some(edition),
        version,
        os: None,
        arch: None,
    })
}

/// Release archives `/gitlab-org/{gitlab|gitlab-foss}/-/archive/{ref}/{name}.{tar.gz|…}` and
/// clones (`/gitlab-org/{project}.git/info/refs?service=git-upload-pack`).
fn source<'a>(path: &'a str, query: &str) -> Option<Artifact<'a>> {
    let rest = path.strip_prefix("/gitlab-org/")?;
    let edition_of = |project: &str| match project {
        "gitlab" => Some("ee"),
        "gitlab-foss" => Some("ce"),
        _ => None,
    };
    if let Some(project) = rest.strip_suffix(".git/info/refs") {
        let edition = edition_of(project)?;
        let upload_pack = query.split('&').any(|kv| kv == "service=git-upload-pack");
        return upload_pack.then_some(Artifact {
            method: Method::Source,
            edition: Some(edition),
            version: None,
            os: None,
            arch: None,
        });
    }
    let (project, rest) = rest.split_once("/-/archive/")?;
    let edition = edition_of(project)?;
    let (reference, file) = rest.split_once('/')?;
    if file.contains('/') || !ARCHIVES.iter().any(|a| file.ends_with(a)) {
        return None;
    }
    if !file.starts_with(project) {
        return None;
    }
    let version = reference
        .strip_prefix('v')
        .map(|v| v.split_once('-').map_or(v, |(x, _)| x))
        .filter(|v| is_semver(v))
        .map(Version::Product);
    Some(Artifact {
        method: Method::Source,
        edition: Some(edition),
        version,
        os: None,
        arch: None,
    })
}

/// The chart tarball `…/gitlab-X.Y.Z.tgz` (`index.yaml` is metadata).
fn helm(path: &str) -> Option<Artifact<'_>> {
    let file = path.rsplit('/').next()?;
    let version = file.strip_prefix("gitlab-")?.strip_suffix(".tgz")?;
    if !is_semver(version) {
        return None;
    }
    Some(Artifact {
        method: Method::HelmChart,
        edition: None,
        version: Some(Version::Chart(version)),
        os: None,
        arch: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn method(p: &str) -> Option<&'static str> {
        classify_path(p).map(|a| a.method.name())
    }

    #[test]
    fn linux_packages_in_every_layout() {
        let apt = classify_path(
            "/gitlab/gitlab-ee/ubuntu/pool/jammy/main/g/gitlab-ee/gitlab-ee_16.5.1-ee.0_amd64.deb",
        )
        .unwrap();
        assert_eq!(
            (apt.edition, apt.os, apt.arch),
            (Some("ee"), Some(("ubuntu", "jammy")), Some("amd64"))
        );
        assert_eq!(apt.version, Some(Version::Product("16.5.1")));
        let yum = classify_path(
            "/gitlab/gitlab-ee/el/9/x86_64/Packages/g/gitlab-ee-16.5.1-ee.0.el9.x86_64.rpm",
        )
        .unwrap();
        assert_eq!((yum.os, yum.arch), (Some(("el", "9")), Some("x86_64")));
        let legacy = classify_path(
            "/gitlab/gitlab-ce/packages/ubuntu/focal/gitlab-ce_14.0.5-ce.0_arm64.deb/download.deb",
        )
        .unwrap();
        assert_eq!(
            (legacy.edition, legacy.os),
            (Some("ce"), Some(("ubuntu", "focal")))
        );
        let pi = classify_path("/gitlab/raspberry-pi2/debian/pool/bookworm/main/g/gitlab-ce/gitlab-ce_16.5.1-ce.0_armhf.deb").unwrap();
        assert_eq!(pi.arch, Some("armhf"));
    }

    #[test]
    fn metadata_and_scripts_are_not_downloads() {
        for p in [
            "/gitlab/gitlab-ee/el/9/x86_64/repodata/repomd.xml",
            "/gitlab/gitlab-ee/ubuntu/dists/jammy/InRelease",
            "/gitlab/gitlab-ee/ubuntu/dists/jammy/main/binary-amd64/Packages.gz",
            "/install/repositories/gitlab/gitlab-ee/script.deb.sh",
            "/index.yaml",
            "/v2/gitlab/gitlab-ee/blobs/sha256:0a1b",
            "/v2/gitlab/gitlab-ee/manifests/sha256:0a1b2c",
            "/gitlab-org/gitlab-foss.git/info/refs?service=git-receive-pack",
            "/gitlab/gitlab-runner/ubuntu/pool/jammy/main/g/gitlab-runner/gitlab-runner_16.5.0_amd64.deb",
        ] {
            assert_eq!(method(p), None, "{p}");
        }
    }

    #[test]
    fn charts_images_and_sources() {
        assert_eq!(method("/gitlab-7.9.0.tgz"), Some("helm_chart"));
        assert_eq!(
            method("/v2/gitlab/gitlab-ce/manifests/16.5.1-ce.0"),
            Some("docker_image")
        );
        assert_eq!(
            method("/v2/gitlab/gitlab-ee/manifests/latest"),
            Some("docker_image")
        );
        assert_eq!(
            method("/gitlab-org/gitlab-foss/-/archive/v16.5.1/gitlab-foss-v16.5.1.tar.gz"),
            Some("source")
        );
        assert_eq!(
            method("/gitlab-org/gitlab.git/info/refs?service=git-upload-pack"),
            Some("source")
        );
        let archive =
            classify_path("/gitlab-org/gitlab/-/archive/v16.5.1-ee/gitlab-v16.5.1-ee.zip").unwrap();
        assert_eq!(
            (archive.edition, archive.version),
            (Some("ee"), Some(Version::Product("16.5.1")))
        );
    }
}
