//! Deployments, StatefulSets and DaemonSets with full pod templates.

use super::plan::*;
use super::vocab::*;
use crate::rng::Rng;
use crate::yaml::emit;
use crate::yaml::{scalar, Yaml};

// Workloads

pub(crate) fn write_workload(y: &mut Yaml, ns: &Namespace, w: &Workload, rng: &mut Rng) {
    y.start_document();
    emit!(y, 0, "apiVersion: apps/v1");
    emit!(y, 0, "kind: {}", w.kind.as_str());
    emit!(y, 0, "metadata:");
    emit!(y, 1, "name: {}", w.name);
    emit!(y, 1, "namespace: {}", ns.name);
    emit!(y, 1, "labels:");
    let chart = format!("{}-{}", w.name, w.release);
    y.map(
        2,
        &[
            ("app", &w.name),
            ("tier", w.tier.as_str()),
            ("version", &w.version),
            ("team", w.team),
            ("app.kubernetes.io/name", &w.name),
            ("app.kubernetes.io/part-of", ns.team),
            ("app.kubernetes.io/managed-by", "Helm"),
            ("helm.sh/chart", &chart),
        ],
    );
    emit!(y, 1, "annotations:");
    let revision = rng.range(1, 40).to_string();
    y.map(
        2,
        &[
            ("deployment.kubernetes.io/revision", &revision),
            ("meta.helm.sh/release-name", &w.name),
            ("meta.helm.sh/release-namespace", &ns.name),
            ("description", &format!("{} {} service owned by team {}", w.name, w.tier.as_str(), w.team)),
        ],
    );
    emit!(y, 0, "spec:");
    match w.kind {
        WorkloadKind::Deployment => {
            emit!(y, 1, "replicas: {}", w.replicas);
            emit!(y, 1, "revisionHistoryLimit: 10");
            emit!(y, 1, "progressDeadlineSeconds: 600");
            emit!(y, 1, "strategy:");
            emit!(y, 2, "type: RollingUpdate");
            emit!(y, 2, "rollingUpdate:");
            emit!(y, 3, "maxSurge: 25%");
            emit!(y, 3, "maxUnavailable: 0");
        }
        WorkloadKind::StatefulSet => {
            emit!(y, 1, "replicas: {}", w.replicas);
            emit!(y, 1, "serviceName: {}-headless", w.name);
            emit!(y, 1, "podManagementPolicy: OrderedReady");
            emit!(y, 1, "updateStrategy:");
            emit!(y, 2, "type: RollingUpdate");
        }
        WorkloadKind::DaemonSet => {
            emit!(y, 1, "updateStrategy:");
            emit!(y, 2, "type: RollingUpdate");
            emit!(y, 2, "rollingUpdate:");
            emit!(y, 3, "maxUnavailable: 1");
        }
    }
    emit!(y, 1, "selector:");
    emit!(y, 2, "matchLabels:");
    y.map(3, &[("app", &w.name), ("tier", w.tier.as_str())]);
    emit!(y, 1, "template:");
    write_pod_template(y, ns, w, rng);
    if w.kind == WorkloadKind::StatefulSet {
        write_volume_claim(y, w);
    }
}

pub(crate) fn write_pod_template(y: &mut Yaml, ns: &Namespace, w: &Workload, rng: &mut Rng) {
    emit!(y, 2, "metadata:");
    emit!(y, 3, "labels:");
    y.map(
        4,
        &[
            ("app", &w.name),
            ("tier", w.tier.as_str()),
            ("version", &w.version),
            ("team", w.team),
            ("app.kubernetes.io/name", &w.name),
            ("app.kubernetes.io/version", &w.release),
        ],
    );
    if w.canary {
        emit!(y, 4, "canary: \"true\"");
    }
    emit!(y, 3, "annotations:");
    let metrics_port = w.ports.iter().find(|p| p.name == "metrics").map(|p| p.number.to_string());
    if let Some(port) = &metrics_port {
        y.map(4, &[("prometheus.io/scrape", "true"), ("prometheus.io/port", port)]);
        emit!(y, 4, "prometheus.io/path: /metrics");
    }
    let restarted = format!(
        "2025-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        rng.range(1, 12),
        rng.range(1, 28),
        rng.below(24),
        rng.below(60),
        rng.below(60)
    );
    y.map(
        4,
        &[
            ("checksum/config", &rng.hex(64)),
            ("checksum/secret", &rng.hex(64)),
            ("kubectl.kubernetes.io/restartedAt", &restarted),
            ("kubectl.kubernetes.io/default-container", &w.name),
        ],
    );
    emit!(y, 2, "spec:");
    emit!(y, 3, "serviceAccountName: {}", w.name);
    emit!(y, 3, "automountServiceAccountToken: false");
    emit!(y, 3, "enableServiceLinks: false");
    emit!(y, 3, "imagePullSecrets:");
    emit!(y, 4, "- name: registry-credentials");
    emit!(y, 3, "dnsConfig:");
    emit!(y, 4, "options:");
    emit!(y, 5, "- name: ndots");
    emit!(y, 6, "value: \"2\"");
    emit!(y, 5, "- name: single-request-reopen");
    emit!(y, 3, "terminationGracePeriodSeconds: {}", rng.pick(&[30, 45, 60]));
    emit!(y, 3, "securityContext:");
    emit!(y, 4, "runAsNonRoot: true");
    emit!(y, 4, "runAsUser: 10001");
    emit!(y, 4, "runAsGroup: 10001");
    emit!(y, 4, "fsGroup: 10001");
    emit!(y, 4, "seccompProfile:");
    emit!(y, 5, "type: RuntimeDefault");
    if w.kind == WorkloadKind::DaemonSet {
        emit!(y, 3, "tolerations:");
        emit!(y, 4, "- operator: Exists");
    } else {
        write_scheduling(y, ns, w, rng);
    }
    if w.tier == Tier::Api && rng.chance(50) {
        write_init_container(y, w);
    }
    emit!(y, 3, "containers:");
    write_main_container(y, ns, w, rng);
    if w.sidecar {
        write_sidecar(y);
    }
    write_volumes(y, w);
}

pub(crate) fn write_scheduling(y: &mut Yaml, ns: &Namespace, w: &Workload, rng: &mut Rng) {
    emit!(y, 3, "nodeSelector:");
    emit!(y, 4, "kubernetes.io/os: linux");
    emit!(y, 4, "node.example.com/pool: {}", ns.env);
    emit!(y, 3, "affinity:");
    emit!(y, 4, "podAntiAffinity:");
    emit!(y, 5, "preferredDuringSchedulingIgnoredDuringExecution:");
    emit!(y, 6, "- weight: 100");
    emit!(y, 7, "podAffinityTerm:");
    emit!(y, 8, "topologyKey: kubernetes.io/hostname");
    emit!(y, 8, "labelSelector:");
    emit!(y, 9, "matchLabels:");
    emit!(y, 10, "app: {}", w.name);
    emit!(y, 4, "nodeAffinity:");
    emit!(y, 5, "requiredDuringSchedulingIgnoredDuringExecution:");
    emit!(y, 6, "nodeSelectorTerms:");
    emit!(y, 7, "- matchExpressions:");
    emit!(y, 9, "- key: topology.kubernetes.io/zone");
    emit!(y, 10, "operator: In");
    emit!(y, 10, "values:");
    for zone in ZONES {
        emit!(y, 11, "- {zone}");
    }
    emit!(y, 3, "topologySpreadConstraints:");
    emit!(y, 4, "- maxSkew: 1");
    emit!(y, 5, "topologyKey: topology.kubernetes.io/zone");
    emit!(y, 5, "whenUnsatisfiable: ScheduleAnyway");
    emit!(y, 5, "labelSelector:");
    emit!(y, 6, "matchLabels:");
    emit!(y, 7, "app: {}", w.name);
    if rng.chance(30) {
        emit!(y, 3, "tolerations:");
        emit!(y, 4, "- key: dedicated");
        emit!(y, 5, "operator: Equal");
        emit!(y, 5, "value: {}", w.team);
        emit!(y, 5, "effect: NoSchedule");
    }
}

pub(crate) fn write_init_container(y: &mut Yaml, w: &Workload) {
    emit!(y, 3, "initContainers:");
    emit!(y, 4, "- name: migrate");
    emit!(y, 5, "image: registry.example.com/{}/{}-migrations:{}", w.team, w.name, w.release);
    emit!(y, 5, "imagePullPolicy: IfNotPresent");
    emit!(y, 5, "args: [\"migrate\", \"--to=latest\", \"--timeout=120s\"]");
    emit!(y, 5, "envFrom:");
    emit!(y, 6, "- secretRef:");
    emit!(y, 8, "name: {}-db-credentials", w.name);
    emit!(y, 5, "resources:");
    emit!(y, 6, "requests: {{cpu: 50m, memory: 64Mi}}");
    emit!(y, 6, "limits: {{memory: 128Mi}}");
}

pub(crate) fn write_main_container(y: &mut Yaml, ns: &Namespace, w: &Workload, rng: &mut Rng) {
    emit!(y, 4, "- name: {}", w.name);
    emit!(y, 5, "image: {}", tier_image(w.tier, w.team, &w.name, &w.release));
    emit!(y, 5, "imagePullPolicy: IfNotPresent");
    if matches!(w.tier, Tier::Web | Tier::Api | Tier::Worker) {
        emit!(y, 5, "args:");
        emit!(y, 6, "- --config=/etc/{}/config.yaml", w.name);
        emit!(y, 6, "- --log-format=json");
        emit!(y, 6, "- --shutdown-grace=20s");
    }
    if !w.ports.is_empty() {
        emit!(y, 5, "ports:");
        for p in &w.ports {
            emit!(y, 6, "- name: {}", p.name);
            emit!(y, 7, "containerPort: {}", p.number);
            emit!(y, 7, "protocol: {}", p.protocol);
        }
    }
    write_env(y, ns, w, rng);
    emit!(y, 5, "envFrom:");
    emit!(y, 6, "- configMapRef:");
    emit!(y, 8, "name: {}-config", w.name);
    emit!(y, 8, "optional: true");
    let (cpu, memory) = match w.tier {
        Tier::Db => ("1", "4Gi"),
        Tier::Cache => ("500m", "2Gi"),
        _ => (rng.pick(&["100m", "250m", "500m"]), rng.pick(&["128Mi", "256Mi", "512Mi"])),
    };
    emit!(y, 5, "resources:");
    emit!(y, 6, "requests:");
    emit!(y, 7, "cpu: {}", scalar(cpu));
    emit!(y, 7, "memory: {memory}");
    emit!(y, 6, "limits:");
    emit!(y, 7, "memory: {memory}");
    emit!(y, 7, "ephemeral-storage: 1Gi");
    write_probes(y, w);
    emit!(y, 5, "securityContext:");
    emit!(y, 6, "allowPrivilegeEscalation: false");
    emit!(y, 6, "readOnlyRootFilesystem: true");
    emit!(y, 6, "capabilities:");
    emit!(y, 7, "drop: [\"ALL\"]");
    emit!(y, 5, "volumeMounts:");
    emit!(y, 6, "- name: config");
    emit!(y, 7, "mountPath: /etc/{}", w.name);
    emit!(y, 7, "readOnly: true");
    emit!(y, 6, "- name: tmp");
    emit!(y, 7, "mountPath: /tmp");
    if w.kind == WorkloadKind::StatefulSet {
        emit!(y, 6, "- name: data");
        emit!(y, 7, "mountPath: /var/lib/{}", w.tier.as_str());
    }
    emit!(y, 5, "terminationMessagePolicy: FallbackToLogsOnError");
}

pub(crate) fn write_env(y: &mut Yaml, ns: &Namespace, w: &Workload, rng: &mut Rng) {
    emit!(y, 5, "env:");
    let field = |y: &mut Yaml, name: &str, path: &str| {
        emit!(y, 6, "- name: {name}");
        emit!(y, 7, "valueFrom:");
        emit!(y, 8, "fieldRef:");
        emit!(y, 9, "fieldPath: {path}");
    };
    field(y, "POD_NAME", "metadata.name");
    field(y, "POD_NAMESPACE", "metadata.namespace");
    field(y, "POD_IP", "status.podIP");
    field(y, "NODE_NAME", "spec.nodeName");
    emit!(y, 6, "- name: GOMEMLIMIT");
    emit!(y, 7, "valueFrom:");
    emit!(y, 8, "resourceFieldRef:");
    emit!(y, 9, "containerName: {}", w.name);
    emit!(y, 9, "resource: limits.memory");
    let plain: [(&str, String); 12] = [
        ("TZ", "UTC".to_string()),
        ("LANG", "C.UTF-8".to_string()),
        ("SERVICE_NAME", w.name.clone()),
        ("SERVICE_VERSION", w.release.clone()),
        ("ENVIRONMENT", ns.env.to_string()),
        ("LOG_LEVEL", rng.pick(&["info", "info", "debug", "warn"]).to_string()),
        ("HTTP_PORT", "8080".to_string()),
        ("METRICS_PORT", "9100".to_string()),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel-collector.observability.svc:4317".to_string()),
        (
            "OTEL_RESOURCE_ATTRIBUTES",
            format!("service.namespace={},deployment.environment={}", ns.name, ns.env),
        ),
        ("FEATURE_FLAGS", format!("new-{}-flow,fast-{}", rng.pick(WORDS), rng.pick(WORDS))),
        ("REQUEST_TIMEOUT", format!("{}s", rng.range(2, 30))),
    ];
    for (name, value) in &plain {
        emit!(y, 6, "- name: {name}");
        emit!(y, 7, "value: {}", scalar(value));
    }
    for dep in 0..rng.range(2, 4) {
        emit!(y, 6, "- name: UPSTREAM_{dep}_URL");
        emit!(y, 7, "value: http://{}-api.{}.svc.cluster.local:80", rng.pick(WORDS), ns.name);
    }
    for key in ["DATABASE_PASSWORD", "API_TOKEN", "SIGNING_KEY"] {
        emit!(y, 6, "- name: {key}");
        emit!(y, 7, "valueFrom:");
        emit!(y, 8, "secretKeyRef:");
        emit!(y, 9, "name: {}-secrets", w.name);
        emit!(y, 9, "key: {}", key.to_ascii_lowercase().replace('_', "-"));
    }
    emit!(y, 6, "- name: CACHE_TTL");
    emit!(y, 7, "valueFrom:");
    emit!(y, 8, "configMapKeyRef:");
    emit!(y, 9, "name: {}-config", w.name);
    emit!(y, 9, "key: cache-ttl");
    emit!(y, 9, "optional: true");
}

pub(crate) fn write_probes(y: &mut Yaml, w: &Workload) {
    let Some(port) = w.named_port() else {
        emit!(y, 5, "livenessProbe:");
        emit!(y, 6, "exec:");
        emit!(y, 7, "command: [\"/bin/healthcheck\", \"--liveness\"]");
        emit!(y, 6, "periodSeconds: 30");
        return;
    };
    let http = matches!(port.name, "http" | "metrics");
    for (probe, path, period) in [
        ("startupProbe", "/healthz", 5),
        ("livenessProbe", "/healthz", 20),
        ("readinessProbe", "/readyz", 10),
    ] {
        emit!(y, 5, "{probe}:");
        if http {
            emit!(y, 6, "httpGet:");
            emit!(y, 7, "path: {path}");
            emit!(y, 7, "port: {}", port.name);
            emit!(y, 7, "scheme: HTTP");
        } else {
            emit!(y, 6, "tcpSocket:");
            emit!(y, 7, "port: {}", port.name);
        }
        emit!(y, 6, "periodSeconds: {period}");
        emit!(y, 6, "timeoutSeconds: 3");
        emit!(y, 6, "failureThreshold: {}", if probe == "startupProbe" { 30 } else { 3 });
    }
}

pub(crate) fn write_sidecar(y: &mut Yaml) {
    emit!(y, 4, "- name: log-shipper");
    emit!(y, 5, "image: cr.fluentbit.io/fluent/fluent-bit:3.1.7");
    emit!(y, 5, "imagePullPolicy: IfNotPresent");
    emit!(y, 5, "ports:");
    emit!(y, 6, "- name: fb-http");
    emit!(y, 7, "containerPort: 2020");
    emit!(y, 7, "protocol: TCP");
    emit!(y, 5, "resources:");
    emit!(y, 6, "requests: {{cpu: 20m, memory: 32Mi}}");
    emit!(y, 6, "limits: {{memory: 64Mi}}");
    emit!(y, 5, "volumeMounts:");
    emit!(y, 6, "- name: tmp");
    emit!(y, 7, "mountPath: /var/log/app");
    emit!(y, 7, "readOnly: true");
}

pub(crate) fn write_volumes(y: &mut Yaml, w: &Workload) {
    emit!(y, 3, "volumes:");
    emit!(y, 4, "- name: config");
    emit!(y, 5, "configMap:");
    emit!(y, 6, "name: {}-config", w.name);
    emit!(y, 6, "optional: true");
    emit!(y, 4, "- name: tmp");
    emit!(y, 5, "emptyDir:");
    emit!(y, 6, "sizeLimit: 256Mi");
}

pub(crate) fn write_volume_claim(y: &mut Yaml, w: &Workload) {
    emit!(y, 1, "volumeClaimTemplates:");
    emit!(y, 2, "- metadata:");
    emit!(y, 4, "name: data");
    emit!(y, 4, "labels:");
    emit!(y, 5, "app: {}", w.name);
    emit!(y, 3, "spec:");
    emit!(y, 4, "accessModes: [\"ReadWriteOnce\"]");
    emit!(y, 4, "storageClassName: fast-ssd");
    emit!(y, 4, "resources:");
    emit!(y, 5, "requests:");
    emit!(y, 6, "storage: {}Gi", if w.tier == Tier::Db { 100 } else { 10 });
}
