//! The system namespaces' objects: the Namespaces, cluster DNS and the
//! ingress controller.

use super::plan::Namespace;
use crate::rng::Rng;
use crate::yaml::emit;
use crate::yaml::Yaml;

pub(crate) fn namespaces_file(namespaces: &[Namespace], rng: &mut Rng) -> Yaml {
    let mut y = Yaml::default();
    emit!(y, 0, "# Namespaces of the synthetic cluster.");
    for (name, extra) in
        [("kube-system", &[][..]), ("ingress-nginx", &[("app.kubernetes.io/name", "ingress-nginx")][..])]
    {
        y.start_document();
        emit!(y, 0, "apiVersion: v1");
        emit!(y, 0, "kind: Namespace");
        emit!(y, 0, "metadata:");
        emit!(y, 1, "name: {name}");
        emit!(y, 1, "labels:");
        emit!(y, 2, "kubernetes.io/metadata.name: {name}");
        y.map(2, extra);
    }
    for ns in namespaces {
        y.start_document();
        emit!(y, 0, "apiVersion: v1");
        emit!(y, 0, "kind: Namespace");
        emit!(y, 0, "metadata:");
        emit!(y, 1, "name: {}", ns.name);
        emit!(y, 1, "labels:");
        let cost_center = format!("cc-{}", 1000 + rng.below(9000));
        let enforce = rng.pick(&["baseline", "restricted"]);
        y.map(
            2,
            &[
                ("kubernetes.io/metadata.name", &ns.name),
                ("team", ns.team),
                ("env", ns.env),
                ("tier", ns.tier),
                ("cost-center", &cost_center),
                ("pod-security.kubernetes.io/enforce", enforce),
            ],
        );
        if rng.chance(30) {
            emit!(y, 2, "istio-injection: disabled");
        }
        emit!(y, 1, "annotations:");
        emit!(y, 2, "owner: {}@example.com", ns.team);
    }
    y
}

pub(crate) fn kube_system_file() -> Yaml {
    let mut y = Yaml::default();
    y.buf.push_str(KUBE_SYSTEM);
    y
}

/// kube-system's objects: CoreDNS as kubeadm installs it.
const KUBE_SYSTEM: &str = "\
# Cluster DNS, as installed by kubeadm.
apiVersion: v1
kind: ConfigMap
metadata:
  name: coredns
  namespace: kube-system
data:
  Corefile: |
    .:53 {
        errors
        health {
           lameduck 5s
        }
        ready
        kubernetes cluster.local in-addr.arpa ip6.arpa {
           pods insecure
           fallthrough in-addr.arpa ip6.arpa
           ttl 30
        }
        prometheus :9153
        forward . /etc/resolv.conf
        cache 30
        loop
        reload
        loadbalance
    }
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels:
    k8s-app: kube-dns
spec:
  replicas: 2
  selector:
    matchLabels:
      k8s-app: kube-dns
  template:
    metadata:
      labels:
        k8s-app: kube-dns
    spec:
      priorityClassName: system-cluster-critical
      serviceAccountName: coredns
      dnsPolicy: Default
      containers:
        - name: coredns
          image: registry.k8s.io/coredns/coredns:v1.11.3
          args: [\"-conf\", \"/etc/coredns/Corefile\"]
          ports:
            - name: dns
              containerPort: 53
              protocol: UDP
            - name: dns-tcp
              containerPort: 53
              protocol: TCP
            - name: metrics
              containerPort: 9153
              protocol: TCP
          resources:
            requests: {cpu: 100m, memory: 70Mi}
            limits: {memory: 170Mi}
          livenessProbe:
            httpGet: {path: /health, port: 8080}
          readinessProbe:
            httpGet: {path: /ready, port: 8181}
          volumeMounts:
            - name: config-volume
              mountPath: /etc/coredns
              readOnly: true
      volumes:
        - name: config-volume
          configMap:
            name: coredns
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels:
    k8s-app: kube-dns
    kubernetes.io/name: CoreDNS
spec:
  clusterIP: 10.96.0.10
  selector:
    k8s-app: kube-dns
  ports:
    - name: dns
      port: 53
      protocol: UDP
      targetPort: 53
    - name: dns-tcp
      port: 53
      protocol: TCP
      targetPort: 53
    - name: metrics
      port: 9153
      protocol: TCP
      targetPort: 9153
";

pub(crate) fn ingress_nginx_file() -> Yaml {
    let mut y = Yaml::default();
    y.buf.push_str(
        "\
# The ingress controller serving the generated Ingresses.
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations:
    ingressclass.kubernetes.io/is-default-class: \"true\"
spec:
  controller: k8s.io/ingress-nginx
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
  labels:
    app.kubernetes.io/name: ingress-nginx
    app.kubernetes.io/component: controller
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: ingress-nginx
      app.kubernetes.io/component: controller
  template:
    metadata:
      labels:
        app.kubernetes.io/name: ingress-nginx
        app.kubernetes.io/component: controller
    spec:
      serviceAccountName: ingress-nginx
      containers:
        - name: controller
          image: registry.k8s.io/ingress-nginx/controller:v1.11.2
          args:
            - /nginx-ingress-controller
            - --controller-class=k8s.io/ingress-nginx
            - --ingress-class=nginx
            - --publish-service=$(POD_NAMESPACE)/ingress-nginx-controller
          env:
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
          ports:
            - name: http
              containerPort: 80
              protocol: TCP
            - name: https
              containerPort: 443
              protocol: TCP
---
apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
spec:
  type: LoadBalancer
  externalTrafficPolicy: Local
  selector:
    app.kubernetes.io/name: ingress-nginx
    app.kubernetes.io/component: controller
  ports:
    - name: http
      port: 80
      targetPort: http
    - name: https
      port: 443
      targetPort: https
status:
  loadBalancer:
    ingress:
      - ip: 203.0.113.10
",
    );
    y
}
