//! Random format-2 scenario text from a few choices: shared by the
//! property test (generated.rs, choices from proptest) and the fuzz
//! target `shortcuts` (fuzz/, choices from libFuzzer's bytes). No
//! dependencies beyond std, so both can include it.

#[derive(Debug, Clone)]
pub struct Gen {
    pub unit: usize,
    pub events: Vec<(usize, usize, usize, bool)>,
    pub processes: Vec<(usize, usize, bool)>,
    pub stop: bool,
}

/// Per clock: the tick, the start, periods for processes, and dates on
/// the tick in order (events of one file are listed in date order).
type Clock = (&'static str, &'static str, &'static [&'static str], [&'static str; 6]);

const MONTHS: [&str; 6] = ["2000-01", "2000-02", "2000-03", "2000-04", "2000-05", "2000-06"];
const DAYS: [&str; 6] = [
    "2000-01-01",
    "2000-02-01",
    "2000-03-01",
    "2000-04-01",
    "2000-05-01",
    "2000-06-01",
];
const WEEKS: [&str; 6] = [
    "2000-01-03",
    "2000-01-31",
    "2000-02-28",
    "2000-03-27",
    "2000-04-24",
    "2000-05-22",
];

const UNITS: [Clock; 4] = [
    ("month", "2000-01", &["1 month", "2 months"], MONTHS),
    ("day", "2000-01-01", &["1d", "1 week", "1 month"], DAYS),
    ("2h", "2000-01-01", &["2h", "1d", "1 month"], DAYS),
    ("week", "2000-01-03", &["1 week", "2 weeks"], WEEKS),
];

fn rule(kind: usize, options: bool) -> String {
    match (kind % 8, options) {
        (_, true) if kind % 2 == 0 => {
            "rule = { kind = \"choice\", select = \"softmax\", temperature = 0.5, utility = { a = \"p\", b = [{ value = \"if state.x then 1 else 0\", weight = 2 }], c = -1 } }".into()
        }
        (_, true) => "rule = { kind = \"analogy\", features = { f = \"p\" }, cases = [{ name = \"one\", features = { f = 0.2 }, lesson = \"a\" }, { name = \"two\", features = { f = 0.9 }, lesson = \"c\" }], similarity = 0.7, otherwise = \"b\" }".into(),
        (0, _) => "rule = { kind = \"chance\", p = \"p\" }".into(),
        (1, _) => "rule = { kind = \"condition\", if = \"state.n < 3\" }".into(),
        (2, _) => "rule = { kind = \"threshold\", quantity = \"p\", below = 0.5 }".into(),
        (3, _) => "rule = { kind = \"weighed\", base = -1, terms = [{ id = \"t\", value = \"state.n\", weight = \"p\" }] }".into(),
        (4, _) => "rule = { kind = \"weighed\", scale = \"utility\", above = 0.2, terms = [{ value = \"p\" }] }".into(),
        (5, _) => "rule = { kind = \"council\", needs = \"majority\", members = [{ actor = \"a\", rule = { kind = \"chance\", p = 0.5 } }, { actor = \"b\", rule = { kind = \"condition\", if = \"state.x\" } }, { actor = \"c\", rule = { kind = \"chance\", p = \"p\" } }] }".into(),
        (6, _) => "rule = { kind = \"dependence\", combine = \"together\", patrons = [{ actor = \"a\", wants = true, dependence = 0.6 }, { actor = \"b\", wants = \"state.x\", dependence = \"p\" }] }".into(),
        _ => String::new(),
    }
}

impl Gen {
    pub fn text(&self) -> String {
        let (unit, start, periods, dates) = UNITS[self.unit];
        let mut t = format!(
            "format = 2\n[scenario]\nid = \"gen\"\nunit = \"{unit}\"\nstart = \"{start}\"\nhorizon = \"2000-06\"\n"
        );
        if self.stop {
            t += "stop_when = \"state.n >= 4\"\n";
        }
        t += "[parameters]\np = { uniform = [0, 1] }\nlag = { triangular = [1, 5, 20] }\n";
        t += "[state]\nx = false\nn = 0\ne = { initial = \"a\", values = [\"a\", \"b\", \"c\"] }\nz = 0\n";
        t += "[actors.a]\nname = \"A\"\n[actors.b]\nname = \"B\"\n[actors.c]\nname = \"C\"\n";
        for (i, &(timing, kind, effect, options)) in self.events.iter().enumerate() {
            t += &format!("[[events]]\nid = \"e{i}\"\nactor = \"a\"\n");
            t += &match (timing % 4, i) {
                (1, i) if i > 0 => format!("after = {{ event = \"e{}\", delay = \"days(lag)\" }}\n", timing % i),
                (2, i) if i > 0 => format!(
                    "after = {{ event = \"e{}\" }}\nwithin = \"30d\"\nwhen = \"state.x or state.n > 1\"\n",
                    i - 1
                ),
                (3, _) => format!("date = \"@{} + days(lag)\"\n", dates[1]),
                _ => format!("date = \"{}\"\n", dates[i]),
            };
            let r = rule(kind, options);
            if options {
                t += "options = [{ id = \"a\", then = { e = \"a\" } }, { id = \"b\", then = { e = \"b\", x = true } }, { id = \"c\", then = { n = \"state.n + 1\" } }]\n";
            }
            t += &r;
            t += "\n";
            if !options {
                t += match effect % 3 {
                    0 => "then = { x = true }\n",
                    1 => "then = { n = \"state.n + 1\", z = { normal = [0, 1] } }\n",
                    _ => "then = { e = \"c\" }\n",
                };
                if !r.is_empty() && effect % 2 == 0 {
                    t += "else = { n = \"state.n + 1\" }\n";
                }
            }
        }
        for (i, &(period, kind, per)) in self.processes.iter().enumerate() {
            t += &format!(
                "[[processes]]\nid = \"p{i}\"\nevery = \"{}\"\nwhile = \"not state.x or state.e != 'c'\"\n",
                periods[period % periods.len()]
            );
            t += &match kind % 3 {
                0 if per => "rule = { kind = \"chance\", p = \"p / 4\", per = \"1 week\" }\n".to_string(),
                0 => "rule = { kind = \"chance\", p = \"if now > @2000-03 then p / 3 else 0.01\" }\n".to_string(),
                1 => "rule = { kind = \"weighed\", base = -3, terms = [{ value = \"state.n\", weight = 0.5 }] }\n"
                    .to_string(),
                _ => rule(kind, false) + "\n",
            };
            t += "then = { n = \"state.n + 1\" }\n";
        }
        t += "[[outcomes]]\nid = \"yes\"\nwhen = \"state.x\"\n[[outcomes]]\nid = \"no\"\nwhen = \"not state.x\"\n";
        t += "[[metrics]]\nid = \"n\"\nvalue = \"state.n\"\n";
        t
    }
}
