//! olekukonko/tablewriter's default rendering as etcdctl uses it: `+---+` borders, headers
//! upper-cased and centred, cells right-aligned (`SetAlignment(ALIGN_RIGHT)`), cells wider
//! than 30 columns wrapped at spaces.

/// tablewriter's `MAX_ROW_WIDTH`.
const MAX_WIDTH: usize = 30;

fn width(s: &str) -> usize {
    s.chars().count()
}

/// tablewriter's `WrapWords`: minimum-raggedness line breaking.
fn wrap_words(words: &[&str], lim: usize) -> Vec<String> {
    const PENALTY: i64 = 100_000;
    let n = words.len();
    if n == 0 {
        return vec![String::new()];
    }
    let mut length = vec![vec![0i64; n]; n];
    for i in 0..n {
        length[i][i] = width(words[i]) as i64;
        for j in i + 1..n {
            length[i][j] = length[i][j - 1] + 1 + width(words[j]) as i64;
        }
    }
    let lim = lim as i64;
    let mut nbrk = vec![0usize; n];
    let mut cost = vec![i64::from(i32::MAX); n];
    for i in (0..n).rev() {
        if length[i][n - 1] <= lim {
            cost[i] = 0;
            nbrk[i] = n;
        } else {
            for j in i + 1..n {
                let d = lim - length[i][j - 1];
                let mut c = d * d + cost[j];
                if length[i][j - 1] > lim {
                    c += PENALTY;
                }
                if c < cost[i] {
                    cost[i] = c;
                    nbrk[i] = j;
                }
            }
        }
    }
    let mut lines = Vec::new();
    let mut i = 0;
    while i < n {
        let j = nbrk[i].max(i + 1);
        lines.push(words[i..j].join(" "));
        i = j;
    }
    lines
}

/// A cell's lines: wrapped when wider than [`MAX_WIDTH`] (a single long word stays whole).
fn cell_lines(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in s.split('\n') {
        if width(line) <= MAX_WIDTH {
            out.push(line.to_string());
            continue;
        }
        let words: Vec<&str> = line.split(' ').collect();
        let lim = words
            .iter()
            .map(|w| width(w))
            .max()
            .unwrap_or(0)
            .max(MAX_WIDTH);
        out.extend(wrap_words(&words, lim));
    }
    out
}

fn pad_center(s: &str, w: usize) -> String {
    let gap = w.saturating_sub(width(s));
    let left = gap / 2;
    format!("{}{s}{}", " ".repeat(left), " ".repeat(gap - left))
}

fn pad_left(s: &str, w: usize) -> String {
    format!("{}{s}", " ".repeat(w.saturating_sub(width(s))))
}

/// Renders a table (with a trailing newline).
pub(crate) fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let head: Vec<Vec<String>> = header
        .iter()
        // Headers are ASCII; `to_uppercase` would bring Unicode's case tables (13 KB) into the
        // browser bundle.
        .map(|h| cell_lines(&h.to_ascii_uppercase()))
        .collect();
    let body: Vec<Vec<Vec<String>>> = rows
        .iter()
        .map(|r| {
            (0..header.len())
                .map(|i| cell_lines(r.get(i).map_or("", String::as_str)))
                .collect()
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            body.iter()
                .map(|r| &r[i])
                .chain(std::iter::once(&head[i]))
                .flat_map(|lines| lines.iter().map(|l| width(l)))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line: String = std::iter::once("+".to_string())
        .chain(widths.iter().map(|w| format!("{}+", "-".repeat(w + 2))))
        .collect();
    let mut out = String::new();
    out.push_str(&line);
    out.push('\n');
    let print_row =
        |out: &mut String, cells: &[Vec<String>], pad: &dyn Fn(&str, usize) -> String| {
            let height = cells.iter().map(Vec::len).max().unwrap_or(1);
            for l in 0..height {
                out.push('|');
                for (i, c) in cells.iter().enumerate() {
                    out.push(' ');
                    out.push_str(&pad(c.get(l).map_or("", String::as_str), widths[i]));
                    out.push_str(" |");
                }
                out.push('\n');
            }
        };
    print_row(&mut out, &head, &pad_center);
    out.push_str(&line);
    out.push('\n');
    for r in &body {
        print_row(&mut out, r, &pad_left);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_tablewriter() {
        let t = render(
            &["endpoint", "ID"],
            &[vec!["127.0.0.1:2379".into(), "8e9e05c52164694d".into()]],
        );
        let want = "\
+----------------+------------------+
|    ENDPOINT    |        ID        |
+----------------+------------------+
| 127.0.0.1:2379 | 8e9e05c52164694d |
+----------------+------------------+
";
        assert_eq!(t, want);
    }

    #[test]
    fn right_aligns_and_wraps() {
        let t = render(
            &["a", "errors"],
            &[vec![
                "1".into(),
                "etcdserver: no leader, memberID:1 alarm:NOSPACE".into(),
            ]],
        );
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 6, "{t}");
        assert!(lines[3].starts_with("| 1 |"), "{t}");
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() == lines[0].chars().count()),
            "{t}"
        );
    }

    #[test]
    fn wraps_minimum_raggedness() {
        assert_eq!(
            wrap_words(&["aaaa", "bb", "cc", "dddd"], 8),
            ["aaaa bb", "cc dddd"]
        );
        assert_eq!(cell_lines("x"), ["x"]);
        assert_eq!(cell_lines(&"y".repeat(40)), ["y".repeat(40)]);
    }
}
