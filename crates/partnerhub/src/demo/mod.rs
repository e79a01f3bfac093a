//! The demo program: partners the handbook names, customers, users of every role, documents and
//! inbound requests in every state, so a newcomer sees Partnerhub working at once. The same data
//! on every run (next steps fall due counting from the day of the run).

mod inbound;

use anyhow::Context;
use partnerhub_domain::documents::{DocumentInput, SharedDocument};
use partnerhub_domain::organization::{EmailAddress, OrgKind, OrgName, Role};
use partnerhub_domain::partner::{ContactInput, PartnerDraft, PartnerInput, ScoreInput};
use partnerhub_domain::scorecard::Criterion;
use partnerhub_store::{NewOrganization, NewUser, Store, Who};

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "partnerhub-demo";

/// A demo partner: (name, category, integration direction, domain, track, status).
type DemoPartner = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    &'static str,
    &'static str,
);

const PARTNERS: &[DemoPartner] = &[
    (
        "AWS",
        "platform_cloud",
        None,
        "amazon.com",
        "select",
        "active",
    ),
    (
        "Google Cloud",
        "platform_cloud",
        None,
        "google.com",
        "select",
        "active",
    ),
    (
        "Microsoft Azure",
        "platform_cloud",
        None,
        "microsoft.com",
        "select",
        "active",
    ),
    (
        "DigitalOcean",
        "platform_cloud",
        None,
        "digitalocean.com",
        "select",
        "active",
    ),
    (
        "IBM Cloud",
        "platform_cloud",
        None,
        "ibm.com",
        "select",
        "active",
    ),
    (
        "Red Hat",
        "platform_kubernetes",
        None,
        "redhat.com",
        "select",
        "active",
    ),
    (
        "Rancher",
        "platform_kubernetes",
        None,
        "rancher.com",
        "select",
        "active",
    ),
    (
        "VMware",
        "platform_kubernetes",
        None,
        "vmware.com",
        "select",
        "active",
    ),
    (
        "Mesosphere",
        "platform_kubernetes",
        None,
        "mesosphere.com",
        "open",
        "inactive",
    ),
    (
        "Cisco",
        "platform_kubernetes",
        None,
        "cisco.com",
        "open",
        "prospect",
    ),
    (
        "NetApp",
        "platform_kubernetes",
        None,
        "netapp.com",
        "open",
        "prospect",
    ),
    (
        "GitHub",
        "integrated",
        Some("outbound"),
        "github.com",
        "open",
        "active",
    ),
    (
        "Bitbucket",
        "integrated",
        Some("outbound"),
        "bitbucket.org",
        "open",
        "active",
    ),
    (
        "Jira",
        "integrated",
        Some("outbound"),
        "atlassian.com",
        "open",
        "active",
    ),
    (
        "Jenkins",
        "integrated",
        Some("outbound"),
        "jenkins.io",
        "open",
        "active",
    ),
    (
        "Codeship",
        "integrated",
        Some("inbound"),
        "codeship.com",
        "open",
        "active",
    ),
    (
        "Shippable",
        "integrated",
        Some("inbound"),
        "shippable.com",
        "open",
        "inactive",
    ),
    (
        "TeamCity",
        "integrated",
        Some("inbound"),
        "jetbrains-teamcity.example",
        "open",
        "prospect",
    ),
    ("Sysdig", "sell_to", None, "sysdig.com", "open", "active"),
    (
        "Datadog",
        "sell_to",
        None,
        "datadoghq.com",
        "open",
        "prospect",
    ),
    (
        "JetBrains",
        "upstream",
        None,
        "jetbrains.com",
        "open",
        "active",
    ),
    (
        "Visual Studio",
        "upstream",
        None,
        "visualstudio.com",
        "open",
        "active",
    ),
    ("Eclipse", "upstream", None, "eclipse.org", "open", "active"),
    ("Slack", "upstream", None, "slack.com", "open", "active"),
    (
        "Cloudability",
        "upstream",
        None,
        "cloudability.com",
        "open",
        "prospect",
    ),
    (
        "Accenture",
        "global_si",
        None,
        "accenture.com",
        "select",
        "active",
    ),
    (
        "Deloitte",
        "global_si",
        None,
        "deloitte.com",
        "select",
        "active",
    ),
    ("TCS", "global_si", None, "tcs.com", "open", "active"),
    ("Wipro", "global_si", None, "wipro.com", "open", "prospect"),
    ("CI&T", "regional_si", None, "ciandt.com", "open", "active"),
    (
        "Slalom",
        "regional_si",
        None,
        "slalom.com",
        "open",
        "active",
    ),
    (
        "CloudReach",
        "boutique_si",
        None,
        "cloudreach.com",
        "select",
        "active",
    ),
    ("Flux7", "boutique_si", None, "flux7.com", "open", "active"),
    (
        "Rackspace",
        "msp",
        None,
        "rackspace.com",
        "select",
        "active",
    ),
    (
        "Northwind Value Partners",
        "var_vad",
        None,
        "northwind-vp.example",
        "select",
        "active",
    ),
    (
        "Contoso Distribution",
        "var_vad",
        None,
        "contoso-dist.example",
        "open",
        "active",
    ),
    (
        "Fabrikam Direct",
        "dmr",
        None,
        "fabrikam-direct.example",
        "open",
        "active",
    ),
    (
        "Tailspin Software Supply",
        "dmr",
        None,
        "tailspin-supply.example",
        "open",
        "prospect",
    ),
    (
        "DevOps Academy",
        "training",
        None,
        "devops-academy.example",
        "open",
        "active",
    ),
    (
        "Pipeline Training Co",
        "training",
        None,
        "pipeline-training.example",
        "open",
        "inactive",
    ),
];

const CUSTOMERS: &[(&str, &str)] = &[
    ("Acme Corporation", "acme.example"),
    ("Globex", "globex.example"),
    ("Initech", "initech.example"),
    ("Umbrella Health", "umbrella-health.example"),
];

/// An account the demo prints.
pub struct DemoAccount {
    pub email: String,
    pub role: Role,
    pub org: String,
}

/// Fills an empty database with the demo program; returns the accounts to print.
pub async fn seed(store: &Store, vendor_id: i64, vendor: &str) -> anyhow::Result<Vec<DemoAccount>> {
    let who = Who::system("demo");
    let hash = partnerhub_app::passwords::hash_blocking(DEMO_PASSWORD)
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    let vendor_domain = format!(
        "{}.com",
        vendor
            .to_lowercase()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
    );
    let mut accounts = Vec::new();
    let mut add_user = |email: String, name: &str, role: Role, org_id: i64, org: &str| {
        accounts.push(DemoAccount {
            email: email.clone(),
            role,
            org: org.to_string(),
        });
        (email, name.to_string(), role, org_id)
    };
    let staff = vec![
        add_user(
            format!("admin@{vendor_domain}"),
            "Ada Admin",
            Role::Admin,
            vendor_id,
            vendor,
        ),
        add_user(
            format!("alliances@{vendor_domain}"),
            "Alex Alliances",
            Role::Alliances,
            vendor_id,
            vendor,
        ),
        add_user(
            format!("alliances2@{vendor_domain}"),
            "Sam Partnerships",
            Role::Alliances,
            vendor_id,
            vendor,
        ),
        add_user(
            format!("support@{vendor_domain}"),
            "Sasha Support",
            Role::Support,
            vendor_id,
            vendor,
        ),
        add_user(
            format!("finance@{vendor_domain}"),
            "Fran Finance",
            Role::Finance,
            vendor_id,
            vendor,
        ),
    ];
    let mut manager_ids = Vec::new();
    let mut alliances = Vec::new();
    for (email, name, role, org_id) in staff {
        let u = create_user(store, &who, &email, &name, role, org_id, &hash).await?;
        if role == Role::Alliances {
            manager_ids.push(u);
            alliances.push(inbound::Staff { id: u, email });
        }
    }

    let mut partner_ids = Vec::new();
    for (i, (name, category, direction, domain, track, status)) in PARTNERS.iter().enumerate() {
        let input = PartnerInput {
            name: Some((*name).to_string()),
            domains: Some(vec![(*domain).to_string()]),
            category: Some((*category).to_string()),
            integration_direction: direction.map(str::to_string),
            track: Some((*track).to_string()),
            status: Some((*status).to_string()),
            partner_manager_id: Some(manager_ids.get(i % manager_ids.len().max(1)).copied()),
            website: Some(format!("https://www.{domain}/")),
            description: Some(format!("{name}: demo partner profile.")),
            contacts: Some(vec![ContactInput {
                name: format!("{name} Partner Lead"),
                email: format!("partners@{domain}"),
                title: Some("Alliance manager".to_string()),
                phone: None,
            }]),
            scorecard: Some(
                Criterion::ALL
                    .iter()
                    .enumerate()
                    .map(|(c, crit)| ScoreInput {
                        criterion: crit.code().to_string(),
                        score: demo_score(category, i, c),
                        note: (c == 0).then(|| "Assessed at the quarterly review".to_string()),
                    })
                    .collect(),
            ),
            ..Default::default()
        };
        let draft =
            PartnerDraft::parse(&input).map_err(|e| anyhow::anyhow!("demo partner {name}: {e}"))?;
        let p = store
            .create_partner(&who, &draft)
            .await
            .with_context(|| format!("demo partner {name}"))?;
        partner_ids.push((p.id, *name, *domain));
    }

    // Documents: most follow the handbook's conventions; a few do not, to show the warnings.
    for (i, (id, name, _)) in partner_ids.iter().enumerate().take(12) {
        let good_title = format!("{name} and {vendor}");
        let docs = [
            (
                good_title.clone(),
                "partner_shared",
                "anyone_with_link",
                name.to_string(),
            ),
            (
                format!("{good_title} - account plan"),
                "internal",
                "vendor_only",
                name.to_string(),
            ),
        ];
        for (title, audience, sharing, folder) in docs {
            add_document(store, &who, *id, &title, audience, sharing, &folder, i).await?;
        }
        if i % 4 == 1 {
            add_document(
                store,
                &who,
                *id,
                "Joint roadmap notes",
                "partner_shared",
                "vendor_only",
                "Shared drive",
                i + 100,
            )
            .await?;
        }
    }

    // A partner user for some partners, with a domain they sign in from.
    for (id, name, domain) in partner_ids
        .iter()
        .filter(|(_, n, _)| ["Rackspace", "AWS", "Accenture", "CloudReach"].contains(n))
    {
        let email = format!("partner@{domain}");
        create_user(
            store,
            &who,
            &email,
            &format!("{name} Partner User"),
            Role::Partner,
            *id,
            &hash,
        )
        .await?;
        accounts.push(DemoAccount {
            email,
            role: Role::Partner,
            org: name.to_string(),
        });
    }

    for (name, domain) in CUSTOMERS {
        let org = NewOrganization {
            kind: OrgKind::Customer,
            name: OrgName::parse("name", name).map_err(|e| anyhow::anyhow!(e.message))?,
            domains: vec![
                partnerhub_domain::organization::EmailDomain::parse("domain", domain)
                    .map_err(|e| anyhow::anyhow!(e.message))?,
            ],
        };
        let o = store
            .create_organization(&who, &org)
            .await
            .with_context(|| format!("demo customer {name}"))?;
        for (local, person) in [("it", "IT Lead"), ("dev", "Developer")] {
            let email = format!("{local}@{domain}");
            create_user(
                store,
                &who,
                &email,
                &format!("{name} {person}"),
                Role::Customer,
                o.id,
                &hash,
            )
            .await?;
            if local == "it" {
                accounts.push(DemoAccount {
                    email,
                    role: Role::Customer,
                    org: name.to_string(),
                });
            }
        }
    }
    if let [lead, colleague, ..] = alliances.as_slice() {
        inbound::seed(store, vendor_id, vendor, lead, colleague).await?;
    }
    Ok(accounts)
}

/// A plausible score: platform partners rate high, the long tail lower, with some spread.
fn demo_score(category: &str, partner: usize, criterion: usize) -> i64 {
    let base = match category {
        "platform_cloud" | "platform_kubernetes" => 3,
        "integrated" | "global_si" | "msp" => 2,
        _ => 1,
    };
    let spread = ((partner * 31 + criterion * 17 + partner * criterion * 7) % 5) as i64;
    (base + spread - 1).clamp(0, 5)
}

async fn create_user(
    store: &Store,
    who: &Who,
    email: &str,
    name: &str,
    role: Role,
    org_id: i64,
    hash: &str,
) -> anyhow::Result<i64> {
    let new = NewUser {
        email: EmailAddress::parse("email", email).map_err(|e| anyhow::anyhow!(e.message))?,
        name: name.to_string(),
        role,
        org_id,
        password_hash: Some(hash.to_string()),
    };
    Ok(store
        .create_user(who, &new)
        .await
        .with_context(|| format!("demo user {email}"))?
        .id)
}

#[allow(clippy::too_many_arguments)]
async fn add_document(
    store: &Store,
    who: &Who,
    partner_id: i64,
    title: &str,
    audience: &str,
    sharing: &str,
    folder: &str,
    n: usize,
) -> anyhow::Result<()> {
    let url = format!(
        "https://docs.example.com/document/d/{:012x}/edit",
        (partner_id as usize * 7919 + n) as u64
    );
    let doc = SharedDocument::parse(&DocumentInput {
        title,
        url: &url,
        audience,
        sharing,
        folder,
    })
    .map_err(|e| anyhow::anyhow!("demo document {title}: {e}"))?;
    store.add_document(who, partner_id, &doc).await?;
    Ok(())
}
