//! `routes`: the routing table as text, and `routes --diff` as text.

use std::fmt::Write;

use kubereach_core::routes::diff::{Cause, Difference, RoutesDiff};
use kubereach_core::routes::outcome::{Outcome, Resolution};
use kubereach_core::routes::{
    Action, AnnotationEffect, AnnotationNote, Backend, FrontendKind, Listener, PolicyVerdict, RouteRow,
    RoutesReport,
};

use super::terminal::{paint, Paint};

/// The table, grouped by listener.
pub fn human(report: &RoutesReport) -> String {
    let mut out = String::new();
    if report.routes.is_empty() {
        out.push_str("no routes: the input has no Ingress rules and no routes attached to a Gateway\n");
    }
    let mut listeners = 0;
    let mut rows = report.routes.iter().peekable();
    while let Some(first) = rows.peek().copied() {
        listeners += 1;
        let group: Vec<&RouteRow> =
            std::iter::from_fn(|| rows.next_if(|r| r.listener == first.listener)).collect();
        let _ = writeln!(out, "{}", listener_title(&first.listener));
        let lines: Vec<[String; 4]> = group.iter().map(|row| row_cells(row)).collect();
        let widths: Vec<usize> =
            (0..3).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
        for line in &lines {
            let _ = writeln!(
                out,
                "  {:w0$}  {:w1$}  {:w2$}  {}",
                line[0],
                line[1],
                line[2],
                line[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            );
        }
        out.push('\n');
    }
    annotations(
        &mut out,
        &report.annotations,
        "ingress-nginx annotations and their Gateway API equivalents:",
    );
    if !report.unmodelled.is_empty() {
        out.push_str("not in the table (kinds kubereach does not model):\n");
        for claim in &report.unmodelled {
            let _ =
                writeln!(out, "  {} `{}` claims {}", claim.kind, safe(&claim.object), hosts(&claim.hosts));
        }
        out.push('\n');
    }
    let blocked = report
        .routes
        .iter()
        .filter(|r| r.backends.iter().any(|b| matches!(b.policy, PolicyVerdict::Blocked { .. })))
        .count();
    let _ = write!(out, "{} on {}", count(report.routes.len(), "route"), count(listeners, "listener"));
    if blocked > 0 {
        let _ = write!(out, ", {}", paint(Paint::Bad, &format!("{blocked} blocked by policy")));
    }
    out.push('\n');
    out
}

fn listener_title(listener: &Listener) -> String {
    let what = match listener.kind {
        FrontendKind::Ingress => format!("Ingress class `{}`", safe(&listener.name)),
        FrontendKind::Gateway => format!(
            "Gateway `{}` listener `{}`",
            safe(&listener.name),
            safe(listener.section.as_deref().unwrap_or_default())
        ),
        FrontendKind::Router => format!("OpenShift router `{}`", safe(&listener.name)),
    };
    let addresses = if listener.addresses.is_empty() {
        "address not in the input".to_owned()
    } else {
        listener.addresses.iter().map(|a| safe(a)).collect::<Vec<_>>().join(", ")
    };
    format!("{what} — {} {} ({addresses})", listener.protocol, listener.port)
}

/// Host, match, action and backends, and the source.
fn row_cells(row: &RouteRow) -> [String; 4] {
    let mut matched = format!("{} {}", row.path.match_type, safe(&row.path.value));
    for condition in &row.conditions {
        let _ = write!(matched, ", {}", safe(condition));
    }
    let target = match &row.action {
        Action::Redirect { location, status } => format!("→ redirect {} ({status})", safe(location)),
        Action::Forward { rewrite } => {
            let backends: Vec<String> =
                row.backends.iter().map(|b| backend(b, row.backends.len() > 1)).collect();
            let mut text = if backends.is_empty() {
                "→ no backend".to_owned()
            } else {
                format!("→ {}", backends.join("; "))
            };
            if let Some(rewrite) = rewrite {
                let _ = write!(text, " (rewritten to {})", safe(rewrite));
            }
            text
        }
    };
    let location = match &row.object.file {
        Some(file) if row.object.line > 0 => format!("{file}:{}", row.object.line),
        Some(file) => file.clone(),
        None => String::new(),
    };
    let source = format!(
        "{} {}/{}  {}",
        row.object.kind,
        safe(&row.object.namespace),
        safe(&row.object.name),
        safe(&location)
    );
    [safe(&row.host), matched, target, source.trim_end().to_owned()]
}

/// `shop/api:80 → shop/api :8080 allowed`.
fn backend(backend: &Backend, weighted: bool) -> String {
    let mut text = format!("{}:{}", safe(&backend.service), safe(&backend.port));
    if weighted {
        let _ = write!(text, " (weight {})", backend.weight);
    }
    if let Some(problem) = &backend.problem {
        let _ = write!(text, " {}", paint(Paint::Bad, &format!("✘ {problem}")));
        return text;
    }
    if !backend.pods.is_empty() {
        let pods: Vec<String> = backend.pods.iter().map(|p| safe(p)).collect();
        let ports: Vec<String> = backend.target_ports.iter().map(|p| format!(":{p}")).collect();
        let _ = write!(text, " → {} {}", pods.join(", "), ports.join(","));
    }
    let verdict = match &backend.policy {
        PolicyVerdict::Allowed => paint(Paint::Good, "allowed"),
        PolicyVerdict::Blocked { refused } => paint(
            Paint::Bad,
            &format!(
                "blocked by policy ({})",
                refused.iter().map(|r| safe(r)).collect::<Vec<_>>().join(", ")
            ),
        ),
        PolicyVerdict::NoPods => paint(Paint::Warn, "no pods"),
        PolicyVerdict::NoReadyProxies => paint(Paint::Bad, "no ready proxies"),
    };
    let _ = write!(text, " {verdict}");
    text
}

fn annotations(out: &mut String, notes: &[AnnotationNote], title: &str) {
    if notes.is_empty() {
        return;
    }
    let _ = writeln!(out, "{title}");
    for note in notes {
        let effect = match &note.effect {
            AnnotationEffect::Compared => "compared by `routes --diff`".to_owned(),
            AnnotationEffect::Equivalent { gateway_api } => format!("Gateway API: {gateway_api}"),
            AnnotationEffect::NoEquivalent => paint(Paint::Warn, "no Gateway API equivalent"),
        };
        let _ = writeln!(
            out,
            "  Ingress `{}`: `{}: {}` — {effect}",
            safe(&note.ingress),
            safe(&note.annotation),
            safe(&note.value)
        );
    }
    out.push('\n');
}

/// `routes --diff`.
pub fn diff_human(report: &RoutesDiff, old: &str, new: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "routes: {} → {}: {} compared\n",
        safe(old),
        safe(new),
        count(report.requests, "request")
    );
    for difference in &report.differences {
        write_difference(&mut out, difference);
    }
    if !report.unverified.is_empty() {
        out.push_str("not verified (a rule or object kubereach does not evaluate on one side):\n\n");
        for difference in &report.unverified {
            write_difference(&mut out, difference);
        }
    }
    annotations(
        &mut out,
        &report.dropped_annotations,
        "annotations of OLD that NEW drops, with no Gateway API equivalent (behaviour lost):",
    );
    annotations(
        &mut out,
        &report.unchecked_annotations,
        "annotations of OLD that NEW drops, with a Gateway API equivalent kubereach does not compare (check by hand):",
    );
    let summary = if report.is_empty() {
        paint(Paint::Good, "every request reaches the same place")
    } else {
        let mut parts = Vec::new();
        if !report.differences.is_empty() {
            parts.push(count(report.differences.len(), "request") + " reach another place");
        }
        if !report.dropped_annotations.is_empty() {
            parts.push(count(report.dropped_annotations.len(), "annotation") + " dropped");
        }
        paint(Paint::Bad, &parts.join(", "))
    };
    let _ = writeln!(out, "{summary}");
    out
}

fn write_difference(out: &mut String, difference: &Difference) {
    let request = &difference.request;
    let _ = writeln!(out, "{}", paint(Paint::Warn, &safe(&request.url())));
    let _ = writeln!(out, "  before: {}", resolution(&difference.old));
    let _ = writeln!(out, "  after:  {}", resolution(&difference.new));
    for cause in &difference.causes {
        let _ = writeln!(out, "  why: {}", cause_text(*cause));
    }
    out.push('\n');
}

fn resolution(resolution: &Resolution) -> String {
    let mut text = match &resolution.outcome {
        Outcome::Forward { backends, refused_by_policy } => {
            let mut text =
                format!("Service {}", backends.iter().map(|b| safe(b)).collect::<Vec<_>>().join(", "));
            if !refused_by_policy.is_empty() {
                let refused: Vec<String> = refused_by_policy.iter().map(|b| safe(b)).collect();
                let _ = write!(
                    text,
                    ", {}",
                    paint(Paint::Bad, &format!("whose policies refuse the proxy ({})", refused.join(", ")))
                );
            }
            text
        }
        Outcome::Redirect { location, status } => format!("redirect to {} ({status})", safe(location)),
        Outcome::NotFound => "404: no rule takes the path".to_owned(),
        Outcome::NoBackend => "5xx: the rule has no valid backend".to_owned(),
        Outcome::NoListener => "nothing listens for this host on this port".to_owned(),
        Outcome::NoReadyProxies => "nothing answers: no proxy is ready".to_owned(),
        Outcome::Unknown => "not known to kubereach".to_owned(),
    };
    if let Some(rule) = &resolution.rule {
        let _ = write!(text, " — {} `{}` ({})", rule.kind, safe(&rule.object), safe(&rule.matched));
        if let Some(file) = &rule.file {
            let _ = write!(text, " {}:{}", safe(file), rule.line);
        }
    }
    text
}

fn cause_text(cause: Cause) -> &'static str {
    match cause {
        Cause::HttpsRedirectDropped => "the ingress controller redirected plain HTTP to HTTPS for a host with TLS (`ssl-redirect`); add an HTTPRoute on the HTTP listener with a `RequestRedirect` filter (`scheme: https`)",
        Cause::RedirectAdded => "a `RequestRedirect` filter now answers instead of a backend",
        Cause::RedirectChanged => "the redirect goes elsewhere or with another status (ingress-nginx redirects with 308, which keeps the method; `RequestRedirect` defaults to 302)",
        Cause::StringPrefixPath => "ingress-nginx matches an `ImplementationSpecific` path as a plain string prefix (`/api` takes `/apix`); `PathPrefix` matches whole path elements",
        Cause::RegexPath => "the Ingress's paths are regular expressions for ingress-nginx (`use-regex`, `rewrite-target`); write a `RegularExpression` match, whose syntax depends on the implementation",
        Cause::DefaultBackendDropped => "a `defaultBackend` answered before; add a rule for it (`PathPrefix /`, without hostnames for a catch-all)",
        Cause::DefaultBackendAdded => "a `defaultBackend` answers now",
        Cause::ListenerMissing => "no listener takes the host on this port now: add one, or attach the route to it",
        Cause::ListenerAdded => "a listener takes the host on this port now",
        Cause::NoReadyProxies => "no proxy pod of the Gateway or ingress controller that takes the host is ready now, so the Service in front of them has no ready endpoint: make them ready (their conditions and events say why they are not)",
        Cause::ProxiesReady => "the proxies that take the host had no ready pod before; they answer now",
        Cause::NoLongerRouted => "no rule takes the path now",
        Cause::NewlyRouted => "a rule takes the path now",
        Cause::BackendChanged => "another Service port receives it",
        Cause::BackendInvalid => "the rule's backend is invalid on one side (no such Service or port, or no ReferenceGrant)",
        Cause::PolicyRefuses => "the backend's NetworkPolicy does not admit the new proxies (a rule that admits the ingress controller's namespace does not admit the Gateway's): admit the Gateway's proxy pods",
        Cause::PolicyAdmits => "the backend's NetworkPolicy admits the new proxies, and refused the old ones",
        Cause::WildcardDepth => "an Ingress host `*.example.com` matches exactly one label; a Gateway API hostname `*.example.com` matches one or more",
    }
}

fn hosts(hosts: &[String]) -> String {
    hosts.iter().map(|h| format!("`{}`", safe(h))).collect::<Vec<_>>().join(", ")
}

fn count(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// `text` with control characters escaped, so that input cannot drive the terminal.
fn safe(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}
