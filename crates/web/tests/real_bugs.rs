//! The three lessons that replay real etcd bugs (etcd #741, #11456, #18089), run to their end as
//! the page's "Show me" runs them, then checked as the page's "Check this session" checks them:
//! each is caught, in words that name it. The same lessons without their planted bug check out
//! clean, and so does every other built-in (the Check panel has no false alarm on them, compaction
//! included, now that the session keeps the log a compaction forgets).

use etcd::scenario::builtin;
use etcd::session::Session;
use web::checking::{CheckView, STEP_BUDGET};

/// Runs built-in `text` to its end and checks the session as the Check panel does.
fn check(name: &str, text: &str) -> CheckView {
    let s = Session::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let e = Session::replay(&s).unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut c = web::checking::SessionCheck::of(&e, STEP_BUDGET);
    loop {
        if let Some(v) = c.advance(100_000) {
            return v;
        }
    }
}

/// `text` without its `@planted` header: the same lesson on a healthy cluster.
fn healthy(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("@planted"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn lesson(name: &str) -> &'static str {
    builtin::get(name).unwrap_or_else(|| panic!("no built-in {name}"))
}

#[test]
fn a_stale_read_from_an_old_leader_is_named_in_one_sentence() {
    let v = check("12", lesson("12-bug-stale-leader-read"));
    assert_eq!(v.verdict, "Not linearizable", "{}", v.explanation);
    assert_eq!(v.planted, ["leader-local-read"]);
    let h = &v.headline;
    assert!(
        h.starts_with("get x through node 3 at ")
            && h.contains(" returned foo, but put x=bar had finished at "),
        "{h}"
    );
    assert!(h.contains("a stale read"), "{h}");
    let culprit: Vec<_> = v
        .bars
        .iter()
        .filter(|b| b.role.contains("culprit"))
        .collect();
    assert_eq!(culprit.len(), 1, "{:?}", v.bars);
    assert!(culprit[0].label.starts_with("get x"), "{:?}", culprit[0]);
}

#[test]
fn a_lock_granted_to_an_expired_session_is_invalid() {
    let v = check("13", lesson("13-bug-lock-lease"));
    assert_eq!(v.locks.verdict, "Invalid", "{:?}", v.locks);
    assert_eq!(v.locks.holds, 2, "{:?}", v.locks);
    let f = v.locks.findings.join("\n");
    assert!(
        f.contains("jepsen/1d54663e70c503bc")
            && f.contains("the store never gave it the lock")
            && f.contains("deleted at revision"),
        "{f}"
    );
    assert_eq!(v.planted, ["lock-without-recheck"]);
}

#[test]
fn a_watch_that_lost_a_compacted_delete_is_invalid() {
    let v = check("14", lesson("14-bug-watch-compaction"));
    assert_eq!(v.watch.verdict, "Invalid", "{:?}", v.watch);
    let f = &v.watch.findings[0];
    assert_eq!(f.rule, "reliable", "{f:?}");
    assert!(f.line.starts_with("watch k --rev=5"), "{f:?}");
    assert!(
        f.detail.starts_with("DELETE \"k\" @5") && f.detail.contains("never delivered"),
        "{f:?}"
    );
    assert_eq!(v.planted, ["compaction-loses-delete"]);
}

#[test]
fn without_their_bugs_the_same_lessons_check_out() {
    let v = check("12 healthy", &healthy(lesson("12-bug-stale-leader-read")));
    assert_eq!(v.verdict, "Linearizable", "{}", v.explanation);
    let v = check("13 healthy", &healthy(lesson("13-bug-lock-lease")));
    assert_eq!(v.locks.verdict, "Valid", "{:?}", v.locks);
    let v = check("14 healthy", &healthy(lesson("14-bug-watch-compaction")));
    assert_eq!(v.watch.verdict, "Valid", "{:?}", v.watch);
}

#[test]
fn every_other_builtin_checks_out() {
    for (name, text) in builtin::LESSONS.iter().chain(builtin::CLASSICS) {
        if name.contains("-bug-") {
            continue;
        }
        let v = check(name, text);
        assert!(v.planted.is_empty(), "{name}");
        assert_ne!(v.verdict, "Not linearizable", "{name}: {}", v.explanation);
        for (what, verdict) in [
            ("watch", v.watch.verdict),
            ("leases", v.leases.verdict),
            ("locks", v.locks.verdict),
        ] {
            assert_ne!(verdict, "Invalid", "{name}: {what}: {v:?}");
        }
    }
}
