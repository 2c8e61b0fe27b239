//! Rendering tests, table-driven: (name, template, body, expected output).
//! Many come from the API Gateway developer guide's mapping-template examples.

mod common;

use common::render;

const PETS: &str =
    r#"[{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat", "price": 124.99}]"#;

fn check(cases: &[(&str, &str, &str, &str)]) {
    let mut failures = Vec::new();
    for (name, template, body, expected) in cases {
        let actual = render(template, body);
        if actual != *expected {
            failures.push(format!("{name}:\n  expected {expected:?}\n  actual   {actual:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn input_json_and_path() {
    let body = r#"{"b": 1, "a": {"s": "x\"y", "n": [1, 2.5, true, null]}, "weird key": 7}"#;
    check(&[
        (
            "passthrough keeps key order",
            "$input.json('$')",
            body,
            r#"{"b":1,"a":{"s":"x\"y","n":[1,2.5,true,null]},"weird key":7}"#,
        ),
        (
            "json of a string is quoted",
            "$input.json('$.a.s')",
            body,
            r#""x\"y""#,
        ),
        ("json of a number", "$input.json('$.a.n[1]')", body, "2.5"),
        ("path of a string is raw", "$input.path('$.a.s')", body, r#"x"y"#),
        (
            "path of a map renders like Java",
            "$input.path('$.a')",
            body,
            "{s=x\"y, n=[1, 2.5, true, null]}",
        ),
        ("bracket notation", "$input.path(\"$['weird key']\")", body, "7"),
        ("negative index", "$input.path('$.a.n[-3]')", body, "2.5"),
        (
            "path result is navigable",
            "$input.path('$.a').n.size()",
            body,
            "4",
        ),
        (
            "missing path is null",
            "[$input.path('$.nope')][$!input.path('$.nope')]",
            body,
            "[$input.path('$.nope')][]",
        ),
        ("body is raw", "$input.body", "not json", "not json"),
        (
            "non-JSON body gives null",
            "$!input.json('$')|$input.path('$.a')",
            "not json",
            "|$input.path('$.a')",
        ),
        ("blank body is an empty object", "$input.json('$')", "  ", "{}"),
    ]);
}

#[test]
fn foreach_with_has_next_from_the_developer_guide() {
    let template = "#set($inputRoot = $input.path('$'))
[
#foreach($elem in $inputRoot)
  {
    \"number\": $elem.id,
    \"class\": \"$elem.type\",
    \"salesPrice\": $elem.price
  }#if($foreach.hasNext),#end
#end
]";
    let expected = "[
  {
    \"number\": 1,
    \"class\": \"dog\",
    \"salesPrice\": 249.99
  },
  {
    \"number\": 2,
    \"class\": \"cat\",
    \"salesPrice\": 124.99
  }
]";
    assert_eq!(render(template, PETS), expected);
}

#[test]
fn photo_album_example_from_the_developer_guide() {
    let body = r#"{"photos": {"page": 1, "pages": "1234", "perpage": 100, "total": "123398",
        "photo": [
          {"id": "12345678901", "owner": "23456789@A12", "photographer_first_name": "Saunders",
           "photographer_last_name": "Hudson", "title": "Sample photo 1", "ispublic": true, "isfriend": false, "isfamily": false},
          {"id": "23456789012", "owner": "34567890@B23", "photographer_first_name": "Jane",
           "photographer_last_name": "Doe", "title": "Sample photo 2", "ispublic": true, "isfriend": false, "isfamily": false}
        ]}}"#;
    let template = "#set($inputRoot = $input.path('$'))
{
  \"photos\": [
#foreach($elem in $inputRoot.photos.photo)
    {
      \"id\": \"$elem.id\",
      \"photographedBy\": \"$elem.photographer_first_name $elem.photographer_last_name\",
      \"title\": \"$elem.title\",
      \"ispublic\": $elem.ispublic,
      \"isfriend\": $elem.isfriend,
      \"isfamily\": $elem.isfamily
    }#if($foreach.hasNext),#end
\t\t
#end
  ]
}";
    let output: serde_json::Value = serde_json::from_str(&render(template, body)).expect("valid JSON");
    assert_eq!(
        output,
        serde_json::json!({"photos": [
            {"id": "12345678901", "photographedBy": "Saunders Hudson", "title": "Sample photo 1",
             "ispublic": true, "isfriend": false, "isfamily": false},
            {"id": "23456789012", "photographedBy": "Jane Doe", "title": "Sample photo 2",
             "ispublic": true, "isfriend": false, "isfamily": false}
        ]})
    );
}

#[test]
fn aws_service_integration_bodies() {
    let dynamodb = r#"#set($ttl = $context.requestTimeEpoch / 1000 + 86400)
{
  "TableName": "$stageVariables.table",
  "Item": {
    "connectionId": {"S": "$context.connectionId"},
    "sourceIp": {"S": "$context.identity.sourceIp"},
    "principal": {"S": "$context.authorizer.principalId"},
    "ttl": {"N": "$ttl"}
  }
}"#;
    let dynamodb_expected = r#"{
  "TableName": "connections",
  "Item": {
    "connectionId": {"S": "L0SM9cOFvHcCIhw="},
    "sourceIp": {"S": "203.0.113.7"},
    "principal": {"S": "user-42"},
    "ttl": {"N": "1700086400"}
  }
}"#;
    let sqs = "Action=SendMessage&MessageGroupId=$context.connectionId&MessageDeduplicationId=$context.requestId&MessageAttribute.1.Name=connectionId&MessageAttribute.1.Value.StringValue=$context.connectionId&MessageAttribute.1.Value.DataType=String&MessageBody=$util.urlEncode($input.body)";
    let sqs_expected = "Action=SendMessage&MessageGroupId=L0SM9cOFvHcCIhw=&MessageDeduplicationId=req-1&MessageAttribute.1.Name=connectionId&MessageAttribute.1.Value.StringValue=L0SM9cOFvHcCIhw=&MessageAttribute.1.Value.DataType=String&MessageBody=%7B%22action%22%3A+%22run%22%7D";
    let sqs_envelope = r#"#set($envelope = "{""connectionId"":""$context.connectionId"",""payload"":$input.json('$')}")
Action=SendMessage&MessageBody=$util.urlEncode($envelope)"#;
    let sqs_envelope_expected = "Action=SendMessage&MessageBody=%7B%22connectionId%22%3A%22L0SM9cOFvHcCIhw%3D%22%2C%22payload%22%3A%7B%22action%22%3A%22run%22%7D%7D";
    let sfn = r#"{"input": "{\"connectionId\": \"$context.connectionId\", \"data\": $util.escapeJavaScript($input.json('$'))}", "stateMachineArn": "$stageVariables.sm"}"#;
    let sfn_expected = r#"{"input": "{\"connectionId\": \"L0SM9cOFvHcCIhw=\", \"data\": {\"action\":\"run\"}}", "stateMachineArn": "$stageVariables.sm"}"#;
    let body = r#"{"action": "run"}"#;
    check(&[
        ("dynamodb put item", dynamodb, body, dynamodb_expected),
        ("sqs form body", sqs, body, sqs_expected),
        ("sqs json envelope", sqs_envelope, body, sqs_envelope_expected),
        ("step functions start execution", sfn, body, sfn_expected),
    ]);
}

#[test]
fn util_functions() {
    check(&[
        (
            "escapeJavaScript",
            "\"$util.escapeJavaScript($input.path('$.m'))\"",
            r#"{"m": "He said \"it's\"\n\t/\\ é"}"#,
            r#""He said \"it\'s\"\n\t\/\\ \u00E9""#,
        ),
        (
            "urlEncode",
            "$util.urlEncode('a b&c=d/é*~')",
            "",
            "a+b%26c%3Dd%2F%C3%A9*%7E",
        ),
        (
            "urlDecode",
            "$util.urlDecode('a+b%26c%3Dd%2F%C3%A9')",
            "",
            "a b&c=d/é",
        ),
        (
            "base64 round trip",
            "$util.base64Encode('hello, world')|$util.base64Decode('aGVsbG8sIHdvcmxk')",
            "",
            "aGVsbG8sIHdvcmxk|hello, world",
        ),
        (
            "parseJson",
            "#set($o = $util.parseJson($input.path('$.payload')))$o.name $o.tags[1] $o.tags.size()",
            r#"{"payload": "{\"name\": \"x\", \"tags\": [\"a\", \"b\"]}"}"#,
            "x b 2",
        ),
        (
            "null argument gives null",
            "$!util.urlEncode($nothing)|$util.urlEncode($nothing)",
            "",
            "|$util.urlEncode($nothing)",
        ),
        (
            "unknown util method",
            "$util.toJson('x')",
            "",
            "$util.toJson('x')",
        ),
    ]);
}

#[test]
fn input_params() {
    check(&[
        ("path wins", "$input.params('id')", "", "from-path"),
        ("querystring", "$input.params('limit')", "", "10"),
        (
            "header, case-insensitive",
            "$input.params('x-trace')",
            "",
            "header-trace",
        ),
        ("missing is empty", "[$input.params('nope')]", "", "[]"),
        (
            "all params",
            "$input.params().querystring.limit $input.params().header.get('Host') $input.params().path",
            "",
            "10 example.com {id=from-path}",
        ),
        (
            "param sections",
            "#foreach($k in $input.params().keySet())$k #end",
            "",
            "header querystring path ",
        ),
    ]);
}

#[test]
fn string_methods() {
    check(&[
        ("length and case", "#set($s = 'Hello World')$s.length() $s.toUpperCase() $s.toLowerCase()", "", "11 HELLO WORLD hello world"),
        ("search", "#set($s = 'a-b-c')$s.indexOf('-') $s.lastIndexOf('-') $s.indexOf('-', 2) $s.indexOf('x') $s.contains('b-') $s.startsWith('a') $s.endsWith('c')", "", "1 3 3 -1 true true true"),
        ("substring", "#set($s = 'abcdef')$s.substring(2) $s.substring(1, 3) $s.charAt(0)", "", "cdef bc a"),
        ("utf-16 indices", "#set($s = 'é😀x')$s.length() $s.substring(1, 3) $s.indexOf('x')", "", "4 😀 3"),
        ("replace", "$input.path('$.s').replace('.', '!')", r#"{"s": "a.b.c"}"#, "a!b!c"),
        ("replaceAll", "$input.path('$.s').replaceAll('[^a-z0-9]+', '-')", r#"{"s": "Hello, World 42!"}"#, "-ello-orld-42-"),
        ("replaceAll groups", "#set($e = 'john@example')$e.replaceAll('(\\w+)@(\\w+)', '$2 at $1')", "", "example at john"),
        ("replaceFirst call", "#set($s = 'aaa')$s.replaceFirst('a', 'b')", "", "baa"),
        ("split", "#set($s = 'a, b,,c,,')#foreach($p in $s.split(',\\s*'))[$p]#end", "", "[a][b][][c]"),
        ("split keeps all when unmatched", "#foreach($p in $input.path('$.s').split(';'))[$p]#end", r#"{"s": "abc"}"#, "[abc]"),
        ("matches", "#set($s = 'abc123')$s.matches('[a-z]+\\d+') $s.matches('\\d+')", "", "true false"),
        ("trim and isEmpty", "#set($s = '  x  ')[$s.trim()] $s.isEmpty() '$s'.isEmpty()", "", "[x] false '  x  '.isEmpty()"),
        ("empty string literal method", "#set($e = '')$e.isEmpty() $e.empty", "", "true true"),
        ("equals", "#set($s = 'Abc')$s.equals('Abc') $s.equals('abc') $s.equalsIgnoreCase('aBC')", "", "true false true"),
        ("concat and toString", "#set($s = 'a')$s.concat('b') $s.toString()", "", "ab a"),
        ("number methods", "#set($f = 2.75)$f.intValue() $f.toString() #set($i = 3)$i.toString()", "", "2 2.75 3"),
    ]);
}

#[test]
fn collections() {
    check(&[
        ("list literal and methods", "#set($l = [1, 'two', 3.0])$l $l.size() $l.get(1) $l.contains(1) $l[2] $l.isEmpty()", "", "[1, two, 3.0] 3 two true 3.0 false"),
        ("map literal keeps order", "#set($m = {'z': 1, \"a\": [true]})$m $m.z $m['a'] $m.get('z') $m.size()", "", "{z=1, a=[true]} 1 [true] 1 2"),
        ("map put mutates the variable", "#set($m = {})#set($old = $m.put('a', 1))$m.put('a', 2) $m.a #set($m.b = 3)$m", "", "1 2 {a=2, b=3}"),
        ("nested put", "#set($m = {'inner': {}})#set($x = $m.inner.put('k', 'v'))$m", "", "{inner={k=v}}"),
        ("list add and index set", "#set($l = [])#set($ok = $l.add('a'))#set($ok = $l.add('b'))#set($l[0] = 'z')$l", "", "[z, b]"),
        ("copies are independent", "#set($a = {'k': 1})#set($b = $a)#set($b.k = 2)$a.k $b.k", "", "1 2"),
        ("map remove and containsKey", "#set($m = {'a': 1, 'b': 2, 'c': 3})#set($x = $m.remove('b'))$x $m $m.containsKey('b') $m.containsKey('c')", "", "2 {a=1, c=3} false true"),
        ("keySet and values", "#set($m = {'x': 1, 'y': 2})#foreach($k in $m.keySet())$k=$m.get($k);#end $m.values()", "", "x=1;y=2; [1, 2]"),
        ("entrySet", "#set($m = {'x': 1, 'y': 2})#foreach($e in $m.entrySet())$e.key:$e.value #end", "", "x:1 y:2 "),
        ("foreach over a map iterates values", "#foreach($v in {'a': 1, 'b': 2})$v#end", "", "12"),
        ("index variable", "#set($l = ['a', 'b', 'c'])#set($i = 1)$l[$i] $l[5]|$!l[5]", "", "b $l[5]|"),
        ("bracket that is not an index stays text", "#set($p = 5)$p[USD] $p[", "", "5[USD] 5["),
    ]);
}

#[test]
fn directives() {
    let nested_if = "#foreach($n in [1..5])#if($n == 1)one#elseif($n == 2)two#elseif($n < 5)#if($n % 2 == 0)even#else odd#end#{else}five#end;#end";
    check(&[
        ("nested if/elseif/else", nested_if, "", "one;two; odd;even;five;"),
        ("range ascending and descending", "#foreach($i in [1..3])$i#end #foreach($i in [3..1])$i#end #foreach($i in [-1..1])$i,#end", "", "123 321 -1,0,1,"),
        ("range with variables", "#set($n = 3)#foreach($i in [$n..5])$i#end", "", "345"),
        ("foreach status", "#foreach($x in ['a', 'b', 'c'])$foreach.index/$foreach.count/$velocityCount/$foreach.first/$foreach.last #end", "", "0/1/1/true/false 1/2/2/false/false 2/3/3/false/true "),
        ("loop variable restored", "#set($x = 'outer')#foreach($x in [1, 2])$x#end $x", "", "12 outer"),
        ("nested loops keep their status", "#foreach($a in [1, 2])#foreach($b in [1, 2, 3])#end$foreach.hasNext #end", "", "true false "),
        ("break", "#foreach($i in [1..10])#if($i > 3)#break#end$i#end!", "", "123!"),
        ("stop", "a#if(true)b#stop c#end d", "", "ab"),
        ("foreach over null or a scalar", "#foreach($i in $nothing)x#end#foreach($i in 'abc')y#end.", "", "."),
        ("braced directives", "#{if}(true)yes#{else}no#{end}", "", "yes"),
        ("set in a block is global", "#if(true)#set($v = 'in')#end$v", "", "in"),
        ("set to null makes the variable undefined", "#set($v = 1)#set($v = $input.path('$.missing'))$v", "{}", "$v"),
        ("truthiness", "#if('')a#end#if(0)b#end#if($nothing)c#end#if(false)d#end#if([])e#end", "", "abe"),
    ]);
}

#[test]
fn expressions() {
    check(&[
        ("integer arithmetic", "#set($a = 7)$a #set($b = $a / 2)$b #set($c = -7 / 2)$c #set($d = -7 % 3)$d #set($e = 2 + 3 * 4 - (1 + 1))$e", "", "7 3 -3 -1 12"),
        ("float arithmetic", "#set($a = 7.0 / 2)$a #set($b = 1 + 0.5)$b #set($c = 1.0 * 3)$c #set($d = 1e21 * 1)$d", "", "3.5 1.5 3.0 1.0E21"),
        ("string concatenation", "#set($s = 'n=' + 1 + 2)$s #set($t = 1 + 2 + '!')$t #set($u = 'x' + $missing)$u", "", "n=12 3! x$missing"),
        ("comparisons", "#set($r = [1 < 2, 2 <= 2, 3 > 4, 1 == 1.0, 'a' == 'a', 'a' != 'b', 1 == '1', $nothing == $nothing2, 'a' < 'b'])$r", "", "[true, true, false, true, true, true, true, true, false]"),
        ("word operators", "#set($r = [1 lt 2, 2 le 1, 2 gt 1, 1 ge 2, 1 eq 1, 1 ne 1, true and false, true or false, not false])$r", "", "[true, false, true, false, true, false, false, true, true]"),
        ("logic", "#set($r = [true && !false, false || $nothing, !($nothing)])$r", "", "[true, false, true]"),
        ("interpolated strings", "#set($name = 'Ann')#set($s = \"Hi ${name}s, $name.length() chars, #if(true)yes#end\")$s", "", "Hi Anns, 3 chars, yes"),
        ("single quotes are literal", "#set($s = 'Hi $name')$s", "", "Hi $name"),
        ("doubled quotes", "#set($s = \"say \"\"hi\"\"\")$s #set($t = 'it''s')$t", "", "say \"hi\" it's"),
        ("backslashes stay in string literals", r#"#set($s = "a\"b\\")$s"#, "", r#"a\"b\\"#),
        ("arithmetic on non-numbers is null", "#set($x = 'a' * 2)$x", "", "$x"),
        ("context arithmetic for a TTL", "#set($ttl = $context.requestTimeEpoch / 1000 + 86400)$ttl", "", "1700086400"),
    ]);
}

#[test]
fn references_escapes_and_comments() {
    check(&[
        (
            "undefined non-quiet renders its source",
            "$nope $nope.a.b() ${nope} $nope[0]",
            "",
            "$nope $nope.a.b() ${nope} $nope[0]",
        ),
        (
            "undefined quiet renders nothing",
            "[$!nope][$!{nope.x}]",
            "",
            "[][]",
        ),
        (
            "braces separate text",
            "#set($x = 'a')${x}bc $x.bc $!{x}!",
            "",
            "abc $x.bc a!",
        ),
        (
            "dollar that is no reference",
            "$ 5 $$ $1 $.x $!",
            "",
            "$ 5 $$ $1 $.x $!",
        ),
        ("trailing dot stays text", "#set($x = 'a')$x. $x.", "", "a. a."),
        (
            "escaped references and directives",
            r"#set($x = 'v')\$x \${x} \#set \\$x \\\$x",
            "",
            r"$x ${x} #set \v \$x",
        ),
        (
            "hash that is no directive",
            "#1 # #unknown #{nope x",
            "",
            "#1 # #unknown #{nope x",
        ),
        ("line comment", "a ## comment\nb", "", "a b"),
        ("block comment", "a#* multi\nline *#b", "", "ab"),
        ("raw block", "#[[#set($x = 1) $x]]#", "", "#set($x = 1) $x"),
        (
            "context and stage variables",
            "$context.identity.sourceIp $context.authorizer.principalId $stageVariables.queue $context.nope",
            "",
            "203.0.113.7 user-42 jobs.fifo $context.nope",
        ),
        (
            "getter rule",
            "$input.body.length() $input.getBody()",
            "abc",
            "3 abc",
        ),
    ]);
}

#[test]
fn whitespace_rule() {
    let template =
        "{\n  #set($a = 1)\n  #if($a == 1)\n  \"a\": $a\n  #end\n  ## a comment line\n  #* block *#\n}\n";
    assert_eq!(render(template, ""), "{\n  \"a\": 1\n}\n");
    // Lines that also hold text or a reference are kept whole.
    assert_eq!(render("#set($a = 1) x\n$a #if(true)\n#end\n", ""), " x\n1 \n");
    // Several directives on one line, and a directive on the last line.
    assert_eq!(
        render("a\n#set($x = 1)#set($y = 2)  \n  #if(true)#end", ""),
        "a\n"
    );
}

#[test]
fn templates_without_references_or_directives_are_static() {
    let plain = wsflow_vtl::MappingTemplate::parse("{\"statusCode\": 200}").unwrap();
    assert_eq!(plain.static_text(), Some("{\"statusCode\": 200}"));
    let ctx = wsflow_vtl::RenderContext::default();
    assert_eq!(plain.render(&ctx).unwrap(), "{\"statusCode\": 200}");
    let dynamic = wsflow_vtl::MappingTemplate::parse("{\"id\": \"$context.requestId\"}").unwrap();
    assert_eq!(dynamic.static_text(), None);
}
