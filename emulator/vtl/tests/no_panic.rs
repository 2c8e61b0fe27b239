//! A deterministic stand-in for the cargo-fuzz targets (see `fuzz/`), so CI
//! exercises the "never panics, always reports a position" property on
//! stable Rust: thousands of pseudo-random templates built from VTL
//! fragments, rendered against pseudo-random bodies.

mod common;

use wsflow_vtl::MappingTemplate;

/// xorshift64: tiny, seedable, and good enough to shuffle fragments.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const FRAGMENTS: &[&str] = &[
    "#set(",
    "$x",
    " = ",
    ")",
    "#if(",
    "#elseif(",
    "#else",
    "#end",
    "#{end}",
    "#foreach(",
    "$i in ",
    "[1..3]",
    "[1, 'a', 2.5]",
    "{'k': $x}",
    "#break",
    "#stop",
    "$foreach.hasNext",
    "$velocityCount",
    "$!{x}",
    "${x",
    "}",
    "$input.json('$')",
    "$input.path('$.a')",
    "$input.path('$[0]')",
    "$input.params('id')",
    "$input.body",
    "$util.escapeJavaScript(",
    "$util.urlEncode(",
    "$util.parseJson(",
    "$util.base64Decode(",
    "$context.connectionId",
    "$stageVariables.table",
    ".size()",
    ".get(0)",
    ".keySet()",
    ".put('k', $x)",
    ".add($x)",
    ".substring(1)",
    ".replaceAll('a+', '$0')",
    ".split(',')",
    ".length()",
    "[0]",
    "['k']",
    "\"",
    "'",
    "\"\"",
    "\\",
    "\\$",
    "\\#",
    "##",
    "#*",
    "*#",
    "#[[",
    "]]#",
    " + ",
    " - ",
    " * ",
    " / ",
    " % ",
    " == ",
    " != ",
    " < ",
    " && ",
    " || ",
    "!",
    " and ",
    " not ",
    "(",
    "1",
    "0",
    "-1",
    "2.5",
    "true",
    "null",
    ",",
    ".",
    "\n",
    " ",
    "  ",
    "{",
    ":",
    "[",
    "]",
    "é😀",
];

const BODIES: &[&str] = &[
    "",
    "{}",
    "[]",
    "not json",
    r#"{"a": [1, 2, {"b": "c"}], "k": "v"}"#,
    r#"[{"id": 1}, {"id": 2}]"#,
    r#""just a string""#,
    "123",
    r#"{"a": "{\"x\": 1}"}"#,
];

fn random_template(rng: &mut XorShift) -> String {
    let len = rng.below(24);
    let mut template = String::new();
    for _ in 0..len {
        if rng.below(8) == 0 {
            // An arbitrary character, to reach paths fragments miss.
            template.push(char::from_u32((rng.next() % 0x3000) as u32).unwrap_or('?'));
        } else {
            template.push_str(rng.pick(FRAGMENTS));
        }
    }
    template
}

#[test]
fn random_templates_never_panic() {
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let (mut parsed, mut rendered) = (0, 0);
    for _ in 0..4000 {
        let template = random_template(&mut rng);
        let body = rng.pick(BODIES);
        match MappingTemplate::parse(&template) {
            Ok(t) => {
                parsed += 1;
                match t.render(&common::ctx(body)) {
                    Ok(_) => rendered += 1,
                    Err(e) => assert!(e.line >= 1 && e.column >= 1, "{template:?}: {e}"),
                }
            }
            Err(e) => assert!(e.line >= 1 && e.column >= 1, "{template:?}: {e}"),
        }
    }
    // The generator must keep reaching the evaluator, or this test proves little.
    assert!(
        parsed > 400 && rendered > 300,
        "parsed {parsed}, rendered {rendered}"
    );
}

#[test]
fn random_bodies_never_panic() {
    let template = MappingTemplate::parse(
        "$input.json('$') $input.path('$.a') $input.path('$[0]') #foreach($x in $input.path('$'))$x#end $util.parseJson($input.body)",
    )
    .expect("valid template");
    let mut rng = XorShift(42);
    let alphabet = [
        "{", "}", "[", "]", "\"a\"", ":", ",", "1", "-2.5e3", "null", "true", " ", "\\u00e9", "\"",
    ];
    for _ in 0..2000 {
        let body: String = (0..rng.below(30)).map(|_| rng.pick(&alphabet)).collect();
        if let Err(e) = template.render(&common::ctx(&body)) {
            assert!(e.line >= 1 && e.column >= 1, "{body:?}: {e}");
        }
    }
}
