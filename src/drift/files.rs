//! The drift report as files, written at shutdown (`serve --drift-report DIR`): Markdown for
//! people (`drift.md`) and JUnit XML for CI (`drift.junit.xml`), one failing test case per
//! finding. Both are made from the report's JSON, so they say exactly what `/__mock/drift` says.

use serde_json::Value;
use std::path::Path;

/// The file names written into the report directory.
pub const MARKDOWN: &str = "drift.md";
pub const JUNIT: &str = "drift.junit.xml";

/// Writes both files into `dir`, naming the file that could not be written.
pub fn write(dir: &Path, report: &Value) -> Result<(), String> {
    for (name, text) in [(MARKDOWN, markdown(report)), (JUNIT, junit(report))] {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    Ok(())
}

fn findings(report: &Value) -> &[Value] {
    report["findings"].as_array().map_or(&[], Vec::as_slice)
}

fn text<'a>(finding: &'a Value, key: &str) -> &'a str {
    finding[key].as_str().unwrap_or_default()
}

/// The path as shown: `(answer)` for a finding about the answer as a whole.
fn shown_path(finding: &Value) -> &str {
    match text(finding, "path") {
        "" => "(answer)",
        path => path,
    }
}

/// The report as a Markdown table, with each finding's example request.
pub fn markdown(report: &Value) -> String {
    let upstream = report["upstream"].as_str().unwrap_or("(none)");
    let mut out = format!(
        "# Drift report\n\nUpstream: {upstream}. Calls compared: {}. Findings: {}.\n",
        report["calls"],
        findings(report).len()
    );
    if findings(report).is_empty() {
        out.push_str("\nNo drift: every answer matched the contract and the mock's.\n");
        return out;
    }
    out.push_str("\n| Method | Path | Kind | Upstream | Mock | Count | Example request |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for f in findings(report) {
        let cells = [
            text(f, "method").to_string(),
            shown_path(f).to_string(),
            text(f, "kind").to_string(),
            text(f, "upstream").to_string(),
            text(f, "mock").to_string(),
            f["count"].to_string(),
            format!("`{}`", f["exampleRequest"]),
        ];
        let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// A table cell: pipes escaped, on one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The report as JUnit XML: one failing test case per finding, or one passing case.
pub fn junit(report: &Value) -> String {
    let found = findings(report);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites>\n  <testsuite name=\"gitpod-mock drift\" tests=\"{}\" failures=\"{}\">\n",
        found.len().max(1),
        found.len()
    ));
    if found.is_empty() {
        out.push_str("    <testcase classname=\"drift\" name=\"no drift\"/>\n");
    }
    for f in found {
        let name = format!("{} {}", shown_path(f), text(f, "kind"));
        let message = format!(
            "upstream {}; mock {} (seen {} times)",
            text(f, "upstream"),
            text(f, "mock"),
            f["count"]
        );
        out.push_str(&format!(
            "    <testcase classname=\"{}\" name=\"{}\">\n      <failure message=\"{}\">example request: {}</failure>\n    </testcase>\n",
            xml(text(f, "method")),
            xml(&name),
            xml(&message),
            xml(&f["exampleRequest"].to_string()),
        ));
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Text escaped for an XML attribute or element.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report() -> Value {
        json!({
            "upstream": "http://up",
            "calls": 3,
            "findings": [{
                "method": "GetX", "path": "a|b", "kind": "unknown_field",
                "upstream": "answers \"a<b\"", "mock": "leaves it out", "count": 2,
                "exampleRequest": {"id": "1"},
            }],
        })
    }

    #[test]
    fn markdown_has_one_row_per_finding_with_pipes_escaped() {
        let text = markdown(&report());
        assert!(text.contains("Calls compared: 3. Findings: 1."), "{text}");
        let row =
            r#"| GetX | a\|b | unknown_field | answers "a<b" | leaves it out | 2 | `{"id":"1"}` |"#;
        assert!(text.contains(row), "{text}");
    }

    #[test]
    fn junit_has_one_failing_case_per_finding_escaped() {
        let text = junit(&report());
        assert!(text.contains(r#"tests="1" failures="1""#), "{text}");
        assert!(text.contains(r#"<testcase classname="GetX" name="a|b unknown_field">"#));
        assert!(
            text.contains("upstream answers &quot;a&lt;b&quot;; mock leaves it out (seen 2 times)")
        );
        let empty = junit(&json!({"findings": []}));
        assert!(empty.contains(r#"tests="1" failures="0""#) && empty.contains("no drift"));
    }
}
