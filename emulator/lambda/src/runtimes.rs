//! How a function's code is started, per Lambda runtime, each behind the local Runtime API:
//!
//! - `provided.*`: the code's `bootstrap` (or the Cargo binary the template names), as Lambda
//!   runs a custom runtime;
//! - `python3.*`: AWS's runtime interface client (`python -m awslambdaric {handler}`) on the
//!   project venv's Python, which also has boto3, the SDK Lambda's Python runtime ships;
//! - `nodejs*`: AWS's runtime interface client (`aws-lambda-ric`) with the AWS SDK for
//!   JavaScript v3 clients, from `emulator/lambda/runtimes/nodejs`.
//!
//! Code comes from a local folder (SAM's `CodeUri`) or from the template itself (`ZipFile`,
//! `InlineCode`), which is written to `index.py` / `index.js` as Lambda does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wsflow_cloudformation::{Function, FunctionCode};

/// The language runtimes local mode can run functions on.
#[derive(Debug, Clone, Default)]
pub struct Runtimes {
    /// A Python with `awslambdaric` and `boto3` (the project venv's).
    pub python: Option<PathBuf>,
    /// `emulator/lambda/runtimes`: `nodejs/` (`register.mjs`, and `node_modules` with
    /// `aws-lambda-ric` and the SDK clients) and `python/` (`sitecustomize.py`).
    pub dir: Option<PathBuf>,
    /// Where Cargo binaries named by `wsflow:binary` are.
    pub binaries: PathBuf,
    /// Where inline code is written, one folder per function.
    pub inline_root: PathBuf,
}

/// The process that is one execution environment of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Launch {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<String>,
    /// The function's code folder: the working directory and `LAMBDA_TASK_ROOT`.
    pub task_root: PathBuf,
    /// Variables the runtime itself needs (search paths), before the template's.
    pub env: BTreeMap<String, String>,
}

impl Launch {
    /// A custom runtime's executable on its own, its folder as the task root.
    pub fn binary(program: impl Into<PathBuf>) -> Launch {
        let program = program.into();
        Launch {
            task_root: program.parent().map(Path::to_owned).unwrap_or_default(),
            program,
            args: Vec::new(),
            env: BTreeMap::new(),
        }
    }
}

/// The family of a `Runtime` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Custom,
    Python,
    Node,
}

fn family(runtime: &str) -> Option<Family> {
    if runtime.starts_with("provided") {
        Some(Family::Custom)
    } else if runtime.starts_with("python3.") {
        Some(Family::Python)
    } else if runtime.starts_with("nodejs") {
        Some(Family::Node)
    } else {
        None
    }
}

impl Runtimes {
    /// How to start `function`, or why it cannot run locally.
    pub fn launch(&self, function: &Function) -> Result<Launch, String> {
        if let Some(binary) = &function.binary {
            return self.cargo_binary(binary);
        }
        let runtime = function
            .runtime
            .as_deref()
            .ok_or("it has no Runtime (container images do not run locally)")?;
        let family = family(runtime).ok_or_else(|| format!("runtime {runtime} is not supported locally"))?;
        let handler = function.handler.clone().unwrap_or_default();
        let task_root = self.task_root(function, family)?;
        match family {
            Family::Custom => custom(task_root),
            Family::Python => self.python(task_root, handler),
            Family::Node => self.node(task_root, handler),
        }
    }

    fn cargo_binary(&self, binary: &str) -> Result<Launch, String> {
        let program = self.binaries.join(binary);
        if !program.is_file() {
            return Err(format!(
                "{} is missing: build it (`cargo build --release --bin {binary}`) or point --bin-dir at it",
                program.display()
            ));
        }
        Ok(Launch::binary(program))
    }

    /// The code folder; inline code is written into a fresh one first.
    fn task_root(&self, function: &Function, family: Family) -> Result<PathBuf, String> {
        match &function.code {
            FunctionCode::Directory(dir) if dir.is_dir() => Ok(dir.clone()),
            FunctionCode::Directory(dir) => Err(format!("its code folder {} does not exist", dir.display())),
            FunctionCode::Inline(source) => {
                let file = match family {
                    Family::Python => "index.py",
                    Family::Node => "index.js",
                    Family::Custom => return Err("inline code needs a Python or Node.js runtime".into()),
                };
                let dir = self.inline_root.join(&function.logical_id);
                write_inline(&dir, file, source)
                    .map_err(|e| format!("writing its inline code to {}: {e}", dir.display()))?;
                Ok(dir)
            }
            FunctionCode::Remote => Err(
                "its code is in S3 or an image; local mode runs local folders (SAM CodeUri) and inline code"
                    .into(),
            ),
        }
    }

    fn python(&self, task_root: PathBuf, handler: String) -> Result<Launch, String> {
        let python = self
            .python
            .clone()
            .ok_or("no Python runtime: run `make venv` (awslambdaric and boto3 in .venv)")?;
        // The code folder comes first, so packages vendored with the function win over the
        // runtime's boto3, as in Lambda; then local mode's start-up hook.
        let mut path = task_root.display().to_string();
        if let Some(dir) = &self.dir {
            path = format!("{path}:{}", dir.join("python").display());
        }
        // Lambda's code folder is read-only; here it is the developer's, kept free of __pycache__.
        let env = BTreeMap::from([
            ("PYTHONPATH".to_owned(), path),
            ("PYTHONDONTWRITEBYTECODE".to_owned(), "1".to_owned()),
        ]);
        Ok(Launch {
            program: python,
            args: vec!["-m".into(), "awslambdaric".into(), handler],
            task_root,
            env,
        })
    }

    fn node(&self, task_root: PathBuf, handler: String) -> Result<Launch, String> {
        let runtime = self
            .dir
            .as_ref()
            .map(|dir| dir.join("nodejs"))
            .filter(|dir| dir.join("node_modules/aws-lambda-ric").is_dir())
            .ok_or("no Node.js runtime: run `make runtimes` (npm ci in emulator/lambda/runtimes/nodejs)")?;
        let modules = runtime.join("node_modules");
        let client = modules.join("aws-lambda-ric/bin/index.mjs");
        // NODE_PATH serves `require`; the registered hook serves `import`. Both are consulted
        // only after the function's own node_modules.
        let env = BTreeMap::from([
            ("NODE_PATH".to_owned(), modules.display().to_string()),
            // The SDK's notice that its future releases need a newer Node.js than this machine's
            // is not the function's output.
            (
                "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED".to_owned(),
                "true".to_owned(),
            ),
        ]);
        Ok(Launch {
            program: PathBuf::from("node"),
            args: vec![
                "--import".into(),
                runtime.join("register.mjs").display().to_string(),
                client.display().to_string(),
                handler,
            ],
            task_root,
            env,
        })
    }
}

fn custom(task_root: PathBuf) -> Result<Launch, String> {
    let bootstrap = task_root.join("bootstrap");
    if !bootstrap.is_file() {
        return Err(format!(
            "{} is missing: a custom runtime needs its bootstrap",
            bootstrap.display()
        ));
    }
    Ok(Launch::binary(bootstrap))
}

fn write_inline(dir: &Path, file: &str, source: &str) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(file), source)
}

/// `AWS_EXECUTION_ENV` as Lambda sets it: `AWS_Lambda_{runtime}` (none for custom runtimes).
pub fn execution_env(runtime: Option<&str>) -> Option<String> {
    let runtime = runtime?;
    (family(runtime)? != Family::Custom).then(|| format!("AWS_Lambda_{runtime}"))
}
