//! `compare` lists a task image that was a different image in the two runs (pulled in one,
//! built from the Dockerfile in the other, say).

use super::*;

fn image(source: &str, digest: &str) -> ImageRecord {
    ImageRecord {
        requested: "example/task:1.0".into(),
        name: "example/task:1.0".into(),
        source: source.into(),
        digest: Some(digest.into()),
        note: None,
    }
}

#[test]
fn runs_on_different_images_are_flagged() {
    let mut a = k1_run("runs/a", "a", 5, 10);
    let mut b = k1_run("runs/b", "b", 5, 10);
    a.manifest.environment.images = vec![image("present", "sha256:aaaaaaaaaaaaaaaaaaaa")];
    b.manifest.environment.images = vec![image("built", "sha256:bbbbbbbbbbbbbbbbbbbb")];
    let c = compare(&a, &b, &CompareOptions::default()).unwrap();
    let d = c
        .differences
        .iter()
        .find(|d| d.field == "image example/task:1.0")
        .unwrap_or_else(|| panic!("{:?}", c.differences));
    assert_eq!(d.a, "aaaaaaaaaaaa (present)");
    assert_eq!(d.b, "bbbbbbbbbbbb (built)");
    // The same image in both: nothing to say.
    b.manifest.environment.images = a.manifest.environment.images.clone();
    let c = compare(&a, &b, &CompareOptions::default()).unwrap();
    assert!(!c.differences.iter().any(|d| d.field.starts_with("image ")));
}
