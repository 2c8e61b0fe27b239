//! Mapping templates: choosing one by selection expression, parsing it once, rendering it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use wsflow_vtl::{MappingTemplate, RenderContext};

use crate::request::Request;
use crate::routing;

/// Parsed templates by source text: the template set is fixed for the gateway's lifetime.
#[derive(Default)]
pub struct TemplateCache {
    parsed: Mutex<HashMap<String, Arc<MappingTemplate>>>,
}

impl TemplateCache {
    /// Renders `source`; `context` is built only when the template depends on it.
    pub fn render(&self, source: &str, context: impl FnOnce() -> RenderContext) -> Result<String, String> {
        let template = self.parsed(source)?;
        if let Some(text) = template.static_text() {
            return Ok(text.to_owned());
        }
        template.render(&context()).map_err(|e| e.to_string())
    }

    fn parsed(&self, source: &str) -> Result<Arc<MappingTemplate>, String> {
        if let Some(template) = self.parsed.lock().unwrap().get(source) {
            return Ok(template.clone());
        }
        let template =
            Arc::new(MappingTemplate::parse(source).map_err(|e| format!("mapping template: {e}"))?);
        self.parsed
            .lock()
            .unwrap()
            .insert(source.to_owned(), template.clone());
        Ok(template)
    }
}

/// The template a selection expression picks: `\$default` (a literal key), or
/// `$request.body.<path>`, falling back to the `$default` template.
pub fn select<'a>(
    templates: &'a BTreeMap<String, String>,
    expression: Option<&str>,
    body: &str,
) -> Option<&'a String> {
    let key = match expression {
        Some(e) if e.starts_with("$request.body.") => routing::select(e, body),
        Some(e) => Some(e.trim_start_matches('\\').to_owned()),
        None => None,
    };
    key.and_then(|k| templates.get(&k))
        .or_else(|| templates.get("$default"))
}

/// What a template sees of a request; `body` is the client's message, or the integration's
/// response for response templates.
pub fn render_context(request: &Request, body: &str, stage_variables: &serde_json::Value) -> RenderContext {
    let handshake = request.handshake.clone().unwrap_or_default();
    RenderContext {
        body: body.to_owned(),
        context: request.context(),
        stage_variables: stage_variables.clone(),
        headers: handshake.headers,
        query: handshake.query,
        path: BTreeMap::new(),
    }
}
