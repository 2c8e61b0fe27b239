//! What `wsflow dev` is told: the template, the ports, the backend, where the binaries are.

use std::path::{Path, PathBuf};

use anyhow::Context;

/// Default `--template`: where `make synth` writes the synthesized template, relative to the
/// working directory.
pub const DEFAULT_TEMPLATE: &str = "build/template.json";
/// Default `--port` of the WebSocket gateway and its `@connections` API.
pub const DEFAULT_PORT: u16 = 8080;
/// Default `--execute-api-port`: any free port (the banner shows it).
pub const DEFAULT_EXECUTE_API_PORT: u16 = 0;
/// Default `--backend-port` of the moto server local mode starts as the AWS backend.
pub const DEFAULT_BACKEND_PORT: u16 = 4566;
/// Four processes kept `$default` echo throughput about 30% above two on 2 cores (`make bench`).
pub const DEFAULT_FUNCTION_CONCURRENCY: usize = 4;

/// What `wsflow dev` was asked: its command-line options (`clap` arguments), which
/// [`LocalMode::start`](crate::LocalMode::start) brings up.
#[derive(Debug, Clone, clap::Args)]
pub struct LocalOptions {
    /// The stack's template: CloudFormation JSON or YAML, or a SAM template (default: the one
    /// `make synth` writes).
    #[arg(long, value_name = "PATH", default_value = DEFAULT_TEMPLATE)]
    pub template: PathBuf,
    /// Values for the template's Parameters, as `sam deploy` takes them: `Key=Value`, several
    /// separated by spaces or given with the option repeated.
    #[arg(long, value_name = "KEY=VALUE", num_args = 1.., value_parser = parse_parameter)]
    pub parameter_overrides: Vec<(String, String)>,
    /// Port of the local WebSocket gateway (and of its @connections API), on 127.0.0.1.
    /// 0 picks a free port.
    /// When a CloudFront distribution fronts the API, this is its entrance (the viewer-request
    /// function runs, the origin's custom headers are added) and clients should use it.
    #[arg(long, default_value_t = DEFAULT_PORT)]
    pub port: u16,
    /// Port of the gateway's direct `execute-api` entrance, served besides `--port` when a
    /// CloudFront distribution fronts the API: no CloudFront function, no origin headers, as
    /// for a client that bypasses CloudFront. 0 picks a free port.
    #[arg(long, default_value_t = DEFAULT_EXECUTE_API_PORT)]
    pub execute_api_port: u16,
    /// Port of the moto server started as the AWS backend, on 127.0.0.1. 0 picks a free port.
    #[arg(long, default_value_t = DEFAULT_BACKEND_PORT, conflicts_with = "aws_endpoint")]
    pub backend_port: u16,
    /// Use this running AWS-compatible backend instead of starting moto.
    #[arg(long, value_name = "URL")]
    pub aws_endpoint: Option<String>,
    /// Directory holding the functions' binaries (`queue-worker`, `default-route`, …).
    /// Default: the directory of the running `wsflow` executable (e.g. target/release).
    #[arg(long, value_name = "DIR")]
    pub bin_dir: Option<PathBuf>,
    /// Processes per function: each one serves one invocation at a time.
    #[arg(long, default_value_t = DEFAULT_FUNCTION_CONCURRENCY, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub function_concurrency: usize,
    /// Visibility timeout (seconds) of every event source's receives instead of its queue's:
    /// a smaller value makes failed jobs reappear, and reach their dead-letter queue, sooner.
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u32).range(0..=43_200))]
    pub visibility_timeout: Option<u32>,
    /// `AWS::Region` of the stack (and of the functions' SDKs); default `us-east-1`. `wsflow`
    /// sets it from its global `--region`.
    #[arg(skip)]
    pub region: Option<String>,
}

impl Default for LocalOptions {
    fn default() -> Self {
        LocalOptions {
            template: PathBuf::from(DEFAULT_TEMPLATE),
            parameter_overrides: Vec::new(),
            port: DEFAULT_PORT,
            execute_api_port: DEFAULT_EXECUTE_API_PORT,
            backend_port: DEFAULT_BACKEND_PORT,
            aws_endpoint: None,
            bin_dir: None,
            function_concurrency: DEFAULT_FUNCTION_CONCURRENCY,
            visibility_timeout: None,
            region: None,
        }
    }
}

impl LocalOptions {
    /// `bin_dir`, or the directory of the running executable.
    pub fn binaries(&self) -> anyhow::Result<PathBuf> {
        if let Some(dir) = &self.bin_dir {
            return Ok(dir.clone());
        }
        let exe = std::env::current_exe().context("locating the running executable")?;
        Ok(exe
            .parent()
            .context("the running executable has no directory")?
            .to_owned())
    }

    /// The project directory, where `.venv/` is: the first ancestor of the template (then of
    /// the working directory, then of the running `wsflow`) that contains one.
    pub fn project_root(&self) -> Option<PathBuf> {
        let template = std::path::absolute(&self.template).ok();
        let cwd = std::env::current_dir().ok();
        let exe = std::env::current_exe().ok();
        [template, cwd, exe]
            .into_iter()
            .flatten()
            .find_map(|start| venv_ancestor(&start))
    }
}

/// `Key=Value`, as `--parameter-overrides` takes it.
fn parse_parameter(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
        _ => Err(format!(
            "`{text}` is not Key=Value (e.g. --parameter-overrides Stage=dev)"
        )),
    }
}

fn venv_ancestor(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|dir| dir.join(".venv").is_dir())
        .map(Path::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_project_root_from_a_template_below_it() {
        let root = std::env::temp_dir().join(format!("wsflow-local-root-{}", std::process::id()));
        std::fs::create_dir_all(root.join(".venv")).unwrap();
        std::fs::create_dir_all(root.join("build")).unwrap();
        let options = LocalOptions {
            template: root.join("build/template.json"),
            ..LocalOptions::default()
        };
        assert_eq!(options.project_root(), Some(root.clone()));
        std::fs::remove_dir_all(root).unwrap();
    }
}
