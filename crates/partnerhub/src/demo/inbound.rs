//! Demo inbound alliance requests, one in every state, taken through the same operations the
//! pages call: a new one from the form, one claimed, one in discussion with next steps (one of
//! them overdue, one done), one accepted into a prospect partner with its document, one
//! declined with its reason, and one marked as spam.

use partnerhub_app::inbound::{AcceptInput, StepChange};
use partnerhub_app::{App, AppConfig, Caller};
use partnerhub_domain::access::Actor;
use partnerhub_domain::inbound::{InboundInput, StepInput};
use partnerhub_domain::organization::Role;
use partnerhub_store::Store;

/// A vendor user who acts in the demo: id and email.
pub struct Staff {
    pub id: i64,
    pub email: String,
}

fn as_user(staff: &Staff, role: Role, vendor_id: i64) -> Caller {
    Caller::User {
        actor: Actor {
            user_id: staff.id,
            role,
            org_id: vendor_id,
        },
        email: staff.email.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
fn input(
    company: &str,
    website: &str,
    contact: (&str, &str),
    interest: &str,
    integration: &str,
    benefits: &str,
    relationship: &str,
    document: Option<&str>,
    via: Option<&str>,
) -> InboundInput {
    InboundInput {
        company: company.into(),
        website: Some(website.into()),
        contact_name: contact.0.into(),
        contact_email: contact.1.into(),
        interest: interest.into(),
        integration: integration.into(),
        benefits: benefits.into(),
        relationship: relationship.into(),
        document_url: document.map(str::to_string),
        received_via: via.map(str::to_string),
    }
}

/// `YYYY-MM-DD`, `days` from today.
fn day(days: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() + time::Duration::days(days);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Seeds the requests; `lead` and `colleague` are alliances members, `admin` an admin.
pub async fn seed(
    store: &Store,
    vendor_id: i64,
    vendor: &str,
    lead: &Staff,
    colleague: &Staff,
) -> anyhow::Result<()> {
    let app = App::new(
        store.clone(),
        AppConfig {
            vendor_name: vendor.to_string(),
            ..Default::default()
        },
    );
    let alex = as_user(lead, Role::Alliances, vendor_id);
    let sam = as_user(colleague, Role::Alliances, vendor_id);
    let e = |e: partnerhub_app::AppError| anyhow::anyhow!("demo inbound requests: {e}");

    // New, from the public form: nobody leads it yet.
    app.submit_inbound(
        "192.0.2.10",
        &input(
            "Tanuki Observability",
            "https://tanuki-observability.example",
            ("Mia Chen", "mia@tanuki-observability.example"),
            "technology",
            "Traces of CI pipelines, shown beside each job's log",
            "Teams find slow pipeline stages without leaving the merge request",
            "A listed integration, then a joint blog post",
            Some(&format!("https://docs.google.com/document/d/1TanukiObs/edit?title=Tanuki+Observability+and+{vendor}")),
            None,
        ),
        None,
    )
    .await
    .map_err(e)?;

    // Claimed at an event.
    let claimed = app
        .log_inbound(
            &alex,
            &input(
                "Northwind Consulting",
                "https://northwind-consulting.example",
                ("Omar Haddad", "omar@northwind-consulting.example"),
                "services",
                "Migrations from other CI systems, for regulated customers",
                "Customers move with a certified partner at their side",
                "Services partner, with a referral agreement",
                None,
                Some("event"),
            ),
        )
        .await
        .map_err(e)?;
    app.claim_inbound(&alex, claimed.id).await.map_err(e)?;

    // In discussion, with next steps: one overdue, one done.
    let talking = app
        .log_inbound(
            &sam,
            &input(
                "Pipeline Labs",
                "https://pipelinelabs.example",
                ("Ada Lovelace", "ada@pipelinelabs.example"),
                "technology",
                "A merge request widget with security findings from their scanner",
                "Reviews see findings where they review, in half the time",
                "A technology partnership and a listing in the partner directory",
                Some(&format!("https://docs.google.com/document/d/1PipelineLabs/edit?title=Pipeline+Labs+and+{vendor}")),
                Some("colleague"),
            ),
        )
        .await
        .map_err(e)?;
    app.claim_inbound(&alex, talking.id).await.map_err(e)?;
    let steps = [
        (
            "Send the partner program overview",
            Some(colleague.id),
            day(-3),
        ),
        ("Technical call with their CTO", Some(lead.id), day(7)),
        ("Intro call", Some(lead.id), day(-10)),
    ];
    for (text, owner, due) in &steps {
        app.add_inbound_step(
            &alex,
            talking.id,
            &StepInput {
                text: text.to_string(),
                owner_id: *owner,
                due_on: Some(due.clone()),
            },
        )
        .await
        .map_err(e)?;
    }
    let r = app.inbound_request(&alex, talking.id).await.map_err(e)?;
    if let Some(done) = r.steps.iter().find(|s| s.text == "Intro call") {
        app.update_inbound_step(
            &alex,
            talking.id,
            done.id,
            &StepChange {
                done: Some(true),
                ..Default::default()
            },
        )
        .await
        .map_err(e)?;
    }

    // Accepted: a prospect partner with the request's document.
    let accepted = app
        .log_inbound(
            &alex,
            &input(
                "Helmsman Deploy",
                "https://helmsman-deploy.example",
                ("Lena Vogel", "lena@helmsman-deploy.example"),
                "technology",
                "Deployments to Kubernetes from the environment page",
                "One click from a merged change to a running release",
                "An integrated partner, later a joint webinar",
                Some("https://docs.google.com/document/d/1HelmsmanDeploy/edit"),
                Some("email"),
            ),
        )
        .await
        .map_err(e)?;
    app.claim_inbound(&alex, accepted.id).await.map_err(e)?;
    app.accept_inbound(
        &alex,
        accepted.id,
        &AcceptInput {
            family: Some("technology".into()),
            category: "integrated".into(),
            integration_direction: Some("inbound".into()),
            track: Some("open".into()),
        },
    )
    .await
    .map_err(e)?;

    // Declined, with the reason.
    let declined = app
        .log_inbound(
            &sam,
            &input(
                "Quickbuck Resellers",
                "https://quickbuck.example",
                ("Bob Stone", "bob@quickbuck.example"),
                "reseller",
                "None",
                "Lower prices",
                "Resale at a deep discount",
                None,
                Some("email"),
            ),
        )
        .await
        .map_err(e)?;
    app.claim_inbound(&sam, declined.id).await.map_err(e)?;
    app.decline_inbound(
        &sam,
        declined.id,
        "We work with resellers through our distribution partners in this region.",
        false,
    )
    .await
    .map_err(e)?;

    // Spam.
    let spam = app
        .submit_inbound(
            "198.51.100.7",
            &input(
                "Cheap Backlinks 4U",
                "https://backlinks.example",
                ("Seo Expert", "seo@backlinks.example"),
                "unsure",
                "Guaranteed first page ranking",
                "Traffic",
                "Link exchange",
                None,
                None,
            ),
            None,
        )
        .await
        .map_err(e)?;
    app.spam_inbound(&alex, spam.id).await.map_err(e)?;
    Ok(())
}
