//! Any template that parses must render against any body without panicking,
//! hanging or exhausting memory (the engine's limits turn those into errors).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsflow_vtl::{RenderContext, MappingTemplate};

fuzz_target!(|input: &str| {
    // The first line is the body, the rest the template, so both evolve.
    let (body, source) = input.split_once('\n').unwrap_or(("", input));
    let Ok(template) = MappingTemplate::parse(source) else {
        return;
    };
    let ctx = RenderContext {
        body: body.to_string(),
        context: serde_json::json!({"connectionId": "abc=", "requestTimeEpoch": 1_700_000_000_000_i64}),
        ..RenderContext::default()
    };
    if let Err(e) = template.render(&ctx) {
        assert!(e.line >= 1 && e.column >= 1);
    }
});
