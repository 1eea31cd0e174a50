//! Routing objects of other projects that kubereach does not model, as the
//! model keeps them: the hosts they claim. Reading them and matching hosts
//! is [`crate::unmodelled`].

/// An object that routes external traffic by host, which kubereach does not model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmodelledRoute {
    /// Its kind, with the project (`Istio VirtualService`).
    pub kind: &'static str,
    /// Its namespace.
    pub namespace: String,
    /// Its name.
    pub name: String,
    /// The hosts it claims (`*` or `*.example.com` wildcards as written).
    pub hosts: Vec<String>,
}
