//! Why a live cluster, or one kind of it, could not be read: one error type
//! for the live client, whose messages name the cluster (or the kind) and
//! say what to do. A [`LiveRead`](super::LiveRead) carries them as
//! diagnostics; the error that stopped the whole read is also
//! [`LiveRead::error`](super::LiveRead::error).

/// An error of the live client.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The single-threaded async runtime could not start.
    #[error("cannot start the HTTP client: {0}")]
    Runtime(#[source] std::io::Error),
    /// No cluster could be chosen: no kubeconfig, an unknown context, an
    /// unreadable file, a bad `--server` URL (the message says which).
    #[error("{0}")]
    Config(String),
    /// The credentials could not be produced: an exec plugin or a token
    /// file failed (the whole chain: the root cause alone does not say which).
    #[error("cannot authenticate to {cluster}: {chain}")]
    Authentication {
        /// The cluster as messages name it.
        cluster: String,
        /// The error chain.
        chain: String,
    },
    /// The HTTP client could not be set up for the cluster.
    #[error("cannot set up a client for {cluster}: {chain}")]
    Client {
        /// The cluster as messages name it.
        cluster: String,
        /// The error chain.
        chain: String,
    },
    /// The API server rejected the credentials (HTTP 401).
    #[error(
        "{cluster} rejected the credentials (HTTP 401 Unauthorized){said}: they are missing, invalid or \
         expired; log in again or refresh the token, then retry"
    )]
    Unauthorized {
        /// The cluster as messages name it.
        cluster: String,
        /// ` (the server's message)`, or empty.
        said: String,
    },
    /// No answer, or a TLS failure: listing anything else would fail the same way.
    #[error("cannot read {cluster}: {reason}")]
    Unreachable {
        /// The cluster as messages name it.
        cluster: String,
        /// What happened and what to check.
        reason: String,
    },
    /// The whole read took longer than `--read-deadline`.
    #[error("cannot read {cluster}: not read within {seconds}s (`--read-deadline`)")]
    Deadline {
        /// The cluster as messages name it.
        cluster: String,
        /// The deadline.
        seconds: f64,
    },
    /// No list succeeded.
    #[error("cannot read {cluster}: every list failed, the first with: {first}")]
    EveryListFailed {
        /// The cluster as messages name it.
        cluster: String,
        /// The first list's error.
        first: String,
    },
    /// One of the kinds every answer rests on could not be listed.
    #[error("{reason}; kubereach cannot answer without `{resource}`")]
    RequiredKind {
        /// Why the list failed.
        reason: String,
        /// The kind's resource (`pods`).
        resource: &'static str,
    },
    /// A kind may not be listed (HTTP 403).
    #[error("forbidden to list `{resource}` (HTTP 403): {weakens}; deploy/rbac.yaml grants it")]
    Forbidden {
        /// The kind's resource.
        resource: &'static str,
        /// What the analysis loses without it.
        weakens: &'static str,
    },
    /// The API server does not serve a kind (HTTP 404).
    #[error("the API server does not serve `{resource}` in {group_version} (HTTP 404): {weakens}")]
    NotServed {
        /// The kind's resource.
        resource: &'static str,
        /// Its `apiVersion`.
        group_version: &'static str,
        /// What the analysis loses without it.
        weakens: &'static str,
    },
    /// Another HTTP error status for a list.
    #[error("cannot list `{resource}` (HTTP {code}){said}: {weakens}")]
    Status {
        /// The kind's resource.
        resource: &'static str,
        /// The HTTP status.
        code: u16,
        /// ` (the server's message)`, or empty.
        said: String,
        /// What the analysis loses without it.
        weakens: &'static str,
    },
    /// One page of a list is larger than `--max-response-size`.
    #[error(
        "the API server's answer listing `{resource}` is larger than the limit of {mib} MiB (raise it with \
         `--max-response-size`)"
    )]
    TooLarge {
        /// The kind's resource.
        resource: &'static str,
        /// The limit, in MiB.
        mib: u64,
    },
    /// The answer is not JSON.
    #[error("the API server's answer is not valid JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    /// The answer is not a list object.
    #[error("expected a list object from the API server")]
    NotAList,
    /// The list's `items` is not an array.
    #[error("`items` of the list is not an array")]
    ItemsNotAnArray,
    /// The server kept sending new `continue` tokens.
    #[error(
        "the API server answered more than {pages} pages of {page_size} `{resource}`, each with a new \
         `continue` token: stopped there"
    )]
    TooManyPages {
        /// The kind's resource.
        resource: &'static str,
        /// The page cap.
        pages: usize,
        /// Items per page.
        page_size: u32,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_cluster_and_what_to_do() {
        let cluster = "context `prod` (https://10.0.0.1:6443)".to_owned();
        let unauthorized = LiveError::Unauthorized { cluster: cluster.clone(), said: String::new() };
        assert_eq!(
            unauthorized.to_string(),
            "context `prod` (https://10.0.0.1:6443) rejected the credentials (HTTP 401 Unauthorized): they \
             are missing, invalid or expired; log in again or refresh the token, then retry"
        );
        let late = LiveError::Deadline { cluster, seconds: 0.5 };
        assert_eq!(
            late.to_string(),
            "cannot read context `prod` (https://10.0.0.1:6443): not read within 0.5s (`--read-deadline`)"
        );
        let required = LiveError::RequiredKind {
            reason: LiveError::Forbidden { resource: "pods", weakens: "no pods" }.to_string(),
            resource: "pods",
        };
        assert_eq!(
            required.to_string(),
            "forbidden to list `pods` (HTTP 403): no pods; deploy/rbac.yaml grants it; kubereach cannot \
             answer without `pods`"
        );
    }
}
