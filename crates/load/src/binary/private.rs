//! What a binary snapshot never holds, by the YAML snapshot's rules: no
//! Secret data (nor the `last-applied-configuration` annotation, which
//! holds a copy of it), and containers' environment variables without
//! their values, but for those the model reads, unless asked to keep them.

use k8s_openapi::api::core::v1::{Container, EnvVar, PodSpec, PodTemplateSpec};

use kubereach_core::Resource;

use crate::live::EnvValues;

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Removes from `resource` what a snapshot must not hold.
pub(super) fn strip(resource: &mut Resource, env_values: EnvValues) {
    if let Resource::Secret(secret) = resource {
        secret.data = None;
        secret.string_data = None;
        if let Some(annotations) = &mut secret.metadata.annotations {
            annotations.remove(LAST_APPLIED);
        }
    }
    if env_values == EnvValues::Dropped {
        if let Some(spec) = pod_spec(resource) {
            drop_environment_values(spec);
        }
    }
}

/// The pod spec of a pod, or of a workload's pod template.
fn pod_spec(resource: &mut Resource) -> Option<&mut PodSpec> {
    match resource {
        Resource::Pod(pod) => pod.spec.as_mut(),
        Resource::Deployment(o) => template(o.spec.as_mut().map(|s| &mut s.template)),
        Resource::StatefulSet(o) => template(o.spec.as_mut().map(|s| &mut s.template)),
        Resource::DaemonSet(o) => template(o.spec.as_mut().map(|s| &mut s.template)),
        Resource::ReplicaSet(o) => template(o.spec.as_mut().and_then(|s| s.template.as_mut())),
        Resource::ReplicationController(o) => template(o.spec.as_mut().and_then(|s| s.template.as_mut())),
        Resource::Job(o) => template(o.spec.as_mut().map(|s| &mut s.template)),
        Resource::CronJob(o) => {
            let job = o.spec.as_mut()?.job_template.spec.as_mut()?;
            job.template.spec.as_mut()
        }
        _ => None,
    }
}

fn template(template: Option<&mut PodTemplateSpec>) -> Option<&mut PodSpec> {
    template?.spec.as_mut()
}

fn drop_environment_values(spec: &mut PodSpec) {
    let containers = spec.containers.iter_mut().chain(spec.init_containers.iter_mut().flatten());
    for variables in containers.filter_map(|c: &mut Container| c.env.as_mut()) {
        drop_values(variables);
    }
    for container in spec.ephemeral_containers.iter_mut().flatten() {
        if let Some(variables) = container.env.as_mut() {
            drop_values(variables);
        }
    }
}

/// The values of `variables` the model does not read, removed (as
/// `live::sanitize` removes them from a live cluster's objects).
fn drop_values(variables: &mut [EnvVar]) {
    for variable in variables {
        if !kubereach_core::ingress::environment_variables_read().any(|read| read == variable.name) {
            variable.value = None;
        }
    }
}
