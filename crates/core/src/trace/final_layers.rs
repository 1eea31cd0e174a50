//! The `cni` and `destination` layers, the two every path ends with:
//! whether the network plugin enforces the policies the trace met, and
//! whether the pods reached serve the port.

use std::collections::BTreeSet;

use super::text::{at, code, declared_ports, exec_target, pod_id};
use super::{Backend, Ctx, Flow, Layer, Status, Step, Walk};
use crate::cni::{Clue, CniSource, Enforcement, Reason};
use crate::model::PodId;
use crate::ports::Protocol;
use crate::shell::quote;

/// The `cni` layer: whether the plugin enforces the policies the trace met.
pub(super) fn cni_step(ctx: &Ctx<'_, '_>, walk: &mut Walk) {
    let detection = ctx.cni();
    let verdict = &detection.network_policy;
    let plugin = verdict.by.map(|cni| code(cni.name()));
    let mut evidence = Vec::new();
    for found in &detection.found {
        let mut objects: Vec<(String, Vec<String>, String)> = Vec::new();
        for item in &found.evidence {
            let object = match &item.object.namespace {
                Some(namespace) => {
                    format!("{} {}", item.object.kind, code(format!("{namespace}/{}", item.object.name)))
                }
                None => format!("{} {}", item.object.kind, code(&item.object.name)),
            };
            let clue = match &item.clue {
                Clue::Name => "its name".to_owned(),
                Clue::Image { image, .. } => format!("image {}", code(image)),
                Clue::Annotation { key } => format!("annotation {}", code(key)),
                Clue::Resource => "its resource".to_owned(),
            };
            match objects.iter_mut().find(|(o, _, _)| *o == object) {
                Some((_, clues, _)) => clues.push(clue),
                None => objects.push((object, vec![clue], at(&item.location))),
            }
        }
        for (object, clues, location) in objects {
            evidence.push(format!(
                "{} runs as {object}{location}, recognised by {}",
                code(found.cni.name()),
                clues.join(" and ")
            ));
        }
    }
    if let CniSource::Given { name } = &detection.source {
        evidence.push(format!("named with `--cni {name}`"));
    }
    evidence.push(reason_text(&verdict.reason));
    let kubectl = "kubectl get daemonsets -n kube-system -o wide";
    let involved = ctx.policies.involved || !ctx.policies.unenforced_denials.is_empty();
    let (status, summary, fix) = match verdict.enforcement {
        Enforcement::Enforced => {
            let plugin = plugin.unwrap_or_else(|| "the network plugin".to_owned());
            (Status::Pass, format!("{plugin} enforces NetworkPolicy"), String::new())
        }
        Enforcement::NotEnforced => {
            let plugin = plugin.unwrap_or_else(|| "the network plugin".to_owned());
            let fix = "if the policies are meant to apply, run a plugin that enforces NetworkPolicy (Calico, Cilium, …; Canal adds Calico's policy engine to Flannel)".to_owned();
            if !ctx.policies.unenforced_denials.is_empty() {
                let layers: Vec<String> = ctx.policies.unenforced_denials.iter().map(code).collect();
                (
                    Status::Warn,
                    format!("{plugin} does not enforce NetworkPolicy: the denials at {} are stored in the API but have no effect", layers.join(", ")),
                    fix,
                )
            } else if involved {
                (
                    Status::Warn,
                    format!("{plugin} does not enforce NetworkPolicy: the policies above have no effect"),
                    fix,
                )
            } else {
                (
                    Status::Pass,
                    format!("{plugin} does not enforce NetworkPolicy; none applies here anyway"),
                    String::new(),
                )
            }
        }
        Enforcement::Unknown if involved => (
            Status::Warn,
            "the network plugin is not known: NetworkPolicy is assumed enforced".to_owned(),
            "name the plugin with `--cni NAME` if it is not in the input".to_owned(),
        ),
        Enforcement::Unknown => (
            Status::Pass,
            "no policy applies to this connection (the network plugin is not known)".to_owned(),
            String::new(),
        ),
    };
    walk.steps.push(Step::new(Layer::Cni, status, summary).evidence(evidence).fix(fix).kubectl(kubectl));
}

fn reason_text(reason: &Reason) -> String {
    match reason {
        Reason::Supported => "it implements NetworkPolicy".to_owned(),
        Reason::NotSupported => "it does not implement NetworkPolicy".to_owned(),
        Reason::EnabledBy { setting } => format!("enabled by {}", code(setting)),
        Reason::DisabledBy { setting } => format!("disabled by {}", code(setting)),
        Reason::SettingUnknown { setting } => {
            format!("enforced only with {}, which the input does not show", code(setting))
        }
        Reason::ContainerMissing { container } => format!("its {} container is missing", code(container)),
        Reason::VersionSupported { version, minimum } => {
            format!("version {version} (enforced since {minimum})")
        }
        Reason::VersionTooOld { version, minimum } => {
            format!("version {version} predates enforcement ({minimum})")
        }
        Reason::VersionUnknown { minimum } => {
            format!("enforced since version {minimum}; the version is not known")
        }
        Reason::FeatureGate { gate } => format!("enforced behind the {} feature gate", code(gate)),
        Reason::NoPolicyEngine => "it needs a policy engine beside it, and none was found".to_owned(),
        Reason::KindRelease { minimum } => format!("enforced since kind {minimum}; the release is not known"),
        Reason::NothingDetected => "no network plugin recognised in the input".to_owned(),
        Reason::Unrecognised { name } => format!("{} is not a plugin kubereach knows", code(name)),
    }
}

/// The `destination` layer: the reached pods serve the port.
pub(super) fn destination_step(ctx: &Ctx<'_, '_>, walk: &mut Walk, reachable: &[Backend]) -> Flow<()> {
    let cluster = ctx.cluster;
    let protocol = ctx.protocol;
    let mut seen = BTreeSet::new();
    let pods: Vec<(PodId, i32)> = reachable
        .iter()
        .filter_map(|b| Some((b.pod?, b.port)))
        .filter(|(pod, port)| seen.insert((cluster.workload_ref(cluster.pod(*pod)), *port)))
        .collect();
    let Some(&(first, _)) = pods.first() else {
        walk.skip(
            Layer::Destination,
            "the endpoints are not pods of the input: whether they serve the port is not known",
        );
        return Ok(());
    };
    let first_pod = cluster.pod(first);
    // The listening sockets of the protocol traced: UDP and SCTP listeners
    // are not in `netstat -ltn`'s TCP list.
    let listeners = match protocol {
        Protocol::Tcp => "netstat -ltn",
        Protocol::Udp => "ss -lun",
        Protocol::Sctp => "ss -ln --sctp",
    };
    let target = match ctx.replica(first) {
        Some(replica) => replica.name.rsplit('/').next().unwrap_or_default().to_owned(),
        None => exec_target(cluster, first_pod),
    };
    let kubectl =
        format!("kubectl exec -n {} {} -- {listeners}", quote(&first_pod.namespace), quote(&target));
    let mut status = Status::Pass;
    let mut lines = Vec::new();
    let mut evidence = Vec::new();
    for (pod, port) in &pods {
        let value = cluster.pod(*pod);
        let name = match ctx.replica(*pod) {
            Some(replica) => code(&replica.name),
            None => code(pod_id(value)),
        };
        let declared = value.container_ports().find(|p| p.port == *port && p.protocol == protocol.as_str());
        match declared {
            Some(declared) => {
                let label = declared.name.map(|n| format!(" ({})", code(n))).unwrap_or_default();
                lines.push(format!(
                    "{name} serves {protocol} {port}{label} in container {}",
                    code(&declared.container)
                ));
            }
            None => {
                status = Status::Warn;
                lines.push(format!(
                    "{name} does not declare {protocol} {port}: nothing shows a listener there"
                ));
                evidence.extend(declared_ports(cluster, *pod));
            }
        }
        if value.host_network() {
            evidence.push(format!("{name} uses the node's network: it listens on the node's port {port}"));
        }
    }
    let fix = if status == Status::Warn {
        "check that the container listens on the port (declared ports are informational, but document it)"
            .to_owned()
    } else {
        String::new()
    };
    let summary = lines.join("; ");
    walk.add(Step::new(Layer::Destination, status, summary).evidence(evidence).fix(fix).kubectl(kubectl))
}
