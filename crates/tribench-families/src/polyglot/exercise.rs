//! Reading Exercism practice exercises in the layout the Aider polyglot benchmark uses:
//! `<lang>/exercises/practice/<name>/` with `.docs/instructions.md` (and optional
//! `introduction.md`, `instructions.append.md`) and `.meta/config.json` naming the solution,
//! test and example files.

use super::language::Language;
use crate::FamilyError;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// One exercise, validated: every file its config names exists.
#[derive(Debug, Clone)]
pub struct Exercise {
    pub id: String,
    pub name: String,
    pub language: Language,
    pub dir: PathBuf,
    pub solution: Vec<String>,
    pub tests: Vec<String>,
    pub examples: Vec<String>,
    pub instructions: String,
}

#[derive(Deserialize)]
struct Config {
    files: Files,
}

#[derive(Deserialize)]
struct Files {
    #[serde(default)]
    solution: Vec<String>,
    #[serde(default)]
    test: Vec<String>,
    #[serde(default)]
    example: Vec<String>,
    /// Concept exercises name their reference `exemplar`.
    #[serde(default)]
    exemplar: Vec<String>,
}

/// Directories never searched for exercises.
const SKIP_DIRS: [&str; 5] = ["node_modules", "target", "build", ".git", "__pycache__"];

/// Finds exercise directories under `root`: a directory with a `.meta` or `.docs` folder.
pub fn find_exercise_dirs(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut walker = walkdir::WalkDir::new(root)
        .max_depth(6)
        .sort_by_file_name()
        .into_iter();
    while let Some(Ok(entry)) = walker.next() {
        if !entry.file_type().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if entry.depth() > 0 && (SKIP_DIRS.contains(&name.as_ref()) || name.starts_with('.')) {
            walker.skip_current_dir();
            continue;
        }
        let p = entry.path();
        if p.join(".meta").is_dir() || p.join(".docs").is_dir() {
            found.push(p.to_path_buf());
            walker.skip_current_dir();
        }
    }
    found
}

/// The language named by the path (`.../<lang>/exercises/practice/<name>`), if any.
fn language_from_path(dir: &Path) -> Option<Language> {
    let parts: Vec<String> = dir
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let i = parts.iter().rposition(|p| p == "exercises")?;
    Language::from_name(parts.get(i.checked_sub(1)?)?)
}

fn invalid(path: &Path, message: impl Into<String>) -> FamilyError {
    FamilyError::InvalidTask {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

pub fn load_exercise(dir: &Path) -> Result<Exercise, FamilyError> {
    let config_path = dir.join(".meta").join("config.json");
    let raw = std::fs::read_to_string(&config_path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            invalid(&config_path, "missing: every exercise needs .meta/config.json naming its solution, test and example files")
        } else {
            invalid(&config_path, format!("cannot read: {e}"))
        }
    })?;
    let config: Config = serde_json::from_str(&raw)
        .map_err(|e| invalid(&config_path, format!("not valid exercise config JSON: {e}")))?;
    let files = config.files;
    let examples = if files.example.is_empty() {
        files.exemplar
    } else {
        files.example
    };
    for (kind, list) in [
        ("solution", &files.solution),
        ("test", &files.test),
        ("example", &examples),
    ] {
        if list.is_empty() {
            return Err(invalid(&config_path, format!("files.{kind} is empty")));
        }
        for f in list {
            let bad_path = Path::new(f).is_absolute() || f.split('/').any(|c| c == "..");
            if bad_path {
                return Err(invalid(
                    &config_path,
                    format!("files.{kind} names {f:?}, which is outside the exercise"),
                ));
            }
            if !dir.join(f).is_file() {
                return Err(invalid(
                    &dir.join(f),
                    format!("named in .meta/config.json files.{kind} but does not exist"),
                ));
            }
        }
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "exercise".into());
    let language = language_from_path(dir)
        .or_else(|| files.solution.iter().find_map(|f| Language::from_extension(f)))
        .ok_or_else(|| invalid(dir, "cannot tell the language: not under <lang>/exercises/ and no known solution file extension"))?;

    let docs = dir.join(".docs");
    let read_doc = |f: &str| std::fs::read_to_string(docs.join(f)).ok();
    let main = read_doc("instructions.md").ok_or_else(|| {
        invalid(
            &docs.join("instructions.md"),
            "missing: the exercise has no instructions",
        )
    })?;
    let instructions = [
        read_doc("introduction.md"),
        Some(main),
        read_doc("instructions.append.md"),
    ]
    .into_iter()
    .flatten()
    .map(|s| s.trim().to_string())
    .collect::<Vec<_>>()
    .join("\n\n");

    Ok(Exercise {
        id: format!("{}/{}", language.name(), name),
        name,
        language,
        dir: dir.to_path_buf(),
        solution: files.solution,
        tests: files.test,
        examples,
        instructions,
    })
}

impl Exercise {
    /// Pairs each reference file with the workspace path it goes to. A file named like a
    /// solution file replaces it; else the only solution file with its extension, when no other
    /// reference file took that one; else it keeps its path relative to the reference folder
    /// of a file already placed (`.meta/src/reference/java/Helper.java` next to a placed
    /// `Main.java` goes to `src/main/java/Helper.java`); else its position.
    pub fn reference_pairs(&self) -> Vec<(String, String)> {
        let ext = |p: &str| Path::new(p).extension().map(|e| e.to_os_string());
        let file_name = |p: &str| Path::new(p).file_name().map(|e| e.to_os_string());
        let parent = |p: &str| {
            Path::new(p)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
        };
        let mut target: Vec<Option<String>> = self
            .examples
            .iter()
            .map(|ex| {
                self.solution
                    .iter()
                    .find(|s| file_name(s) == file_name(ex))
                    .cloned()
            })
            .collect();
        let taken = |target: &[Option<String>], s: &str| target.iter().flatten().any(|t| t == s);
        for (i, ex) in self.examples.iter().enumerate() {
            if target[i].is_some() {
                continue;
            }
            let same_ext: Vec<&String> =
                self.solution.iter().filter(|s| ext(s) == ext(ex)).collect();
            if let [only] = same_ext.as_slice() {
                if !taken(&target, only) {
                    target[i] = Some((*only).clone());
                }
            }
        }
        // Folders of the files placed so far: (reference folder, workspace folder).
        let anchors: Vec<(PathBuf, PathBuf)> = self
            .examples
            .iter()
            .zip(&target)
            .filter_map(|(ex, t)| Some((parent(ex), parent(t.as_ref()?))))
            .collect();
        for (i, ex) in self.examples.iter().enumerate() {
            if target[i].is_some() {
                continue;
            }
            let relative = anchors
                .iter()
                .filter_map(|(from, to)| {
                    Some((from, to.join(Path::new(ex).strip_prefix(from).ok()?)))
                })
                .max_by_key(|(from, _)| from.components().count())
                .map(|(_, to)| to.to_string_lossy().into_owned());
            target[i] =
                relative.or_else(|| self.solution.get(i).filter(|s| !taken(&target, s)).cloned());
        }
        self.examples
            .iter()
            .zip(target)
            .filter_map(|(ex, t)| Some((ex.clone(), t?)))
            .collect()
    }
}
