//! The macros' compile errors, pinned: each file under `tests/ui/<macro>/fail/` is one
//! mistake, named after it, with the expected message in the `.stderr` beside it; the files
//! under `pass/` must compile. The `*_with_call_sites` files also use the declarations
//! (`name::handler()`, `.attach(..)`): the attribute's own errors must be the only ones. Refresh
//! the messages with `TRYBUILD=overwrite cargo test -p wamp-macros --test ui` and review the
//! diff.

#[test]
fn compile_errors_point_at_the_mistake() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/*/pass/*.rs");
    cases.compile_fail("tests/ui/*/fail/*.rs");
}
