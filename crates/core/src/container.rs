//! Reading plugins' containers: image repositories and versions, and
//! command-line flags. Plugin detection ([`crate::cni::detect`]) and the ingress layer
//! recognise controllers with them.

use k8s_openapi::api::core::v1::Container;

/// The repository of a container image, without registry, tag or digest:
/// `registry.k8s.io/ingress-nginx/controller:v1.10.0@sha256:…` →
/// `ingress-nginx/controller`; Docker Hub's `library/` prefix is dropped.
pub(crate) fn image_repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or_default();
    let without_tag = match image.rfind(':') {
        Some(colon) if !image[colon..].contains('/') => &image[..colon],
        _ => image,
    };
    let repository = match without_tag.split_once('/') {
        Some((host, rest)) if host.contains(['.', ':']) || host == "localhost" => rest,
        _ => without_tag,
    };
    repository.strip_prefix("library/").unwrap_or(repository)
}

/// Whether `image`'s repository is `suffix` or ends with `/suffix`.
pub(crate) fn image_is(image: &str, suffix: &str) -> bool {
    repository_is(image_repository(image), suffix)
}

/// Whether an [`image_repository`] is `suffix` or ends with `/suffix`.
pub(crate) fn repository_is(repository: &str, suffix: &str) -> bool {
    repository == suffix || repository.strip_suffix(suffix).is_some_and(|rest| rest.ends_with('/'))
}

/// The version in an image tag: `calico/node:v3.29.1` → `3.29.1`;
/// `None` for tags that do not start with a dotted number (`latest`, dates).
pub(crate) fn image_version(image: &str) -> Option<String> {
    let image = image.split('@').next().unwrap_or_default();
    let colon = image.rfind(':')?;
    let tag = &image[colon + 1..];
    if tag.contains('/') {
        return None;
    }
    let tag = tag.strip_prefix('v').unwrap_or(tag);
    let end = tag.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(tag.len());
    let version = tag[..end].trim_end_matches('.');
    (version.contains('.') && version.split('.').all(|part| !part.is_empty())).then(|| version.to_owned())
}

/// A container's command and arguments, split at whitespace (so that
/// `sh -c "controller --flag=x"` is read too).
pub(crate) fn container_words(container: &Container) -> Vec<&str> {
    container
        .command
        .iter()
        .flatten()
        .chain(container.args.iter().flatten())
        .flat_map(|word| word.split_whitespace())
        .collect()
}

/// The value of a string flag (`--name=value`, `-name=value`, `--name value`).
pub(crate) fn flag_value<'a>(words: &[&'a str], name: &str) -> Option<&'a str> {
    for (i, word) in words.iter().enumerate() {
        let Some(body) = word.strip_prefix("--").or_else(|| word.strip_prefix('-')) else { continue };
        match body.split_once('=') {
            Some((flag, value)) if flag == name => return Some(value),
            None if body == name => return words.get(i + 1).copied().filter(|next| !next.starts_with('-')),
            _ => {}
        }
    }
    None
}

/// The value of a boolean flag: `Some(true)` for `--name` or `--name=true`,
/// `Some(false)` for `--name=false`, `None` when absent.
pub(crate) fn flag_bool(words: &[&str], name: &str) -> Option<bool> {
    words.iter().rev().find_map(|word| {
        let body = word.strip_prefix("--").or_else(|| word.strip_prefix('-'))?;
        match body.split_once('=') {
            Some((flag, value)) if flag == name => Some(value.eq_ignore_ascii_case("true") || value == "1"),
            None if body == name => Some(true),
            _ => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_and_flag_parsing() {
        assert_eq!(
            image_repository("registry.k8s.io/ingress-nginx/controller:v1.10.0@sha256:abc"),
            "ingress-nginx/controller"
        );
        assert_eq!(image_repository("traefik:v3.1"), "traefik");
        assert_eq!(image_repository("docker.io/library/traefik:v3.1"), "traefik");
        assert_eq!(image_repository("localhost:5000/calico/node:v3.29.0"), "calico/node");
        assert_eq!(image_repository("myregistry:5000/kong"), "kong");
        assert!(image_is("quay.io/calico/node:v3", "calico/node"));
        assert!(!image_is("quay.io/notcalico/node:v3", "calico/node"));
        assert_eq!(image_version("calico/node:v3.29.1"), Some("3.29.1".to_owned()));
        assert_eq!(image_version("weaveworks/weave-kube:2.8.1"), Some("2.8.1".to_owned()));
        assert_eq!(image_version("cilium:v1.14.6-gke.10"), Some("1.14.6".to_owned()));
        assert_eq!(image_version("kindnetd:v20240813-c6f155d6"), None);
        assert_eq!(image_version("localhost:5000/calico/node"), None);
        assert_eq!(image_version("node:latest"), None);
        let words = ["/controller", "--ingress-class=nginx", "--election-id", "x", "-v", "--flag"];
        assert_eq!(flag_value(&words, "ingress-class"), Some("nginx"));
        assert_eq!(flag_value(&words, "election-id"), Some("x"));
        assert_eq!(flag_value(&words, "flag"), None);
        assert_eq!(flag_bool(&words, "flag"), Some(true));
        assert_eq!(flag_bool(&["--x=false"], "x"), Some(false));
        assert_eq!(flag_bool(&words, "missing"), None);
    }
}
