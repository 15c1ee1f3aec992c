use reverse_graphemes::reverse;

#[test]
fn empty() {
    assert_eq!(reverse(""), "");
}

#[test]
#[ignore]
fn plain_word() {
    assert_eq!(reverse("robot"), "tobor");
}

#[test]
#[ignore]
fn combining_marks_stay_with_their_letter() {
    assert_eq!(reverse("noe\u{308}l"), "le\u{308}on");
}

#[test]
#[ignore]
fn emoji_with_skin_tone_is_one_character() {
    assert_eq!(reverse("a\u{1F44B}\u{1F3FD}b"), "b\u{1F44B}\u{1F3FD}a");
}
