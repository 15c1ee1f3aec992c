//! The pages, rendered from a path: Runs (`index.html`), Run (`run/<key>/index.html`), Trial
//! (`run/<key>/trial/<trial>.html`), Compare (`compare/<a>~<b>/index.html`, and one task side by
//! side at `compare/<a>~<b>/<trial>.html`), Matrix (`matrix/<a>+<b>+.../index.html`). Links are
//! relative, so the same bytes work from the server and from a `file://` copy. maud escapes
//! every interpolated string; only SVG drawn by plotters and our own assets go in unescaped.

use crate::charts::{hbars, histogram, BarItem};
use crate::source::{self, RunEntry};
use crate::{Page, Site, ViewError};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use std::collections::BTreeMap;
use tribench_analysis::{build_report, compare, CompareOptions, Report, RunData, Verdict};
use tribench_types::{Outcome, TestStatus, TrialKey, TrialRecord};

const CSS: &str = include_str!("../assets/view.css");
const JS: &str = include_str!("../assets/view.js");

/// Longest tool output shown whole; longer ones show their start and end.
const OUTPUT_CAP: usize = 16 * 1024;
/// Steps on one trial page: a long trajectory opens page by page, not all at once.
pub(crate) const STEPS_PER_PAGE: usize = 100;
/// Outputs longer than this many lines start folded.
const FOLD_LINES: usize = 12;

pub(crate) fn render(site: &Site, path: &str) -> Result<Option<Page>, ViewError> {
    let path = path.trim_start_matches('/');
    let parts: Vec<&str> = path.split('/').collect();
    let page = match parts.as_slice() {
        [""] | ["index.html"] => Some(Page::html(runs_page(site))),
        ["assets", "view.css"] => Some(Page {
            content_type: "text/css; charset=utf-8",
            body: CSS.as_bytes().to_vec(),
        }),
        ["assets", "view.js"] => Some(Page {
            content_type: "text/javascript; charset=utf-8",
            body: JS.as_bytes().to_vec(),
        }),
        ["run", key] | ["run", key, ""] | ["run", key, "index.html"] => match site.run(key) {
            Some(e) => Some(Page::html(run_page(&e)?)),
            None => None,
        },
        ["run", key, "search.js"] => match site.run(key) {
            Some(e) => Some(search_index(&e)?),
            None => None,
        },
        ["run", key, "trial", file] => match (site.run(key), file.strip_suffix(".html")) {
            (Some(e), Some(name)) => {
                let (id, page) = match name.rsplit_once("~p") {
                    Some((id, n)) => match n.parse::<usize>() {
                        Ok(n) if n >= 2 => (id, n),
                        _ => return Ok(None),
                    },
                    None => (name, 1),
                };
                trial_page(&e, id, page)?.map(Page::html)
            }
            _ => None,
        },
        ["run", key, "file", rest @ ..] => match site.run(key) {
            Some(e) => source::artifact_path(&e.dir, &rest.join("/")).and_then(|p| {
                std::fs::read(p).ok().map(|body| Page {
                    // Always text: an agent's file must never render as a page of ours.
                    content_type: "text/plain; charset=utf-8",
                    body,
                })
            }),
            None => None,
        },
        ["compare", pair, rest] => {
            let Some((a, b)) = pair.split_once('~') else {
                return Ok(None);
            };
            match (site.run(a), site.run(b)) {
                (Some(a), Some(b)) if rest.is_empty() || *rest == "index.html" => {
                    Some(Page::html(compare_page(&a, &b)?))
                }
                (Some(a), Some(b)) => match rest.strip_suffix(".html") {
                    Some(t) => side_by_side(&a, &b, t)?.map(Page::html),
                    None => None,
                },
                _ => None,
            }
        }
        ["matrix", keys, ""] | ["matrix", keys, "index.html"] => {
            let all = site.runs();
            let chosen: Vec<RunEntry> = keys
                .split('+')
                .filter_map(|k| all.iter().find(|r| r.key == k).cloned())
                .collect();
            if chosen.len() < 2 {
                None
            } else {
                Some(Page::html(matrix_page(&chosen)?))
            }
        }
        _ => None,
    };
    Ok(page)
}

fn layout(root: &str, title: &str, crumbs: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · tribench view" }
                link rel="stylesheet" href={(root) "assets/view.css"};
            }
            body data-root=(root) {
                nav.crumbs { a href={(root) "index.html"} { "tribench view" } (crumbs) }
                main { (body) }
                script src={(root) "assets/view.js"} {}
            }
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn score_text(s: &tribench_analysis::Score) -> String {
    match s.rate {
        Some(rate) => format!(
            "{} [{:.1}, {:.1}]",
            pct(rate),
            s.low * 100.0,
            s.high * 100.0
        ),
        None => "n/a (no trials)".into(),
    }
}

fn usd(x: Option<f64>) -> String {
    match x {
        Some(v) if v < 0.01 && v > 0.0 => format!("${v:.4}"),
        Some(v) => format!("${v:.2}"),
        None => "unknown".into(),
    }
}

fn secs(ms: u64) -> String {
    tribench_analysis::duration_ms(ms as f64)
}

fn model_of(r: &RunData) -> String {
    r.manifest
        .model
        .as_ref()
        .map_or_else(|| "—".to_string(), |m| m.id.clone())
}

fn suites_of(r: &RunData) -> String {
    r.manifest
        .datasets
        .iter()
        .map(|d| d.name.clone())
        .collect::<Vec<_>>()
        .join(", ")
}

fn failures(report: &Report) -> Vec<(Outcome, usize)> {
    report
        .outcomes
        .iter()
        .filter(|o| o.outcome != Outcome::Resolved && o.count > 0)
        .map(|o| (o.outcome, o.count))
        .collect()
}

fn live(key: &str, p: &source::Progress) -> Markup {
    html! {
        span.live data-live-run=(key) data-initial=(p.recorded) {
            span.recorded { (p.recorded) } " of " span.expected { (p.expected) } " trials"
            " · resolved " span.resolved { (p.resolved) }
            " · infrastructure errors " span.infra { (p.infra) }
            span.state { @if p.finished { " · finished" } @else { " · running" } }
            br; span.summary { (p.summary) }
        }
    }
}

fn runs_page(site: &Site) -> Markup {
    let runs = site.runs();
    let body = html! {
        h1 { "Runs" }
        p.hint { "Click a heading to sort. Tick two runs to compare them, more for a model × scaffold matrix." }
        p { button #pick disabled { "Compare" } " " span #picked {} }
        table.sortable #runs {
            thead { tr {
                th {} th data-sort="text" { "run" } th data-sort="text" { "model" }
                th data-sort="text" { "scaffold" } th data-sort="text" { "suites" }
                th data-sort="num" { "score ± 95%" } th data-sort="num" { "trials" }
                th data-sort="num" { "failures by kind" } th data-sort="num" { "cost" }
                th data-sort="text" { "date" }
            } }
            tbody {
                @for e in &runs {
                    @match source::load_run(&e.dir) {
                        Ok(run) => {
                            @let report = build_report(&run);
                            @let progress = source::progress(&e.dir).unwrap_or_default();
                            @let fails = failures(&report);
                            tr data-key=(e.key) {
                                td { input type="checkbox" .pick value=(e.key) aria-label={"select " (e.key)}; }
                                td { a href={"run/" (e.key) "/index.html"} { (e.key) } }
                                td { (model_of(&run)) }
                                td { (run.manifest.scaffold.agent) }
                                td { (suites_of(&run)) }
                                td data-v=(report.total.score.rate.unwrap_or(-1.0)) { (score_text(&report.total.score)) }
                                td data-v=(progress.recorded) { (live(&e.key, &progress)) }
                                td data-v=(fails.iter().map(|f| f.1).sum::<usize>()) {
                                    @for (o, n) in &fails { span.tag.{"o-" (o.as_str())} { (o.as_str()) " " (n) } " " }
                                }
                                td data-v=(report.total.efficiency.cost_usd_total.unwrap_or(-1.0)) { (usd(report.total.efficiency.cost_usd_total)) }
                                td { (run.manifest.started_at) }
                            }
                        }
                        Err(err) => {
                            tr { td {} td { (e.key) } td colspan="8" { "unreadable: " (err.to_string()) } }
                        }
                    }
                }
            }
        }
        @if runs.is_empty() { p { "No run found yet (a run directory holds manifest.json)." } }
    };
    layout("", "Runs", html! {}, body)
}

/// Per task: (attempts resolved, attempts recorded).
fn solved_by_task(run: &RunData) -> BTreeMap<&str, (usize, usize)> {
    let mut m: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for t in &run.trials {
        let e = m.entry(t.task_id.as_str()).or_default();
        e.1 += 1;
        if t.resolved() {
            e.0 += 1;
        }
    }
    m
}

fn distinct<'a>(run: &'a RunData, f: impl Fn(&'a TrialRecord) -> String) -> Vec<String> {
    let mut v: Vec<String> = run.trials.iter().map(f).collect();
    v.sort();
    v.dedup();
    v
}

fn select(id: &str, label: &str, options: &[String]) -> Markup {
    html! {
        label { (label) " "
            select #(id) .filter data-field=(id) {
                option value="" { "any" }
                @for o in options { option value=(o) { (o) } }
            }
        }
    }
}

fn run_page(e: &RunEntry) -> Result<Markup, ViewError> {
    let run = source::load_run(&e.dir)?;
    let report = build_report(&run);
    let progress = source::progress(&e.dir).unwrap_or_default();
    let mut slices: Vec<BarItem> = Vec::new();
    if report.families.len() > 1 {
        slices.extend(report.families.iter().filter_map(slice_bar));
    }
    slices.extend(report.groups.iter().filter_map(slice_bar));
    slices.extend(slice_bar(&report.total));
    let outcome_bars: Vec<BarItem> = report
        .outcomes
        .iter()
        .filter(|o| o.count > 0)
        .map(|o| BarItem {
            label: o.outcome.as_str().to_string(),
            value: o.count as f64,
            interval: None,
        })
        .collect();
    let max_count = outcome_bars.iter().map(|b| b.value).fold(1.0, f64::max);
    let times: Vec<f64> = run
        .trials
        .iter()
        .filter(|t| t.timings.known())
        .map(|t| t.timings.total_ms as f64 / 1000.0)
        .collect();
    let tokens: Vec<f64> = run
        .trials
        .iter()
        .filter(|t| !t.usage.tokens_unknown)
        .map(|t| (t.usage.prompt_tokens + t.usage.completion_tokens) as f64)
        .collect();
    let costs: Vec<f64> = run
        .trials
        .iter()
        .filter(|t| t.usage.cost_known())
        .map(|t| t.usage.cost_usd)
        .collect();
    let solved = solved_by_task(&run);
    let solved_of = |t: &TrialRecord| {
        let (s, n) = solved.get(t.task_id.as_str()).copied().unwrap_or_default();
        format!("{s}/{n}")
    };
    let m = &run.manifest;
    let body = html! {
        h1 { (e.key) }
        ul.facts {
            li { "model " b { (model_of(&run)) } " · scaffold " b { (m.scaffold.agent) } " " (m.scaffold.version) }
            li { "suites " @for d in &m.datasets { b { (d.name) } " (" (d.tasks) " tasks, " (d.family.as_str()) ") " } }
            li { "attempts " (m.attempts) " · backend " (m.environment.backend) " · harness " (m.harness_version) }
            li { "started " (m.started_at) @if let Some(end) = &m.ended_at { " · ended " (end) } " · host " (m.host) }
            li { "progress " (live(&e.key, &progress)) }
            li { "score " b #score { (score_text(&report.total.score)) } " (" (report.total.score.method) ") · cost " (usd(report.total.efficiency.cost_usd_total)) }
        }
        section.charts {
            (PreEscaped(hbars("Resolved by family and group (95% intervals)", &slices, 100.0, "% resolved")))
            (PreEscaped(hbars("Outcomes and failure modes", &outcome_bars, max_count * 1.1, "trials")))
            div.hists {
                (PreEscaped(histogram("Time per trial", &times, "seconds")))
                (PreEscaped(histogram("Tokens per trial", &tokens, "tokens")))
                (PreEscaped(histogram("Cost per trial", &costs, "USD")))
            }
        }
        h2 { "Trials" }
        div #filters {
            (select("outcome", "outcome", &distinct(&run, |t| t.outcome.as_str().to_string())))
            (select("family", "family", &distinct(&run, |t| t.family.as_str().to_string())))
            (select("group", "group", &distinct(&run, |t| t.group.clone())))
            (select("solved", "attempts solved", &distinct(&run, solved_of)))
            label { "search messages " input #search type="search" placeholder="a word the agent wrote"; }
            " " span #shown { (run.trials.len()) " trials" }
        }
        table.sortable #trials {
            thead { tr {
                th data-sort="text" { "trial" } th data-sort="text" { "task" } th data-sort="num" { "attempt" }
                th data-sort="text" { "family" } th data-sort="text" { "group" } th data-sort="text" { "outcome" }
                th data-sort="text" { "solved" } th data-sort="num" { "steps" } th data-sort="num" { "time" }
                th data-sort="num" { "cost" }
            } }
            tbody {
                @for t in &run.trials {
                    tr id={"t-" (t.trial_id)} data-trial=(t.trial_id) data-outcome=(t.outcome.as_str())
                        data-family=(t.family.as_str()) data-group=(t.group) data-solved=(solved_of(t)) {
                        td { a href={"trial/" (t.trial_id) ".html"} { (t.trial_id) } }
                        td { (t.task_id) } td { (t.attempt) } td { (t.family.as_str()) } td { (t.group) }
                        td { span.tag.{"o-" (t.outcome.as_str())} { (t.outcome.as_str()) } }
                        td { (solved_of(t)) }
                        td { (t.usage.steps) }
                        td data-v=(t.timings.total_ms) { (secs(t.timings.total_ms)) }
                        td data-v=(t.usage.cost_usd) { (usd(t.usage.cost_known().then_some(t.usage.cost_usd))) }
                    }
                }
            }
        }
    };
    Ok(layout(
        "../../",
        &e.key,
        html! { " › " a href="index.html" { (e.key) } },
        body,
    ))
}

/// A slice's bar; none for a slice with no trials (its rate is unknown, not 0).
fn slice_bar(s: &tribench_analysis::Slice) -> Option<BarItem> {
    Some(BarItem {
        label: s.name.clone(),
        value: s.score.rate? * 100.0,
        interval: Some((s.score.low * 100.0, s.score.high * 100.0)),
    })
}

fn search_index(e: &RunEntry) -> Result<Page, ViewError> {
    let run = source::load_run(&e.dir)?;
    let map: serde_json::Map<String, serde_json::Value> = run
        .trials
        .iter()
        .map(|t| {
            (
                t.trial_id.clone(),
                serde_json::Value::String(
                    source::searchable_text(&e.dir, &t.trial_id).to_lowercase(),
                ),
            )
        })
        .collect();
    // A script (not JSON fetched at view time) so the index loads from file:// too.
    let body = format!("window.TB_SEARCH = {};\n", serde_json::Value::Object(map));
    Ok(Page {
        content_type: "text/javascript; charset=utf-8",
        body: body.into_bytes(),
    })
}

/// Diff lines with a class each, for the stylesheet to colour.
fn diff_markup(diff: &str) -> Markup {
    html! {
        pre.diff {
            @for line in diff.lines() {
                @let class = if line.starts_with("+++") || line.starts_with("---") || line.starts_with("diff ") || line.starts_with("index ") {
                    "d-file"
                } else if line.starts_with("@@") {
                    "d-hunk"
                } else if line.starts_with('+') {
                    "d-add"
                } else if line.starts_with('-') {
                    "d-del"
                } else {
                    "d-ctx"
                };
                @if class == "d-file" || class == "d-hunk" || line.is_empty() {
                    span class=(class) { (line) } "\n"
                } @else {
                    span class=(class) {
                        (&line[..1])
                        @for (kind, text) in code_tokens(&line[1..]) {
                            @if kind.is_empty() { (text) } @else { span class=(kind) { (text) } }
                        }
                    } "\n"
                }
            }
        }
    }
}

/// Words most languages of the three families reserve, coloured in diffs.
const KEYWORDS: &[&str] = &[
    "as",
    "async",
    "await",
    "break",
    "case",
    "catch",
    "class",
    "const",
    "continue",
    "def",
    "defer",
    "elif",
    "else",
    "enum",
    "except",
    "export",
    "extends",
    "false",
    "False",
    "finally",
    "fn",
    "for",
    "from",
    "func",
    "function",
    "if",
    "impl",
    "import",
    "in",
    "interface",
    "lambda",
    "let",
    "match",
    "mod",
    "mut",
    "new",
    "nil",
    "None",
    "not",
    "null",
    "package",
    "pass",
    "private",
    "pub",
    "public",
    "raise",
    "return",
    "self",
    "static",
    "struct",
    "switch",
    "this",
    "throw",
    "trait",
    "true",
    "True",
    "try",
    "type",
    "use",
    "var",
    "void",
    "while",
    "with",
    "yield",
];

/// A line of code cut into (class, text): `k` keyword, `s` string, `c` comment, `n` number,
/// `""` anything else. A light, language-blind highlighter: good enough to read a diff by.
fn code_tokens(code: &str) -> Vec<(&'static str, &str)> {
    let b = code.as_bytes();
    let mut out: Vec<(&'static str, &str)> = Vec::new();
    let (mut i, mut plain) = (0, 0);
    while i < b.len() {
        let c = b[i];
        let token = if c == b'#' || (c == b'/' && b.get(i + 1) == Some(&b'/')) {
            Some(("c", b.len()))
        } else if c == b'"' || c == b'\'' || c == b'`' {
            let mut j = i + 1;
            while j < b.len() && b[j] != c {
                j += if b[j] == b'\\' { 2 } else { 1 };
            }
            (j < b.len()).then_some(("s", j + 1))
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            if KEYWORDS.contains(&&code[i..j]) {
                Some(("k", j))
            } else {
                i = j;
                continue;
            }
        } else if c.is_ascii_digit()
            && (i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_'))
        {
            let mut j = i;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'.' || b[j] == b'_') {
                j += 1;
            }
            Some(("n", j))
        } else {
            None
        };
        match token {
            Some((kind, end)) => {
                if plain < i {
                    out.push(("", &code[plain..i]));
                }
                out.push((kind, &code[i..end]));
                i = end;
                plain = end;
            }
            None => i += 1,
        }
    }
    if plain < b.len() {
        out.push(("", &code[plain..]));
    }
    out
}

fn capped(s: &str) -> (String, bool) {
    if s.len() <= OUTPUT_CAP {
        return (s.to_string(), false);
    }
    let mut head = OUTPUT_CAP / 2;
    while !s.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = s.len() - OUTPUT_CAP / 2;
    while !s.is_char_boundary(tail) {
        tail += 1;
    }
    (
        format!(
            "{}\n… {} bytes not shown …\n{}",
            &s[..head],
            tail - head,
            &s[tail..]
        ),
        true,
    )
}

fn folded(summary: &str, text: &str, full_link: Option<&str>) -> Markup {
    folded_open(summary, text, full_link, text.lines().count() <= FOLD_LINES)
}

fn folded_open(summary: &str, text: &str, full_link: Option<&str>, open: bool) -> Markup {
    let lines = text.lines().count();
    let (shown, cut) = capped(text);
    html! {
        details.out open[open] {
            summary { (summary) " (" (lines) " lines)" }
            pre { (shown) }
            @if cut { @if let Some(l) = full_link { a href=(l) { "the whole file" } } }
        }
    }
}

/// The page name of a trial's `page`-th page of steps (1: the trial's own page).
pub(crate) fn trial_page_name(trial_id: &str, page: usize) -> String {
    if page <= 1 {
        format!("{trial_id}.html")
    } else {
        format!("{trial_id}~p{page}.html")
    }
}

/// How many pages of steps a trial's trajectory takes.
pub(crate) fn step_pages(steps: usize) -> usize {
    steps.div_ceil(STEPS_PER_PAGE).max(1)
}

fn trial_page(e: &RunEntry, id: &str, page: usize) -> Result<Option<Markup>, ViewError> {
    let run = source::load_run(&e.dir)?;
    let Some(pos) = run.trials.iter().position(|t| t.trial_id == id) else {
        return Ok(None);
    };
    let root = "../../../";
    let run_link = "../index.html";
    let Some(body) = trial_body(&run, &run.trials[pos], "", "../file/", page) else {
        return Ok(None);
    };
    let prev = pos.checked_sub(1).and_then(|i| run.trials.get(i));
    let next = run.trials.get(pos + 1);
    let t = &run.trials[pos];
    let attempts = source::attempts_of(&run, &t.task_id);
    let nav = html! {
        p.nav {
            a href={(run_link) "#t-" (t.trial_id)} { "← " (e.key) }
            " · attempts: "
            @for a in &attempts {
                @if a.trial_id == t.trial_id { b { (a.attempt) } } @else { a href={(a.trial_id) ".html"} title=(a.outcome.as_str()) { (a.attempt) } }
                " "
            }
            " · "
            @if let Some(p) = prev { a #prev href={(p.trial_id) ".html"} { "‹ previous trial" } } @else { "‹ previous trial" }
            " · "
            @if let Some(n) = next { a #next href={(n.trial_id) ".html"} { "next trial ›" } } @else { "next trial ›" }
        }
    };
    Ok(Some(layout(
        root,
        id,
        html! { " › " a href=(run_link) { (e.key) } " › " (id) },
        html! { (nav) (body) },
    )))
}

/// A trial's whole story, with the `page`-th page of its steps (`None` past the last page);
/// `self_prefix` leads to trial pages, `file_prefix` to run files.
fn trial_body(
    run: &RunData,
    t: &TrialRecord,
    self_prefix: &str,
    file_prefix: &str,
    page: usize,
) -> Option<Markup> {
    let traj = source::trajectory(&run.dir, &t.trial_id);
    let total_steps = traj.as_ref().map_or(0, |tr| tr.steps.len());
    let pages = step_pages(total_steps);
    if page > pages {
        return None;
    }
    let first = (page - 1) * STEPS_PER_PAGE;
    let pager = html! {
        @if pages > 1 {
            p.pager {
                "steps " (first + 1) "–" ((first + STEPS_PER_PAGE).min(total_steps)) " of " (total_steps) " · pages: "
                @for n in 1..=pages {
                    @if n == page { b { (n) } } @else { a.page href={(self_prefix) (trial_page_name(&t.trial_id, n))} { (n) } }
                    " "
                }
            }
        }
    };
    let diff = source::read_artifact(&run.dir, &t.trial_id, "diff.patch");
    let instruction = source::read_artifact(&run.dir, &t.trial_id, "instruction.md");
    let grading = source::grading(&run.dir, &t.trial_id);
    let traj_link = format!(
        "{file_prefix}{}/trajectory.json",
        tribench_store::RunStore::trial_dir_rel(&t.trial_id)
    );
    Some(html! {
        h1 { a href={(self_prefix) (t.trial_id) ".html"} { (t.trial_id) } }
        p {
            span.tag.big.{"o-" (t.outcome.as_str())} #outcome { (t.outcome.as_str()) }
            @if let Some(n) = t.passed_on_try.filter(|_| t.resolved()) { " on try " (n) }
            " · task " b { (t.task_id) } " · attempt " (t.attempt) " · " (t.family.as_str()) " / " (t.group)
            " · agent " (t.agent)
            @if let Some(m) = &t.model { " · model " (m.id) }
        }
        @if let Some(err) = &t.error { p.error { "error: " (err) } }
        @if let Some(i) = &instruction { (folded("instruction", i, None)) }
        h2 { "Trajectory" }
        @match &traj {
            Some(tr) => {
                p { span #step-count { (tr.steps.len()) } " steps" }
                @if page == 1 { @for (role, text) in &tr.preamble { (folded_open(role, text, None, false)) } }
                (pager)
                @for s in tr.steps.iter().skip(first).take(STEPS_PER_PAGE) {
                    section.step id={"step-" (s.number)} {
                        h3 { "step " (s.number)
                            @if let Some((p, c)) = s.tokens { small { " · " (p) " tokens in, " (c) " out" } } }
                        @for n in &s.notes { p.note { (n) } }
                        @if let Some(m) = &s.message { pre.msg { (m) } }
                        @for c in &s.calls {
                            div.call {
                                code.tool { (c.tool) }
                                pre.args { (c.arguments) }
                                @if let Some(o) = &c.output { (folded("output", o, Some(&traj_link))) }
                            }
                        }
                    }
                }
            }
            None => { p { span #step-count { "0" } " steps: the " (t.agent) " agent works without a model." } }
        }
        (pager)
        h2 { "Change" }
        @match &diff {
            Some(d) if !d.trim().is_empty() => { (diff_markup(d)) }
            Some(_) => { p { "none: the workspace was left as it was" } }
            None => { p { "not recorded" } }
        }
        h2 { "Tests" }
        @if t.tries.is_empty() { p { "not run" } }
        @for tr in &t.tries {
            h3 { "try " (tr.index) ": " span.tag.{"o-" (tr.outcome.as_str())} { (tr.outcome.as_str()) }
                @if let Some(c) = tr.exit_code { " · exit " (c) }
                @if let Some(r) = tr.reward { " · reward " (r) }
                " · tests took " (secs(tr.test_ms)) }
            @if !tr.tests.is_empty() {
                table.tests id={"tests-" (tr.index)} {
                    thead { tr { th { "test" } th { "status" } } }
                    tbody { @for x in &tr.tests {
                        tr { td { (x.name) } td { span.{"s-" (status_word(x.status))} { (status_word(x.status)) } } }
                    } }
                }
            }
            @if let Some(out) = tr.output_artifact.as_deref().and_then(|a| source::read_rel(&run.dir, a)) {
                (folded("test output", &out, tr.output_artifact.as_deref().map(|a| format!("{file_prefix}{a}")).as_deref()))
            }
        }
        @if let Some(g) = &grading {
            h2 { "Grading audit" }
            p {
                "mode " (g.mode.as_deref().unwrap_or("?")) " · parser " (g.parser.as_deref().unwrap_or("?"))
                " · official " (verdict_word(g.official_resolved)) " · strict " (verdict_word(g.strict_resolved))
            }
            @if g.official_resolved.is_some() && g.official_resolved != g.strict_resolved { p.error { "official and strict grading disagree" } }
            @if !g.suspicious.is_empty() { p { "suspicious files: " @for s in &g.suspicious { code { (s) } " " } } }
            @if !g.lists.is_empty() {
                table.tests #swebench-lists {
                    thead { tr { th { "list" } th { "test" } th { "result" } } }
                    tbody { @for (list, test, ok) in &g.lists {
                        tr { td { (list) } td { (test) } td { @if *ok { span.s-passed { "passed" } } @else { span.s-failed { "failed" } } } }
                    } }
                }
            }
        }
        h2 { "Timings and usage" }
        table.facts {
            tr { th { "total" } td { (secs(t.timings.total_ms)) } th { "prompt tokens" } td { (t.usage.prompt_tokens) } }
            tr { th { "setup" } td { (secs(t.timings.setup_ms)) } th { "completion tokens" } td { (t.usage.completion_tokens) } }
            tr { th { "agent" } td { (secs(t.timings.agent_ms)) } th { "cached tokens" } td { (t.usage.cached_tokens) } }
            tr { th { "grading" } td { (secs(t.timings.grade_ms)) } th { "cost" } td { (usd(t.usage.cost_known().then_some(t.usage.cost_usd))) } }
            tr { th { "tests" } td { (secs(t.timings.test_ms)) } th { "steps" } td { (t.usage.steps) } }
            tr { th { "started" } td { (t.started_at) } th { "ended" } td { (t.ended_at) } }
        }
    })
}

fn status_word(s: TestStatus) -> &'static str {
    match s {
        TestStatus::Passed => "passed",
        TestStatus::Failed => "failed",
        TestStatus::Error => "error",
        TestStatus::Skipped => "skipped",
        TestStatus::Xfail => "xfail",
        TestStatus::Xpass => "xpass",
    }
}

fn verdict_word(v: Option<bool>) -> &'static str {
    match v {
        Some(true) => "resolved",
        Some(false) => "not resolved",
        None => "—",
    }
}

/// Per task: the mean of its attempts' resolved flags.
fn task_means(run: &RunData) -> BTreeMap<String, f64> {
    solved_by_task(run)
        .into_iter()
        .map(|(k, (s, n))| (k.to_string(), s as f64 / n.max(1) as f64))
        .collect()
}

fn task_page_name(task: &str) -> String {
    TrialKey {
        task_id: task.to_string(),
        attempt: 1,
    }
    .trial_id()
}

fn heat(rate: f64) -> String {
    // From red (0) to green (1).
    let r = (200.0 * (1.0 - rate) + 40.0) as u8;
    let g = (160.0 * rate + 60.0) as u8;
    format!("background:rgb({r},{g},80)")
}

fn compare_page(a: &RunEntry, b: &RunEntry) -> Result<Markup, ViewError> {
    let ra = source::load_run(&a.dir)?;
    let rb = source::load_run(&b.dir)?;
    let opts = CompareOptions {
        force: true,
        ..CompareOptions::default()
    };
    let result = compare(&ra, &rb, &opts);
    let (ma, mb) = (task_means(&ra), task_means(&rb));
    let mut shared: Vec<(&String, f64, f64)> = ma
        .iter()
        .filter_map(|(k, x)| Some((k, *x, *mb.get(k)?)))
        .collect();
    shared.sort_by(|x, y| {
        (y.1 - y.2)
            .abs()
            .total_cmp(&(x.1 - x.2).abs())
            .then(x.0.cmp(y.0))
    });
    let body = html! {
        h1 { "Compare " (a.key) " with " (b.key) }
        @match &result {
            Ok(c) => {
                p.verdict #verdict { (verdict_text(&c.verdict, &a.key, &b.key)) }
                p { (c.explanation) }
                table.facts {
                    tr { th { "shared tasks" } td { (c.shared_tasks) } th { "A − B" } td { (format!("{:+.1} points [{:+.1}, {:+.1}]", c.diff * 100.0, c.diff_low * 100.0, c.diff_high * 100.0)) } }
                    tr { th { (a.key) } td { (pct(c.mean_a)) } th { (b.key) } td { (pct(c.mean_b)) } }
                    tr { th { "test" } td { (c.test) } th { "p" } td { (format!("{:.4}", c.p_value)) } }
                    tr { th { "MDE (80% power)" } td { (format!("{:.1} points", c.mde * 100.0)) } th { "correlation" } td { (c.correlation.map_or("—".to_string(), |r| format!("{r:.2}"))) } }
                }
                @if !c.differences.is_empty() {
                    h2 { "How the runs differ" }
                    ul { @for d in &c.differences {
                        li.{@if d.blocking { "error" }} { (d.field) ": " (d.a) " vs " (d.b) @if d.blocking { " (different datasets: compared on shared tasks only)" } }
                    } }
                }
            }
            Err(err) => { p.error { (err.to_string()) } }
        }
        h2 { "Tasks × runs" }
        p.hint { "Discordant tasks first. Cells: share of attempts resolved. Click a task for both trials side by side." }
        table.heat #heatmap {
            thead { tr { th { "task" } th { (a.key) } th { (b.key) } } }
            tbody {
                @for (task, x, y) in &shared {
                    tr.{@if (x - y).abs() > 1e-9 { "discordant" } @else { "same" }} {
                        td { a href={(task_page_name(task)) ".html"} { (task) } }
                        td style=(heat(*x)) { (pct(*x)) }
                        td style=(heat(*y)) { (pct(*y)) }
                    }
                }
            }
        }
    };
    Ok(layout(
        "../../",
        "Compare",
        html! { " › compare " (a.key) " · " (b.key) },
        body,
    ))
}

fn verdict_text(v: &Verdict, a: &str, b: &str) -> String {
    match v {
        Verdict::ABetter => format!("{a} is better"),
        Verdict::BBetter => format!("{b} is better"),
        Verdict::NoDetectableDifference => "no detectable difference".into(),
        Verdict::Inconclusive => "inconclusive".into(),
    }
}

fn side_by_side(a: &RunEntry, b: &RunEntry, name: &str) -> Result<Option<Markup>, ViewError> {
    let ra = source::load_run(&a.dir)?;
    let rb = source::load_run(&b.dir)?;
    let Some(task) = ra
        .trials
        .iter()
        .map(|t| t.task_id.as_str())
        .find(|t| task_page_name(t) == name)
        .map(String::from)
    else {
        return Ok(None);
    };
    let column = |e: &RunEntry, r: &RunData| {
        let trials = source::attempts_of(r, &task);
        html! {
            div.col {
                h2 { (e.key) }
                @if trials.is_empty() { p { "no trial of this task" } }
                @for t in trials {
                    @if let Some(b) = trial_body(r, t, &format!("../../run/{}/trial/", e.key), &format!("../../run/{}/file/", e.key), 1) { (b) }
                }
            }
        }
    };
    Ok(Some(layout(
        "../../",
        &task,
        html! { " › " a href="index.html" { "compare " (a.key) " · " (b.key) } " › " (task) },
        html! { div.sides { (column(a, &ra)) (column(b, &rb)) } },
    )))
}

fn matrix_page(runs: &[RunEntry]) -> Result<Markup, ViewError> {
    let data: Vec<RunData> = runs
        .iter()
        .map(|e| source::load_run(&e.dir).map(|r| (*r).clone()))
        .collect::<Result<_, _>>()?;
    // Runs that share no task get the reason in place of a grid.
    let text = tribench_analysis::matrix(&data, 0.05, 2000, 0)
        .map_or_else(|e| e.to_string(), |m| tribench_analysis::render_matrix(&m));
    let body = html! {
        h1 { "Matrix of " (runs.len()) " runs" }
        ul { @for (e, r) in runs.iter().zip(&data) {
            li { a href={"../../run/" (e.key) "/index.html"} { (e.key) } " · " (model_of(r)) " / " (r.manifest.scaffold.agent) }
        } }
        pre { (text) }
    };
    Ok(layout("../../", "Matrix", html! { " › matrix" }, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_outputs_are_capped_on_char_boundaries() {
        let s = "é".repeat(OUTPUT_CAP);
        let (shown, cut) = capped(&s);
        assert!(cut && shown.len() < s.len() && shown.contains("bytes not shown"));
    }

    #[test]
    fn code_in_diffs_is_highlighted() {
        assert_eq!(
            code_tokens("    return f(\"a\\\"b\", 42) # done é"),
            [
                ("", "    "),
                ("k", "return"),
                ("", " f("),
                ("s", "\"a\\\"b\""),
                ("", ", "),
                ("n", "42"),
                ("", ") "),
                ("c", "# done é"),
            ]
        );
        // An unclosed quote (a Rust lifetime) stays plain.
        assert_eq!(code_tokens("x: &'a str"), [("", "x: &'a str")]);
        let m = diff_markup("+let s = \"<b>\";\n").into_string();
        assert!(m.contains(r#"<span class="k">let</span>"#), "{m}");
        assert!(
            m.contains(r#"<span class="s">&quot;&lt;b&gt;&quot;</span>"#),
            "{m}"
        );
    }

    #[test]
    fn diff_lines_are_classed_and_escaped() {
        let m = diff_markup("--- a/x\n+++ b/x\n@@ -1 +1 @@\n-<b>\n+<script>\n").into_string();
        assert!(
            m.contains(r#"<span class="d-add">+&lt;script&gt;</span>"#),
            "{m}"
        );
        assert!(
            m.contains(r#"<span class="d-del">-&lt;b&gt;</span>"#),
            "{m}"
        );
    }
}
