//! Ranges: range ends, limits, counts, sorting and revision filters.

use super::*;

#[test]
fn range_ends() {
    let mut s = abcde();
    put(&mut s, "ab", "x");
    assert_eq!(keys(&s.range(&rng("a", "")).unwrap()), ["a"]);
    assert_eq!(keys(&s.range(&rng("a", "c")).unwrap()), ["a", "ab", "b"]);
    assert_eq!(
        keys(
            &s.range(&rng("a", &String::from_utf8(prefix_end(b"a")).unwrap()))
                .unwrap()
        ),
        ["a", "ab"]
    );
    let from = RangeRequest {
        key: b("c"),
        range_end: vec![0],
        ..Default::default()
    };
    assert_eq!(keys(&s.range(&from).unwrap()), ["c", "d", "e"]);
    let all = RangeRequest {
        key: vec![0],
        range_end: vec![0],
        ..Default::default()
    };
    assert_eq!(s.range(&all).unwrap().count, 6);
    // An inverted range is empty, not an error.
    assert!(s.range(&rng("d", "b")).unwrap().kvs.is_empty());
    assert_eq!(s.range(&rng("", "")), Err(Error::EmptyKey));
}

#[test]
fn limit_count_more() {
    let s = abcde();
    let r = s
        .range(&RangeRequest {
            limit: 2,
            ..rng("a", "z")
        })
        .unwrap();
    assert_eq!(keys(&r), ["a", "b"]);
    assert!(r.more);
    assert_eq!(r.count, 5);
    let r = s
        .range(&RangeRequest {
            limit: 5,
            ..rng("a", "z")
        })
        .unwrap();
    assert!(!r.more);
    assert_eq!(r.kvs.len(), 5);
    let r = s
        .range(&RangeRequest {
            count_only: true,
            limit: 1,
            ..rng("a", "z")
        })
        .unwrap();
    assert!(r.kvs.is_empty());
    assert_eq!((r.count, r.more), (5, false));
    let r = s
        .range(&RangeRequest {
            keys_only: true,
            ..rng("a", "c")
        })
        .unwrap();
    assert_eq!(keys(&r), ["a", "b"]);
    assert!(r
        .kvs
        .iter()
        .all(|kv| kv.value.is_empty() && kv.version == 1));
}

#[test]
fn sorting() {
    let mut s = abcde();
    put(&mut s, "a", "9"); // a: version 2, mod 7
    put(&mut s, "c", "0"); // c: version 2, mod 8
    let sorted = |order, target| {
        keys(
            &s.range(&RangeRequest {
                sort_order: order,
                sort_target: target,
                ..rng("a", "z")
            })
            .unwrap(),
        )
    };
    assert_eq!(
        sorted(SortOrder::None, SortTarget::Key),
        ["a", "b", "c", "d", "e"]
    );
    assert_eq!(
        sorted(SortOrder::Descend, SortTarget::Key),
        ["e", "d", "c", "b", "a"]
    );
    assert_eq!(
        sorted(SortOrder::Ascend, SortTarget::Mod),
        ["b", "d", "e", "a", "c"]
    );
    assert_eq!(
        sorted(SortOrder::Descend, SortTarget::Mod),
        ["c", "a", "e", "d", "b"]
    );
    // A non-key target without order sorts ascending.
    assert_eq!(
        sorted(SortOrder::None, SortTarget::Value),
        ["c", "b", "d", "e", "a"]
    );
    // Ties keep key order.
    assert_eq!(
        sorted(SortOrder::Descend, SortTarget::Version),
        ["a", "c", "b", "d", "e"]
    );
    assert_eq!(
        sorted(SortOrder::Ascend, SortTarget::Create),
        ["a", "b", "c", "d", "e"]
    );
    // Limit applies after sorting, count ignores it.
    let r = s
        .range(&RangeRequest {
            sort_order: SortOrder::Descend,
            sort_target: SortTarget::Mod,
            limit: 1,
            ..rng("a", "z")
        })
        .unwrap();
    assert_eq!(
        (keys(&r), r.more, r.count),
        (vec!["c".to_string()], true, 5)
    );
}

#[test]
fn min_max_filters_do_not_change_count() {
    let mut s = abcde();
    put(&mut s, "a", "x"); // mod 7, create 2
    let r = s
        .range(&RangeRequest {
            min_mod_revision: 4,
            max_mod_revision: 6,
            ..rng("a", "z")
        })
        .unwrap();
    assert_eq!(keys(&r), ["c", "d", "e"]);
    assert_eq!(r.count, 5);
    let r = s
        .range(&RangeRequest {
            max_create_revision: 3,
            limit: 1,
            ..rng("a", "z")
        })
        .unwrap();
    assert_eq!(keys(&r), ["a"]);
    assert!(r.more);
    let r = s
        .range(&RangeRequest {
            min_create_revision: 5,
            ..rng("a", "z")
        })
        .unwrap();
    assert_eq!(keys(&r), ["d", "e"]);
}
