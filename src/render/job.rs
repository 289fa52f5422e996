//! `job` → `batch/v1 Job`.

use k8s_openapi::api::batch::v1::{Job, JobSpec};

use super::{metadata, pod};
use crate::resolve::Plan;

pub fn job(plan: &Plan) -> Job {
    Job {
        metadata: metadata(plan, &plan.name),
        spec: Some(JobSpec {
            backoff_limit: Some(plan.job.backoff_limit),
            active_deadline_seconds: Some(plan.job.active_deadline_seconds),
            ttl_seconds_after_finished: plan.job.ttl_seconds_after_finished,
            template: pod::template(plan, Some("Never")),
            ..JobSpec::default()
        }),
        status: None,
    }
}
