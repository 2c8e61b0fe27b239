//! The thread that owns the QuickJS runtime.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Function, Runtime, Value};

use crate::event::{outcome, viewer_request_event};
use crate::{EdgeError, EdgeOptions, Invocation, Reply, ViewerRequest};

/// Defines `console` on top of the Rust `__wsflowLog(line)`.
const PRELUDE: &str = r#"
(function () {
    var log = globalThis.__wsflowLog;
    function line(args) {
        return Array.prototype.map.call(args, function (a) {
            if (typeof a === 'string') return a;
            try { return JSON.stringify(a); } catch (e) { return String(a); }
        }).join(' ');
    }
    globalThis.console = {
        log: function () { log(line(arguments)); },
        info: function () { log(line(arguments)); },
        warn: function () { log(line(arguments)); },
        error: function () { log(line(arguments)); }
    };
})();
"#;

/// How long compiling the prelude and the function (and running its top-level code) may take.
/// The time budget bounds an invocation, as CloudFront's limit does; loading happens once per
/// engine and, on a loaded machine, can take longer than one invocation's budget, yet runaway
/// top-level code must still be stopped.
const LOAD_LIMIT: Duration = Duration::from_secs(2);

struct Engine {
    _runtime: Runtime,
    context: Context,
    deadline: Rc<Cell<Option<Instant>>>,
    logs: Rc<RefCell<Vec<String>>>,
}

/// Why a call failed, so the engine knows whether to rebuild itself.
enum Failure {
    /// Thrown by the function, or an invalid result: the engine is fine.
    Function(EdgeError),
    /// Out of time or memory: rebuild the engine before the next call.
    Budget(EdgeError),
}

impl Engine {
    fn new(name: &str, source: &str, options: &EdgeOptions) -> Result<Engine, EdgeError> {
        let fail = |e: rquickjs::Error| EdgeError::new(format!("{name}: cannot start QuickJS: {e}"));
        let runtime = Runtime::new().map_err(fail)?;
        runtime.set_memory_limit(options.memory_limit);
        runtime.set_max_stack_size(256 * 1024);
        let deadline: Rc<Cell<Option<Instant>>> = Rc::default();
        let watched = deadline.clone();
        runtime.set_interrupt_handler(Some(Box::new(move || {
            watched.get().is_some_and(|d| Instant::now() >= d)
        })));
        let context = Context::full(&runtime).map_err(fail)?;
        let logs: Rc<RefCell<Vec<String>>> = Rc::default();
        let engine = Engine {
            _runtime: runtime,
            context,
            deadline,
            logs,
        };
        engine.load(name, source, options)?;
        Ok(engine)
    }

    fn load(&self, name: &str, source: &str, options: &EdgeOptions) -> Result<(), EdgeError> {
        let logs = self.logs.clone();
        self.deadline
            .set(Some(Instant::now() + LOAD_LIMIT.max(options.time_budget)));
        let result = self.context.with(|ctx| -> Result<(), EdgeError> {
            let sink = Function::new(ctx.clone(), move |line: String| logs.borrow_mut().push(line))
                .map_err(|e| EdgeError::new(format!("{name}: {e}")))?;
            ctx.globals()
                .set("__wsflowLog", sink)
                .map_err(|e| EdgeError::new(format!("{name}: {e}")))?;
            ctx.eval::<(), _>(PRELUDE)
                .catch(&ctx)
                .map_err(|e| EdgeError::new(format!("{name}: prelude: {}", describe(e))))?;
            ctx.eval::<(), _>(source)
                .catch(&ctx)
                .map_err(|e| EdgeError::new(format!("{name} does not compile: {}", describe(e))))?;
            let handler: Value = ctx
                .globals()
                .get("handler")
                .map_err(|e| EdgeError::new(format!("{name}: {e}")))?;
            if !handler.is_function() {
                return Err(EdgeError::new(format!(
                    "{name} does not define a global `function handler(event)`"
                )));
            }
            Ok(())
        });
        self.deadline.set(None);
        self.logs.borrow_mut().clear();
        result
    }

    fn call(
        &self,
        name: &str,
        request: &ViewerRequest,
        options: &EdgeOptions,
        request_id: &str,
    ) -> Result<Invocation, Failure> {
        let event = viewer_request_event(request, options, request_id).to_string();
        self.logs.borrow_mut().clear();
        let started = Instant::now();
        self.deadline.set(Some(started + options.time_budget));
        let result = self.context.with(|ctx| -> Result<serde_json::Value, Failure> {
            let budget = |e: CaughtError<'_>| classify(name, e, options, started);
            let event = ctx.json_parse(event).catch(&ctx).map_err(budget)?;
            let handler: Function = ctx.globals().get("handler").catch(&ctx).map_err(budget)?;
            let mut returned: Value = handler.call((event,)).catch(&ctx).map_err(budget)?;
            if let Some(promise) = returned.as_promise() {
                returned = match promise.finish::<Value>() {
                    Err(rquickjs::Error::WouldBlock) => {
                        return Err(Failure::Function(EdgeError::new(format!(
                            "{name}: the handler's promise never settled"
                        ))))
                    }
                    other => other.catch(&ctx).map_err(budget)?,
                };
            }
            to_json(&ctx, returned).map_err(|e| classify(name, e, options, started))
        });
        self.deadline.set(None);
        let logs = std::mem::take(&mut *self.logs.borrow_mut());
        for line in &logs {
            tracing::info!(function = name, "{line}");
        }
        let returned = result?;
        let outcome = outcome(&returned, request)
            .map_err(|e| Failure::Function(EdgeError::new(format!("{name}: {}", e.message))))?;
        Ok(Invocation { outcome, logs })
    }
}

fn to_json<'js>(ctx: &Ctx<'js>, value: Value<'js>) -> Result<serde_json::Value, CaughtError<'js>> {
    if value.is_undefined() {
        return Ok(serde_json::Value::Null);
    }
    let text = ctx.json_stringify(value).catch(ctx)?;
    let text = match text {
        Some(text) => text.to_string().catch(ctx)?,
        None => return Ok(serde_json::Value::Null),
    };
    Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
}

fn describe(error: CaughtError<'_>) -> String {
    match error {
        CaughtError::Exception(exception) => {
            let message = exception.message().unwrap_or_default();
            let kind = exception
                .get::<_, Option<String>>("name")
                .ok()
                .flatten()
                .unwrap_or_else(|| "Error".to_owned());
            let mut text = format!("{kind}: {message}");
            if let Some(stack) = exception.stack().filter(|s| !s.trim().is_empty()) {
                text.push_str(&format!(" ({})", stack.trim().replace('\n', " ")));
            }
            text
        }
        CaughtError::Value(value) => match value.as_string().and_then(|s| s.to_string().ok()) {
            Some(text) => format!("threw {text:?}"),
            None => format!("threw a {}", value.type_name()),
        },
        CaughtError::Error(error) => error.to_string(),
    }
}

fn classify(name: &str, error: CaughtError<'_>, options: &EdgeOptions, started: Instant) -> Failure {
    let elapsed = started.elapsed();
    let text = describe(error);
    if elapsed >= options.time_budget && text.contains("interrupted") {
        return Failure::Budget(EdgeError::new(format!(
            "{name} exceeded its time budget of {} ms and was stopped",
            options.time_budget.as_millis()
        )));
    }
    // When an allocation fails QuickJS cannot build an error object and throws `null`.
    if text == "threw a null" {
        return Failure::Budget(EdgeError::new(format!(
            "{name} threw null: QuickJS does so when a function exceeds its memory limit of {} bytes",
            options.memory_limit
        )));
    }
    if text.contains("out of memory") || text.contains("Allocation") {
        return Failure::Budget(EdgeError::new(format!(
            "{name} exceeded its memory limit of {} bytes: {text}",
            options.memory_limit
        )));
    }
    if text.contains("stack overflow") {
        return Failure::Budget(EdgeError::new(format!("{name}: {text}")));
    }
    Failure::Function(EdgeError::new(format!("{name} threw {text}")))
}

/// The thread body: builds the engine, reports readiness, serves calls until the sender drops.
pub(crate) fn run(
    name: String,
    source: String,
    options: EdgeOptions,
    ready: mpsc::Sender<Result<(), EdgeError>>,
    jobs: mpsc::Receiver<(ViewerRequest, Reply)>,
) {
    let mut engine = match Engine::new(&name, &source, &options) {
        Ok(engine) => {
            let _ = ready.send(Ok(()));
            Some(engine)
        }
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    let mut counter: u64 = 0;
    while let Ok((request, reply)) = jobs.recv() {
        counter += 1;
        let request_id = format!("local-{name}-{counter}");
        if engine.is_none() {
            match Engine::new(&name, &source, &options) {
                Ok(fresh) => engine = Some(fresh),
                Err(error) => {
                    let _ = reply.send(Err(error));
                    continue;
                }
            }
        }
        let current = engine.as_ref().expect("engine is built");
        let result = match current.call(&name, &request, &options, &request_id) {
            Ok(invocation) => Ok(invocation),
            Err(Failure::Function(error)) => Err(error),
            Err(Failure::Budget(error)) => {
                engine = None;
                Err(error)
            }
        };
        let _ = reply.send(result);
    }
}
