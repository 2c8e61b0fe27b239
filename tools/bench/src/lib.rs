//! The benchmark report: its data model, latency histograms and the HTML page, shared by the
//! `wsflow-bench` binary and the rendering test.

pub mod histogram;
pub mod html;
pub mod report;
