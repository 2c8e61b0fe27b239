//! Parse and render errors, with the positions they report.

mod common;

use common::ctx;
use wsflow_vtl::{MappingTemplate, RenderError};

/// (template, line, column, part of the message)
const PARSE_ERRORS: &[(&str, usize, usize, &str)] = &[
    ("a\n  #if($x)\nb", 2, 3, "#if is not closed by #end"),
    (
        "#foreach($i in [1, 2])\n  #if(true)#end\n",
        1,
        1,
        "#foreach is not closed by #end",
    ),
    ("#set($x = \"abc)", 1, 11, "unterminated string literal"),
    ("x\n#set($y = 'abc", 2, 11, "unterminated string literal"),
    ("#set($x 1)", 1, 9, "expected '=' after the #set target"),
    ("#set x = 1", 1, 6, "expected '(' after #set"),
    ("#set(x = 1)", 1, 6, "expected a reference"),
    ("#set($x.put('a') = 1)", 1, 8, "cannot assign to a method call"),
    ("#set($x = 1", 1, 12, "expected ')' to close #set"),
    ("#set($x = )", 1, 11, "unexpected ')' in expression"),
    ("text\n#end", 2, 1, "#end without a matching #if or #foreach"),
    ("#if(true)#end\n  #{end}", 2, 3, "#end without a matching"),
    ("Hello ${name", 1, 7, "'${' is not closed by '}'"),
    ("Hello $!{name.first\n}", 1, 7, "'${' is not closed by '}'"),
    ("#else", 1, 1, "#else without a matching #if"),
    (
        "#foreach($i in [1])#elseif(true)#end",
        1,
        20,
        "#elseif without a matching #if",
    ),
    ("#if(true)#else#elseif(false)#end", 1, 15, "#elseif after #else"),
    ("#if(true)#else#else#end", 1, 15, "#else after #else"),
    ("#if($a == )#end", 1, 11, "unexpected ')'"),
    ("#if $a)#end", 1, 5, "expected '(' after #if"),
    ("#if($a", 1, 7, "expected ')' to close #if"),
    ("#foreach($i [1])#end", 1, 13, "expected 'in'"),
    ("#foreach($i.x in [1])#end", 1, 10, "plain $name"),
    ("x #* never closed", 1, 3, "block comment"),
    ("#[[ raw", 1, 1, "raw block"),
    ("$a.b(1,", 1, 8, "unexpected end of input"),
    ("$a.b(1 2)", 1, 8, "expected ',' or ')'"),
    ("#set($x = [1, 2)", 1, 16, "expected ',' or ']'"),
    ("#set($x = {'a' 1})", 1, 16, "expected ':' after a map key"),
    ("#set($x = foo)", 1, 11, "unexpected word 'foo'"),
    ("#set($x = 99999999999999999999)", 1, 11, "too large"),
    ("#set($x = 1 @ 2)", 1, 13, "unexpected character '@'"),
    ("#set($x = \"${a\")", 1, 12, "'${' is not closed"),
    ("#macro(foo)#end", 1, 1, "not supported"),
];

#[test]
fn parse_errors_report_line_and_column() {
    let mut failures = Vec::new();
    for &(template, line, column, message) in PARSE_ERRORS {
        match MappingTemplate::parse(template) {
            Ok(_) => failures.push(format!("{template:?}: parsed")),
            Err(e) if (e.line, e.column) != (line, column) || !e.message.contains(message) => failures.push(
                format!("{template:?}: got {e}, want line {line}, column {column}: {message}"),
            ),
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_display_names_the_position() {
    let e = MappingTemplate::parse("#if(").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 1, column 5: unexpected end of input in expression"
    );
    let as_error: &dyn std::error::Error = &e;
    assert!(as_error.to_string().starts_with("line 1"));
}

#[test]
fn deep_nesting_is_a_parse_error_not_a_stack_overflow() {
    let depth = 100_000;
    let cases = [
        format!("#set($x = {}1{})", "(".repeat(depth), ")".repeat(depth)),
        format!("#set($x = {}1)", "-".repeat(depth)),
        format!("#set($x = {}1{})", "[".repeat(depth), "]".repeat(depth)),
        format!("{}{}", "#if(true)".repeat(depth), "#end".repeat(depth)),
        "$a.b(".repeat(depth),
    ];
    for template in cases {
        let e = MappingTemplate::parse(&template).unwrap_err();
        assert!(
            e.message.contains("too deep") || e.message.contains("nested too deeply"),
            "{e}"
        );
    }
}

fn render_error(template: &str, body: &str) -> RenderError {
    let parsed = MappingTemplate::parse(template).unwrap_or_else(|e| panic!("{template:?}: {e}"));
    parsed.render(&ctx(body)).expect_err(template)
}

/// (template, body, line, column, part of the message)
const RENDER_ERRORS: &[(&str, &str, usize, usize, &str)] = &[
    ("#set($x = 1 / 0)", "", 1, 13, "division by zero"),
    (
        "#set($x = 1)\n#set($y = 10 % ($x - 1))",
        "",
        2,
        14,
        "division by zero",
    ),
    ("#set($x = 1.5 / 0)", "", 1, 15, "division by zero"),
    (
        "#set($x = 9223372036854775807 + 1)",
        "",
        1,
        31,
        "integer overflow",
    ),
    (
        "\n  #foreach($i in [1..10001])#end",
        "",
        2,
        3,
        "exceeds the limit of 10000 iterations",
    ),
    (
        "#foreach($i in $input.path('$'))#end",
        "BIG",
        1,
        1,
        "exceeds the limit of 10000 iterations",
    ),
    ("#set($x = [1..1000000])", "", 1, 11, "exceeds the limit"),
    ("#set($x = ['a'..2])", "", 1, 11, "range bounds must be integers"),
    (
        "#set($s = 'abc')\n$s.substring(2, 1)",
        "",
        2,
        3,
        "begin 2, end 1, length 3",
    ),
    ("#set($s = 'abc')$s.charAt(3)", "", 1, 19, "length 3"),
    (
        "#set($s = 'abc')$s.substring('1')",
        "",
        1,
        19,
        "expected an integer",
    ),
    ("#set($l = [1])$l.get(1)", "", 1, 17, "out of bounds"),
    ("#set($l = [1])#set($l[3] = 0)", "", 1, 22, "out of bounds"),
    (
        "#set($s = 'abc')$s.replaceAll('(', 'x')",
        "",
        1,
        19,
        "regular expression",
    ),
    (
        "#set($s = 'abc')$s.replaceAll('(?=a)', 'x')",
        "",
        1,
        19,
        "unsupported",
    ),
    (
        "#set($s = 'abc')$s.replaceAll('a', '$2')",
        "",
        1,
        19,
        "no group 2",
    ),
    (
        "#set($s = 'abc')$s.contains($nothing)",
        "",
        1,
        19,
        "null argument",
    ),
    ("$util.parseJson('{oops')", "", 1, 6, "invalid JSON"),
    ("$util.base64Decode('@@')", "", 1, 6, "illegal character"),
    ("$util.urlDecode('%zz')", "", 1, 6, "illegal"),
    ("$input.json('a.b')", "{}", 1, 7, "must start with '$'"),
    ("$input.path('$..a')", "{}", 1, 7, "JSONPath"),
    ("$input.path(1)", "{}", 1, 7, "must be a string"),
];

#[test]
fn render_errors_point_at_the_failing_expression() {
    let big_array = format!("[{}0]", "0,".repeat(10_000));
    let mut failures = Vec::new();
    for &(template, body, line, column, message) in RENDER_ERRORS {
        let body = if body == "BIG" { big_array.as_str() } else { body };
        let e = render_error(template, body);
        if (e.line, e.column) != (line, column) || !e.message.contains(message) {
            failures.push(format!(
                "{template:?}: got {e}, want line {line}, column {column}: {message}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn step_budget_stops_runaway_templates() {
    let e = render_error(
        "#foreach($i in [1..10000])#foreach($j in [1..10000])$i#end#end",
        "",
    );
    assert!(e.message.contains("budget"), "{e}");
}

#[test]
fn string_growth_is_capped() {
    let e = render_error(
        "#set($s = 'xxxxxxxxxx')#foreach($i in [1..40])#set($s = \"$s$s\")#end",
        "",
    );
    assert!(e.message.contains("exceeds the limit"), "{e}");
    // `+` charges its operands as well, so the step budget may run out first.
    let e = render_error(
        "#set($s = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')#foreach($i in [1..40])#set($s = $s + $s)#end",
        "",
    );
    assert!(
        e.message.contains("exceeds the limit") || e.message.contains("budget"),
        "{e}"
    );
}

#[test]
fn copying_values_is_charged_so_duplication_cannot_explode() {
    let e = render_error("#set($l = [1])#foreach($i in [1..60])#set($l = [$l, $l])#end", "");
    assert!(e.message.contains("budget"), "{e}");
}

#[test]
fn value_nesting_is_capped() {
    let e = render_error("#set($l = [])#foreach($i in [1..1000])#set($l = [$l])#end", "");
    assert!(e.message.contains("nesting exceeds"), "{e}");
    let e = render_error(
        "#set($m = {})#foreach($i in [1..1000])#set($x = $m.put('k', $m))#end",
        "",
    );
    assert!(e.message.contains("nesting exceeds"), "{e}");
}

#[test]
fn deeply_nested_json_bodies_are_not_parsed() {
    let body = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(
        common::render("$!input.path('$')|$input.body.length()", &body),
        "|200001"
    );
}
