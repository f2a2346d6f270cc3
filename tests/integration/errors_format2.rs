//! The error corpus for format 2: every new construct's mistakes get
//! `file:line:col`, the line, a caret under the problem, what was expected,
//! and exit code 2 (see `errors::expect_error`).

use crate::errors::expect_error;

/// A small valid format-2 scenario: a day clock, a choice, a council timed
/// after the choice, a weekly process with a chance per day, and a named state.
const BASE: &str = r#"format = 2

[scenario]
id = "mini2"
unit = "day"
start = "2000-01-01"
horizon = "2000-03-31"
branches = 100

[parameters]
p = 0.5

[state]
done = false
posture = { initial = "calm", values = ["calm", "alert"] }

[actors.a]
name = "A"

[actors.b]
name = "B"

[[events]]
id = "decide"
date = "2000-01-10"
actor = "a"
options = [{ id = "wait" }, { id = "act", then = { posture = "alert" } }]
rule = { kind = "choice", utility = { wait = 0, act = 1 } }

[[events]]
id = "follow"
after = { event = "decide", option = "act", delay = "3d" }
actor = "b"
rule = { kind = "council", needs = "all", members = [{ actor = "a", rule = { kind = "chance", p = "p" } }, { actor = "b", rule = { kind = "condition", if = "true" } }] }
then = { done = true }

[[processes]]
id = "watch"
every = "1 week"
while = "state.posture == 'alert' and not state.done"
rule = { kind = "chance", p = "p", per = "1 day" }
then = { done = true }

[[outcomes]]
id = "yes"
when = "state.done"

[[outcomes]]
id = "no"
when = "not state.done"
"#;

/// (name, text replaced, replacement, line, column, caret width, message, label).
type Case = (
    &'static str,
    &'static str,
    &'static str,
    usize,
    usize,
    usize,
    &'static str,
    &'static str,
);

const CASES: [Case; 25] = [
    (
        "recorded",
        "branches = 100",
        "branches = 100\nrecorded = \"maybe\"",
        9,
        12,
        7,
        "`recorded` names `maybe`, which is not a result outcome",
        "one of yes, no",
    ),
    (
        "finer",
        "date = \"2000-01-10\"",
        "date = \"2000-01-10T10:00\"",
        25,
        8,
        18,
        "this date is finer than the scenario's tick (1 day)",
        "a date at the tick's precision, such as ",
    ),
    (
        "between",
        "unit = \"day\"",
        "unit = \"2d\"",
        25,
        8,
        12,
        "this date falls between two ticks of 2 days",
        "a date a whole number of ticks after 200",
    ),
    (
        "cycle",
        "date = \"2000-01-10\"\nactor = \"a\"",
        "after = { event = \"follow\" }\nactor = \"a\"",
        25,
        9,
        20,
        "events are timed after each other in a cycle",
        "decide after follow after decide",
    ),
    (
        "after_option",
        "option = \"act\"",
        "option = \"charge\"",
        32,
        38,
        8,
        "`decide` has no option `charge`",
        "one of wait, act",
    ),
    (
        "utility_key",
        "utility = { wait = 0, act = 1 }",
        "utility = { wait = 0, act = 1, flee = 2 }",
        28,
        58,
        4,
        "`flee` is not an option of `decide`",
        "one of wait, act",
    ),
    (
        "member_no_rule",
        "{ actor = \"b\", rule = { kind = \"condition\", if = \"true\" } }",
        "{ actor = \"b\" }",
        34,
        108,
        15,
        "council member `b` has no rule",
        "rule = { kind = \"...\", ... }: how this m",
    ),
    (
        "per_on_event",
        "rule = { kind = \"choice\", utility = { wait = 0, act = 1 } }",
        "rule = { kind = \"choice\", utility = { wait = 0, act = 1 } }\n[[events]]\nid = \"x\"\ndate = \"2000-01-11\"\nrule = { kind = \"chance\", p = 0.1, per = \"1 day\" }",
        32,
        42,
        7,
        "`per` applies to a process: the chance per period, converted to its step",
        "remove `per` (an event decides once)",
    ),
    (
        "format1_key",
        "format = 2\n",
        "",
        4,
        8,
        5,
        "`unit` is new in format 2",
        "a format-1 key",
    ),
    (
        "unit",
        "unit = \"day\"",
        "unit = \"fortnight\"",
        5,
        8,
        11,
        "unknown time unit",
        "a tick such as \"month\", \"day\", \"hour\", \"",
    ),
    (
        "choice_no_options",
        "options = [{ id = \"wait\" }, { id = \"act\", then = { posture = \"alert\" } }]\n",
        "",
        27,
        17,
        8,
        "a choice rule picks one of the decision's options, and it has none",
        "options = [{ id = \"...\" }, ...] on the e",
    ),
    (
        "options_no_rule",
        "rule = { kind = \"choice\", utility = { wait = 0, act = 1 } }\n",
        "",
        24,
        6,
        8,
        "a decision with options needs a rule that picks one",
        "rule = { kind = \"choice\", ... } or an an",
    ),
    (
        "dup_option",
        "{ id = \"act\", then",
        "{ id = \"wait\", then",
        27,
        36,
        6,
        "option `wait` is named twice, or is `yes`/`no`",
        "an option id of its own",
    ),
    (
        "softmax",
        "rule = { kind = \"choice\", utility",
        "rule = { kind = \"choice\", select = \"softmax\", utility",
        28,
        8,
        72,
        "a softmax choice needs a `temperature`",
        "temperature = 1.0 (higher: closer to a c",
    ),
    (
        "every",
        "every = \"1 week\"",
        "every = \"36h\"",
        39,
        9,
        5,
        "`every` must be a whole number of ticks (1 day)",
        "a multiple of 1 day",
    ),
    (
        "window",
        "every = \"1 week\"",
        "every = \"1 week\"\ndate = \"2000-02-01\"\nuntil = \"2000-01-20\"",
        41,
        9,
        12,
        "the window ends before it starts",
        "a date on or after 2000-02-01",
    ),
    (
        "date_expr_state",
        "date = \"2000-01-10\"",
        "date = \"@2000-01-05 + (if state.done then 1 else 2)\"",
        25,
        8,
        45,
        "a date may depend only on parameters",
        "a date such as \"1962-10-16\", or an expre",
    ),
    (
        "after_unknown",
        "after = { event = \"decide\"",
        "after = { event = \"decides\"",
        32,
        19,
        9,
        "no event or process `decides` to be timed after",
        "the id of an event or process",
    ),
    (
        "enum_initial",
        "initial = \"calm\"",
        "initial = \"panic\"",
        15,
        23,
        7,
        "`panic` is not one of the values",
        "one of calm, alert",
    ),
    (
        "enum_compare",
        "state.posture == 'alert'",
        "state.posture == 'alarm'",
        40,
        27,
        7,
        "unknown value `'alarm'`",
        "one of calm, alert",
    ),
    (
        "else_with_options",
        "options = [{ id = \"wait\" }",
        "else = { done = true }\noptions = [{ id = \"wait\" }",
        27,
        10,
        4,
        "with options, effects go in each option's `then`",
        "options = [{ id = \"...\", then = { ... } ",
    ),
    (
        "needs",
        "needs = \"all\"",
        "needs = 3",
        34,
        36,
        1,
        "`needs` says how many members must say yes",
        "\"all\", \"majority\", \"any\", or a whole num",
    ),
    (
        "date_and_after",
        "after = { event = \"decide\"",
        "date = \"2000-01-12\"\nafter = { event = \"decide\"",
        33,
        9,
        50,
        "a node is timed by `date` or by `after`, not both",
        "remove `date` or `after`",
    ),
    (
        "lesson_option",
        "rule = { kind = \"choice\", utility = { wait = 0, act = 1 } }",
        "rule = { kind = \"analogy\", features = { f = 0.5 }, cases = [{ name = \"c\", features = { f = 0.5 }, lesson = \"run\" }], similarity = 0.5, otherwise = \"wait\" }",
        28,
        108,
        5,
        "`run` is not an option of `decide`",
        "one of wait, act",
    ),
    (
        "timeline",
        "date = \"2000-01-10\"",
        "date = \"2000-05-10\"",
        25,
        8,
        12,
        "date outside the scenario's timeline",
        "a date from 2000-01-01 to 2000-03-31",
    ),
];

#[test]
fn base_is_valid() {
    let path = crate::common::write_temp("s.toml", BASE);
    let out = crate::common::sim(["check".as_ref(), path.as_os_str()]);
    assert!(out.status.success(), "{}", crate::common::stderr(&out));
}

#[test]
fn every_format2_mistake_is_located() {
    for (name, from, to, line, col, carets, message, label) in CASES {
        assert!(BASE.contains(from), "{name}: BASE has no {from:?}");
        let text = BASE.replacen(from, to, 1);
        // `expect_error` panics with the case's own output on a mismatch.
        eprintln!("case {name}");
        expect_error(&text, line, col, carets, message, label);
    }
}
