//! Webhook subscriptions (admins): where events go, with a signing secret shown once; the fan
//! out of an event to every active subscription that wants it, as deliveries in the change's
//! transaction; a test event; and the outbox's administration (retry, discard).

use partnerhub_domain::access::Action;
use partnerhub_domain::notify::Event;
use partnerhub_domain::{text, FieldError, FieldErrors};
use partnerhub_outbound::Message;
use partnerhub_store::{JobFilter, JobRecord, NewJob, NewWebhook, WebhookRecord};
use secrecy::SecretString;

use crate::error::AppError;
use crate::outbox::{delivery, Subject};
use crate::secrets::{hint, new_secret, Sealer};
use crate::{App, Caller};

/// A subscription as an admin describes it.
#[derive(Debug, Clone, Default)]
pub struct WebhookInput {
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
}

/// A subscription just created, with its signing secret (shown this once).
pub struct CreatedWebhook {
    pub record: WebhookRecord,
    pub secret: String,
}

impl App {
    fn sealer(&self) -> Result<&Sealer, AppError> {
        self.config()
            .sealer
            .as_ref()
            .ok_or_else(|| AppError::Internal("no key to seal secrets with is loaded".into()))
    }

    /// Creates a subscription: a name, an http(s) URL the outbound guard accepts (resolved
    /// now), and at least one event.
    pub async fn create_webhook(
        &self,
        caller: &Caller,
        input: &WebhookInput,
    ) -> Result<CreatedWebhook, AppError> {
        caller.authorize(Action::ManageWebhooks, None)?;
        let mut errs = FieldErrors::default();
        let name = errs.take(text::identifier("name", &input.name, 200));
        if input.events.is_empty() {
            errs.push(FieldError::required("events"));
        }
        let events: Vec<String> = input
            .events
            .iter()
            .enumerate()
            .filter_map(|(i, e)| errs.take(Event::parse(&format!("events[{i}]"), e)))
            .map(|e| e.code().to_string())
            .collect();
        let url = match self.config().outbox.policy.vet_url(&input.url).await {
            Ok(url) => Some(url),
            Err(refused) => {
                errs.push(FieldError::new("url", "invalid", format!("url: {refused}")));
                None
            }
        };
        let (Some(name), Some(url)) = (name, url) else {
            return Err(errs.into());
        };
        if !errs.is_empty() {
            return Err(errs.into());
        }
        let sealer = self.sealer()?;
        let secret = format!("whsec_{}", new_secret());
        let new = NewWebhook {
            name,
            url_sealed: sealer.seal(url.as_str()),
            url_hint: hint(url.as_str()),
            secret_sealed: sealer.seal(&secret),
            events,
        };
        let record = self.store().create_webhook(&caller.who(), &new).await?;
        Ok(CreatedWebhook { record, secret })
    }

    /// Every subscription.
    pub async fn webhooks(&self, caller: &Caller) -> Result<Vec<WebhookRecord>, AppError> {
        caller.authorize(Action::ManageWebhooks, None)?;
        Ok(self.store().webhooks().await?)
    }

    /// One subscription.
    pub async fn webhook(&self, caller: &Caller, id: i64) -> Result<WebhookRecord, AppError> {
        caller.authorize(Action::ManageWebhooks, None)?;
        Ok(self.store().webhook(id).await?)
    }

    /// Removes a subscription.
    pub async fn delete_webhook(&self, caller: &Caller, id: i64) -> Result<(), AppError> {
        caller.authorize(Action::ManageWebhooks, None)?;
        Ok(self.store().delete_webhook(&caller.who(), id).await?)
    }

    /// Sends a `webhook.test` event to one subscription; returns the delivery.
    pub async fn test_webhook(&self, caller: &Caller, id: i64) -> Result<JobRecord, AppError> {
        caller.authorize(Action::ManageWebhooks, None)?;
        let w = self.store().webhook(id).await?;
        let now = self.now_ms();
        let message = Message::Webhook {
            subscription_id: w.id,
            event: Event::WebhookTest.code().into(),
            data: serde_json::json!({"webhook": {"id": w.id, "name": w.name}, "sent_by": caller.who().label}),
        };
        let job = delivery(&message, &webhook_subject(w.id), now);
        let job_id = self
            .store()
            .enqueue(&job, now)
            .await?
            .ok_or_else(|| AppError::Internal("the test delivery was not enqueued".into()))?;
        Ok(self.store().job(job_id).await?)
    }

    /// How many deliveries wait, by state (`pending`, `failed`, `running`, `dead`): the
    /// outbox's depth, for the metrics (which anyone may read: counts, no content).
    pub async fn outbox_depth(&self) -> Result<Vec<(String, i64)>, AppError> {
        Ok(self.store().outbox_depth().await?)
    }

    /// Every channel's deliveries by state, for the metrics: `(channel, state, count)`.
    pub async fn deliveries_by_channel(&self) -> Result<Vec<(String, String, i64)>, AppError> {
        Ok(self.store().deliveries_by_channel().await?)
    }

    /// The deliveries of one subscription, newest first.
    pub async fn webhook_deliveries(
        &self,
        caller: &Caller,
        id: i64,
    ) -> Result<Vec<JobRecord>, AppError> {
        caller.authorize(Action::ManageWebhooks, None)?;
        self.store().webhook(id).await?;
        let mut found = self
            .store()
            .jobs(&JobFilter {
                deliveries: true,
                webhook_id: Some(id),
                limit: 100,
                ..Default::default()
            })
            .await?;
        // The store matches the message's beginning; the message itself decides.
        found.retain(|j| webhook_of(j) == Some(id));
        Ok(found)
    }

    /// The URL and signing secret of an active subscription, opened, for its delivery now.
    pub async fn webhook_target(
        &self,
        id: i64,
    ) -> Result<Option<(SecretString, SecretString)>, AppError> {
        let w = match self.store().webhook(id).await {
            Ok(w) if w.active => w,
            Ok(_) | Err(partnerhub_store::StoreError::NotFound) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let sealer = self.sealer()?;
        let url = sealer.open(&w.url_sealed).map_err(AppError::Internal)?;
        let secret = sealer.open(&w.secret_sealed).map_err(AppError::Internal)?;
        Ok(Some((url, secret)))
    }

    /// The active subscriptions that want `event`.
    pub async fn subscribers(&self, event: Event) -> Result<Vec<i64>, AppError> {
        Ok(self
            .store()
            .webhooks()
            .await?
            .into_iter()
            .filter(|w| w.active && w.events.iter().any(|e| e == event.code()))
            .map(|w| w.id)
            .collect())
    }

    /// Deliveries of `event` to every active subscription that wants it, to write in the
    /// transaction of the change the event reports.
    pub async fn webhook_fan_out(
        &self,
        event: Event,
        subject: &Subject,
        data: &serde_json::Value,
    ) -> Result<Vec<NewJob>, AppError> {
        let ids = self.subscribers(event).await?;
        Ok(fan_out(&ids, event, subject, data, self.now_ms()))
    }

    /// Deliveries in the outbox, newest first (`state`: pending, failed, dead, done, …).
    pub async fn outbox(
        &self,
        caller: &Caller,
        state: Option<&str>,
        limit: i64,
    ) -> Result<Vec<JobRecord>, AppError> {
        caller.authorize(Action::ManageOutbox, None)?;
        Ok(self
            .store()
            .jobs(&JobFilter {
                state: state.map(str::to_string),
                deliveries: true,
                limit,
                ..Default::default()
            })
            .await?)
    }

    /// Puts a failed or dead delivery back in line now.
    pub async fn retry_delivery(&self, caller: &Caller, id: i64) -> Result<JobRecord, AppError> {
        caller.authorize(Action::ManageOutbox, None)?;
        let job = self.store().job(id).await?;
        if job.channel.is_none() {
            return Err(AppError::NotFound);
        }
        if !self.store().retry_job(id, self.now_ms()).await? {
            return Err(AppError::Conflict(FieldError::new(
                "id",
                "conflict",
                format!(
                    "delivery {id} is {}: only failed or dead deliveries are retried",
                    job.state.code()
                ),
            )));
        }
        Ok(self.store().job(id).await?)
    }

    /// Drops a delivery that has not succeeded.
    pub async fn discard_delivery(&self, caller: &Caller, id: i64) -> Result<JobRecord, AppError> {
        caller.authorize(Action::ManageOutbox, None)?;
        let job = self.store().job(id).await?;
        if job.channel.is_none() {
            return Err(AppError::NotFound);
        }
        if !self.store().discard_job(id, self.now_ms()).await? {
            return Err(AppError::Conflict(FieldError::new(
                "id",
                "conflict",
                format!(
                    "delivery {id} is {}: only pending, failed or dead deliveries are discarded",
                    job.state.code()
                ),
            )));
        }
        Ok(self.store().job(id).await?)
    }
}

/// Deliveries of `event` to the subscriptions `ids`.
pub fn fan_out(
    ids: &[i64],
    event: Event,
    subject: &Subject,
    data: &serde_json::Value,
    now: i64,
) -> Vec<NewJob> {
    ids.iter()
        .map(|id| {
            let message = Message::Webhook {
                subscription_id: *id,
                event: event.code().into(),
                data: data.clone(),
            };
            delivery(&message, subject, now)
        })
        .collect()
}

/// What a subscription's deliveries are about.
pub fn webhook_subject(id: i64) -> Subject {
    Subject {
        kind: "webhook",
        id: id.to_string(),
    }
}

/// The subscription a delivery goes to, if it is a webhook delivery.
pub fn webhook_of(job: &JobRecord) -> Option<i64> {
    match serde_json::from_str::<Message>(&job.payload) {
        Ok(Message::Webhook {
            subscription_id, ..
        }) => Some(subscription_id),
        _ => None,
    }
}
