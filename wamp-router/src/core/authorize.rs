//! Authorization: a realm's roles and their permissions, as Crossbar.io's static roles.
//!
//! For an action on a URI, one matching permission of the session's role decides, in
//! Crossbar.io's order (`RouterRoleStaticAuth.authorize`): an exact permission, else a matching
//! wildcard (the one with the longest literal text before its first empty component, as
//! Crossbar.io picks it; then the one whose literal components come first), else the longest
//! matching prefix. No matching permission, or an unknown role, denies. The role `trusted` may do anything (as in
//! Crossbar.io, where it is the role of the router's own sessions).

use std::collections::HashMap;

use wamp_core::uri::MatchPolicy;

use super::config::{Permission, RoleConfig};

/// An action to authorize.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Call,
    Register,
    Publish,
    Subscribe,
}

/// The decision on an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grant {
    /// Whether the action is allowed.
    pub(crate) allow: bool,
    /// Whether the caller (CALL) or publisher (PUBLISH) is disclosed.
    pub(crate) disclose: bool,
}

const DENY: Grant = Grant {
    allow: false,
    disclose: false,
};

/// The role name allowed everything.
pub(crate) const TRUSTED: &str = "trusted";

#[derive(Debug, Default)]
struct RoleTable {
    exact: HashMap<String, Permission>,
    /// Longest first.
    prefix: Vec<Permission>,
    wildcard: Vec<Permission>,
}

/// The roles of one realm.
#[derive(Debug, Default)]
pub(crate) struct Authorizer {
    roles: HashMap<String, RoleTable>,
}

impl Authorizer {
    pub(crate) fn new(roles: &[RoleConfig]) -> Self {
        let mut out = HashMap::new();
        for role in roles {
            let mut t = RoleTable::default();
            for p in &role.permissions {
                match p.match_ {
                    MatchPolicy::Exact => {
                        t.exact.insert(p.uri.clone(), p.clone());
                    }
                    MatchPolicy::Prefix => t.prefix.push(p.clone()),
                    MatchPolicy::Wildcard => t.wildcard.push(p.clone()),
                }
            }
            t.prefix.sort_by_key(|p| std::cmp::Reverse(p.uri.len()));
            out.insert(role.name.clone(), t);
        }
        Authorizer { roles: out }
    }

    /// Whether the realm has `role` (`trusted` always exists).
    pub(crate) fn has_role(&self, role: &str) -> bool {
        role == TRUSTED || self.roles.contains_key(role)
    }

    /// The permission of `role` deciding about `uri`.
    fn permission<'a>(&'a self, role: &str, uri: &str) -> Option<&'a Permission> {
        let t = self.roles.get(role)?;
        if let Some(p) = t.exact.get(uri) {
            return Some(p);
        }
        let wildcard = t
            .wildcard
            .iter()
            .filter(|p| wamp_core::uri::matches(&p.uri, MatchPolicy::Wildcard, uri))
            .min_by(|a, b| {
                let literal = |p: &Permission| p.uri.find("..").unwrap_or(p.uri.len());
                let empty =
                    |p: &Permission| -> Vec<bool> { p.uri.split('.').map(str::is_empty).collect() };
                literal(b)
                    .cmp(&literal(a))
                    .then_with(|| empty(a).cmp(&empty(b)))
            });
        wildcard.or_else(|| t.prefix.iter().find(|p| uri.starts_with(p.uri.as_str())))
    }

    /// The decision on `action` on `uri` for a session of `role`.
    pub(crate) fn authorize(&self, role: &str, uri: &str, action: Action) -> Grant {
        if role == TRUSTED {
            return Grant {
                allow: true,
                disclose: matches!(action, Action::Call | Action::Publish),
            };
        }
        let Some(p) = self.permission(role, uri) else {
            return DENY;
        };
        match action {
            Action::Call => Grant {
                allow: p.allow.call,
                disclose: p.disclose.caller,
            },
            Action::Register => Grant {
                allow: p.allow.register,
                disclose: false,
            },
            Action::Publish => Grant {
                allow: p.allow.publish,
                disclose: p.disclose.publisher,
            },
            Action::Subscribe => Grant {
                allow: p.allow.subscribe,
                disclose: false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::{Allow, Disclose};

    fn perm(uri: &str, m: MatchPolicy, allow: Allow) -> Permission {
        Permission::new(uri, m, allow)
    }

    const CALL_ONLY: Allow = Allow {
        call: true,
        register: false,
        publish: false,
        subscribe: false,
    };

    fn authorizer(perms: Vec<Permission>) -> Authorizer {
        Authorizer::new(&[RoleConfig {
            name: "user".into(),
            permissions: perms,
        }])
    }

    #[test]
    fn nothing_is_allowed_without_a_matching_permission() {
        let a = authorizer(vec![perm(
            "com.example.add",
            MatchPolicy::Exact,
            Allow::ALL,
        )]);
        assert!(!a.authorize("user", "com.example.sub", Action::Call).allow);
        assert!(a.authorize("user", "com.example.add", Action::Call).allow);
    }

    #[test]
    fn an_unknown_role_is_denied_everything() {
        let a = authorizer(vec![perm("", MatchPolicy::Prefix, Allow::ALL)]);
        assert!(!a.authorize("other", "x", Action::Publish).allow);
        assert!(!a.has_role("other"));
        assert!(a.has_role("trusted"));
    }

    #[test]
    fn an_exact_permission_overrides_a_prefix_one() {
        let a = authorizer(vec![
            perm("com.example.", MatchPolicy::Prefix, Allow::ALL),
            perm("com.example.secret", MatchPolicy::Exact, Allow::NONE),
        ]);
        assert!(
            !a.authorize("user", "com.example.secret", Action::Call)
                .allow
        );
        assert!(a.authorize("user", "com.example.open", Action::Call).allow);
    }

    #[test]
    fn the_longest_prefix_decides() {
        let a = authorizer(vec![
            perm("com.", MatchPolicy::Prefix, Allow::ALL),
            perm("com.example.", MatchPolicy::Prefix, CALL_ONLY),
        ]);
        let g = a.authorize("user", "com.example.x", Action::Publish);
        assert!(!g.allow);
        assert!(a.authorize("user", "com.example.x", Action::Call).allow);
        assert!(a.authorize("user", "com.other", Action::Publish).allow);
    }

    #[test]
    fn a_wildcard_permission_overrides_a_prefix_one_as_in_crossbar() {
        let a = authorizer(vec![
            perm("com..add", MatchPolicy::Wildcard, Allow::ALL),
            perm("com.example.", MatchPolicy::Prefix, Allow::NONE),
        ]);
        assert!(a.authorize("user", "com.example.add", Action::Call).allow);
        assert!(!a.authorize("user", "com.example.sub", Action::Call).allow);
        assert!(a.authorize("user", "com.other.add", Action::Call).allow);
    }

    #[test]
    fn of_two_matching_wildcards_the_longer_literal_start_decides() {
        let a = authorizer(vec![
            perm("com...add", MatchPolicy::Wildcard, Allow::NONE),
            perm("com.example..add", MatchPolicy::Wildcard, CALL_ONLY),
        ]);
        assert!(a.authorize("user", "com.example.x.add", Action::Call).allow);
        assert!(!a.authorize("user", "com.other.x.add", Action::Call).allow);
    }

    #[test]
    fn disclosure_follows_the_deciding_permission() {
        let mut p = perm("com.", MatchPolicy::Prefix, Allow::ALL);
        p.disclose = Disclose {
            caller: true,
            publisher: false,
        };
        let a = authorizer(vec![p]);
        assert!(a.authorize("user", "com.x", Action::Call).disclose);
        assert!(!a.authorize("user", "com.x", Action::Publish).disclose);
    }

    #[test]
    fn the_trusted_role_may_do_anything() {
        let a = authorizer(vec![]);
        assert!(a.authorize("trusted", "any.thing", Action::Register).allow);
    }
}
