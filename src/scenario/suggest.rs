//! Help for misspelt names ("did you mean"), and one-line descriptions of
//! parameter declarations for change summaries.

use super::raw::ParamDecl;
use toml::Spanned;

/// Most names listed when none is close.
const SHOWN: usize = 12;

/// "did you mean" help for a misspelt name: the closest known names, or a
/// list of the known ones that says how many it leaves out.
pub fn suggest(name: &str, known: &[&str]) -> String {
    let mut close: Vec<(usize, &str)> = known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= 3.max(k.len() / 4))
        .collect();
    close.sort();
    close.dedup();
    // Only the closest (several if they tie).
    if let Some(&(best, _)) = close.first() {
        close.retain(|(d, _)| *d == best);
    }
    match close.len() {
        0 if known.is_empty() => "the scenario defines no such names".to_string(),
        0 => {
            let mut sorted: Vec<&str> = known.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            let shown = sorted.iter().take(SHOWN).copied().collect::<Vec<_>>().join(", ");
            match sorted.len().saturating_sub(SHOWN) {
                0 => format!("known: {shown}"),
                more => format!("known: {shown}, and {more} more (`sim list FILE` shows them all)"),
            }
        }
        1 => format!("did you mean `{}`?", close[0].1),
        _ => {
            let names: Vec<String> = close.iter().take(3).map(|(_, k)| format!("`{k}`")).collect();
            format!("did you mean {}?", names.join(" or "))
        }
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// A compact description of a parameter declaration, for change summaries.
pub fn describe(d: &ParamDecl) -> String {
    let list = |v: &Spanned<Vec<f64>>| v.get_ref().iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
    if let Some(v) = &d.value {
        return v.get_ref().to_string();
    }
    let dist = [
        ("uniform", &d.uniform),
        ("beta", &d.beta),
        ("triangular", &d.triangular),
        ("normal", &d.normal),
    ]
    .into_iter()
    .find_map(|(name, v)| v.as_ref().map(|v| format!("{name}({})", list(v))));
    match (dist, &d.bernoulli) {
        (Some(s), _) => s,
        (None, Some(p)) => format!("bernoulli({})", p.get_ref()),
        (None, None) => "(no value)".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_names_or_says_how_many_it_leaves_out() {
        assert_eq!(
            suggest("stalin.threshhold", &["stalin.threshold", "mao.x"]),
            "did you mean `stalin.threshold`?"
        );
        assert_eq!(
            suggest("ab", &["abc", "abd", "zzzzzzzz"]),
            "did you mean `abc` or `abd`?"
        );
        let many: Vec<String> = (0..20).map(|i| format!("parameter_number_{i:02}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let help = suggest("zzz", &many);
        assert!(help.contains("and 8 more"), "{help}");
        assert!(
            help.contains("parameter_number_00") && !help.contains("parameter_number_19"),
            "{help}"
        );
        assert_eq!(suggest("x", &[]), "the scenario defines no such names");
    }
}
