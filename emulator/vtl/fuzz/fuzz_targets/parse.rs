//! Parsing arbitrary UTF-8 must return a template or a positioned error, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsflow_vtl::MappingTemplate;

fuzz_target!(|source: &str| {
    if let Err(e) = MappingTemplate::parse(source) {
        assert!(e.line >= 1 && e.column >= 1);
    }
});
