//! KR805: a Calico selector expression that matches nothing: malformed
//! (Calico's API server rejects the policy; the model lets it select
//! nothing) or contradictory (`has(a) && !has(a)`, `a == 'x' && a == 'y'`).
//! The selector language is the calico layer's ([`crate::calico::Selector`]:
//! parsing and [`crate::calico::Selector::cannot_match`]).

use crate::calico::{CalicoObject, CalicoPolicy, EntityRule, Selector};
use crate::check::{declare_rule, Context, Emitter, Severity, Subject};

/// One selector of a policy: its field path, its text, and whether a
/// contradiction in it matters (a `notSelector` that matches nothing
/// excludes nothing, which is harmless).
struct Field {
    path: String,
    text: String,
    judge_contradiction: bool,
}

fn calico_selector_cannot_match(ctx: &Context<'_>, out: &mut Emitter<'_>) {
    for object in ctx.cluster.calico_objects() {
        let policy = match &object.value {
            CalicoObject::NetworkPolicy(p) | CalicoObject::GlobalNetworkPolicy(p) => p,
            _ => continue,
        };
        let subject = Subject::object(object.value.kind(), &policy.metadata, object);
        for field in selectors(policy) {
            match Selector::parse(&field.text) {
                Err(error) => {
                    let message = format!(
                        "selector `{}` is not a Calico selector expression ({error}): Calico's API server \
                         rejects the policy, and kubereach lets the selector match nothing",
                        field.text
                    );
                    let fix = "write it in Calico's selector syntax: `key == 'value'`, `has(key)`, \
                               `key in {'a', 'b'}`, joined with `&&`, `||` and parentheses"
                        .to_owned();
                    out.emit_with(Severity::Error, &subject, &field.path, message, fix);
                }
                Ok(selector) if field.judge_contradiction && selector.cannot_match() == Some(true) => {
                    let message = if selector.is_global() {
                        format!("selector `{}` matches only non-namespaced endpoints (host endpoints, network sets), never a pod", field.text)
                    } else {
                        format!("selector `{}` contradicts itself: no set of labels matches it", field.text)
                    };
                    let fix =
                        "join the alternatives with `||` instead of `&&`, or drop the contradicting part"
                            .to_owned();
                    if selector.is_global() && field.path == "spec.selector" {
                        // A policy for host endpoints by design: outside the pod model.
                        continue;
                    }
                    out.emit(&subject, &field.path, message, fix);
                }
                Ok(_) => {}
            }
        }
    }
}

/// Every selector of `policy` with its field path.
fn selectors(policy: &CalicoPolicy) -> Vec<Field> {
    let spec = &policy.spec;
    let mut fields = Vec::new();
    let mut add = |path: String, text: Option<&String>, judge_contradiction: bool| {
        if let Some(text) = text {
            fields.push(Field { path, text: text.clone(), judge_contradiction });
        }
    };
    add("spec.selector".to_owned(), spec.selector.as_ref(), true);
    add("spec.namespaceSelector".to_owned(), spec.namespace_selector.as_ref(), true);
    add("spec.serviceAccountSelector".to_owned(), spec.service_account_selector.as_ref(), true);
    for (direction, rules) in [("ingress", &spec.ingress), ("egress", &spec.egress)] {
        for (index, rule) in rules.iter().flatten().enumerate() {
            for (side, entity) in [("source", &rule.source), ("destination", &rule.destination)] {
                let Some(entity) = entity else { continue };
                let base = format!("spec.{direction}[{index}].{side}");
                entity_selectors(&base, entity, &mut add);
            }
        }
    }
    fields
}

fn entity_selectors(base: &str, entity: &EntityRule, add: &mut impl FnMut(String, Option<&String>, bool)) {
    add(format!("{base}.selector"), entity.selector.as_ref(), true);
    add(format!("{base}.notSelector"), entity.not_selector.as_ref(), false);
    add(format!("{base}.namespaceSelector"), entity.namespace_selector.as_ref(), true);
    let accounts = entity.service_accounts.as_ref().and_then(|a| a.selector.as_ref());
    add(format!("{base}.serviceAccounts.selector"), accounts, true);
}

declare_rule! {
    /// ## What it does
    /// Finds Calico `NetworkPolicy` and `GlobalNetworkPolicy` selectors
    /// (`selector`, `namespaceSelector`, `serviceAccountSelector`, and in
    /// rules `selector`, `notSelector`, `namespaceSelector`,
    /// `serviceAccounts.selector`) that can match nothing: malformed
    /// expressions (an error), and expressions that contradict themselves,
    /// such as `has(a) && !has(a)` or `app == 'web' && app == 'api'` (a
    /// warning).
    ///
    /// ## Why does this break traffic?
    /// Calico's selectors are expressions, not label maps, and a slip
    /// such as `&&` where `||` was meant makes one that no endpoint
    /// satisfies. A policy whose own selector matches nothing applies to no
    /// pod; a rule whose peer selector matches nothing allows (or denies)
    /// nothing, so the traffic it was written for falls to the end of the
    /// tier and is denied. A malformed selector is rejected by Calico's API
    /// server, so the policy is not in the cluster at all.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: projectcalico.org/v3
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: api-from-frontends
    ///   namespace: shop
    /// spec:
    ///   selector: app == 'api'
    ///   ingress:
    ///   - action: Allow
    ///     source:
    ///       selector: app == 'web' && app == 'mobile'
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// apiVersion: projectcalico.org/v3
    /// kind: NetworkPolicy
    /// metadata:
    ///   name: api-from-frontends
    ///   namespace: shop
    /// spec:
    ///   selector: app == 'api'
    ///   ingress:
    ///   - action: Allow
    ///     source:
    ///       selector: app in {'web', 'mobile'}
    /// ```
    ///
    /// ## Known problems
    /// Contradictions are found by trying every combination of the values
    /// the expression names (plus absent and one other value); expressions
    /// with too many combinations are not judged. A policy `selector` of
    /// `global()` (host endpoints only) is outside the pod model and not
    /// reported.
    ///
    /// ## References
    /// - <https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#selectors>
    /// - <https://docs.tigera.io/calico/latest/reference/resources/globalnetworkpolicy>
    pub struct CalicoSelectorCannotMatch {
        code: "KR805",
        name: "calico-selector-cannot-match",
        severity: Warning,
        summary: "a Calico selector that is malformed or contradicts itself",
        check: calico_selector_cannot_match,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use crate::check::testing::findings;

    fn policy(spec: Value) -> Value {
        json!({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
               "metadata": {"namespace": "shop", "name": "p"}, "spec": spec})
    }

    fn check(spec: Value) -> Vec<String> {
        findings("calico-selector-cannot-match", vec![policy(spec)])
    }

    // The selector grammar of the NetworkPolicy reference: `==` needs a
    // quoted value; `&&` of two values of one key matches nothing.
    #[test]
    fn malformed_and_contradictory() {
        let found = check(json!({"selector": "app = 'api'"}));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("error NetworkPolicy shop/p: selector `app = 'api'` is not"),
            "{found:?}"
        );
        let found = check(
            json!({"ingress": [{"action": "Allow", "source": {"selector": "app == 'a' && app == 'b'"}}]}),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].starts_with("warning") && found[0].contains("contradicts itself"), "{found:?}");
        // `in {…}` is the way to say either.
        assert!(check(
            json!({"ingress": [{"action": "Allow", "source": {"selector": "app in {'a', 'b'}"}}]})
        )
        .is_empty());
        // A `notSelector` that matches nothing excludes nothing: not reported.
        assert!(check(
            json!({"ingress": [{"action": "Allow", "source": {"notSelector": "has(a) && !has(a)"}}]})
        )
        .is_empty());
        // A malformed `notSelector` still is.
        assert_eq!(
            check(json!({"ingress": [{"action": "Allow", "source": {"notSelector": "has(a"}}]})).len(),
            1
        );
    }
}
