//! Each pod's `/etc/resolv.conf`, as the kubelet writes it from the pod's
//! `dnsPolicy` and `dnsConfig`
//! (<https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-s-dns-policy>,
//! <https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-dns-config>).
//!
//! What the kubelet puts in it (nameservers, search list, options) is the
//! core's answer (`dns::resolver_config`); this module only writes it down
//! with the lab's addresses: the cluster DNS Service's ClusterIP is the one
//! the lab uses (assigned by the lab when the input has none). `ip netns
//! exec` bind-mounts `/etc/netns/<namespace>/resolv.conf` over
//! `/etc/resolv.conf`, so `lab exec POD -- getent hosts NAME` (and `curl`,
//! `dig` without `@server`) go through the real libc resolver with the
//! pod's search list and `ndots`.
//!
//! hostNetwork pods share their node's namespace and so its file: they get
//! none. The node's own resolv.conf (the `Default` policy) is not in any
//! input; the lab writes only what the pod's `dnsConfig` adds to it.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use kubereach_core::dns::{self, Nameserver};
use kubereach_core::model::PodId;
use kubereach_core::Cluster;

use crate::services::LabService;
use crate::topology::LabPod;

/// Where `ip netns exec` finds a namespace's own `/etc` files.
pub const ETC_NETNS_DIR: &str = "/etc/netns";

/// The `/etc/resolv.conf` of `pod`, or `None` for a hostNetwork pod.
pub fn resolv_conf(cluster: &Cluster, services: &[LabService], pod: &LabPod) -> Option<String> {
    if pod.host_network {
        return None;
    }
    let config = dns::resolver_config(cluster, cluster.pod(PodId(pod.pod)));
    let mut out =
        format!("# kubereach lab: {}/{}, dnsPolicy {}\n", pod.namespace, pod.name, config.policy.as_str());
    for nameserver in &config.nameservers {
        match nameserver {
            Nameserver::ClusterDns { .. } => match cluster_dns_address(cluster, services) {
                Some(address) => {
                    let _ = writeln!(out, "nameserver {address}");
                }
                None => out.push_str("# cluster DNS: the input has no kube-dns Service\n"),
            },
            Nameserver::Node => out.push_str("# the node's nameservers: not in the input\n"),
            Nameserver::Address { address } => {
                let _ = writeln!(out, "nameserver {address}");
            }
        }
    }
    if !config.searches.is_empty() {
        let _ = writeln!(out, "search {}", config.searches.join(" "));
    }
    let options: Vec<String> = config
        .options
        .iter()
        .map(|option| match &option.value {
            Some(value) => format!("{}:{value}", option.name),
            None => option.name.clone(),
        })
        .collect();
    if !options.is_empty() {
        let _ = writeln!(out, "options {}", options.join(" "));
    }
    Some(out)
}

/// The ClusterIP of the cluster DNS Service in the lab.
pub fn cluster_dns_address(cluster: &Cluster, services: &[LabService]) -> Option<Ipv4Addr> {
    let service = &dns::dns_service(cluster)?.value;
    let namespace = service.metadata.namespace.as_deref().unwrap_or_default();
    let name = service.metadata.name.as_deref().unwrap_or_default();
    services.iter().find(|s| s.namespace == namespace && s.name == name).map(|s| s.cluster_ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pod: &str, expect: Option<&str>) {
        let cluster = crate::test_cluster(&format!("{}{pod}", crate::KUBE_DNS_YAML));
        let topology = crate::topology::build(&cluster, "t").unwrap();
        let services = crate::services::build(&cluster, &topology);
        let lab_pod = topology.pods.iter().find(|p| p.name == "p").unwrap();
        assert_eq!(resolv_conf(&cluster, &services, lab_pod).as_deref(), expect);
    }

    // ClusterFirst: the cluster DNS Service, the namespace's search list and
    // ndots:5 (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#namespaces-of-services).
    #[test]
    fn cluster_first_asks_cluster_dns_with_the_namespace_search_list() {
        check(
            "apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec: {containers: [{name: c}]}",
            Some(
                "# kubereach lab: shop/p, dnsPolicy ClusterFirst\nnameserver 10.96.0.10\n\
                 search shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n",
            ),
        );
    }

    // dnsPolicy None: only the pod's dnsConfig
    // (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/#pod-dns-config).
    #[test]
    fn policy_none_writes_only_the_dns_config() {
        check(
            "apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  dnsPolicy: None
  dnsConfig:
    nameservers: [192.0.2.53]
    searches: [example.test]
    options: [{name: ndots, value: '2'}, {name: edns0}]
  containers: [{name: c}]",
            Some(
                "# kubereach lab: shop/p, dnsPolicy None\nnameserver 192.0.2.53\nsearch example.test\n\
                 options edns0 ndots:2\n",
            ),
        );
    }

    // Default: the node's resolv.conf, which no input holds.
    #[test]
    fn default_policy_leaves_the_node_nameservers_out() {
        check(
            "apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec: {dnsPolicy: Default, containers: [{name: c}]}",
            Some("# kubereach lab: shop/p, dnsPolicy Default\n# the node's nameservers: not in the input\n"),
        );
    }

    #[test]
    fn host_network_pods_share_their_node_file() {
        check(
            "apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec: {hostNetwork: true, dnsPolicy: ClusterFirstWithHostNet, containers: [{name: c}]}",
            None,
        );
    }
}
