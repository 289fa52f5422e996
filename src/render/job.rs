//! `job` → `batch/v1 Job`.

use k8s_openapi::api::batch::v1::{Job, JobSpec};

use super::{metadata, pod};
use crate::plan::{JobPlan, Plan};

pub(super) fn job(plan: &Plan, settings: &JobPlan) -> Job {
    Job {
        metadata: metadata(plan, &plan.name),
        spec: Some(JobSpec {
            backoff_limit: Some(settings.backoff_limit),
            active_deadline_seconds: Some(settings.active_deadline_seconds),
            ttl_seconds_after_finished: settings.ttl_seconds_after_finished,
            template: pod::template(plan, Some("Never")),
            ..JobSpec::default()
        }),
        status: None,
    }
}
