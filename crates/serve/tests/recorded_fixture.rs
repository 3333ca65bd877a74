//! The recording of a served session that the page's e2e test imports
//! (`web/e2e/fixtures/serve-partition.scenario`) replays natively to the trace hash it names:
//! natively and in the page, one served session, one run.

mod common;

#[test]
fn the_served_session_fixture_replays_to_its_named_hash() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../web/e2e/fixtures/serve-partition.scenario"
    );
    let text = std::fs::read_to_string(path).expect("the fixture");
    let (named, pg, outcome) = common::replay(&text);
    assert_eq!(outcome.trace_hash, named);
    assert_eq!(pg.now(), 20_219);
}
